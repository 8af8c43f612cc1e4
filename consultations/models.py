"""The consultation hub: Wagtail pages for the words, plain models for participation.

``ConsultationPage`` owns the text, dates and question definitions (so they go through revisions,
review and scheduled publishing). A ``Response`` holds one respondent's answers as JSON (the
canonical copy, read back for resuming, editing, emails and exports); ``Answer`` rows index the
submitted answers so results are GROUP BYs in the database. Equality-monitoring answers sit apart in
``EqualityAnswers``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import cached_property

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.models import Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index

from consultations.blocks import ConsultationBodyBlock, SurveyBlock
from consultations.equality import FIELDS as EQUALITY_FIELDS
from consultations.equality import QUESTIONS as EQUALITY_QUESTIONS
from consultations.permissions import (
    ConsultationPageForm,
    ConsultationPermissionTester,
    HubPermissionTester,
)
from consultations.survey import Survey, build_survey
from engagement.models import (
    Area,
    Audience,
    EngagementMode,
    EngagementStage,
    Organisation,
    ServiceCategory,
)
from engagement.pages_routing import ViewRestrictionsMixin

MINIMUM_PERIOD = timedelta(weeks=6)
OUTCOME_OVERDUE_AFTER = timedelta(weeks=12)


class ConsultationIndexPage(ViewRestrictionsMixin, Page):
    """The hub at /consultations/: every consultation in the place, whoever runs it."""

    introduction = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, "introduction"]
    parent_page_types = ["engagement.HomePage"]
    subpage_types = ["consultations.ConsultationPage"]
    max_count = 1

    class Meta:
        verbose_name = _("consultation hub")

    def permissions_for_user(self, user):
        """Only officers add consultations here (see consultations.permissions)."""
        return HubPermissionTester(user, self)

    def get_context(self, request, *args, **kwargs):
        from consultations.hub import hub_context

        context = super().get_context(request, *args, **kwargs)
        context.update(hub_context(self, request))
        return context


class ConsultationPageQuerySet(PageQuerySet):
    """Queries over consultations by where they stand in time."""

    def open_at(self, moment: datetime):
        return self.filter(opens_at__lte=moment, closes_at__gt=moment)

    def forthcoming_at(self, moment: datetime):
        return self.filter(opens_at__gt=moment)

    def closed_at(self, moment: datetime):
        return self.filter(closes_at__lte=moment)

    def run_by(self, organisation_ids):
        """Consultations owned or co-owned by any of these organisations."""
        return self.filter(
            Q(organisation_id__in=organisation_ids) | Q(co_owners__in=organisation_ids)
        ).distinct()


ConsultationPageManager = PageManager.from_queryset(ConsultationPageQuerySet)


class ConsultationPage(ViewRestrictionsMixin, RoutablePageMixin, Page):
    """One consultation: what it is about, who runs it, when it is open and what it asks."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name=_("owner organisation"),
    )
    co_owners = ParentalManyToManyField(
        Organisation,
        blank=True,
        related_name="co_owned_consultations",
        verbose_name=_("co-owning organisations"),
    )
    areas = ParentalManyToManyField(
        Area,
        blank=True,
        related_name="consultations",
        verbose_name=_("areas"),
        help_text=_("Leave empty when the consultation is for the whole place."),
    )
    audiences = ParentalManyToManyField(Audience, blank=True, verbose_name=_("audiences"))
    topics = ParentalManyToManyField(ServiceCategory, blank=True, verbose_name=_("topics"))
    mode = models.CharField(
        _("engagement mode"),
        max_length=20,
        choices=EngagementMode.choices,
        default=EngagementMode.PROACTIVE,
    )
    stage = models.CharField(
        _("engagement stage"),
        max_length=20,
        choices=EngagementStage.choices,
        default=EngagementStage.DESIGN,
    )
    statutory = models.BooleanField(_("statutory consultation"), default=False)
    opens_at = models.DateTimeField(_("opens"), help_text=_("UK time."))
    closes_at = models.DateTimeField(_("closes"), help_text=_("UK time."))
    summary = models.TextField(_("summary"), max_length=600)
    body = StreamField(ConsultationBodyBlock(), blank=True, verbose_name=_("body"))
    questions = StreamField(SurveyBlock(), blank=True, verbose_name=_("questions"))
    allow_anonymous = models.BooleanField(
        _("accept responses without an account"),
        default=True,
        help_text=_(
            "Signed-in residents can always respond, save and come back, and edit until close."
        ),
    )
    ask_about_you = models.BooleanField(
        _('include the optional "About you" equality questions'), default=False
    )

    objects = ConsultationPageManager()
    # The owner organisation is chosen among the editor's own (see consultations.permissions).
    base_form_class = ConsultationPageForm

    parent_page_types = ["consultations.ConsultationIndexPage"]
    subpage_types: list[str] = []

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("organisation"),
        index.FilterField("opens_at"),
        index.FilterField("closes_at"),
    ]

    content_panels = [
        *Page.content_panels,
        "summary",
        MultiFieldPanel(
            [
                "organisation",
                FieldPanel("co_owners", widget=forms.CheckboxSelectMultiple),
                "areas",
                "audiences",
                "topics",
            ],
            heading=_("Who runs it and who it is for"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(["opens_at", "closes_at"]),
                FieldRowPanel(["mode", "stage"]),
                "statutory",
            ],
            heading=_("When and how"),
        ),
        "body",
    ]
    question_panels = ["allow_anonymous", "ask_about_you", "questions"]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading=_("Content")),
            ObjectList(question_panels, heading=_("Questions")),
            ObjectList(Page.promote_panels, heading=_("Promote")),
            ObjectList(Page.settings_panels, heading=_("Settings")),
        ]
    )

    class Meta:
        verbose_name = _("consultation")
        indexes = [models.Index(fields=["opens_at", "closes_at"])]

    # --- time ---------------------------------------------------------------------------------

    def is_open(self, moment: datetime | None = None) -> bool:
        moment = moment or timezone.now()
        return self.opens_at <= moment < self.closes_at

    def is_forthcoming(self, moment: datetime | None = None) -> bool:
        return (moment or timezone.now()) < self.opens_at

    def is_closed(self, moment: datetime | None = None) -> bool:
        return (moment or timezone.now()) >= self.closes_at

    def status(self, moment: datetime | None = None) -> str:
        if self.is_forthcoming(moment):
            return "forthcoming"
        return "closed" if self.is_closed(moment) else "open"

    def period_warnings(self) -> list[str]:
        """Good-practice warnings for officers: short periods and the Christmas holiday."""
        warnings = []
        if self.opens_at and self.closes_at:
            if self.closes_at - self.opens_at < MINIMUM_PERIOD:
                warnings.append(
                    _(
                        "This consultation runs for less than six weeks. Check that people have "
                        "enough time to respond, and record why if the period is shorter."
                    )
                )
            if spans_christmas(self.opens_at, self.closes_at):
                warnings.append(
                    _(
                        "This consultation runs over 24 December to 1 January, when many people "
                        "cannot take part. Consider extending it."
                    )
                )
        return warnings

    # --- the survey -----------------------------------------------------------------------------

    @cached_property
    def survey(self) -> Survey:
        return build_survey(self.questions)

    def clean(self):
        super().clean()
        errors = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("The closing time must be after the opening time.")
        problems = survey_problems(self.questions)
        if problems:
            errors["questions"] = problems
        if errors:
            raise ValidationError(errors)

    def permissions_for_user(self, user):
        """Wagtail's page permissions, scoped to the owning organisations' officers."""
        return ConsultationPermissionTester(user, self)

    def owner_ids(self) -> set[int]:
        """The owner and co-owner organisations, cached on the instance."""
        if not hasattr(self, "_owner_ids"):
            self._owner_ids = {self.organisation_id, *self.co_owners.values_list("pk", flat=True)}
        return self._owner_ids

    def get_context(self, request, *args, **kwargs):
        from consultations.views import page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(page_context(self, request))
        return context

    # Small routes; the work is in consultations.views.

    @path("respond/", name="respond")
    @path("respond/<int:step>/", name="respond_step")
    def respond(self, request, step: int = 1):
        from consultations import views

        return views.respond(request, self, step)

    @path("confirmation/", name="confirmation")
    def confirmation(self, request):
        from consultations import views

        return views.confirmation(request, self)

    @path("results/", name="results")
    def public_results(self, request):
        from consultations import views

        return views.public_results(request, self)


def spans_christmas(start: datetime, end: datetime) -> bool:
    """Whether [start, end) overlaps 24 December – 1 January (UK time) in any year."""
    tz = timezone.get_default_timezone()
    start, end = start.astimezone(tz), end.astimezone(tz)
    for year in range(start.year - 1, end.year + 1):
        holiday_start = datetime(year, 12, 24, tzinfo=tz)
        holiday_end = datetime(year + 1, 1, 2, tzinfo=tz)
        if start < holiday_end and holiday_start < end:
            return True
    return False


def survey_problems(stream_value) -> list[str]:
    """What an editor must fix in the questions: references, conditions and repeated questions."""
    problems: list[str] = []
    references: dict[str, tuple[str, tuple[str, ...]]] = {}
    seen_wording: set[str] = set()
    for section in stream_value:
        for block in section.value["questions"]:
            data = block.value
            wording = " ".join(str(data.get("question", "")).lower().split())
            if wording in seen_wording:
                problems.append(
                    _("“%(q)s” is asked twice. Never ask residents the same thing twice.")
                    % {"q": data.get("question")}
                )
            seen_wording.add(wording)
            target = (data.get("show_if_reference") or "").strip()
            if target:
                if target not in references:
                    problems.append(
                        _("“%(q)s” depends on %(ref)s, which is not an earlier question.")
                        % {"q": data.get("question"), "ref": target}
                    )
                else:
                    target_type, options = references[target]
                    answer = (data.get("show_if_answer") or "").strip()
                    if target_type not in {"single_choice", "multiple_choice", "likert", "rating"}:
                        problems.append(
                            _(
                                "%(ref)s must be a choice, scale or rating question to be "
                                "used in a condition."
                            )
                            % {"ref": target}
                        )
                    elif answer not in options:
                        problems.append(
                            _("“%(answer)s” is not one of the answers to %(ref)s.")
                            % {"answer": answer, "ref": target}
                        )
            reference = (data.get("reference") or "").strip()
            if reference:
                if reference in references:
                    problems.append(_("The reference %(ref)s is used twice.") % {"ref": reference})
                from consultations.survey import LIKERT_VALUES

                options = tuple(str(o).strip() for o in data.get("options", ()) or ())
                if block.block_type == "likert":
                    options = LIKERT_VALUES
                elif block.block_type == "rating":
                    options = tuple(str(n) for n in range(1, int(data.get("scale") or 5) + 1))
                references[reference] = (block.block_type, options)
    return problems


# --- Participation ------------------------------------------------------------------------------


class ResponseQuerySet(models.QuerySet):
    def submitted(self):
        return self.filter(status=Response.Status.SUBMITTED)


class Response(models.Model):
    """One respondent's answers to one consultation."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Saved, not yet sent")
        SUBMITTED = "submitted", _("Sent")

    consultation = models.ForeignKey(
        ConsultationPage, on_delete=models.CASCADE, related_name="responses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consultation_responses",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # What was sent (read by results, exports and the checksum)...
    answers = models.JSONField(default=dict, blank=True)
    # ...and what the resident is still working on (saved and resumed, not yet sent).
    draft_answers = models.JSONField(default=dict, blank=True)
    ward = models.ForeignKey(
        Area,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ward lived in"),
    )
    notify_outcome = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "user"],
                condition=Q(user__isnull=False),
                name="one_response_per_resident",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="submitted_response_has_time",
            ),
        ]
        indexes = [models.Index(fields=["consultation", "status", "submitted_at"])]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.consultation_id}"


class Theme(models.Model):
    """A theme officers tag free-text answers with ("parking", "safety at night")."""

    consultation = models.ForeignKey(
        ConsultationPage, on_delete=models.CASCADE, related_name="themes"
    )
    name = models.CharField(_("theme"), max_length=80)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "name"], name="unique_theme_name")
        ]

    def __str__(self) -> str:
        return self.name


class Answer(models.Model):
    """One row of a submitted answer, for aggregation.

    See :func:`consultations.survey.answer_rows`.
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answer_rows")
    # Denormalised from the response so every results query is one indexed table scan.
    consultation = models.ForeignKey(ConsultationPage, on_delete=models.CASCADE, related_name="+")
    question = models.CharField(max_length=36)
    option = models.CharField(max_length=200, blank=True)
    number = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True)
    area = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="answers")

    class Meta:
        indexes = [
            # Every count the results make (options, ranking positions, numbers, wards) is read
            # from this index alone on PostgreSQL, without touching the table.
            models.Index(
                fields=["consultation", "question", "option", "number"],
                include=["area"],
                name="answer_results",
            ),
            # Written answers only: counted, and the latest read, without the other rows.
            models.Index(
                fields=["consultation", "question", "id"],
                condition=~models.Q(text=""),
                name="answer_written",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.option or self.number or self.text[:40]}"


class EqualityAnswers(models.Model):
    """Equality-monitoring answers, kept apart from the response they came with.

    Read only in aggregate (see :mod:`consultations.results`); never exported, never shown with a
    response, never used by moderation or decision code.
    """

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="+")
    consultation = models.ForeignKey(ConsultationPage, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name_plural = _("equality answers")

    def __str__(self) -> str:
        return f"Equality answers for response {self.response_id}"


for _field, _question, _choices in EQUALITY_QUESTIONS:
    EqualityAnswers.add_to_class(
        _field, models.CharField(max_length=20, choices=_choices.choices, blank=True)
    )
assert tuple(f for f, _q, _c in EQUALITY_QUESTIONS) == EQUALITY_FIELDS


class Outcome(models.Model):
    """What happened next: public results and "We asked, you said, we did"."""

    consultation = models.OneToOneField(
        ConsultationPage, on_delete=models.CASCADE, related_name="outcome"
    )
    we_asked = models.TextField(_("we asked"), max_length=2000, blank=True)
    you_said = models.TextField(_("you said"), max_length=4000, blank=True)
    we_did = models.TextField(_("we did (or will do)"), max_length=4000, blank=True)
    done_by = models.DateField(_("when it will be done"), null=True, blank=True)
    results_published_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Outcome of {self.consultation_id}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ClosingRecord(models.Model):
    """The frozen response set of a closed consultation, and whether its outcome is overdue."""

    consultation = models.OneToOneField(
        ConsultationPage, on_delete=models.CASCADE, related_name="closing_record"
    )
    frozen_at = models.DateTimeField()
    response_count = models.PositiveIntegerField()
    checksum = models.CharField(max_length=64)
    outcome_overdue_flagged_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.response_count} responses frozen at {self.frozen_at:%Y-%m-%d %H:%M}"


from consultations.workflow import SecondOfficerReviewTask  # noqa: E402,F401
