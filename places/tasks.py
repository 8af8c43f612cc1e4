"""Background work for the map (run by ``manage.py db_worker``)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django_tasks import task

from engagement.models import User

logger = logging.getLogger(__name__)


@task()
def notify_pin_update(update_id: int) -> int:
    """Tell everyone who placed, or said "me too" to, an answered pin: one email each, however
    many of their pins the update covers, and a live notice to any page they have open."""
    from engagement.consumers import notify_user
    from places.models import StatusUpdate

    update = (
        StatusUpdate.objects.select_related("organisation", "routed_to")
        .filter(pk=update_id)
        .first()
    )
    if update is None:
        return 0
    pins = update.pins.all()
    people = (
        User.objects.filter(is_active=True)
        .filter(pk__in=pins.filter(author__isnull=False).values("author"))
        .union(User.objects.filter(is_active=True, pin_me_toos__pin__in=pins))
    )
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    subject = _("%(organisation)s has answered a place you pinned") % {
        "organisation": update.organisation.name
    }
    messages, notified = [], []
    for person in people:
        theirs = list(
            pins.filter(Q(author=person) | Q(me_toos__user=person)).distinct().order_by("pk")[:20]
        )
        body = render_to_string(
            "places/email/status_update.txt",
            {"person": person, "update": update, "pins": theirs, "base": base},
        )
        messages.append((subject, body, None, [person.email]))
        notified.append((person.pk, [pin.pk for pin in theirs]))
    sent = send_mass_mail(messages) if messages else 0

    def push() -> None:
        for user_id, pin_ids in notified:
            try:  # live notices are a bonus: the email has gone
                notify_user(
                    user_id,
                    "pin_update",
                    {
                        "pins": pin_ids,
                        "status": update.get_status_display(),
                        "organisation": update.organisation.name,
                    },
                )
            except Exception:  # noqa: BLE001
                logger.warning("Could not push a pin update to user %s", user_id, exc_info=True)

    transaction.on_commit(push)
    return sent
