"""The shared calendar: every organisation's asks of residents, in one place.

An :class:`Activity` is one engagement ask or community activity. It happens once (``starts_at``
to ``ends_at``) or on a weekly pattern (``weekdays`` with local ``opens``/``closes`` times from the
first day to ``repeat_until``); either way ``starts_at``/``ends_at`` hold its whole envelope, so
"what overlaps this period" is one indexed range query before the exact rules in
:mod:`engagement.calendar.logic` run on the few candidates.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import Q
from django.db.models.functions import Cast
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


def as_text(column: str) -> Cast:
    """A timestamp column read as ISO 8601 text, for :func:`parse_utc`: what PostgreSQL and SQLite
    both write when asked for text, in UTC as Django sets up the connection. The drivers' own
    conversion, through Django's time zone adapters, costs about 5 µs a value, and feeds and the
    clash check read thousands (0.2 s of a 10,000-event feed)."""
    return Cast(column, models.CharField())


def parse_utc(text: str) -> datetime:
    """A timestamp read with :func:`as_text`, as an aware datetime in UTC."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class _AnyOf(models.Lookup):
    """``column = ANY(%s::bigint[])`` with the ids as one array parameter (PostgreSQL). Django's
    ``__in`` makes one parameter of each id, and for the 10,000 ids of a big feed preparing and
    quoting them took several times as long as running the query (docs/PERFORMANCE.md)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        # Written as the array's text: psycopg adapting a list of 10,000 ints took 25 ms.
        ids = "{" + ",".join(str(int(pk)) for pk in self.rhs) + "}"
        return f"{lhs} = ANY(%s::bigint[])", [*params, ids]


def among(column: str, ids: list[int], using: str = "default") -> models.Lookup | Q:
    """A filter: ``column`` is one of ``ids``. On PostgreSQL the ids go as one array, however
    many; elsewhere as ``IN``, where the caller keeps to the backend's limit of parameters."""
    if connections[using].vendor == "postgresql":
        return _AnyOf(models.F(column), ids)
    return Q(**{f"{column}__in": ids})


def linked(relation: str, ids: list[int] | None = None) -> models.Exists:
    """A filter: the activity links through ``relation`` ("areas", "audiences", "topics",
    "organisations") to one of ``ids`` (None: to anything). An EXISTS, never a join, so nothing
    comes twice and the planner can read the calendar and the link table once each."""
    through = getattr(Activity, relation).through
    links = through.objects.filter(activity_id=models.OuterRef("pk"))
    if ids is not None:
        target = Activity._meta.get_field(relation).m2m_reverse_field_name()
        links = links.filter(**{f"{target}_id__in": ids})
    return models.Exists(links)


class ActivityQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Activity.Status.PUBLISHED)

    def asking(self):
        """Activities that count as asks of residents: published or waiting for approval."""
        return self.filter(status__in=[Activity.Status.PUBLISHED, Activity.Status.PENDING])

    def overlapping(self, start: datetime, end: datetime):
        """Activities whose envelope has time in [start, end) (half-open, like the logic)."""
        return self.filter(starts_at__lt=end, ends_at__gt=start)

    def asks_overlapping(self, start: datetime, end: datetime):
        """Published or pending activities that ask something of residents (not "inform") with
        time in [start, end): the activities a new one could clash with. On PostgreSQL the time
        condition is also given as a range overlap, which the GiST index of exactly these rows
        answers (migration 0003): a btree on the start or the end alone reads every activity
        that started before the period, or ends after it."""
        found = self.asking().exclude(ask_level=AskLevel.INFORM).overlapping(start, end)
        if connections[self.db].vendor == "postgresql":
            envelope = models.Func(
                "starts_at", "ends_at", function="TSTZRANGE", output_field=DateTimeRangeField()
            )
            found = found.alias(envelope=envelope).filter(envelope__overlap=(start, end))
        return found


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
    # When it went on the calendar (first published): digests list what is new since the last one.
    published_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    # The form's one-off key: the same submission sent twice (a double click, a retry after a
    # dropped connection) finds the activity the first one made instead of making another.
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
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


# --- Residents choose how often they are asked --------------------------------------------------


class Follow(models.Model):
    """A resident follows an area (and so every ward in it) or a topic: their digest lists new
    asks there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_follows"
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.CASCADE, related_name="followers"
    )
    topic = models.ForeignKey(
        ServiceCategory, null=True, blank=True, on_delete=models.CASCADE, related_name="followers"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(area__isnull=False, topic__isnull=True)
                | Q(area__isnull=True, topic__isnull=False),
                name="follow_area_or_topic",
            ),
            models.UniqueConstraint(
                fields=["user", "area"], condition=Q(area__isnull=False), name="follow_area_once"
            ),
            models.UniqueConstraint(
                fields=["user", "topic"],
                condition=Q(topic__isnull=False),
                name="follow_topic_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.area or self.topic}"


class DigestSettings(models.Model):
    """How often a resident hears about new asks, and at most how many each time."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Every week")
        MONTHLY = "monthly", _("Every month")
        NEVER = "never", _("Never")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_digest"
    )
    frequency = models.CharField(
        _("how often"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    cap = models.PositiveSmallIntegerField(
        _("at most this many asks each time"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )
    # The secret in the one-click unsubscribe link: it works without signing in.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(cap__gte=1, cap__lte=50), name="digest_cap_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_frequency_display()}"


class DigestDelivery(models.Model):
    """One digest sent to one person for one period: unique, so a worker that runs twice (or
    two workers at once) never sends the same period twice; the activities it listed are kept so
    that no activity is listed to the same person twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_digests"
    )
    frequency = models.CharField(max_length=10, choices=DigestSettings.Frequency.choices)
    period_start = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    activities = models.ManyToManyField(Activity, related_name="digest_deliveries", blank=True)
    left_out = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "frequency", "period_start"], name="digest_once_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.frequency} {self.period_start}"
