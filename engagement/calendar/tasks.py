"""Background work for the calendar (run by ``manage.py db_worker``): residents' digests of
new asks. ``manage.py send_calendar_digests`` queues them; a scheduler runs that as often as it
likes."""

from __future__ import annotations

import logging
import smtplib
from datetime import date, datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django_tasks import task

from engagement.calendar import digests
from engagement.calendar.clash import wards_of
from engagement.calendar.models import DigestDelivery, DigestSettings
from engagement.calendar.views import with_when

logger = logging.getLogger(__name__)

Frequency = DigestSettings.Frequency
Listed = DigestDelivery.activities.through


@task()
def send_calendar_digests(frequency: str) -> dict[str, int]:
    """Send this period's digest (``weekly`` or ``monthly``) to everyone due one: one email per
    person listing their new asks, never one per activity; nobody with nothing new is emailed.

    Each person's delivery for the period is recorded before their email goes, and the database
    lets only one such record exist, so running this twice, or on two workers at once, sends each
    person one digest a period. A digest that could not be sent is un-recorded, to go next run.
    Returns how many were sent, had nothing new, were taken by another worker, or failed."""
    if frequency not in (Frequency.WEEKLY, Frequency.MONTHLY):
        raise ValueError(f"digests go weekly or monthly, not {frequency!r}")
    now = timezone.now()
    start = digests.period_start(frequency, now)
    fallback_since = digests.first_since(frequency, now)
    wards = wards_of()
    counts = {"sent": 0, "nothing_new": 0, "taken": 0, "failed": 0}
    connection = get_connection()  # one connection for the whole batch, opened when first used
    try:
        for people in digests.in_chunks(digests.due(frequency, start)):
            readers = [digests.as_reader(person, fallback_since) for person in people]
            chosen = digests.select_new_asks(readers, now, wards)
            with_news = [person for person in people if chosen[person.pk].activities]
            counts["nothing_new"] += len(people) - len(with_news)
            if with_news:
                _send_chunk(with_news, chosen, frequency, start, now, connection, counts)
    finally:
        connection.close()
    return counts


def _send_chunk(people, chosen, frequency, start, now, connection, counts) -> None:
    """Record, then send, the digests of one chunk of people who have something new. A fixed
    number of queries for the chunk (plus one delete if some emails could not be sent)."""
    tokens = _unsubscribe_tokens(people)
    claimed = _claim(people, chosen, frequency, start, now)
    counts["taken"] += len(people) - len(claimed)
    with_when({a for pk in claimed for a in chosen[pk].activities})
    sent, failed = [], []
    for person in people:
        if person.pk not in claimed:
            continue
        message = _message(person, chosen[person.pk], tokens[person.pk], connection)
        try:
            connection.open()  # no-op once open
            delivered = connection.send_messages([message])
        except (smtplib.SMTPException, OSError):
            logger.exception("Could not send a calendar digest to user %s", person.pk)
            delivered = 0
        (sent if delivered else failed).append(person.pk)
    if failed:
        DigestDelivery.objects.filter(pk__in=[claimed[pk].pk for pk in failed]).delete()
    if sent:
        DigestSettings.objects.filter(user_id__in=sent).update(last_sent_at=now)
    counts["sent"] += len(sent)
    counts["failed"] += len(failed)


def _unsubscribe_tokens(people) -> dict[int, object]:
    """Each person's unsubscribe token, saving the default settings (weekly, cap 10) of anyone
    who has never changed them, so that their digest can carry an unsubscribe link."""
    tokens = {}
    missing = []
    for person in people:
        saved = digests.saved_settings(person)
        if saved is None:
            missing.append(person.pk)
        else:
            tokens[person.pk] = saved.token
    if missing:
        DigestSettings.objects.bulk_create(
            [DigestSettings(user_id=pk) for pk in missing], ignore_conflicts=True
        )
        tokens.update(
            DigestSettings.objects.filter(user_id__in=missing).values_list("user_id", "token")
        )
    return tokens


def _claim(people, chosen, frequency: str, start: date, now: datetime) -> dict:
    """Record this period's delivery, with the activities it lists, for each person; returns the
    deliveries by user id. All in one go; if another worker has recorded some of them meanwhile,
    one by one, leaving theirs to them."""

    def rows(group):
        return [
            DigestDelivery(
                user_id=person.pk,
                frequency=frequency,
                period_start=start,
                sent_at=now,
                left_out=chosen[person.pk].left_out,
            )
            for person in group
        ]

    def record(deliveries) -> None:
        DigestDelivery.objects.bulk_create(deliveries)
        if any(delivery.pk is None for delivery in deliveries):  # a database without RETURNING
            pks = dict(
                DigestDelivery.objects.filter(
                    frequency=frequency,
                    period_start=start,
                    user_id__in=[d.user_id for d in deliveries],
                ).values_list("user_id", "pk")
            )
            for delivery in deliveries:
                delivery.pk = pks[delivery.user_id]
        Listed.objects.bulk_create(
            Listed(digestdelivery_id=delivery.pk, activity_id=activity.pk)
            for delivery in deliveries
            for activity in chosen[delivery.user_id].activities
        )

    try:
        with transaction.atomic():
            deliveries = rows(people)
            record(deliveries)
        return {delivery.user_id: delivery for delivery in deliveries}
    except IntegrityError:
        pass
    claimed = {}
    for person in people:
        try:
            with transaction.atomic():
                [delivery] = rows([person])
                record([delivery])
        except IntegrityError:
            continue
        claimed[person.pk] = delivery
    return claimed


def _message(person, digest: digests.Digest, token, connection) -> EmailMessage:
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    unsubscribe_url = base + reverse("calendar:unsubscribe", args=[token])
    total = len(digest.activities) + digest.left_out
    subject = ngettext(
        "%(count)d new activity on the engagement calendar",
        "%(count)d new activities on the engagement calendar",
        total,
    ) % {"count": total}
    body = render_to_string(
        "calendar/email/digest.txt",
        {
            "person": person,
            "activities": digest.activities,
            "left_out": digest.left_out,
            "base": base,
            "calendar_url": base + reverse("calendar:index"),
            "following_url": base + reverse("calendar:following"),
            "unsubscribe_url": unsubscribe_url,
        },
    )
    return EmailMessage(
        subject,
        body,
        None,
        [person.email],
        connection=connection,
        headers={
            # One-click unsubscribe from the mail client (RFC 2369, RFC 8058).
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
