"""Adding a pin without the map, "me too", reporting, pre-moderation, rate limits and the list
pages' query counts."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engagement.models import Area
from places import services
from places.models import DESCRIPTION_MAX_LENGTH, Flag, MeToo, Pin, PinCell
from tests.factories import AreaFactory, UserFactory
from tests.places.conftest import limited

pytestmark = pytest.mark.django_db

ADD = "/places/pins/new/"


def pin_url(pin: Pin, action: str = "") -> str:
    return f"/places/pins/{pin.pk}/{action + '/' if action else ''}"


@pytest.fixture
def form_data(categories):
    """A complete pin, placed by ward; tests take fields away or add coordinates."""

    def data(place_ward=None, **changes) -> dict:
        values = {
            "idempotency_key": str(uuid.uuid4()),
            "kind": "shame",
            "category": categories[0].pk,
            "aspect": "works",
            "description": "The streetlight has been out for a month.",
            "ward": place_ward.pk if place_ward is not None else "",
            "location_description": "Outside the library on Mill Lane",
            "lat": "",
            "lon": "",
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}

    return data


@pytest.fixture
def signed_in(client, resident):
    client.force_login(resident)
    return client


# --- Adding a pin without the map -----------------------------------------------------------------


def test_the_form_offers_wards_and_coordinates_and_a_fresh_idempotency_key(signed_in, place):
    response = signed_in.get(ADD, {"kind": "pride"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="idempotency_key"' in html
    assert "Westgate" in html and "Eastgate" in html
    assert 'name="lat"' in html and 'name="lon"' in html
    assert response.context["form"]["kind"].value() == "pride"
    other = signed_in.get(ADD).context["form"]["idempotency_key"].value()
    assert other != response.context["form"]["idempotency_key"].value()


def test_odd_values_in_the_forms_link_are_ignored_not_a_500(signed_in, place):
    response = signed_in.get(ADD, {"kind": "maybe", "lat": "north", "lon": "1e999"})
    assert response.status_code == 200
    assert not response.context["form"].is_bound


def test_a_pin_by_ward_and_description_goes_at_the_wards_centre(
    signed_in, resident, place, form_data
):
    response = signed_in.post(ADD, form_data(place["west"]))

    pin = Pin.objects.get()
    assert response.status_code == 302
    assert response["Location"] == pin_url(pin)
    assert pin.author == resident
    assert pin.ward == place["west"]
    assert pin.located_by_ward is True
    assert (pin.lon, pin.lat) == pytest.approx((-1.55, 52.05))
    assert pin.location_description == "Outside the library on Mill Lane"
    assert pin.moderation == Pin.Moderation.VISIBLE
    assert PinCell.objects.filter(ward_id=place["west"].pk, pins=1).exists()
    page = signed_in.get(response["Location"])
    assert "Your pin is on the map" in page.content.decode()


def test_a_pin_by_coordinates_alone_finds_its_ward(signed_in, place, form_data):
    response = signed_in.post(ADD, form_data(lat="52.02", lon="-1.43"))

    assert response.status_code == 302
    pin = Pin.objects.get()
    assert pin.ward == place["east"]
    assert pin.located_by_ward is False
    assert (pin.lon, pin.lat) == (-1.43, 52.02)


def test_coordinates_and_the_right_ward_together_are_fine(signed_in, place, form_data):
    response = signed_in.post(ADD, form_data(place["west"], lat="52.09", lon="-1.59"))
    assert response.status_code == 302
    assert Pin.objects.get().located_by_ward is False


def test_coordinates_outside_the_chosen_ward_are_an_error_and_nothing_is_saved(
    signed_in, place, form_data
):
    response = signed_in.post(ADD, form_data(place["west"], lat="52.05", lon="-1.45"))

    assert response.status_code == 400
    assert "That point is not in Westgate" in response.content.decode()
    assert response.context["form"].has_error("lat")
    assert not Pin.objects.exists()


def test_coordinates_outside_every_ward_are_an_error(signed_in, place, form_data):
    response = signed_in.post(ADD, form_data(lat="51.5", lon="-0.12"))

    assert response.status_code == 400
    assert "not in any of our wards" in response.content.decode()
    assert not Pin.objects.exists()


def test_a_ward_without_a_boundary_needs_coordinates(signed_in, place, form_data):
    """No boundary, no centre: rather than a pin at 0°, 0° the resident is asked where it is."""
    unmapped = AreaFactory(
        name="Newtown", kind=Area.Kind.WARD, parent=place["district"], boundary=None
    )
    response = signed_in.post(ADD, form_data(unmapped))

    assert response.status_code == 400
    assert "We do not have the boundary of Newtown yet" in response.content.decode()
    assert response.context["form"].has_error("lat")
    assert not Pin.objects.exists()

    response = signed_in.post(ADD, form_data(unmapped, lat="52.05", lon="-1.45"))
    assert response.status_code == 302
    pin = Pin.objects.get()
    assert (pin.ward, pin.lat, pin.lon, pin.located_by_ward) == (unmapped, 52.05, -1.45, False)


@pytest.mark.parametrize(("lat", "lon", "field"), [("52.05", "", "lon"), ("", "-1.55", "lat")])
def test_half_a_coordinate_is_an_error(signed_in, place, form_data, lat, lon, field):
    response = signed_in.post(ADD, form_data(place["west"], lat=lat, lon=lon))

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors[field] == ["Enter both the latitude and the longitude, or neither"]
    assert not Pin.objects.exists()


@pytest.mark.parametrize(("lat", "lon"), [("95", "-1.55"), ("52.05", "-200"), ("north", "west")])
def test_coordinates_that_are_not_on_earth_are_an_error(signed_in, place, form_data, lat, lon):
    response = signed_in.post(ADD, form_data(lat=lat, lon=lon))
    assert response.status_code == 400
    assert not Pin.objects.exists()


def test_missing_fields_get_a_govuk_error_summary_with_specific_messages(signed_in, place):
    response = signed_in.post(ADD, {"idempotency_key": str(uuid.uuid4())})

    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert "There is a problem" in html
    for message in (
        "Choose whether you are proud or ashamed of it",
        "Choose the service it is about",
        "Choose whether it is about how it looks, feels or works",
        "Tell us about the place",
        "Choose the ward it is in, or give its coordinates",
    ):
        assert message in html
    # Each message links to its field.
    assert 'href="#id_description"' in html
    assert 'href="#id_ward"' in html
    assert "This field is required" not in html
    assert not Pin.objects.exists()
    assert not PinCell.objects.exists()


def test_what_was_typed_is_kept_when_the_form_comes_back(signed_in, place, form_data):
    response = signed_in.post(ADD, form_data(place["west"], kind="", description="Broken bench"))
    assert response.status_code == 400
    assert "Broken bench" in response.content.decode()


def test_the_description_may_be_500_characters_and_no_more(signed_in, place, form_data):
    too_long = signed_in.post(
        ADD, form_data(place["west"], description="x" * (DESCRIPTION_MAX_LENGTH + 1))
    )
    assert too_long.status_code == 400
    assert "Keep the description to 500 characters or fewer" in too_long.content.decode()
    assert not Pin.objects.exists()

    just_right = signed_in.post(
        ADD, form_data(place["west"], description="y" * DESCRIPTION_MAX_LENGTH)
    )
    assert just_right.status_code == 302
    assert len(Pin.objects.get().description) == DESCRIPTION_MAX_LENGTH


def test_text_is_stored_as_typed_and_escaped_on_output(signed_in, place, form_data):
    signed_in.post(ADD, form_data(place["west"], description="<script>alert(1)</script> & co"))
    pin = Pin.objects.get()
    assert pin.description == "<script>alert(1)</script> & co"
    html = signed_in.get(pin_url(pin)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


def test_posting_the_same_form_twice_creates_one_pin(signed_in, place, form_data):
    data = form_data(place["west"])
    first = signed_in.post(ADD, data)
    second = signed_in.post(ADD, data)

    assert Pin.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == pin_url(Pin.objects.get())
    assert PinCell.objects.filter(level=10).get().pins == 1


def test_two_forms_with_different_keys_make_two_pins(signed_in, place, form_data):
    signed_in.post(ADD, form_data(place["west"]))
    signed_in.post(ADD, form_data(place["west"]))
    assert Pin.objects.count() == 2


def test_a_form_without_a_key_still_saves_one_pin(signed_in, place, form_data):
    response = signed_in.post(ADD, form_data(place["west"], idempotency_key=None))
    assert response.status_code == 302
    assert Pin.objects.count() == 1


def test_a_garbled_idempotency_key_is_an_error_not_a_500(signed_in, place, form_data):
    response = signed_in.post(ADD, form_data(place["west"], idempotency_key="not-a-uuid"))
    assert response.status_code == 400
    assert not Pin.objects.exists()


# --- Who may pin ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_people_are_sent_to_sign_in(client, place, form_data, method):
    response = getattr(client, method)(ADD, form_data(place["west"]) if method == "post" else {})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=/places/pins/new/" in response["Location"]
    assert not Pin.objects.exists()


def test_where_allowed_anonymous_pins_wait_for_a_moderator(client, place, form_data, settings):
    settings.PLACES_ALLOW_ANONYMOUS_PINS = True
    assert client.get(ADD).status_code == 200

    response = client.post(ADD, form_data(place["west"]))

    assert response.status_code == 302
    assert response["Location"] == "/places/"
    pin = Pin.objects.get()
    assert pin.author is None
    assert pin.moderation == Pin.Moderation.PENDING
    assert not PinCell.objects.exists()
    page = client.get("/places/")
    assert "A moderator will check your pin" in page.content.decode()
    assert page.context["page_obj"].paginator.count == 0
    # Nobody can open it but the moderators.
    assert client.get(pin_url(pin)).status_code == 404


@pytest.mark.parametrize("where", ["west", "district", "county"])
def test_pins_wait_for_a_moderator_where_the_ward_district_or_county_says_so(
    signed_in, place, form_data, where
):
    place[where].pins_premoderated = True
    place[where].save()

    signed_in.post(ADD, form_data(place["west"]))

    pin = Pin.objects.get()
    assert pin.moderation == Pin.Moderation.PENDING
    assert not PinCell.objects.exists()
    assert signed_in.get("/places/").context["page_obj"].paginator.count == 0
    # The author can see it, with a note that it is waiting.
    page = signed_in.get(pin_url(pin))
    assert page.status_code == 200
    assert "waiting for a moderator" in page.content.decode()


def test_premoderation_of_one_ward_leaves_the_other_alone(signed_in, place, form_data):
    place["west"].pins_premoderated = True
    place["west"].save()
    signed_in.post(ADD, form_data(place["east"]))
    assert Pin.objects.get().moderation == Pin.Moderation.VISIBLE
    assert services.premoderated(place["west"]) and not services.premoderated(place["east"])


# --- Me too ---------------------------------------------------------------------------------------


def test_me_too_adds_a_voice_once_per_person_and_counts_it_in_the_hotspots(
    client, make_pin, resident, other_resident
):
    pin = make_pin(author=resident)
    client.force_login(other_resident)

    first = client.post(pin_url(pin, "me-too"))
    second = client.post(pin_url(pin, "me-too"))

    assert first.status_code == second.status_code == 302
    pin.refresh_from_db()
    assert pin.me_too_count == 1
    assert MeToo.objects.filter(pin=pin, user=other_resident).count() == 1
    assert set(PinCell.objects.values_list("pins", "voices")) == {(1, 2)}
    page = client.get(pin_url(pin)).content.decode()
    assert "You have added your voice" in page
    assert "1 other person feels the same" in page


def test_many_people_add_their_voices(client, make_pin, resident):
    pin = make_pin(author=resident)
    for _ in range(3):
        client.force_login(UserFactory())
        client.post(pin_url(pin, "me-too"))
    pin.refresh_from_db()
    assert pin.me_too_count == 3
    assert set(PinCell.objects.values_list("voices", flat=True)) == {4}


def test_you_cannot_say_me_too_to_your_own_pin(client, make_pin, resident):
    pin = make_pin(author=resident)
    client.force_login(resident)

    response = client.post(pin_url(pin, "me-too"), follow=True)

    assert "This is your own pin" in response.content.decode()
    pin.refresh_from_db()
    assert pin.me_too_count == 0
    assert not MeToo.objects.exists()
    assert not pin.add_me_too(resident)


def test_anonymous_me_too_is_sent_to_sign_in(client, make_pin, resident):
    pin = make_pin(author=resident)
    response = client.post(pin_url(pin, "me-too"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not MeToo.objects.exists()


def test_me_too_is_a_post(client, make_pin, resident, other_resident):
    pin = make_pin(author=resident)
    client.force_login(other_resident)
    assert client.get(pin_url(pin, "me-too")).status_code == 405


@pytest.mark.parametrize("state", ["pending", "hidden"])
def test_no_me_too_on_a_pin_that_is_not_published(
    client, make_pin, resident, other_resident, moderator, state
):
    pin = make_pin(author=resident)
    if state == "hidden":
        pin.hide(by=moderator, reason="It is spam or advertising.")
    else:
        Pin.objects.filter(pk=pin.pk).update(moderation=Pin.Moderation.PENDING)
    client.force_login(other_resident)
    assert client.post(pin_url(pin, "me-too")).status_code == 404
    assert not MeToo.objects.exists()


# --- Reporting a pin ------------------------------------------------------------------------------


def test_anyone_may_report_a_pin_even_without_an_account(client, make_pin, resident):
    pin = make_pin(author=resident)
    assert client.get(pin_url(pin, "report")).status_code == 200

    response = client.post(pin_url(pin, "report"), {"reason": "person", "note": "Names my son"})
    client.post(pin_url(pin, "report"), {"reason": "offensive"})

    assert response.status_code == 302
    assert response["Location"] == pin_url(pin)
    pin.refresh_from_db()
    # Anonymous reports cannot be told apart, so each counts.
    assert pin.open_flags == 2
    assert set(Flag.objects.values_list("user", "reason")) == {
        (None, "person"),
        (None, "offensive"),
    }


def test_a_signed_in_person_reports_a_pin_once(client, make_pin, resident, other_resident):
    pin = make_pin(author=resident)
    client.force_login(other_resident)

    client.post(pin_url(pin, "report"), {"reason": "spam"})
    again = client.post(pin_url(pin, "report"), {"reason": "offensive"}, follow=True)

    assert "You have already reported this pin" in again.content.decode()
    pin.refresh_from_db()
    assert pin.open_flags == 1
    assert Flag.objects.get().reason == "spam"


def test_a_report_without_a_reason_is_a_clear_error(client, make_pin, resident):
    pin = make_pin(author=resident)
    response = client.post(pin_url(pin, "report"), {"reason": "", "note": "hmm"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert "Choose what is wrong with this pin" in html
    assert not Flag.objects.exists()


def test_a_reported_pin_goes_to_the_moderation_queue(
    client, make_pin, resident, moderator, serving_council
):
    pin = make_pin(author=resident)
    make_pin(author=resident, description="Nobody minds this one.")
    client.post(pin_url(pin, "report"), {"reason": "spam"})
    client.force_login(moderator)
    assert [p.pk for p in client.get("/places/moderation/").context["page_obj"]] == [pin.pk]


def test_hidden_pins_cannot_be_reported_by_the_public(client, make_pin, resident, moderator):
    pin = make_pin(author=resident)
    pin.hide(by=moderator, reason="It is spam or advertising.")
    assert client.post(pin_url(pin, "report"), {"reason": "spam"}).status_code == 404


# --- Rate limits ----------------------------------------------------------------------------------


def test_a_burst_of_pins_gets_429_and_nothing_more_is_saved(
    signed_in, place, form_data, settings, mid_hour
):
    limited(settings, "pin", user=(2, 3600), ip=(100, 3600))
    statuses = [signed_in.post(ADD, form_data(place["west"])).status_code for _ in range(4)]

    assert statuses == [302, 302, 429, 429]
    assert Pin.objects.count() == 2
    refused = signed_in.post(ADD, form_data(place["west"]))
    assert refused["Retry-After"] == "60"
    assert "Too many" in refused.content.decode()
    # Reading the form is not a write.
    assert signed_in.get(ADD).status_code == 200


def test_the_pin_limit_per_address_covers_anonymous_people(
    client, place, form_data, settings, mid_hour
):
    settings.PLACES_ALLOW_ANONYMOUS_PINS = True
    limited(settings, "pin", user=(100, 3600), ip=(1, 3600))
    assert client.post(ADD, form_data(place["west"])).status_code == 302
    assert client.post(ADD, form_data(place["west"])).status_code == 429
    assert Pin.objects.count() == 1


def test_a_burst_of_me_toos_gets_429(
    client, make_pin, resident, other_resident, settings, mid_hour
):
    limited(settings, "me_too", user=(1, 3600), ip=(100, 3600))
    first, second = make_pin(author=resident), make_pin(author=resident, lon=-1.54)
    client.force_login(other_resident)

    assert client.post(pin_url(first, "me-too")).status_code == 302
    assert client.post(pin_url(second, "me-too")).status_code == 429
    assert MeToo.objects.count() == 1


def test_a_burst_of_reports_gets_429(client, make_pin, resident, settings, mid_hour):
    limited(settings, "flag", user=(100, 3600), ip=(2, 3600))
    pin = make_pin(author=resident)
    statuses = [
        client.post(pin_url(pin, "report"), {"reason": "spam"}).status_code for _ in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert Flag.objects.count() == 2


# --- Lists ----------------------------------------------------------------------------------------


def test_the_list_shows_published_pins_with_their_kind_in_words(client, make_pin, resident):
    make_pin(author=resident, kind="pride", description="Lovely new benches in the park")
    make_pin(author=resident, kind="shame", description="Graffiti on the underpass")
    html = client.get("/places/").content.decode()
    assert "Lovely new benches" in html and "Graffiti on the underpass" in html
    # Never colour alone: the kind is written out.
    assert "Proud" in html and "Ashamed" in html


def test_the_list_filters_by_kind_and_ward(client, make_pin, resident, place):
    make_pin(author=resident, kind="pride")
    make_pin(author=resident, kind="shame", ward="east", lon=-1.45)
    assert client.get("/places/", {"kind": "pride"}).context["page_obj"].paginator.count == 1
    by_ward = client.get("/places/", {"ward": place["east"].slug}).context["page_obj"]
    assert [p.kind for p in by_ward] == ["shame"]


def test_the_list_filters_by_service(client, make_pin, resident, categories):
    make_pin(author=resident, category=0)
    make_pin(author=resident, category=1)
    response = client.get("/places/", {"category": categories[1].slug})
    assert not response.context["form"].errors
    assert response.context["page_obj"].paginator.count == 1


def queries(client, url: str) -> int:
    assert client.get(url).status_code == 200  # warm any per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def add_pins(make_pin, count: int, author, **fields) -> list[Pin]:
    return [
        make_pin(
            author=author,
            kind=("pride", "shame")[n % 2],
            ward=("west", "east")[n % 2],
            lon=(-1.55, -1.45)[n % 2],
            category=n % 2,
            **fields,
        )
        for n in range(count)
    ]


def test_the_list_page_makes_the_same_queries_for_1_or_30_pins(client, make_pin, resident):
    add_pins(make_pin, 1, resident)
    one = queries(client, "/places/")
    add_pins(make_pin, 29, resident)
    assert queries(client, "/places/") == one


def test_your_pins_page_makes_the_same_queries_for_1_or_30_pins(
    client, make_pin, resident, other_resident, officer, serving_council
):
    def add(count):
        mine = add_pins(make_pin, count, resident)
        theirs = add_pins(make_pin, count, other_resident)
        for pin in theirs:
            pin.add_me_too(resident)
        services.post_update(
            pins=mine + theirs,
            status=Pin.Status.PLANNED,
            message="We will look at these.",
            organisation=serving_council,
            by=officer,
        )

    client.force_login(resident)
    add(1)
    one = queries(client, "/places/mine/")
    add(29)
    assert queries(client, "/places/mine/") == one


def test_the_moderation_queue_makes_the_same_queries_for_1_or_30_pins(
    client, make_pin, place, moderator, serving_council
):
    place["district"].pins_premoderated = True
    place["district"].save()
    client.force_login(moderator)
    add_pins(make_pin, 1, None)
    one = queries(client, "/places/moderation/")
    add_pins(make_pin, 29, None)
    assert queries(client, "/places/moderation/") == one
    assert client.get("/places/moderation/").context["page_obj"].paginator.count == 30
