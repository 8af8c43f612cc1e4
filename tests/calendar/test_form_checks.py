"""What the activity form tells an author before saving: the engagement-load warning, the quieter
window it suggests (and moving there without JavaScript), and a double submission making one
activity."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse

from engagement.calendar.logic import LONDON
from engagement.calendar.models import Activity
from tests.calendar.factories import make_activity
from tests.calendar.test_views import form_data
from tests.factories import AudienceFactory

pytestmark = pytest.mark.django_db

DAY = date(2036, 6, 3)  # a Tuesday
AT_THREE = datetime.combine(DAY, time(15), tzinfo=LONDON)


@pytest.fixture
def busy_abbey(council, place):
    """Abbey (4,000 people) already carries two heavy asks for older people that week: 2 × 3 ×
    0.25 × 1000 / 4000 = 0.375, under the 0.5 limit; a light ask for everyone adds 0.25."""
    older = AudienceFactory(name="Older people")
    for n in range(2):
        make_activity(
            council,
            [place["abbey"]],
            audiences=[older],
            start=AT_THREE - timedelta(days=1),
            ask_level="heavy",
            title=f"Heavy {n}",
        )
    return older


def test_an_activity_that_overloads_a_ward_is_shown_the_load_and_a_quieter_week(
    client, officer, council, place, busy_abbey
):
    client.force_login(officer)
    response = client.post(reverse("calendar:add"), form_data(council, [place["abbey"]]))

    assert response.status_code == 200
    assert not Activity.objects.filter(title="Library drop-in").exists()
    page = response.content.decode()
    assert "Wards it would take over the engagement limit" in page
    [row] = response.context["overloads"]
    assert row["ward"] == "Abbey"
    assert row["week"] == date(2036, 6, 2)
    assert row["load"] == pytest.approx(0.625)
    assert response.context["move_weeks"] == 1  # the next week is empty
    assert 'name="move_weeks" value="1"' in page


def test_going_ahead_after_seeing_the_load_saves_it(client, officer, council, place, busy_abbey):
    client.force_login(officer)
    first = client.post(reverse("calendar:add"), form_data(council, [place["abbey"]]))
    data = form_data(council, [place["abbey"]], load_seen=first.context["load_signature"])

    response = client.post(reverse("calendar:add"), data)

    assert response.status_code == 302
    assert Activity.objects.filter(title="Library drop-in").count() == 1


def test_a_stale_acknowledgement_shows_the_warning_again(
    client, officer, council, place, busy_abbey
):
    client.force_login(officer)
    data = form_data(council, [place["abbey"]], load_seen="999:2036-06-02")
    response = client.post(reverse("calendar:add"), data)
    assert response.status_code == 200
    assert not Activity.objects.filter(title="Library drop-in").exists()


def test_moving_to_the_suggested_window_changes_the_dates_and_saves_nothing(
    client, partner, vcse, council, place
):
    make_activity(council, [place["abbey"]], start=AT_THREE, title="Ward survey")
    client.force_login(partner)
    clash = client.post(reverse("calendar:add"), form_data(vcse, [place["abbey"]]))
    assert clash.status_code == 400  # a clash needs a reason or a move
    assert clash.context["move_weeks"] == 1

    moved = client.post(reverse("calendar:add"), form_data(vcse, [place["abbey"]], move_weeks="1"))

    assert moved.status_code == 200
    assert not Activity.objects.filter(title="Library drop-in").exists()
    later = (DAY + timedelta(weeks=1)).isoformat()
    assert moved.context["form"]["starts_at"].value() == later
    assert moved.context["form"]["ends_at"].value() == later
    assert moved.context["clashes"] == []
    assert "clashes with nothing" in moved.content.decode()

    # Posting the moved form needs no reason.
    saved = client.post(
        reverse("calendar:add"), form_data(vcse, [place["abbey"]], starts_at=later, ends_at=later)
    )
    assert saved.status_code == 302
    made = Activity.objects.get(title="Library drop-in")
    assert made.starts_at == AT_THREE.replace(hour=14) + timedelta(weeks=1)
    assert made.clash_reason == ""


def test_moving_a_weekly_activity_moves_its_last_date_too(client, officer, council, place):
    client.force_login(officer)
    data = form_data(
        council,
        [place["abbey"]],
        weekdays=["1"],
        opens="10:00",
        closes="12:00",
        repeat_until=(DAY + timedelta(weeks=3)).isoformat(),
        move_weeks="-2",
    )
    response = client.post(reverse("calendar:add"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["starts_at"].value() == (DAY - timedelta(weeks=2)).isoformat()
    assert form["repeat_until"].value() == (DAY + timedelta(weeks=1)).isoformat()
    assert "2 weeks earlier" in response.content.decode()


@pytest.mark.parametrize("weeks", ["0", "9", "-9", "soon", ""])
def test_a_move_the_form_never_offers_is_refused(client, officer, council, place, weeks):
    client.force_login(officer)
    response = client.post(
        reverse("calendar:add"), form_data(council, [place["abbey"]], move_weeks=weeks)
    )
    assert response.status_code == 400
    assert not Activity.objects.exists()


def test_the_same_submission_twice_makes_one_activity(client, partner, vcse, place):
    client.force_login(partner)
    key = str(uuid.uuid4())
    data = form_data(vcse, [place["abbey"]], idempotency_key=key)

    first = client.post(reverse("calendar:add"), data)
    second = client.post(reverse("calendar:add"), data)

    made = Activity.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("calendar:detail", args=[made.pk])
    assert str(made.idempotency_key) == key


def test_someone_elses_key_does_not_find_or_block_their_activity(
    client, partner, officer, vcse, council, place
):
    key = str(uuid.uuid4())
    client.force_login(partner)
    client.post(reverse("calendar:add"), form_data(vcse, [place["cliff"]], idempotency_key=key))
    client.force_login(officer)
    response = client.post(
        reverse("calendar:add"),
        form_data(council, [place["brook"]], title="Officer's own", idempotency_key=key),
    )
    assert response.status_code == 302
    assert Activity.objects.count() == 2
    assert Activity.objects.get(title="Officer's own").idempotency_key is None


def test_the_form_carries_a_fresh_key(client, partner):
    client.force_login(partner)
    first = client.get(reverse("calendar:add")).context["idempotency_key"]
    second = client.get(reverse("calendar:add")).context["idempotency_key"]
    assert first != second


def test_published_at_is_set_when_it_goes_on_the_calendar(
    client, officer, partner, vcse, council, place
):
    client.force_login(officer)
    client.post(reverse("calendar:add"), form_data(council, [place["abbey"]], title="Council's"))
    assert Activity.objects.get(title="Council's").published_at is not None

    client.force_login(partner)
    client.post(reverse("calendar:add"), form_data(vcse, [place["cliff"]], title="Partner's"))
    pending = Activity.objects.get(title="Partner's")
    assert pending.status == Activity.Status.PENDING
    assert pending.published_at is None

    client.force_login(officer)
    client.post(reverse("calendar:decide", args=[pending.pk]), {"action": "approve"})
    pending.refresh_from_db()
    assert pending.status == Activity.Status.PUBLISHED
    assert pending.published_at is not None


# --- Cancelling -----------------------------------------------------------------------------------


def test_a_partner_cancels_their_activity_and_it_stays_marked(client, partner, vcse, place):
    made = make_activity(vcse, [place["abbey"]], title="Coffee morning")
    client.force_login(partner)
    confirm = client.get(reverse("calendar:cancel", args=[made.pk]))
    assert confirm.status_code == 200
    made.refresh_from_db()
    assert made.status == Activity.Status.PUBLISHED  # GET changes nothing

    response = client.post(reverse("calendar:cancel", args=[made.pk]))

    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == Activity.Status.CANCELLED
    assert made.sequence == 1
    # Anyone following an old link sees that it is cancelled; the list no longer shows it.
    client.logout()
    page = client.get(reverse("calendar:detail", args=[made.pk]))
    assert page.status_code == 200
    assert "Cancelled" in page.content.decode()
    assert "Coffee morning" not in client.get(reverse("calendar:index")).content.decode()
    # Cancelling twice changes nothing more.
    client.force_login(partner)
    client.post(reverse("calendar:cancel", args=[made.pk]))
    made.refresh_from_db()
    assert made.sequence == 1


def test_only_the_activitys_organisations_may_cancel_it(
    client, partner, other_org_officer, resident, council, place
):
    made = make_activity(council, [place["abbey"]])
    url = reverse("calendar:cancel", args=[made.pk])
    assert client.post(url).status_code == 302  # to sign in
    for person in (partner, other_org_officer, resident):
        client.force_login(person)
        assert client.post(url).status_code == 403
        assert client.get(url).status_code == 403
    made.refresh_from_db()
    assert made.status == Activity.Status.PUBLISHED


def test_a_never_published_cancelled_activity_stays_private(client, partner, vcse, place):
    made = make_activity(vcse, [place["abbey"]], status=Activity.Status.CANCELLED)
    assert client.get(reverse("calendar:detail", args=[made.pk])).status_code == 404
