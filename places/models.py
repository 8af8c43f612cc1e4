"""Pride and shame pins, the hotspot cells they are counted into, and the loop of responses.

A :class:`Pin` is one resident's point: proud of it or ashamed of it, which neighbourhood service
it is about, and how (how it looks, feels or works). Other residents add their voice with
:class:`MeToo` instead of pinning the same spot again. Officers answer with a
:class:`StatusUpdate` on one pin or on every pin of a hotspot; moderators hide and restore.

:class:`PinCell` keeps the counts per hotspot cell, per zoom level, up to date as pins change
(``places.cells``), so a map of a million pins reads a few hundred rows per viewport.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engagement.models import Area, Organisation, ServiceCategory
from places import geo

DESCRIPTION_MAX_LENGTH = 500


class PinQuerySet(models.QuerySet):
    def visible(self):
        """Pins the public sees: approved and not hidden."""
        return self.filter(moderation=Pin.Moderation.VISIBLE)

    def in_bbox(self, bbox: geo.BBox):
        """Pins inside a viewport, found by the indexed Mercator grid coordinates."""
        left, top = geo.project(bbox.west, bbox.north)
        right, bottom = geo.project(bbox.east, bbox.south)
        return self.filter(my__gte=top, my__lte=bottom, mx__gte=left, mx__lte=right)

    def needing_moderation(self):
        """Pins waiting for approval, and visible pins someone has flagged."""
        return self.filter(
            Q(moderation=Pin.Moderation.PENDING)
            | Q(moderation=Pin.Moderation.VISIBLE, open_flags__gt=0)
        )

    def followed_by(self, user):
        """Pins a person placed (whatever their state) or said "me too" to (while published)."""
        return self.filter(
            Q(author=user) | Q(me_toos__user=user, moderation=Pin.Moderation.VISIBLE)
        ).distinct()


class Pin(models.Model):
    class Kind(models.TextChoices):
        PRIDE = "pride", _("Proud of it")
        SHAME = "shame", _("Ashamed of it")

    class Aspect(models.TextChoices):
        LOOKS = "looks", _("How it looks")
        FEELS = "feels", _("How it feels")
        WORKS = "works", _("How it works")

    class Moderation(models.TextChoices):
        PENDING = "pending", _("Waiting for a moderator")
        VISIBLE = "visible", _("Published")
        HIDDEN = "hidden", _("Hidden by a moderator")

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting a response")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        NOT_OURS = "not_ours", _("Passed to the organisation responsible")

    kind = models.CharField(_("proud or ashamed"), max_length=5, choices=Kind.choices)
    category = models.ForeignKey(
        ServiceCategory,
        on_delete=models.PROTECT,
        related_name="pins",
        verbose_name=_("service"),
    )
    aspect = models.CharField(_("what it is about"), max_length=5, choices=Aspect.choices)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX_LENGTH)
    # Where: the point the resident chose (never a device location), the ward it is in, and how
    # they described the spot if they did not use the map.
    lat = models.FloatField(
        _("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    lon = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    mx = models.IntegerField(editable=False)
    my = models.IntegerField(editable=False)
    located_by_ward = models.BooleanField(
        default=False,
        help_text=_("The point is the ward's centre: the resident described the spot instead."),
    )
    location_description = models.CharField(_("where exactly"), max_length=300, blank=True)
    ward = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="pins",
        limit_choices_to={"kind": Area.Kind.WARD},
    )
    photo = models.ImageField(_("photo"), upload_to="pins/%Y/%m/", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pins",
    )
    # Sent with the form, so a double click or a resend after a timeout makes one pin.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    moderation = models.CharField(
        max_length=7, choices=Moderation.choices, default=Moderation.VISIBLE
    )
    moderation_reason = models.TextField(_("reason"), blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    open_flags = models.PositiveIntegerField(default=0)
    me_too_count = models.PositiveIntegerField(default=0)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    status_updated_at = models.DateTimeField(null=True, blank=True)
    # Set when a pin is passed on ("not ours"): the organisation that holds the duty.
    responsible_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PinQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # Viewport queries on visible pins: a range on my, then mx, sums read from the index.
            models.Index(
                fields=["my", "mx"],
                name="pin_visible_grid",
                condition=Q(moderation="visible"),
                include=["kind", "category", "ward", "me_too_count", "lat", "lon"],
            ),
            models.Index(fields=["moderation", "-created_at"], name="pin_moderation_created"),
            models.Index(fields=["ward", "moderation"], name="pin_ward_moderation"),
            models.Index(fields=["author"], name="pin_author"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="pin_coordinates_in_range",
            ),
        ]
        verbose_name = _("pin")
        verbose_name_plural = _("pins")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description[:60]}"

    def save(self, *args, **kwargs):
        self.mx, self.my = geo.project(self.lon, self.lat)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("places:pin", args=[self.pk])

    @property
    def voices(self) -> int:
        return 1 + self.me_too_count

    @property
    def is_visible(self) -> bool:
        return self.moderation == self.Moderation.VISIBLE

    @property
    def is_answered(self) -> bool:
        return self.status != self.Status.OPEN

    # --- State changes: each locks the row, so counts move once however many clicks arrive.

    def _locked(self) -> Pin:
        return Pin.objects.select_for_update().get(pk=self.pk)

    def _log(self, action: str, user, **data) -> None:
        from wagtail.log_actions import log

        log(instance=self, action=action, user=user, data=data or None)

    def _moderate(self, state: str, by, reason: str = "") -> bool:
        from places import cells

        with transaction.atomic():
            pin = self._locked()
            if pin.moderation == state:
                return False
            if pin.moderation == self.Moderation.VISIBLE:
                cells.remove(pin)
            elif state == self.Moderation.VISIBLE:
                cells.add(pin)
            now = timezone.now()
            pin.flags.filter(resolved_at__isnull=True).update(resolved_at=now)
            Pin.objects.filter(pk=pin.pk).update(
                moderation=state,
                moderation_reason=reason,
                moderated_at=now,
                moderated_by=by,
                open_flags=0,
            )
            action = {
                self.Moderation.HIDDEN: "places.pin_hidden",
                self.Moderation.VISIBLE: "places.pin_published",
            }[state]
            self._log(action, by, reason=reason) if reason else self._log(action, by)
        self.refresh_from_db()
        return True

    def hide(self, *, by, reason: str) -> bool:
        """Take the pin off the map and list; its author sees ``reason``."""
        return self._moderate(self.Moderation.HIDDEN, by, reason)

    def publish(self, *, by) -> bool:
        """Approve a pin waiting for moderation, or restore a hidden one."""
        return self._moderate(self.Moderation.VISIBLE, by)

    def keep(self, *, by) -> int:
        """A moderator looked at the flags and the pin stays: the flags are closed."""
        with transaction.atomic():
            self._locked()
            closed = self.flags.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
            Pin.objects.filter(pk=self.pk).update(open_flags=0)
            self._log("places.pin_kept", by)
        self.refresh_from_db()
        return closed

    def add_me_too(self, user) -> bool:
        """Add ``user``'s voice; False if they had already (or the pin is their own)."""
        from places import cells

        if user.pk == self.author_id:
            return False
        with transaction.atomic():
            pin = self._locked()
            _, created = MeToo.objects.get_or_create(pin=pin, user=user)
            if not created:
                return False
            Pin.objects.filter(pk=pin.pk).update(me_too_count=models.F("me_too_count") + 1)
            if pin.moderation == self.Moderation.VISIBLE:
                cells.adjust(pin, 0, 1)
        self.refresh_from_db(fields=["me_too_count"])
        return True

    def flag(self, *, user, reason: str, note: str = "") -> bool:
        """Report the pin to the moderators; False if this person already has."""
        with transaction.atomic():
            self._locked()
            if user is not None and self.flags.filter(user=user).exists():
                return False
            Flag.objects.create(pin=self, user=user, reason=reason, note=note)
            Pin.objects.filter(pk=self.pk).update(open_flags=models.F("open_flags") + 1)
        self.refresh_from_db(fields=["open_flags"])
        return True


class MeToo(models.Model):
    """Another resident's voice added to a pin instead of a duplicate pin."""

    pin = models.ForeignKey(Pin, on_delete=models.CASCADE, related_name="me_toos")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pin_me_toos"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pin", "user"], name="one_me_too_per_person"),
        ]
        indexes = [models.Index(fields=["user"], name="me_too_user")]

    def __str__(self) -> str:
        return f"{self.user} – {self.pin_id}"


class Flag(models.Model):
    """Someone thinks a pin should not be public. Moderators resolve flags by hiding the pin or
    keeping it."""

    class Reason(models.TextChoices):
        PERSON = "person", _("It is about a person, not a place or service")
        OFFENSIVE = "offensive", _("It is offensive or abusive")
        PERSONAL_DATA = "personal", _("It shows personal information")
        SPAM = "spam", _("It is spam or advertising")
        WRONG_PLACE = "place", _("It is in the wrong place")
        OTHER = "other", _("Something else")

    pin = models.ForeignKey(Pin, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pin_flags",
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.CharField(_("anything else (optional)"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pin", "user"],
                condition=Q(user__isnull=False),
                name="one_flag_per_person_per_pin",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} – {self.pin_id}"


class StatusUpdate(models.Model):
    """An officer's public answer to one pin or to every pin of a hotspot."""

    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Pin.Status.choices[1:],  # not "awaiting"
    )
    message = models.TextField(_("public update"), max_length=2000)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="pin_updates"
    )
    routed_to = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pins_routed_here",
        verbose_name=_("organisation responsible"),
    )
    pins = models.ManyToManyField(Pin, related_name="updates")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.message[:60]}"


class PinCell(models.Model):
    """How many visible pins (and voices) of one kind, service and ward fall in one hotspot cell
    at one level. Kept in step with pins by ``places.cells``; rebuilt from scratch by
    ``manage.py rebuild_pin_cells``."""

    level = models.PositiveSmallIntegerField()
    cx = models.IntegerField()
    cy = models.IntegerField()
    kind = models.CharField(max_length=5, choices=Pin.Kind.choices)
    category_id = models.IntegerField()
    ward_id = models.IntegerField()
    pins = models.IntegerField(default=0)
    voices = models.IntegerField(default=0)
    lon_sum = models.FloatField(default=0)
    lat_sum = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["level", "cx", "cy", "kind", "category_id", "ward_id"],
                name="one_row_per_cell_kind_category_ward",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level}/{self.cx}/{self.cy} {self.kind}: {self.pins}"


class PinCellTotal(models.Model):
    """How many visible pins (and voices) of one kind fall in one hotspot cell at one level, for
    every level the map can ask for: the unfiltered map (or one filtered by kind only), which is
    what nearly every visitor sees, reads one row per cell and kind instead of summing pins. Kept
    in step by ``places.cells`` beside :class:`PinCell`."""

    level = models.PositiveSmallIntegerField()
    cx = models.IntegerField()
    cy = models.IntegerField()
    kind = models.CharField(max_length=5, choices=Pin.Kind.choices)
    pins = models.IntegerField(default=0)
    voices = models.IntegerField(default=0)
    lon_sum = models.FloatField(default=0)
    lat_sum = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["level", "cx", "cy", "kind"], name="one_total_per_cell_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level}/{self.cx}/{self.cy} {self.kind}: {self.pins}"
