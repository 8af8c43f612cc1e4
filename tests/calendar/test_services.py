"""Consultations and forum co-design sessions put themselves on the calendar: published →
an activity, republished → the same activity updated with its SEQUENCE raised, unpublished →
cancelled (kept, so calendar apps remove it); sessions of open forums only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from engagement.calendar.models import Activity
from engagement.forums import services as forum_services
from engagement.forums.models import Forum
from tests.factories import AudienceFactory, consultation_page
from tests.forums.factories import ForumFactory, ThreadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(site_structure, council, other_council, place):
    page = consultation_page(council, title="Bus routes", statutory=True)
    page.areas.set([place["abbey"]])
    page.audiences.set([AudienceFactory(name="Older people")])
    page.co_owners.set([other_council])
    page.save_revision().publish()
    return page


def test_publishing_a_consultation_puts_it_on_the_calendar(consultation, council, other_council):
    activity = Activity.objects.get(consultation=consultation)
    assert activity.kind == Activity.Kind.CONSULTATION
    assert activity.status == Activity.Status.PUBLISHED
    assert activity.published_at is not None
    assert activity.title == "Bus routes"
    assert (activity.starts_at, activity.ends_at) == (consultation.opens_at, consultation.closes_at)
    assert {o.pk for o in activity.organisations.all()} == {council.pk, other_council.pk}
    assert [a.name for a in activity.areas.all()] == ["Abbey"]
    assert [a.name for a in activity.audiences.all()] == ["Older people"]
    assert activity.ask_level == "heavy"  # statutory
    assert activity.online_url == consultation.full_url


def test_republishing_updates_the_same_activity_and_raises_its_sequence(consultation):
    before = Activity.objects.get(consultation=consultation)
    page = consultation.specific
    page.title = "Bus routes and timetables"
    page.closes_at += timedelta(weeks=2)
    page.save_revision().publish()

    after = Activity.objects.get(consultation=consultation)
    assert after.pk == before.pk and after.uid == before.uid
    assert after.sequence == before.sequence + 1
    assert after.title == "Bus routes and timetables"
    assert after.ends_at == page.closes_at


def test_a_saved_draft_does_not_change_the_calendar(consultation):
    page = consultation.specific
    page.title = "Draft title"
    page.save_revision()
    assert Activity.objects.get(consultation=consultation).title == "Bus routes"


def test_unpublishing_cancels_the_activity_but_keeps_it(consultation):
    before = Activity.objects.get(consultation=consultation)
    consultation.specific.unpublish()

    after = Activity.objects.get(consultation=consultation)
    assert after.status == Activity.Status.CANCELLED
    assert after.sequence == before.sequence + 1
    # Publishing again brings it back.
    consultation.specific.save_revision().publish()
    assert Activity.objects.get(consultation=consultation).status == Activity.Status.PUBLISHED


def test_a_consultation_for_everywhere_covers_the_whole_place(site_structure, council, place):
    page = consultation_page(council, title="Budget 2027")
    page.save_revision().publish()
    activity = Activity.objects.get(consultation=page)
    assert [a.name for a in activity.areas.all()] == ["Testshire"]


def test_a_session_on_an_open_forum_is_on_the_calendar_until_it_closes(council, officer):
    forum = ForumFactory(title="Castle Gardens", organisations=[council])
    thread = ThreadFactory(forum=forum, title="Play area")
    session = forum_services.open_session(thread, officer, "What would make it safer?", 30)

    activity = Activity.objects.get(forum_session=session)
    assert activity.kind == Activity.Kind.FORUM_SESSION
    assert activity.status == Activity.Status.PUBLISHED
    assert activity.title == "Castle Gardens: What would make it safer?"
    assert activity.ends_at == session.ends_at
    assert activity.online_url.endswith(f"/forums/{forum.slug}/threads/{thread.pk}/")
    assert [o.pk for o in activity.organisations.all()] == [council.pk]

    forum_services.close_session(session, officer)
    session.refresh_from_db()
    activity.refresh_from_db()
    assert activity.ends_at == session.closed_at
    assert activity.sequence == 1
    assert activity.ends_at < session.ends_at
    assert activity.ends_at <= timezone.now()


def test_a_session_of_an_invited_panel_stays_off_the_calendar(council, officer):
    forum = ForumFactory(access=Forum.Access.INVITED, organisations=[council])
    session = forum_services.open_session(ThreadFactory(forum=forum), officer, "Ideas?", 30)
    assert not Activity.objects.filter(forum_session=session).exists()
