"""Activities that follow something else on the platform: a consultation's activity is written
when the consultation is published (and again each time it is republished) and cancelled when it is
unpublished; a forum co-design session's activity is written when the session opens and its end
corrected when it closes. Callers call these explicitly (see :mod:`consultations.apps` for the
Wagtail publish/unpublish events and :mod:`engagement.forums.services` for sessions)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from engagement.calendar.models import Activity
from engagement.models import Area, AskLevel


def _whole_place() -> list[Area]:
    """The top of the area tree: what "for everyone, everywhere" means."""
    return list(Area.objects.filter(parent__isnull=True))


def _write(activity: Activity, *, organisations, areas, audiences=(), topics=()) -> Activity:
    """Save ``activity`` and its links; a change to one already on the calendar raises its
    SEQUENCE so calendar apps pick it up."""
    if activity.pk:
        activity.sequence = F("sequence") + 1
    if activity.status == Activity.Status.PUBLISHED and activity.published_at is None:
        activity.published_at = timezone.now()
    activity.save()
    activity.refresh_from_db(fields=["sequence"])
    activity.organisations.set(organisations)
    activity.areas.set(areas or _whole_place())
    activity.audiences.set(audiences)
    activity.topics.set(topics)
    return activity


def sync_consultation(page) -> Activity | None:
    """Put a published consultation on the calendar, or bring its activity up to date. The
    consultation's live values are used (a draft's changes wait for the next publish)."""
    if not page.live:
        return withdraw_consultation(page)
    with transaction.atomic():
        activity = Activity.objects.select_for_update().filter(
            consultation=page
        ).first() or Activity(consultation=page, kind=Activity.Kind.CONSULTATION)
        activity.title = page.title[:150]
        activity.summary = page.summary
        activity.starts_at, activity.ends_at = page.opens_at, page.closes_at
        activity.weekdays, activity.opens, activity.closes, activity.repeat_until = (
            "",
            None,
            None,
            None,
        )
        activity.online_url = page.full_url or ""
        activity.mode = page.mode
        activity.ask_level = AskLevel.HEAVY if page.statutory else AskLevel.LIGHT
        activity.status = Activity.Status.PUBLISHED
        return _write(
            activity,
            organisations=[page.organisation_id, *page.co_owners.values_list("pk", flat=True)],
            areas=list(page.areas.all()),
            audiences=list(page.audiences.all()),
            topics=list(page.topics.all()),
        )


def withdraw_consultation(page) -> Activity | None:
    """An unpublished consultation's activity stays, cancelled, so calendar feeds remove it."""
    with transaction.atomic():
        activity = Activity.objects.select_for_update().filter(consultation=page).first()
        if activity is None or activity.status == Activity.Status.CANCELLED:
            return activity
        Activity.objects.filter(pk=activity.pk).update(
            status=Activity.Status.CANCELLED,
            sequence=F("sequence") + 1,
            updated_at=timezone.now(),
        )
        activity.refresh_from_db()
        return activity


def sync_forum_session(session) -> Activity | None:
    """A co-design session on an open, public forum is a heavy ask of everyone the forum is for:
    on the calendar from when it opens until it closes (or is due to). Sessions of invited panels
    are not asks of the public and stay off the calendar."""
    from engagement.forums.models import Forum

    thread = session.thread
    forum = thread.forum
    if forum.access != Forum.Access.OPEN or forum.state != Forum.State.OPEN:
        return None
    ends = session.closed_at if session.closed_at else session.ends_at
    if ends <= session.opened_at:
        ends = session.opened_at + timedelta(minutes=1)
    with transaction.atomic():
        activity = Activity.objects.select_for_update().filter(forum_session=session).first() or (
            Activity(forum_session=session, kind=Activity.Kind.FORUM_SESSION)
        )
        activity.title = f"{forum.title}: {session.prompt}"[:150]
        activity.summary = thread.title
        activity.starts_at, activity.ends_at = session.opened_at, ends
        activity.online_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(
            "forums:thread", args=[forum.slug, thread.pk]
        )
        activity.ask_level = AskLevel.HEAVY
        activity.status = Activity.Status.PUBLISHED
        consultation = forum.consultation
        return _write(
            activity,
            organisations=list(forum.organisations.all()),
            areas=list(consultation.areas.all()) if consultation else [],
            audiences=list(consultation.audiences.all()) if consultation else [],
            topics=list(consultation.topics.all()) if consultation else [],
        )
