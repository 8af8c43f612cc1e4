"""Officers answer pins and hotspots; the residents behind them are told once each, and the answer
shows wherever the pin does."""

from __future__ import annotations

import pytest

from engagement.models import Membership
from places import geo, services
from places.epicentres import LEVEL
from places.models import Pin, StatusUpdate
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.places.conftest import limited

pytestmark = pytest.mark.django_db

STATUSES = ["acknowledged", "planned", "in_progress", "done"]


def respond_url(pin: Pin) -> str:
    return f"/places/pins/{pin.pk}/respond/"


def answer(organisation, status="planned", message="We will clear it on Monday.", **extra):
    return {"status": status, "message": message, "organisation": organisation.pk, **extra}


@pytest.fixture
def pin(make_pin, resident, serving_council):
    return make_pin(author=resident, description="Fly-tipping behind the shops.")


@pytest.mark.parametrize("status", STATUSES)
def test_an_officer_answers_a_pin_with_each_status(
    client, pin, officer, serving_council, status, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    assert client.get(respond_url(pin)).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(respond_url(pin), answer(serving_council, status))

    assert response.status_code == 302
    assert response["Location"] == f"/places/pins/{pin.pk}/"
    pin.refresh_from_db()
    assert pin.status == status
    assert pin.status_updated_at is not None
    assert pin.responsible_organisation is None
    update = StatusUpdate.objects.get()
    assert (update.organisation, update.created_by, update.routed_to) == (
        serving_council,
        officer,
        None,
    )
    assert list(update.pins.all()) == [pin]


def test_an_answer_needs_a_status_and_a_message(client, pin, officer, serving_council):
    client.force_login(officer)
    response = client.post(respond_url(pin), {"organisation": serving_council.pk})
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert "Choose a status" in html and "Write a public update" in html
    assert not StatusUpdate.objects.exists()


def test_awaiting_a_response_is_not_an_answer(client, pin, officer, serving_council):
    client.force_login(officer)
    response = client.post(respond_url(pin), answer(serving_council, "open"))
    assert response.status_code == 400
    assert not StatusUpdate.objects.exists()


def test_not_ours_needs_the_organisation_that_holds_the_duty(client, pin, officer, serving_council):
    client.force_login(officer)
    response = client.post(respond_url(pin), answer(serving_council, "not_ours"))

    assert response.status_code == 400
    assert "Choose the organisation that holds the duty for this" in response.content.decode()
    pin.refresh_from_db()
    assert pin.status == Pin.Status.OPEN
    assert not StatusUpdate.objects.exists()


def test_not_ours_cannot_pass_a_pin_to_yourself(client, pin, officer, serving_council):
    client.force_login(officer)
    response = client.post(
        respond_url(pin), answer(serving_council, "not_ours", routed_to=serving_council.pk)
    )
    assert response.status_code == 400
    assert "Choose a different organisation from your own" in response.content.decode()


def test_not_ours_passes_the_pin_on_and_the_new_body_may_answer(
    client,
    pin,
    officer,
    serving_council,
    other_council,
    other_org_officer,
    django_capture_on_commit_callbacks,
):
    client.force_login(other_org_officer)
    assert client.get(respond_url(pin)).status_code == 403  # not theirs yet

    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            respond_url(pin),
            answer(
                serving_council,
                "not_ours",
                "This verge belongs to the district.",
                routed_to=other_council.pk,
            ),
        )
    assert response.status_code == 302
    pin.refresh_from_db()
    assert pin.status == Pin.Status.NOT_OURS
    assert pin.responsible_organisation == other_council
    assert StatusUpdate.objects.get().routed_to == other_council
    page = client.get(f"/places/pins/{pin.pk}/").content.decode()
    assert "Passed to Other District Council" in page

    # The body it was passed to serves nowhere here, but may answer this pin now.
    client.force_login(other_org_officer)
    form = client.get(respond_url(pin))
    assert form.status_code == 200
    assert list(form.context["form"].fields["organisation"].queryset) == [other_council]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(respond_url(pin), answer(other_council, "done", "Cleared."))
    assert response.status_code == 302
    pin.refresh_from_db()
    assert pin.status == Pin.Status.DONE
    # Still theirs: a later answer does not undo the routing.
    assert pin.responsible_organisation == other_council
    assert StatusUpdate.objects.count() == 2


def test_a_routed_body_may_answer_only_the_pins_passed_to_it(
    client, make_pin, pin, officer, serving_council, other_council, other_org_officer, resident
):
    services.post_update(
        pins=[pin],
        status="not_ours",
        message="Theirs.",
        organisation=serving_council,
        by=officer,
        routed_to=other_council,
    )
    neighbour = make_pin(author=resident, lon=-1.5501)
    client.force_login(other_org_officer)
    assert client.get(respond_url(pin)).status_code == 200
    assert client.get(respond_url(neighbour)).status_code == 403


# --- Telling the residents ------------------------------------------------------------------------


def test_the_author_and_each_me_too_resident_get_exactly_one_email_listing_the_pin(
    client,
    pin,
    resident,
    other_resident,
    officer,
    serving_council,
    mailoutbox,
    django_capture_on_commit_callbacks,
    settings,
):
    third = UserFactory(display_name="Tess Third")
    pin.add_me_too(other_resident)
    pin.add_me_too(third)
    bystander = UserFactory()
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(respond_url(pin), answer(serving_council, message="Booked for Monday."))

    recipients = sorted(address for email in mailoutbox for address in email.to)
    assert recipients == sorted([resident.email, other_resident.email, third.email])
    assert bystander.email not in recipients and officer.email not in recipients
    for email in mailoutbox:
        assert len(email.to) == 1
        assert "Test County Council has answered" in email.subject
        assert "Booked for Monday." in email.body
        assert "Fly-tipping behind the shops." in email.body
        assert f"/places/pins/{pin.pk}/" in email.body
        assert "/places/mine/" in email.body
    by_person = {email.to[0]: email.body for email in mailoutbox}
    assert "Dear Rosa Resident" in by_person[resident.email]
    assert "Dear Tess Third" in by_person[third.email]


def test_the_email_says_who_a_pin_was_passed_to(
    client, pin, resident, officer, serving_council, other_council, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            respond_url(pin),
            answer(serving_council, "not_ours", "Not ours.", routed_to=other_council.pk),
        )
    [email] = mailoutbox
    assert email.to == [resident.email]
    assert "Passed to the organisation responsible" in email.body
    assert "It has been passed to Other District Council" in email.body


def test_nobody_is_emailed_until_the_answer_is_committed(
    client, pin, officer, serving_council, mailoutbox
):
    client.force_login(officer)
    client.post(respond_url(pin), answer(serving_council))
    # Without the commit (the test's transaction is never committed) no email has gone.
    assert mailoutbox == []


def test_an_anonymous_pin_is_answered_without_an_email_to_nobody(
    client, make_pin, moderator, officer, serving_council, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    pin = make_pin(author=None)
    pin.publish(by=moderator)
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(respond_url(pin), answer(serving_council))
    assert response.status_code == 302
    assert mailoutbox == []


def test_a_person_behind_several_pins_of_a_hotspot_gets_one_email_listing_them_all(
    client, make_pin, resident, other_resident, officer, serving_council, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    first = make_pin(author=resident, description="Bins overflowing.", lon=-1.5500)
    second = make_pin(author=resident, description="Broken paving.", lon=-1.5502)
    first.add_me_too(other_resident)
    second.add_me_too(other_resident)
    assert geo.cell_of(first.mx, first.my, LEVEL) == geo.cell_of(second.mx, second.my, LEVEL)
    cx, cy = geo.cell_of(first.mx, first.my, LEVEL)
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/places/hotspots/{LEVEL}/{cx}/{cy}/respond/",
            answer(serving_council, "in_progress", "Crews are on it."),
        )

    assert response.status_code == 302
    assert sorted(e.to[0] for e in mailoutbox) == sorted([resident.email, other_resident.email])
    for email in mailoutbox:
        assert "Bins overflowing." in email.body and "Broken paving." in email.body
        assert f"/places/pins/{first.pk}/" in email.body
        assert f"/places/pins/{second.pk}/" in email.body


def test_inactive_accounts_are_not_emailed(
    client, pin, resident, officer, serving_council, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    resident.is_active = False
    resident.save()
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(respond_url(pin), answer(serving_council))
    assert mailoutbox == []


# --- Where the answer shows -----------------------------------------------------------------------


def test_the_answer_shows_on_the_pin_the_list_and_your_pins(
    client, pin, resident, other_resident, officer, serving_council
):
    pin.add_me_too(other_resident)
    client.force_login(officer)
    client.post(respond_url(pin), answer(serving_council, "planned", "Booked for Monday."))

    page = client.get(f"/places/pins/{pin.pk}/").content.decode()
    assert "Planned" in page
    assert "Booked for Monday." in page
    assert "Test County Council" in page

    listing = client.get("/places/").content.decode()
    assert "Planned" in listing

    for person in (resident, other_resident):
        client.force_login(person)
        mine = client.get("/places/mine/").content.decode()
        assert "Fly-tipping behind the shops." in mine
        assert "Planned" in mine and "Booked for Monday." in mine


def test_your_pins_lists_yours_and_your_me_toos_but_no_one_elses(
    client, make_pin, resident, other_resident
):
    own = make_pin(author=resident, description="My own pin.")
    backed = make_pin(author=other_resident, description="A pin I backed.")
    backed.add_me_too(resident)
    make_pin(author=other_resident, description="Someone else's pin.")
    client.force_login(resident)
    pins = list(client.get("/places/mine/").context["page_obj"])
    assert pins == [backed, own]


def test_your_pins_needs_an_account(client, place):
    response = client.get("/places/mine/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Answering a hotspot --------------------------------------------------------------------------


@pytest.fixture
def hotspot(make_pin, resident, moderator, serving_council):
    """Shame pins in one cell across the ward border, with pride, hidden and far-away pins."""
    made = {
        "west": make_pin(author=resident, lon=-1.5004, lat=52.0501),
        "west_2": make_pin(author=resident, lon=-1.5002, lat=52.0502),
        "east": make_pin(author=resident, lon=-1.4999, lat=52.0501, ward="east"),
        "pride": make_pin(author=resident, lon=-1.5003, lat=52.0501, kind="pride"),
        "hidden": make_pin(author=resident, lon=-1.5001, lat=52.0501),
        "far": make_pin(author=resident, lon=-1.58, lat=52.02),
    }
    made["hidden"].hide(by=moderator, reason="It is spam or advertising.")
    cell = geo.cell_of(made["west"].mx, made["west"].my, LEVEL)
    for name in ("west_2", "east", "pride", "hidden"):
        assert geo.cell_of(made[name].mx, made[name].my, LEVEL) == cell, name
    assert geo.cell_of(made["far"].mx, made["far"].my, LEVEL) != cell
    return cell, made


def statuses(made: dict) -> dict:
    return {name: Pin.objects.get(pk=pin.pk).status for name, pin in made.items()}


def test_a_hotspot_answer_updates_every_published_shame_pin_in_the_cell(
    client, hotspot, officer, serving_council
):
    (cx, cy), made = hotspot
    client.force_login(officer)
    url = f"/places/hotspots/{LEVEL}/{cx}/{cy}/respond/"
    form = client.get(url)
    assert form.status_code == 200
    assert {p.pk for p in form.context["pins"]} == {made[n].pk for n in ("west", "west_2", "east")}

    response = client.post(url, answer(serving_council, "in_progress", "Crews are on it."))

    assert response.status_code == 302
    assert response["Location"] == "/places/epicentres/"
    assert statuses(made) == {
        "west": "in_progress",
        "west_2": "in_progress",
        "east": "in_progress",
        "pride": "open",
        "hidden": "open",
        "far": "open",
    }
    assert StatusUpdate.objects.get().pins.count() == 3


def test_a_hotspot_answer_covers_only_the_pins_the_officer_serves(client, hotspot, place):
    (cx, cy), made = hotspot
    town = OrganisationFactory(name="Eastgate Town Council", kind="parish")
    town.areas.set([place["east"]])
    officer = MembershipFactory(
        organisation=town, role=Membership.Role.OFFICER, user__mfa_exempt=True
    ).user
    client.force_login(officer)

    response = client.post(
        f"/places/hotspots/{LEVEL}/{cx}/{cy}/respond/", answer(town, "acknowledged", "Seen.")
    )

    assert response.status_code == 302
    assert statuses(made)["east"] == "acknowledged"
    assert {n for n, s in statuses(made).items() if s != "open"} == {"east"}


def test_a_hotspot_answer_with_a_bad_form_changes_nothing(
    client, hotspot, officer, serving_council
):
    (cx, cy), made = hotspot
    client.force_login(officer)
    response = client.post(
        f"/places/hotspots/{LEVEL}/{cx}/{cy}/respond/", {"organisation": serving_council.pk}
    )
    assert response.status_code == 400
    assert set(statuses(made).values()) == {"open"}
    assert not StatusUpdate.objects.exists()


def test_a_hotspot_answer_reaches_every_pin_however_many(
    client, bulk_pins, officer, serving_council
):
    made = bulk_pins([(-1.55 + n * 1e-6, 52.05, "shame") for n in range(201)])
    cells = {geo.cell_of(p.mx, p.my, LEVEL) for p in made}
    assert len(cells) == 1
    [(cx, cy)] = cells
    client.force_login(officer)

    response = client.post(
        f"/places/hotspots/{LEVEL}/{cx}/{cy}/respond/", answer(serving_council, "planned")
    )

    assert response.status_code == 302
    assert Pin.objects.filter(status=Pin.Status.OPEN).count() == 0


# --- Staff writes are rate limited too ------------------------------------------------------------


def test_a_burst_of_answers_gets_429_and_nothing_more_is_published(
    client, pin, officer, serving_council, settings, mid_hour
):
    limited(settings, "pin_update", user=(2, 3600), ip=(100, 3600))
    client.force_login(officer)
    statuses = [
        client.post(respond_url(pin), answer(serving_council, status)).status_code
        for status in ("acknowledged", "planned", "done")
    ]
    assert statuses == [302, 302, 429]
    assert StatusUpdate.objects.count() == 2
    assert Pin.objects.get(pk=pin.pk).status == "planned"
    # The hotspot answer counts against the same limit.
    cx, cy = geo.cell_of(pin.mx, pin.my, LEVEL)
    url = f"/places/hotspots/{LEVEL}/{cx}/{cy}/respond/"
    assert client.post(url, answer(serving_council, "done")).status_code == 429
    assert StatusUpdate.objects.count() == 2


def test_a_burst_of_moderation_gets_429(
    client, make_pin, resident, moderator, serving_council, settings, mid_hour
):
    limited(settings, "moderate", user=(1, 3600), ip=(100, 3600))
    first, second = make_pin(author=resident), make_pin(author=resident, lon=-1.54)
    client.force_login(moderator)
    hide = {"action": "hide", "reason": "It is spam or advertising"}
    assert client.post(f"/places/pins/{first.pk}/moderate/", hide).status_code == 302
    assert client.post(f"/places/pins/{second.pk}/moderate/", hide).status_code == 429
    assert Pin.objects.get(pk=second.pk).moderation == Pin.Moderation.VISIBLE
