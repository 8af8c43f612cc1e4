"""Residents follow areas and topics and choose how often they hear: the "Choose what you hear
about" page, the follow button on the calendar's list, and the one-click unsubscribe link."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from engagement.calendar.forms import CalendarFilterForm
from engagement.calendar.models import DigestSettings, Follow
from tests.factories import AreaFactory, ServiceCategoryFactory, UserFactory

pytestmark = pytest.mark.django_db

FOLLOWING = "/calendar/following/"


@pytest.fixture
def housing():
    return ServiceCategoryFactory(name="Housing")


@pytest.fixture
def transport():
    return ServiceCategoryFactory(name="Transport")


def choices(*, areas=(), topics=(), frequency="weekly", cap="10") -> dict:
    return {
        "areas": [area.pk for area in areas],
        "topics": [topic.pk for topic in topics],
        "frequency": frequency,
        "cap": cap,
    }


def followed(user) -> tuple[set, set]:
    rows = Follow.objects.filter(user=user).values_list("area__name", "topic__name")
    return {a for a, _ in rows if a}, {t for _, t in rows if t}


# --- The "Choose what you hear about" page --------------------------------------------------------


def test_the_page_is_at_its_address():
    assert reverse("calendar:following") == FOLLOWING


def test_signing_in_is_needed_to_choose(client):
    response = client.get(FOLLOWING)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    response = client.post(FOLLOWING, choices())
    assert response.status_code == 302 and not DigestSettings.objects.exists()


def test_a_new_follower_sees_the_defaults_and_every_area_grouped(client, resident, place, housing):
    client.force_login(resident)
    response = client.get(FOLLOWING)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["frequency"].value() == "weekly" and form["cap"].value() == 10
    groups = dict(form.area_groups())
    assert [name for _, name, _ in groups["District"]] == ["North District", "South District"]
    assert {name for _, name, _ in groups["Ward"]} == {"Abbey", "Brook", "Cliff"}
    html = response.content.decode()
    assert 'value="weekly" checked' in html and "Housing" in html
    assert not DigestSettings.objects.exists()  # nothing saved by looking


def test_saving_follows_areas_and_topics_and_keeps_the_settings(client, resident, place, housing):
    client.force_login(resident)
    response = client.post(
        FOLLOWING,
        choices(
            areas=[place["abbey"], place["north"]], topics=[housing], frequency="monthly", cap="5"
        ),
        follow=True,
    )
    assert response.status_code == 200
    assert "Your choices are saved." in response.content.decode()
    assert followed(resident) == ({"Abbey", "North District"}, {"Housing"})
    saved = DigestSettings.objects.get(user=resident)
    assert (saved.frequency, saved.cap) == ("monthly", 5)
    # Shown as chosen next time.
    form = client.get(FOLLOWING).context["form"]
    assert {str(v) for v in form["areas"].value()} == {
        str(place["abbey"].pk),
        str(place["north"].pk),
    }
    assert form["frequency"].value() == "monthly" and form["cap"].value() == 5


def test_saving_again_replaces_what_was_followed(
    client, resident, other_resident, place, housing, transport
):
    Follow.objects.create(user=other_resident, area=place["abbey"])
    client.force_login(resident)
    client.post(FOLLOWING, choices(areas=[place["abbey"], place["brook"]], topics=[housing]))
    kept = Follow.objects.get(user=resident, area=place["abbey"])
    client.post(FOLLOWING, choices(areas=[place["abbey"], place["cliff"]], topics=[transport]))
    assert followed(resident) == ({"Abbey", "Cliff"}, {"Transport"})
    assert Follow.objects.get(user=resident, area=place["abbey"]).pk == kept.pk
    assert DigestSettings.objects.filter(user=resident).count() == 1
    client.post(FOLLOWING, choices())
    assert followed(resident) == (set(), set())
    assert followed(other_resident) == ({"Abbey"}, set())  # nobody else's follows change


def test_choosing_never_says_no_emails_will_come(client, resident, place):
    client.force_login(resident)
    response = client.post(
        FOLLOWING, choices(areas=[place["abbey"]], frequency="never"), follow=True
    )
    assert "You will not get calendar emails." in response.content.decode()
    assert DigestSettings.objects.get(user=resident).frequency == "never"
    assert followed(resident) == ({"Abbey"}, set())  # kept for when they want emails again


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"cap": "0"}, "cap", "Enter a whole number from 1 to 50."),
        ({"cap": "51"}, "cap", "Enter a whole number from 1 to 50."),
        ({"cap": "ten"}, "cap", "Enter a whole number from 1 to 50."),
        ({"cap": ""}, "cap", "Enter how many new activities each email lists at most."),
        ({"frequency": "daily"}, "frequency", "Choose how often you want an email."),
        ({"frequency": ""}, "frequency", "Choose how often you want an email."),
        ({"areas": ["999999"]}, "areas", "Choose areas from the list."),
        ({"areas": ["abbey"]}, "areas", "Choose areas from the list."),
        ({"topics": ["999999"]}, "topics", "Choose topics from the list."),
    ],
)
def test_bad_choices_are_refused_and_nothing_changes(
    client, resident, place, housing, change, field, message
):
    Follow.objects.create(user=resident, area=place["cliff"])
    client.force_login(resident)
    data = choices(areas=[place["abbey"]], topics=[housing]) | change
    response = client.post(FOLLOWING, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and message in html
    assert f'href="#id_{field}"' in html  # the summary links to the field
    assert followed(resident) == ({"Cliff"}, set())
    assert not DigestSettings.objects.exists()


def test_an_empty_post_is_refused(client, resident):
    client.force_login(resident)
    assert client.post(FOLLOWING, {}).status_code == 400
    assert not DigestSettings.objects.exists()


@pytest.mark.parametrize("count", [1, 30])
def test_the_page_costs_the_same_queries_however_many_areas_and_follows(
    client, resident, count, django_assert_max_num_queries
):
    county = AreaFactory(name="Bigshire")
    district = AreaFactory(name="Big District", kind="district", parent=county)
    for n in range(count):
        ward = AreaFactory(name=f"Ward {n}", kind="ward", parent=district)
        Follow.objects.create(user=resident, area=ward)
        Follow.objects.create(user=resident, topic=ServiceCategoryFactory())
    client.force_login(resident)
    client.get(FOLLOWING)
    with django_assert_max_num_queries(9):
        response = client.get(FOLLOWING)
    assert len(response.context["form"]["areas"].value()) == count


def test_saving_is_rate_limited(client, resident, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "follow": {"user": (1, 3600)}}
    client.force_login(resident)
    assert client.post(FOLLOWING, choices()).status_code == 302
    assert client.post(FOLLOWING, choices(frequency="never")).status_code == 429
    assert DigestSettings.objects.get(user=resident).frequency == "weekly"


# --- The follow button on the list ----------------------------------------------------------------


def follow_url(area) -> str:
    return reverse("calendar:follow_area", args=[area.slug])


def test_the_button_follows_then_stops_following(client, resident, place):
    client.force_login(resident)
    back = "/calendar/?area=abbey&kind=workshop"
    response = client.post(follow_url(place["abbey"]), {"action": "follow", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert followed(resident) == ({"Abbey"}, set())
    page = client.get(back).content.decode()
    assert "You follow Abbey." in page  # the banner
    assert "Stop following Abbey" in page
    client.post(follow_url(place["abbey"]), {"action": "follow", "next": back})  # a double click
    assert Follow.objects.filter(user=resident).count() == 1
    response = client.post(follow_url(place["abbey"]), {"action": "stop", "next": back})
    assert response.status_code == 302 and followed(resident) == (set(), set())
    assert "Follow Abbey" in client.get(back).content.decode()


def test_following_while_emails_are_off_says_so(client, resident, place):
    DigestSettings.objects.create(user=resident, frequency="never")
    client.force_login(resident)
    response = client.post(follow_url(place["abbey"]), {"action": "follow"}, follow=True)
    assert "You have chosen not to get calendar emails" in response.content.decode()


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/calendar/", "javascript:alert(1)", ""]
)
def test_the_button_only_goes_back_within_the_site(client, resident, place, target):
    client.force_login(resident)
    response = client.post(follow_url(place["abbey"]), {"action": "follow", "next": target})
    assert response["Location"] == "/calendar/?area=abbey"


def test_the_button_refuses_what_it_does_not_understand(client, resident, place):
    client.force_login(resident)
    assert client.post(follow_url(place["abbey"]), {"action": "maybe"}).status_code == 400
    assert client.post(follow_url(place["abbey"]), {}).status_code == 400
    assert client.post("/calendar/follow/nowhere/", {"action": "follow"}).status_code == 404
    assert client.get(follow_url(place["abbey"])).status_code == 405
    assert not Follow.objects.exists()


def test_the_button_needs_signing_in_and_a_csrf_token(resident, place):
    anonymous = Client()
    response = anonymous.post(follow_url(place["abbey"]), {"action": "follow"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(resident)
    assert strict.post(follow_url(place["abbey"]), {"action": "follow"}).status_code == 403
    assert not Follow.objects.exists()


def test_the_list_asks_anonymous_people_to_sign_in(client, place):
    html = client.get("/calendar/?area=abbey").content.decode()
    assert "Sign in to follow areas and topics" in html
    assert "Follow Abbey" not in html


def test_the_list_offers_the_choices_page_without_an_area(client, resident, place):
    client.force_login(resident)
    html = client.get("/calendar/").content.decode()
    assert 'href="/calendar/following/"' in html and "Follow Abbey" not in html
    html = client.get("/calendar/?area=nowhere").content.decode()  # a bad filter: no button
    assert 'href="/calendar/following/"' in html and 'name="action"' not in html


def test_the_follow_partial_costs_one_query(resident, place, django_assert_num_queries):
    request = RequestFactory().get("/calendar/?area=abbey")
    request.user = resident
    form = CalendarFilterForm({"area": "abbey"})
    assert form.is_valid()
    with django_assert_num_queries(1):
        html = render_to_string("calendar/_follow.html", {"form": form}, request=request)
    assert "Follow Abbey" in html


# --- One-click unsubscribe ------------------------------------------------------------------------


@pytest.fixture
def subscribed(resident):
    return DigestSettings.objects.create(user=resident, frequency="monthly", cap=7)


def unsubscribe_url(saved) -> str:
    return reverse("calendar:unsubscribe", args=[saved.token])


def test_opening_the_link_changes_nothing(subscribed):
    response = Client().get(unsubscribe_url(subscribed))
    assert response.status_code == 200
    assert (
        'type="submit"' in response.content.decode() and "Unsubscribe" in response.content.decode()
    )
    subscribed.refresh_from_db()
    assert subscribed.frequency == "monthly"


def test_the_button_unsubscribes_without_signing_in_or_a_csrf_token(subscribed):
    response = Client(enforce_csrf_checks=True).post(unsubscribe_url(subscribed))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You will not get calendar emails" in html and 'href="/calendar/following/"' in html
    subscribed.refresh_from_db()
    assert (subscribed.frequency, subscribed.cap) == ("never", 7)


def test_a_mail_clients_one_click_post_unsubscribes(subscribed):
    # RFC 8058: the client POSTs "List-Unsubscribe=One-Click" to the header's address.
    response = Client(enforce_csrf_checks=True).post(
        unsubscribe_url(subscribed),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscribed.refresh_from_db()
    assert subscribed.frequency == "never"


def test_unsubscribing_twice_is_fine(subscribed):
    Client().post(unsubscribe_url(subscribed))
    assert Client().post(unsubscribe_url(subscribed)).status_code == 200


def test_an_unknown_token_is_not_found(client, subscribed):
    assert (
        client.get("/calendar/unsubscribe/00000000-0000-4000-8000-000000000000/").status_code == 404
    )
    assert (
        client.post("/calendar/unsubscribe/00000000-0000-4000-8000-000000000000/").status_code
        == 404
    )
    assert client.post("/calendar/unsubscribe/not-a-token/").status_code == 404
    subscribed.refresh_from_db()
    assert subscribed.frequency == "monthly"


def test_one_token_unsubscribes_only_its_own_person(subscribed, other_resident):
    theirs = DigestSettings.objects.create(user=other_resident)
    Client().post(unsubscribe_url(subscribed))
    theirs.refresh_from_db()
    assert theirs.frequency == "weekly"


def test_unsubscribing_is_rate_limited(subscribed, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "unsubscribe": {"ip": (1, 600)}}
    other = DigestSettings.objects.create(user=UserFactory())
    assert Client().post(unsubscribe_url(subscribed)).status_code == 200
    assert Client().post(unsubscribe_url(other)).status_code == 429
    other.refresh_from_db()
    assert other.frequency == "weekly"
