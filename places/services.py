"""Writing pins and answering them: the transactions the views call."""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from engagement.models import Area
from places import cells
from places.models import Pin, StatusUpdate


def premoderated(ward: Area) -> bool:
    """Whether pins in ``ward`` wait for a moderator (set on the ward, its district or county)."""
    chain = [ward, ward.parent, ward.parent.parent if ward.parent_id else None]
    return any(area is not None and area.pins_premoderated for area in chain)


def create_pin(*, author, idempotency_key: uuid.UUID, photo=None, **fields) -> tuple[Pin, bool]:
    """Save a resident's pin once (a resent form returns the first one) and count it on the map
    if it goes straight up. Returns (pin, created)."""
    existing = Pin.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    ward = fields["ward"]
    pin = Pin(author=author, idempotency_key=idempotency_key, **fields)
    if author is None or premoderated(ward):
        pin.moderation = Pin.Moderation.PENDING
    if photo is not None:
        pin.photo.save(photo.name, photo, save=False)
    try:
        with transaction.atomic():
            pin.save()
            if pin.is_visible:
                cells.add(pin)
    except IntegrityError:
        # The same form arrived twice at once: the other request saved it.
        if pin.photo:
            pin.photo.delete(save=False)
        return Pin.objects.get(idempotency_key=idempotency_key), False
    return pin, True


def post_update(
    *, pins, status: str, message: str, organisation, by, routed_to=None
) -> StatusUpdate:
    """An officer's public answer to one or more pins; the people behind them are told after
    commit."""
    from places.tasks import notify_pin_update

    pin_ids = (
        list(pins.values_list("pk", flat=True))
        if hasattr(pins, "values_list")
        else [p.pk for p in pins]
    )
    now = timezone.now()
    with transaction.atomic():
        update = StatusUpdate.objects.create(
            status=status,
            message=message,
            organisation=organisation,
            routed_to=routed_to if status == Pin.Status.NOT_OURS else None,
            created_by=by,
            created_at=now,
        )
        update.pins.set(pin_ids)
        changes = {"status": status, "status_updated_at": now}
        if status == Pin.Status.NOT_OURS and routed_to is not None:
            changes["responsible_organisation"] = routed_to
        Pin.objects.filter(pk__in=pin_ids).update(**changes)
        transaction.on_commit(lambda: notify_pin_update.enqueue(update.pk))
    return update
