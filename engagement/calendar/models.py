"""The shared calendar: every organisation's asks of residents, in one place.

An :class:`Activity` is one engagement ask or community activity. It happens once (``starts_at``
to ``ends_at``) or on a weekly pattern (``weekdays`` with local ``opens``/``closes`` times from the
first day to ``repeat_until``); either way ``starts_at``/``ends_at`` hold its whole envelope, so
"what overlaps this period" is one indexed range query before the exact rules in
:mod:`engagement.calendar.logic` run on the few candidates.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engagement.calendar import logic
from engagement.models import (
    Area,
    AskLevel,
    Audience,
    EngagementMode,
    Organisation,
    ServiceCategory,
)


class ActivityQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Activity.Status.PUBLISHED)

    def asking(self):
        """Activities that count as asks of residents: published or waiting for approval."""
        return self.filter(status__in=[Activity.Status.PUBLISHED, Activity.Status.PENDING])

    def overlapping(self, start: datetime, end: datetime):
        """Activities whose envelope has time in [start, end) (half-open, like the logic)."""
        return self.filter(starts_at__lt=end, ends_at__gt=start)


class Activity(models.Model):
    class Kind(models.TextChoices):
        CONSULTATION = "consultation", _("Consultation")
        FORUM_SESSION = "forum_session", _("Forum session")
        WORKSHOP = "workshop", _("Workshop")
        DROP_IN = "drop_in", _("Drop-in")
        OUTREACH = "outreach", _("Door-knocking or community connector outreach")
        SURVEY = "survey", _("Survey")
        EVENT = "event", _("Event")
        WARM_SPACE = "warm_space", _("Warm Space or Welcoming Place")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Waiting for approval")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=150)
    summary = models.TextField(_("what it is"), max_length=2000, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    organisations = models.ManyToManyField(
        Organisation, related_name="activities", verbose_name=_("organisations")
    )
    areas = models.ManyToManyField(Area, related_name="activities", verbose_name=_("areas"))
    audiences = models.ManyToManyField(
        Audience,
        blank=True,
        related_name="activities",
        verbose_name=_("audiences"),
        help_text=_("Leave empty if it is for everyone."),
    )
    topics = models.ManyToManyField(
        ServiceCategory, blank=True, related_name="activities", verbose_name=_("topics")
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    # A weekly pattern: weekdays as digits, Monday = 0 ("024" = Monday, Wednesday, Friday).
    weekdays = models.CharField(_("repeats on"), max_length=7, blank=True)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    repeat_until = models.DateField(_("repeats until"), null=True, blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    mode = models.CharField(
        _("engagement mode"),
        max_length=10,
        choices=EngagementMode.choices,
        default=EngagementMode.PROACTIVE,
    )
    ask_level = models.CharField(
        _("how much it asks of people"),
        max_length=10,
        choices=AskLevel.choices,
        default=AskLevel.LIGHT,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    clash_reason = models.TextField(
        _("why it goes ahead despite a clash"), max_length=1000, blank=True
    )
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities_created",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    consultation = models.OneToOneField(
        "consultations.ConsultationPage",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activity",
    )
    forum_session = models.OneToOneField(
        "forums.CoDesignSession",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activity",
    )

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(weekdays="")
                | Q(opens__isnull=False, closes__isnull=False, repeat_until__isnull=False),
                name="activity_weekly_pattern_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "starts_at", "ends_at"], name="activity_status_time"),
        ]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.is_recurring:
            # The envelope: from the first opening to the last closing.
            found = self.spans()
            if found:
                self.starts_at, self.ends_at = found[0].start, found[-1].end
        super().save(*args, **kwargs)

    @property
    def is_recurring(self) -> bool:
        return bool(self.weekdays)

    def opening(self) -> logic.WeeklyOpening | None:
        if not self.is_recurring:
            return None
        return logic.WeeklyOpening(
            frozenset(int(day) for day in self.weekdays), self.opens, self.closes
        )

    def clean(self) -> None:
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})
        if self.weekdays:
            if set(self.weekdays) - set("0123456") or len(set(self.weekdays)) != len(self.weekdays):
                raise ValidationError({"weekdays": _("Choose the days it repeats on.")})
            if not (self.opens and self.closes and self.repeat_until):
                raise ValidationError(
                    _("A weekly activity needs its opening time, closing time and last date.")
                )
            if self.closes <= self.opens:
                raise ValidationError({"closes": _("It must close after it opens.")})
            if self.starts_at and not self.spans():
                raise ValidationError(
                    {"repeat_until": _("It does not open on any of those days before this date.")}
                )

    def spans(self) -> tuple[logic.Span, ...]:
        """Every occurrence, in time order."""
        if not self.is_recurring:
            return (logic.Span(self.starts_at, self.ends_at),)
        first = timezone.localtime(self.starts_at, logic.LONDON).date()
        return logic.weekly_occurrences(self.opening(), first, self.repeat_until)

    def as_ask(
        self,
        area_ids: frozenset[int] | None = None,
        audience_ids: frozenset[int] | None = None,
    ) -> logic.Ask:
        """This activity for the clash and load rules. Pass the ids when they are already known
        (a prefetched list, or a form not yet saved) to save the queries."""
        if area_ids is None:
            area_ids = frozenset(a.pk for a in self.areas.all())
        if audience_ids is None:
            audience_ids = frozenset(a.pk for a in self.audiences.all())
        return logic.Ask(
            key=self.pk or "new",
            spans=self.spans(),
            areas=area_ids,
            audiences=audience_ids,
            ask_level=self.ask_level,
            label=self.title,
        )
