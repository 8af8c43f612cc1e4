"""The calendar's pages: posting an activity (with the clash warning and its reason), changing
one, the list with its filters, and the officers' approval queue with its emails."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.calendar.logic import LONDON
from engagement.calendar.models import Activity
from tests.factories import (
    AudienceFactory,
    ServiceCategoryFactory,
)

pytestmark = pytest.mark.django_db

# A Tuesday in the future, in British Summer Time.
DAY = date(2036, 6, 3)


@pytest.fixture
def carers():
    return AudienceFactory(name="Carers")


@pytest.fixture
def young_people():
    return AudienceFactory(name="Young people")


def form_data(organisation, areas, /, **overrides) -> dict:
    data = {
        "title": "Library drop-in",
        "summary": "Tell us what you want from the library.",
        "kind": Activity.Kind.DROP_IN,
        "organisations": [organisation.pk],
        "areas": [area.pk for area in areas],
        "starts_at": DAY.isoformat(),
        "start_time": "14:00",
        "ends_at": DAY.isoformat(),
        "end_time": "16:00",
        "venue": "Abbey Library",
        "online_url": "",
        "mode": "proactive",
        "ask_level": "light",
        "clash_reason": "",
    }
    data.update(overrides)
    return data


def existing(organisation, areas, *, audiences=(), status="published", title="Ward survey"):
    start = datetime.combine(DAY, time(15), tzinfo=LONDON)
    made = Activity.objects.create(
        title=title,
        kind=Activity.Kind.SURVEY,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        status=status,
        ask_level="heavy",
    )
    made.organisations.add(organisation)
    made.areas.set(areas)
    made.audiences.set(audiences)
    return made


# --- Posting --------------------------------------------------------------------------------------


def test_an_officer_of_a_council_publishes_straight_away(client, officer, council, place):
    client.force_login(officer)
    response = client.post(reverse("calendar:add"), form_data(council, [place["abbey"]]))
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("calendar:detail", args=[activity.pk])
    assert activity.status == Activity.Status.PUBLISHED
    assert activity.created_by == officer
    assert list(activity.organisations.all()) == [council]
    assert list(activity.areas.all()) == [place["abbey"]]
    # Typed in London summer time, stored as the same instant.
    assert activity.starts_at == datetime(2036, 6, 3, 13, 0, tzinfo=UTC)
    assert activity.ends_at == datetime(2036, 6, 3, 15, 0, tzinfo=UTC)


def test_a_vcse_partner_waits_for_approval(client, partner, vcse, place):
    client.force_login(partner)
    response = client.post(reverse("calendar:add"), form_data(vcse, [place["abbey"]]))
    assert response.status_code == 302
    assert Activity.objects.get().status == Activity.Status.PENDING


def test_a_partner_cannot_post_for_an_organisation_they_do_not_belong_to(
    client, partner, council, place
):
    client.force_login(partner)
    response = client.post(reverse("calendar:add"), form_data(council, [place["abbey"]]))
    assert response.status_code == 400
    assert not Activity.objects.exists()


def test_the_form_offers_only_the_users_own_organisations(client, partner, vcse, council, place):
    client.force_login(partner)
    response = client.get(reverse("calendar:add"))
    assert response.status_code == 200
    html = response.content.decode()
    assert vcse.name in html
    assert council.name not in html
    assert "North District" in html and "Abbey (North District)" in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "Enter a title."),
        ({"areas": []}, "areas", "Choose at least one area it is for."),
        ({"organisations": []}, "organisations", "Choose the organisation running it."),
        ({"starts_at": "2036-02-30"}, "starts_at", "Enter the date it starts as a real date"),
        ({"start_time": "25:00"}, "start_time", "Enter the time it starts"),
        ({"end_time": "13:00"}, "ends_at", "The end must be after the start."),
        ({"end_time": ""}, "end_time", "Enter the time it ends."),
        ({"online_url": "not a link"}, "online_url", "Enter the online link as a full web"),
        # The hour skipped when the clocks go forward does not exist in London.
        (
            {"starts_at": "2036-03-30", "start_time": "01:30", "ends_at": "2036-03-30"},
            "start_time",
            "clocks go forward",
        ),
        (
            {"weekdays": ["0"], "opens": "10:00", "closes": "09:00", "repeat_until": "2036-07-01"},
            "closes",
            "It must close after it opens.",
        ),
        ({"weekdays": ["0"]}, "opens", "Enter the time it opens."),
    ],
)
def test_bad_input_is_refused_with_a_message_on_the_field_and_nothing_saved(
    client, officer, council, place, overrides, field, message
):
    client.force_login(officer)
    response = client.post(
        reverse("calendar:add"), form_data(council, [place["abbey"]], **overrides)
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert "There is a problem" in response.content.decode()
    assert not Activity.objects.exists()


def test_a_weekly_activity_is_saved_with_its_pattern_and_shown_again_for_editing(
    client, officer, council, place
):
    client.force_login(officer)
    data = form_data(
        council,
        [place["abbey"]],
        start_time="",
        ends_at="",
        end_time="",
        weekdays=["1", "3"],
        opens="10:00",
        closes="13:00",
        repeat_until="2036-06-19",
    )
    response = client.post(reverse("calendar:add"), data)
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.weekdays == "13"
    assert len(activity.spans()) == 6  # Tuesdays and Thursdays from 3 to 19 June
    assert activity.starts_at == datetime(2036, 6, 3, 10, tzinfo=LONDON)
    assert activity.ends_at == datetime(2036, 6, 19, 13, tzinfo=LONDON)
    html = client.get(reverse("calendar:edit", args=[activity.pk])).content.decode()
    assert 'name="opens" type="time" value="10:00"' in html
    assert 'name="repeat_until" type="date" value="2036-06-19"' in html
    assert 'name="weekdays" type="checkbox" value="3" checked' in html


def test_a_clash_without_a_reason_is_shown_and_nothing_is_saved(
    client, partner, vcse, council, place, carers
):
    survey = existing(council, [place["north"]], audiences=[carers])
    client.force_login(partner)
    response = client.post(
        reverse("calendar:add"),
        form_data(vcse, [place["abbey"]], audiences=[carers.pk]),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["clash_reason"]
    assert errors == ["This clashes with 1 activity. Move it, or say why it must go ahead."]
    [clash] = response.context["clashes"]
    assert clash.activity == survey
    # A heavy ask (3) of carers (a quarter of people) adds 0.1875 per 1,000 in Abbey (4,000).
    assert clash.wards == [("Abbey", pytest.approx(0.1875))]
    html = response.content.decode()
    assert "Ward survey" in html and council.name in html and "Heavy" in html
    assert "Abbey: 0.19" in html
    assert Activity.objects.count() == 1


def test_no_clash_for_a_different_audience_or_ward(
    client, partner, vcse, council, place, carers, young_people
):
    existing(council, [place["abbey"]], audiences=[carers])
    existing(council, [place["cliff"]], title="Cliff survey")
    client.force_login(partner)
    response = client.post(
        reverse("calendar:add"),
        form_data(vcse, [place["abbey"]], audiences=[young_people.pk]),
    )
    assert response.status_code == 302
    assert Activity.objects.count() == 3


def test_a_clash_with_a_reason_is_saved_with_the_reason(client, partner, vcse, council, place):
    existing(council, [place["county"]])
    client.force_login(partner)
    reason = "The library is only free that afternoon."
    # The first try shows the clash (and the load it adds to Abbey) and saves nothing.
    first = client.post(reverse("calendar:add"), form_data(vcse, [place["abbey"]]))
    assert first.status_code == 400
    assert not Activity.objects.filter(title="Library drop-in").exists()
    response = client.post(
        reverse("calendar:add"),
        form_data(
            vcse,
            [place["abbey"]],
            clash_reason=reason,
            load_seen=first.context["load_signature"],
        ),
    )
    assert response.status_code == 302
    assert Activity.objects.get(title="Library drop-in").clash_reason == reason


def test_a_reason_without_a_clash_is_not_kept(client, officer, council, place):
    client.force_login(officer)
    client.post(
        reverse("calendar:add"), form_data(council, [place["abbey"]], clash_reason="Just because")
    )
    assert Activity.objects.get().clash_reason == ""


# --- Changing -------------------------------------------------------------------------------------


def test_changing_an_activity_increments_its_sequence_and_rechecks_clashes(
    client, officer, council, place
):
    client.force_login(officer)
    client.post(reverse("calendar:add"), form_data(council, [place["abbey"]]))
    activity = Activity.objects.get()
    url = reverse("calendar:edit", args=[activity.pk])

    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="starts_at" type="date" value="2036-06-03"' in html
    assert 'name="start_time" type="time" value="14:00"' in html

    response = client.post(url, form_data(council, [place["abbey"]], title="Moved drop-in"))
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.title, activity.sequence) == ("Moved drop-in", 1)

    # An activity never clashes with itself; a new one in the same slot does.
    existing(council, [place["brook"], place["abbey"]], title="Other survey")
    response = client.post(url, form_data(council, [place["abbey"]], title="Again"))
    assert response.status_code == 400
    assert [c.activity.title for c in response.context["clashes"]] == ["Other survey"]
    activity.refresh_from_db()
    assert (activity.title, activity.sequence) == ("Moved drop-in", 1)


def test_a_partner_cannot_change_another_organisations_activity(client, partner, council, place):
    survey = existing(council, [place["abbey"]])
    client.force_login(partner)
    url = reverse("calendar:edit", args=[survey.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, form_data(council, [place["abbey"]], title="Mine")).status_code == 403
    survey.refresh_from_db()
    assert survey.title == "Ward survey"


def test_a_partners_change_keeps_the_other_organisations_of_a_joint_activity(
    client, partner, vcse, council, place
):
    joint = existing(council, [place["abbey"]], status="pending")
    joint.organisations.add(vcse)
    client.force_login(partner)
    response = client.post(
        reverse("calendar:edit", args=[joint.pk]),
        form_data(council, [place["abbey"]], organisations=[council.pk, vcse.pk], title="Joint"),
    )
    assert response.status_code == 302
    joint.refresh_from_db()
    assert set(joint.organisations.all()) == {council, vcse}
    # The partner is not a member of the council, so the change waits for approval.
    assert joint.status == Activity.Status.PENDING


def test_anonymous_visitors_are_sent_to_sign_in(client, council, place):
    survey = existing(council, [place["abbey"]])
    for url in (
        reverse("calendar:add"),
        reverse("calendar:edit", args=[survey.pk]),
        reverse("calendar:pending"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    response = client.post(reverse("calendar:decide", args=[survey.pk]), {"action": "approve"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_posting_is_rate_limited(client, officer, council, place, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "activity": {"user": (1, 3600)}}
    client.force_login(officer)
    assert client.post(reverse("calendar:add"), {"title": ""}).status_code == 400
    assert client.post(reverse("calendar:add"), {"title": ""}).status_code == 429


# --- The list -------------------------------------------------------------------------------------


def test_the_list_shows_upcoming_published_activities_soonest_first(
    client, council, place, resident
):
    later = existing(council, [place["abbey"]], title="Later")
    later.starts_at += timedelta(days=7)
    later.ends_at += timedelta(days=7)
    later.save()
    sooner = existing(council, [place["abbey"]], title="Sooner")
    existing(council, [place["abbey"]], title="Hidden pending", status="pending")
    past = existing(council, [place["abbey"]], title="Past")
    Activity.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - timedelta(days=2), ends_at=timezone.now() - timedelta(days=1)
    )
    client.force_login(resident)
    response = client.get(reverse("calendar:index"))
    assert response.status_code == 200
    assert list(response.context["page_obj"]) == [sooner, later]
    assert "Hidden pending" not in response.content.decode()


def test_officers_see_pending_activities_marked_and_clash_reasons(client, officer, vcse, place):
    existing(vcse, [place["abbey"]], title="Pending one", status="pending")
    Activity.objects.update(clash_reason="The hall is only free then.")
    client.force_login(officer)
    html = client.get(reverse("calendar:index")).content.decode()
    assert "Pending one" in html and "Waiting for approval" in html
    assert "The hall is only free then." in html


def test_residents_do_not_see_clash_reasons(client, resident, council, place):
    existing(council, [place["abbey"]])
    Activity.objects.update(clash_reason="Secret reasoning")
    client.force_login(resident)
    assert "Secret reasoning" not in client.get(reverse("calendar:index")).content.decode()


def test_the_list_pages_thirty_at_a_time(client, council, place):
    for n in range(31):
        existing(council, [place["abbey"]], title=f"Activity {n}")
    response = client.get(reverse("calendar:index"))
    assert len(response.context["page_obj"]) == 30
    assert len(client.get(reverse("calendar:index") + "?page=2").context["page_obj"]) == 1


def test_the_list_takes_the_same_number_of_queries_for_1_or_40_activities(
    client, officer, council, vcse, place, carers, django_assert_max_num_queries
):
    client.force_login(officer)
    existing(council, [place["abbey"]], audiences=[carers])
    client.get(reverse("calendar:index"))  # warm the session and caches

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("calendar:index"))
    for n in range(39):
        made = existing(council, [place["abbey"], place["cliff"]], title=f"Activity {n}")
        made.organisations.add(vcse)
    with django_assert_max_num_queries(len(one)):
        response = client.get(reverse("calendar:index"))
    assert len(response.context["page_obj"]) == 30


@pytest.mark.parametrize("param", ["area", "audience", "topic", "organisation", "kind"])
def test_filters_choose_activities(client, council, vcse, place, carers, param):
    topic = ServiceCategoryFactory(name="Libraries")
    wanted = existing(vcse, [place["abbey"]], audiences=[carers], title="Wanted")
    wanted.topics.add(topic)
    Activity.objects.filter(pk=wanted.pk).update(kind=Activity.Kind.WORKSHOP)
    existing(council, [place["cliff"]], audiences=[AudienceFactory(name="Others")], title="No")
    value = {
        "area": "abbey",
        "audience": carers.slug,
        "topic": topic.slug,
        "organisation": vcse.slug,
        "kind": "workshop",
    }[param]
    response = client.get(reverse("calendar:index"), {param: value})
    assert response.status_code == 200
    assert [a.title for a in response.context["page_obj"]] == ["Wanted"]


def test_an_area_filter_includes_activities_for_the_district_and_the_county(client, council, place):
    existing(council, [place["county"]], title="Whole county")
    existing(council, [place["north"]], title="North only")
    existing(council, [place["cliff"]], title="Cliff only")
    response = client.get(reverse("calendar:index"), {"area": "brook"})
    assert [a.title for a in response.context["page_obj"]] == ["Whole county", "North only"]


def test_an_activity_for_everyone_matches_any_audience_filter(client, council, place, carers):
    existing(council, [place["abbey"]], title="For everyone")
    response = client.get(reverse("calendar:index"), {"audience": carers.slug})
    assert [a.title for a in response.context["page_obj"]] == ["For everyone"]


@pytest.mark.parametrize("query", [{"area": "atlantis"}, {"kind": "rave"}, {"topic": "x" * 300}])
def test_an_unknown_filter_is_a_clear_400(client, place, query):
    response = client.get(reverse("calendar:index"), query)
    assert response.status_code == 400
    assert "from the list" in response.content.decode()


# --- One activity ---------------------------------------------------------------------------------


def test_a_pending_activity_is_only_shown_to_its_organisation_and_approvers(
    client, partner, vcse, place, resident, officer, other_org_officer
):
    pending = existing(vcse, [place["abbey"]], status="pending")
    url = reverse("calendar:detail", args=[pending.pk])
    assert client.get(url).status_code == 404
    client.force_login(resident)
    assert client.get(url).status_code == 404
    for user in (partner, officer, other_org_officer):
        client.force_login(user)
        assert client.get(url).status_code == 200


def test_the_detail_page_describes_the_activity(client, council, place):
    survey = existing(council, [place["abbey"]])
    html = client.get(reverse("calendar:detail", args=[survey.pk])).content.decode()
    assert "Ward survey" in html and "3 June 2036, 3pm to 5pm" in html and "Everyone" in html


# --- Approval -------------------------------------------------------------------------------------


@pytest.fixture
def posted(client, partner, vcse, place):
    client.force_login(partner)
    client.post(reverse("calendar:add"), form_data(vcse, [place["abbey"]]))
    client.logout()
    return Activity.objects.get()


def test_the_queue_lists_pending_activities_for_officers(client, officer, posted):
    client.force_login(officer)
    response = client.get(reverse("calendar:pending"))
    assert response.status_code == 200
    assert list(response.context["page_obj"]) == [posted]


def test_approving_publishes_and_emails_the_partner(
    client, officer, partner, posted, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("calendar:decide", args=[posted.pk]), {"action": "approve"})
    assert response.status_code == 302
    posted.refresh_from_db()
    assert posted.status == Activity.Status.PUBLISHED
    [mail] = mailoutbox
    assert mail.to == [partner.email]
    assert "Library drop-in" in mail.subject
    assert f"/calendar/{posted.pk}/" in mail.body


def test_rejecting_needs_a_reason(client, officer, posted, mailoutbox):
    client.force_login(officer)
    response = client.post(reverse("calendar:decide", args=[posted.pk]), {"action": "reject"})
    assert response.status_code == 400
    assert "Enter the reason for rejecting it." in response.content.decode()
    posted.refresh_from_db()
    assert posted.status == Activity.Status.PENDING
    assert mailoutbox == []


def test_rejecting_cancels_and_emails_the_reason(
    client, officer, partner, posted, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("calendar:decide", args=[posted.pk]),
            {"action": "reject", "reason": "Please add the room number."},
        )
    posted.refresh_from_db()
    assert posted.status == Activity.Status.CANCELLED
    [mail] = mailoutbox
    assert mail.to == [partner.email]
    assert "Please add the room number." in mail.body


def test_an_activity_already_decided_is_not_decided_again(
    client, officer, posted, mailoutbox, django_capture_on_commit_callbacks
):
    Activity.objects.filter(pk=posted.pk).update(status=Activity.Status.PUBLISHED)
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("calendar:decide", args=[posted.pk]), {"action": "reject", "reason": "x"}
        )
    posted.refresh_from_db()
    assert posted.status == Activity.Status.PUBLISHED
    assert mailoutbox == []
