"""The pride and shame map in a real browser.

- without JavaScript: a resident pins a place by ward and a description of the spot (no map),
  through a validation error and back, and finds the pin in the list and among their own pins;
- by keyboard alone with JavaScript: the picker map is reached with Tab, moved with the arrow keys
  and the pin dropped under the cross-hairs with Enter, which fills in the ward and coordinates;
- the map page draws the wards and the hotspots (or pins) from the server, says what it shows in a
  status line, and its markers are reached with Tab;
- an officer sees the epicentres of shame, answers a pin and the resident is emailed;
- and axe-core at 1280 and 320 px on every page of the way.

Background map tiles are never reachable here (every request off this server is refused), as the
maps must work without them. Pins are made through the forms, never assumed from the demo data.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Response, expect

from tests.e2e.conftest import (
    AXE_TAGS,
    AXE_URL,
    NARROW,
    RESIDENT_EMAIL,
    WIDE,
    assert_no_horizontal_scroll,
    axe,
    focused,
    read_emails,
    success_banner,
)
from tests.e2e.test_consultations import choose_radio, pick
from tests.e2e.test_keyboard_journeys import MAX_TABS, activate, type_into
from tests.servers import manage

pytestmark = pytest.mark.e2e

WIDTHS = [pytest.param(WIDE, id="1280px"), pytest.param(NARROW, id="320px")]

RESIDENT2_EMAIL = "resident2@demo.commonground.test"
OFFICER_EMAIL = "officer@demo.commonground.test"
MODERATOR_EMAIL = "moderator@demo.commonground.test"
COUNCIL = "Marlshire County Council"

MAP = "/places/"
ADD = "/places/pins/new/"
MINE = "/places/mine/"
EPICENTRES = "/places/epicentres/"
MODERATION = "/places/moderation/"

KIND, SERVICE, ASPECT = (
    "Are you proud of this place or ashamed of it?",
    "Which service is it about?",
    "What is it about?",
)
DESCRIPTION, WARD, SPOT = "Tell us about it", "Which ward is it in?", "Describe the spot (optional)"
LATITUDE, LONGITUDE = "Latitude (optional)", "Longitude (optional)"
PLACED = re.compile(r"Pin placed in (.+)\. The ward and coordinates below are filled in\.")
SHOWING = re.compile(r"Showing ([\d,]+) proud and ([\d,]+) ashamed pins here")
MARKERS = ".cg-hotspot, .cg-pin"
HOTSPOTS_URL = "/places/hotspots.geojson"
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(
    ("postgres://", "postgresql://", "pgsql://")
)

# (field id, message): every required answer of an empty pin form, in the order of the form.
EMPTY_FORM_ERRORS = [
    ("id_kind", "Choose whether you are proud or ashamed of it"),
    ("id_category", "Choose the service it is about"),
    ("id_aspect", "Choose whether it is about how it looks, feels or works"),
    ("id_description", "Tell us about the place"),
    ("id_ward", "Choose the ward it is in, or give its coordinates"),
]


def unique(text: str) -> str:
    """``text`` with a short unique tag, to find this test's pin among everyone else's."""
    return f"{text} [{uuid.uuid4().hex[:8]}]"


def is_hotspots(response: Response) -> bool:
    return urlsplit(response.url).path == HOTSPOTS_URL


def zoom_of(response: Response) -> int:
    return int(parse_qs(urlsplit(response.url).query)["zoom"][0])


def offline_tiles(page: Page, server_url: str) -> Page:
    """Refuse every request that leaves the test server, as map tiles never load in tests."""
    page.route(re.compile(rf"^(?!{re.escape(server_url)})https?://"), lambda route: route.abort())
    return page


def check(page: Page, width: int = WIDE, *, known: tuple[str, ...] = ()) -> None:
    """axe-core finds nothing (apart from the ``known`` rules, reported and xfailed in their own
    tests), and at 320 px nothing scrolls sideways."""
    if known:
        axe_without(page, known)
    else:
        axe(page)
    if width == NARROW:
        assert_no_horizontal_scroll(page)


def axe_without(page: Page, rules: tuple[str, ...]) -> None:
    """:func:`axe`, with ``rules`` (known violations, each with a strict-xfail test) turned off."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    violations = page.evaluate(
        """async ([tags, rules]) => (await axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
            rules: Object.fromEntries(rules.map((id) => [id, {enabled: false}])),
        })).violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`)""",
        [AXE_TAGS, list(rules)],
    )
    assert not violations, f"axe violations on {page.url}: {violations}"


def js_errors(page: Page) -> list[str]:
    """Uncaught exceptions and console errors since the page opened (refused tiles aside)."""
    return page.context.cg_errors  # type: ignore[attr-defined]


def pin_id(page: Page) -> int:
    match = re.search(r"/places/pins/(\d+)/$", urlsplit(page.url).path)
    assert match, page.url
    return int(match.group(1))


# --- Sessions and pins made through the forms -----------------------------------------------------


@pytest.fixture
def open_page(new_page, server, sessions) -> Callable[..., Page]:
    """``open_page(email=None, width=WIDE, javascript=True)``: signed in as ``email`` (or not),
    with map tiles unreachable."""

    def open_as(email: str | None = None, width: int = WIDE, *, javascript: bool = True) -> Page:
        state = sessions(email) if email else None
        page = new_page(width, javascript=javascript, storage_state=state)
        errors: list[str] = []
        page.context.cg_errors = errors  # type: ignore[attr-defined]
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        page.on(
            "console",
            lambda message: (
                errors.append(f"{page.url}: {message.text}")
                if message.type == "error" and "Failed to load resource" not in message.text
                else None
            ),
        )
        return offline_tiles(page, server.url)

    return open_as


def a_point_in_ward(page: Page, name: str) -> tuple[float, float]:
    """(lat, lon) well inside the ward ``name``, from the boundaries every map draws."""
    response = page.request.get("/places/areas.geojson")
    assert response.ok, response.status
    feature = next(f for f in response.json()["features"] if f["properties"]["name"] == name)
    geometry = feature["geometry"]
    ring = geometry["coordinates"][0]
    if geometry["type"] == "MultiPolygon":
        ring = ring[0]
    corners = ring[:-1]
    lon = sum(point[0] for point in corners) / len(corners)
    lat = sum(point[1] for point in corners) / len(corners)
    return round(lat, 6), round(lon, 6)


def add_pin_without_javascript(
    page: Page,
    *,
    kind: str,
    service: str,
    aspect: str,
    description: str,
    ward: str = "",
    spot: str = "",
    lat: float | None = None,
    lon: float | None = None,
) -> int:
    """Fill in the pin form by its labels (the non-map route) and send it; return the pin's id."""
    page.goto(ADD)
    page.get_by_role("group", name=KIND).get_by_label(kind, exact=True).check()
    page.get_by_label(SERVICE).select_option(label=service)
    page.get_by_role("group", name=ASPECT).get_by_label(aspect, exact=True).check()
    page.get_by_label(DESCRIPTION).fill(description)
    if ward:
        page.get_by_label(WARD).select_option(label=ward)
    if spot:
        page.get_by_label(SPOT).fill(spot)
    if lat is not None:
        page.get_by_text("Give exact coordinates instead").click()
        page.get_by_label(LATITUDE).fill(str(lat))
        page.get_by_label(LONGITUDE).fill(str(lon))
    page.get_by_role("button", name="Add the pin").click()
    expect(success_banner(page)).to_contain_text("Thank you. Your pin is on the map.")
    return pin_id(page)


@dataclass(frozen=True)
class Cluster:
    """Three shame pins at one spot, two by the demo resident and the third by their neighbour:
    enough shame voices for an epicentre."""

    ward: str
    pin_ids: tuple[int, ...]


@pytest.fixture(scope="module")
def cluster(browser, server, sessions) -> Cluster:
    ward, description = "Hollins", unique("The underpass lights have been out for weeks")
    pin_ids = []
    for email in (RESIDENT_EMAIL, RESIDENT_EMAIL, RESIDENT2_EMAIL):
        context = browser.new_context(
            base_url=server.url, java_script_enabled=False, storage_state=sessions(email)
        )
        page = context.new_page()
        lat, lon = a_point_in_ward(page, ward)
        pin_ids.append(
            add_pin_without_javascript(
                page,
                kind="Ashamed of it",
                service="Street lighting",
                aspect="How it feels",
                description=f"{description} ({len(pin_ids) + 1})",
                spot="The underpass by the ring road",
                lat=lat,
                lon=lon,
            )
        )
        context.close()
    return Cluster(ward, tuple(pin_ids))


# --- 1. Without JavaScript, without the map -------------------------------------------------------


def test_resident_pins_a_place_by_ward_without_javascript(open_page):
    page = open_page(RESIDENT_EMAIL, javascript=False)
    page.goto(MAP)
    # Without JavaScript the map stays hidden and the list is the page.
    expect(page.locator("[data-pin-map]")).to_be_hidden()
    expect(page.locator("#pin-list")).to_have_text(re.compile(r"^\d[\d,]* pins?$"))
    page.get_by_role("link", name="Pin a place you are ashamed of").click()
    assert urlsplit(page.url).path == ADD
    expect(page.get_by_role("heading", level=1)).to_have_text("Pin a place")
    expect(page.locator("[data-location-map]")).to_be_hidden()
    # The button said "ashamed", so the form starts there.
    expect(page.get_by_role("group", name=KIND).get_by_label("Ashamed of it")).to_be_checked()

    # An empty form comes back with the GOV.UK error summary, one specific message per field.
    page.goto(ADD)
    page.get_by_role("button", name="Add the pin").click()
    assert page.title().startswith("Error:"), page.title()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    links = summary.get_by_role("link")
    expect(links).to_have_text([message for _, message in EMPTY_FORM_ERRORS])
    assert [link.get_attribute("href") for link in links.all()] == [
        f"#{field}" for field, _ in EMPTY_FORM_ERRORS
    ]
    for field, message in EMPTY_FORM_ERRORS:
        expect(page.locator(f"#{field}-error")).to_contain_text(message)
    # Following a link (no JavaScript: the browser's own fragment navigation) reaches the field.
    links.nth(3).click()
    assert urlsplit(page.url).fragment == "id_description"
    expect(page.get_by_label(DESCRIPTION)).to_be_in_viewport()
    assert focused(page)["id"] == "id_description", focused(page)

    # Now properly: kind, service, aspect, description, ward and the spot in words.
    description = unique("The bus shelter glass is smashed again")
    spot = "The shelter outside the library on Mill Lane"
    page.get_by_role("group", name=KIND).get_by_label("Ashamed of it", exact=True).check()
    page.get_by_label(SERVICE).select_option(label="Public transport")
    page.get_by_role("group", name=ASPECT).get_by_label("How it looks", exact=True).check()
    page.get_by_label(DESCRIPTION).fill(description)
    page.get_by_label(WARD).select_option(label="Riverside")
    page.get_by_label(SPOT).fill(spot)
    page.get_by_role("button", name="Add the pin").click()

    expect(success_banner(page)).to_contain_text("Thank you. Your pin is on the map.")
    expect(page.get_by_role("heading", level=1)).to_have_text("A place someone is ashamed of")
    assert not page.title().startswith("Error:")
    pin_url = f"/places/pins/{pin_id(page)}/"
    expect(page.get_by_text(description)).to_be_visible()
    where = page.locator(".govuk-summary-list__row", has_text="Where")
    expect(where).to_contain_text("Riverside")
    expect(where).to_contain_text(spot)

    # In the public list, found with the filters (a plain GET form).
    page.goto(MAP)
    filters = page.get_by_role("search", name="Filter pins")
    filters.get_by_label("Proud or ashamed").select_option(label="Ashamed of it")
    filters.get_by_label("Service").select_option(label="Public transport")
    filters.get_by_label("Ward").select_option(label="Riverside")
    filters.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"kind=shame"))
    item = page.locator(".cg-pin-item", has=page.get_by_role("link", name=description))
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Public transport")
    expect(item).to_contain_text("Riverside")
    assert item.get_by_role("link").get_attribute("href") == pin_url

    # And among the resident's own pins.
    page.goto(MINE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your pins")
    mine = page.locator(".cg-pin-item", has=page.get_by_role("link", name=description))
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("Awaiting a response")


# --- 2. By keyboard alone, with the picker map ----------------------------------------------------


def tab_to_match(page: Page, selector: str) -> None:
    """Press Tab until the focused element matches ``selector``."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        element = focused(page)
        seen.append(element["id"] or element["text"][:20] or element["tag"])
    pytest.fail(f"Tab never reached {selector} on {page.url}; focus went {seen}")


def focus_outline(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return {style: style.outlineStyle, width: parseFloat(style.outlineWidth),
                    color: style.outlineColor};
        }"""
    )


def assert_focus_visible(page: Page) -> None:
    outline = focus_outline(page)
    assert outline["style"] != "none" and outline["width"] >= 2, (focused(page), outline)


def coordinates(page: Page) -> tuple[float, float]:
    return float(page.locator("#id_lat").input_value()), float(
        page.locator("#id_lon").input_value()
    )


def test_resident_pins_a_place_on_the_map_by_keyboard(open_page):
    page = open_page(RESIDENT_EMAIL)
    page.goto(ADD)
    picker = page.locator("[data-location-map]")
    # The map is drawn from our own ward boundaries (no tiles here).
    expect(picker.locator("path.cg-map__area").first).to_be_attached()
    expect(picker).to_be_visible()
    status = picker.get_by_role("status")

    choose_radio(page, KIND, "Ashamed of it")
    pick(page, "id_category", "Parks and green spaces")
    choose_radio(page, ASPECT, "How it works")
    description = unique("The park gate is chained shut every morning")
    type_into(page, "id_description", description)

    # Tab to the map: its focus is plain to see.
    tab_to_match(page, "[data-location-map] [role=application]")
    assert_focus_visible(page)
    expect(page.get_by_role("application", name="Map for choosing the spot")).to_be_focused()

    # Enter pins the spot under the cross-hairs ...
    page.keyboard.press("Enter")
    expect(status).to_have_text(PLACED)
    first_lat, first_lon = coordinates(page)
    # ... and the arrow keys move the map first (zoom in with +, then east and south).
    page.keyboard.press("+")
    page.keyboard.press("+")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)  # Leaflet's pan animation
    page.keyboard.press("Enter")
    expect(status).to_have_text(PLACED)
    ward = PLACED.search(status.inner_text()).group(1)
    lat, lon = coordinates(page)
    assert lon > first_lon and lat < first_lat, ((first_lat, first_lon), (lat, lon))
    assert 52.0 <= lat <= 52.4 and -1.6 <= lon <= -1.1, (lat, lon)
    ward_select = page.get_by_label(WARD)
    assert ward_select.evaluate("s => s.selectedOptions[0].text") == ward
    expect(page.get_by_role("application", name="Map for choosing the spot")).to_be_focused()
    # The chosen spot is marked on the map.
    expect(picker.locator(".cg-map__pin")).to_have_count(1)

    activate(page, "Add the pin")
    expect(success_banner(page)).to_contain_text("Thank you. Your pin is on the map.")
    expect(page.get_by_text(description)).to_be_visible()
    where = page.locator(".govuk-summary-list__row", has_text="Where")
    expect(where).to_contain_text(ward)
    shown = re.search(r"(-?\d+\.\d{5}), (-?\d+\.\d{5})", where.inner_text())
    assert shown, where.inner_text()
    assert abs(float(shown.group(1)) - lat) < 1e-5 and abs(float(shown.group(2)) - lon) < 1e-5
    assert not js_errors(page), js_errors(page)


# --- 3. The map page ------------------------------------------------------------------------------


def open_map(page: Page) -> Response:
    """Open the map page; return the first hotspot response, once its markers are drawn."""
    with page.expect_response(is_hotspots) as hotspots:
        page.goto(MAP)
    response = hotspots.value
    assert response.status == 200, response.status
    expect(page.locator(MARKERS).first).to_be_visible()
    return response


def test_map_draws_wards_and_hotspots_that_a_keyboard_reaches(open_page, cluster):
    page = open_page()
    wards = page.request.get("/places/areas.geojson").json()["features"]
    response = open_map(page)
    data = response.json()

    box = page.locator("[data-pin-map]")
    expect(box).to_be_visible()
    expect(box.locator("path.cg-map__area")).to_have_count(len(wards))
    markers = box.locator(MARKERS)
    # Every marker has a name: pins an aria-label, hotspots their own (partly hidden) text.
    labels = markers.evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label') || e.textContent || '')"
    )
    assert labels and all(label.strip() for label in labels), labels
    # Hotspots cut off by the map's edge are left out until panned into view.
    assert len(labels) <= len(data["features"]), (len(labels), len(data["features"]))
    status = box.get_by_role("status")
    expect(status).to_have_text(SHOWING)
    pride, shame = (int(n.replace(",", "")) for n in SHOWING.search(status.inner_text()).groups())
    assert (pride, shame) == (data["pride"], data["shame"]), data
    assert shame >= len(cluster.pin_ids)
    # The list of the same pins is there below the map.
    expect(page.locator("#pin-list")).to_have_text(re.compile(r"^\d[\d,]* pins?$"))
    expect(page.locator(".cg-pin-list .cg-pin-item").first).to_be_visible()

    # Tab: the map (its focus plain to see), then its markers.
    tab_to_match(page, "[data-pin-map] [role=application]")
    assert_focus_visible(page)
    page.keyboard.press("Tab")
    marker = page.evaluate(
        "() => ({cls: document.activeElement.className, "
        "label: document.activeElement.getAttribute('aria-label') "
        "|| document.activeElement.textContent})"
    )
    assert re.search(r"\bcg-(hotspot|pin)\b", marker["cls"]), marker
    assert marker["label"], marker
    assert_focus_visible(page)
    if "cg-pin" in marker["cls"].split():
        # A single pin: Enter opens its popup with a link to the pin.
        page.keyboard.press("Enter")
        popup = box.locator(".leaflet-popup")
        expect(popup.get_by_role("link", name="Open the pin")).to_be_visible()
    assert not js_errors(page), js_errors(page)


def test_clicking_a_hotspot_zooms_in(open_page, cluster):
    page = open_page()
    first = open_map(page)
    if first.json()["mode"] != "cells":
        pytest.skip("the whole place holds few enough pins to show them one by one")
    with page.expect_response(is_hotspots) as after:
        page.locator("[data-pin-map] .cg-hotspot").first.click()
    assert after.value.status == 200
    assert zoom_of(after.value) > zoom_of(first), (first.url, after.value.url)


def test_enter_on_a_hotspot_zooms_in_and_keeps_focus_in_the_map(open_page, cluster):
    page = open_page()
    first = open_map(page)
    if first.json()["mode"] != "cells":
        pytest.skip("the whole place holds few enough pins to show them one by one")
    tab_to_match(page, "[data-pin-map] .cg-hotspot")
    with page.expect_response(is_hotspots, timeout=3_000) as after:
        page.keyboard.press("Enter")
    assert after.value.status == 200
    assert zoom_of(after.value) > zoom_of(first), (first.url, after.value.url)
    # The markers are drawn afresh; the keyboard user is not thrown back to the top of the page.
    expect(page.locator(MARKERS).first).to_be_visible()
    assert page.evaluate(
        "() => document.querySelector('[data-pin-map]').contains(document.activeElement)"
    ), focused(page)


# --- 4. Officers: epicentres and answers ----------------------------------------------------------


def answer_pin(page: Page, pin: int, status: str, message: str) -> None:
    """As an officer, answer ``pin`` from its page (no JavaScript needed)."""
    page.goto(f"/places/pins/{pin}/")
    page.get_by_role("link", name="Answer this pin").click()
    assert urlsplit(page.url).path == f"/places/pins/{pin}/respond/"
    expect(page.get_by_label("Answering for")).to_have_text(COUNCIL)
    page.get_by_role("group", name="Status").get_by_label(status, exact=True).check()
    page.get_by_label("Public update").fill(message)
    page.get_by_role("button", name="Publish the update").click()
    expect(success_banner(page)).to_contain_text("Your update is published")
    assert urlsplit(page.url).path == f"/places/pins/{pin}/"


def test_officer_sees_epicentres_and_answers_a_pin(open_page, cluster):
    page = open_page(OFFICER_EMAIL, javascript=False)
    page.goto(MAP)
    page.get_by_role("link", name="Epicentres of shame").click()
    assert urlsplit(page.url).path == EPICENTRES
    expect(page.get_by_role("heading", level=1)).to_have_text("Epicentres of shame")
    ranking = page.get_by_role("region", name="Hotspots across the place").get_by_role("table")
    expect(ranking.locator("tbody tr").first).to_be_visible()
    # The ward with the three pins has a ranked hotspot with at least their three voices.
    page.get_by_label("Ward", exact=True).select_option(label=cluster.ward)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name=f"Hotspots in {cluster.ward}")).to_be_visible()
    table = page.get_by_role("region", name=f"Hotspots in {cluster.ward}").get_by_role("table")
    voices = [int(text) for text in table.locator("tbody tr td:nth-child(3)").all_inner_texts()]
    assert voices and max(voices) >= len(cluster.pin_ids), voices
    for label in table.locator("tbody tr th").all_inner_texts():
        assert label.endswith(cluster.ward), label

    # An empty answer is refused with specific messages.
    pin = cluster.pin_ids[0]
    page.goto(f"/places/pins/{pin}/respond/")
    page.get_by_role("button", name="Publish the update").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link")).to_have_text(["Choose a status", "Write a public update"])

    message = unique("New lights for the underpass are ordered for next month.")
    answer_pin(page, pin, "Planned", message)
    answer = page.locator(".cg-update", has_text=message)
    expect(answer).to_have_count(1)
    expect(answer.get_by_role("heading")).to_contain_text("Planned")
    expect(answer.get_by_role("heading")).to_contain_text(COUNCIL)
    expect(page.locator(".govuk-tag", has_text="Planned")).to_be_visible()

    # The resident who placed it sees the answer among their pins.
    resident = open_page(RESIDENT_EMAIL, javascript=False)
    resident.goto(MINE)
    expect(resident.locator(".cg-pin-item__note", has_text=message)).to_contain_text(
        f"Planned – {COUNCIL}"
    )
    resident.goto(f"/places/pins/{pin}/")
    expect(resident.locator(".cg-update", has_text=message)).to_be_visible()


def test_residents_behind_an_answered_pin_are_emailed(open_page, cluster, server, platform):
    """The author and everyone who said "me too" get one email each, sent by the background
    worker as in production."""
    pin = cluster.pin_ids[2]  # placed by the second resident
    me_too = open_page(RESIDENT_EMAIL, javascript=False)
    me_too.goto(f"/places/pins/{pin}/")
    me_too.get_by_role("button", name="Me too: I feel the same").click()
    expect(success_banner(me_too)).to_contain_text("You have added your voice")

    officer = open_page(OFFICER_EMAIL, javascript=False)
    message = unique("Engineers will survey the underpass lighting this week.")
    answer_pin(officer, pin, "In progress", message)

    manage("db_worker", "--batch", "--no-startup-delay", "--no-reload", env=platform.env)
    emails = [m for m in read_emails(server.mail_dir) if message in m.get_content()]
    assert sorted(m["To"] for m in emails) == sorted([RESIDENT_EMAIL, RESIDENT2_EMAIL]), [
        (m["To"], m["Subject"]) for m in emails
    ]
    for email in emails:
        assert email["Subject"] == f"{COUNCIL} has answered a place you pinned"
        body = email.get_content()
        assert "In progress" in body and f"/places/pins/{pin}/" in body, body
        assert f"/places/pins/{cluster.pin_ids[0]}/" not in body, body  # not answered here


# --- 5. Accessibility ----------------------------------------------------------------------------

# Known violations, each reported and xfailed below, are left out of the other checks of the page,
# so that anything new on the same page still fails.
MAP_KNOWN: tuple[str, ...] = ()
EPICENTRES_KNOWN: tuple[str, ...] = ()


@pytest.mark.parametrize("width", WIDTHS)
def test_map_page_is_accessible(open_page, cluster, width):
    page = open_page(width=width)
    open_map(page)
    expect(page.locator("[data-pin-map]").get_by_role("status")).to_have_text(SHOWING)
    check(page, width, known=MAP_KNOWN)
    assert not js_errors(page), js_errors(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_map_page_is_fully_accessible(open_page, cluster, width):
    page = open_page(width=width)
    open_map(page)
    check(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_add_pin_page_is_accessible_with_and_without_errors(open_page, width):
    page = open_page(RESIDENT_EMAIL, width)
    page.goto(ADD)
    expect(page.locator("[data-location-map] path.cg-map__area").first).to_be_attached()
    check(page, width)

    page.get_by_role("button", name="Add the pin").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.title().startswith("Error:"), page.title()
    expect(page.locator("[data-location-map] path.cg-map__area").first).to_be_attached()
    check(page, width)
    assert not js_errors(page), js_errors(page)


FORMS_WITH_RADIOS = [
    pytest.param(
        RESIDENT_EMAIL, "{add}", "Add the pin", [f for f, _ in EMPTY_FORM_ERRORS], id="add-pin"
    ),
    pytest.param(
        OFFICER_EMAIL,
        "/places/pins/{pin}/respond/",
        "Publish the update",
        ["id_status", "id_message"],
        id="answer",
    ),
    pytest.param(None, "/places/pins/{pin}/report/", "Send the report", ["id_reason"], id="report"),
]


@pytest.mark.parametrize(("email", "path", "button", "fields"), FORMS_WITH_RADIOS)
def test_error_summary_links_put_the_cursor_in_each_field(
    open_page, cluster, email, path, button, fields
):
    page = open_page(email)
    page.goto(path.format(add=ADD, pin=cluster.pin_ids[1]))
    page.get_by_role("button", name=button).click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    assert [link.get_attribute("href") for link in links.all()] == [f"#{f}" for f in fields]
    problems = []
    for index, field in enumerate(fields):
        links.nth(index).press("Enter")
        if focused(page)["id"] != field:
            problems.append((field, focused(page)))
    assert not problems, problems


@pytest.mark.parametrize("width", WIDTHS)
def test_pin_page_is_accessible(open_page, cluster, width):
    page = open_page(RESIDENT_EMAIL, width)
    page.goto(f"/places/pins/{cluster.pin_ids[0]}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("A place someone is ashamed of")
    check(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_report_a_pin_page_is_accessible(open_page, cluster, width):
    page = open_page(width=width)
    page.goto(f"/places/pins/{cluster.pin_ids[1]}/report/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a pin")
    check(page, width)
    page.get_by_role("button", name="Send the report").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    check(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_your_pins_page_is_accessible(open_page, cluster, width):
    page = open_page(RESIDENT_EMAIL, width)
    page.goto(MINE)
    expect(page.locator(".cg-pin-item").first).to_be_visible()
    check(page, width)


def open_epicentres(page: Page) -> None:
    page.goto(EPICENTRES)
    expect(page.get_by_role("heading", level=1)).to_have_text("Epicentres of shame")
    expect(page.locator("[data-epicentre-map] .cg-pin--rank").first).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_epicentres_page_is_accessible(open_page, cluster, width):
    page = open_page(OFFICER_EMAIL, width)
    open_epicentres(page)
    # (No sideways-scroll check here: the known overflow at 320 px is xfailed below.)
    axe_without(page, EPICENTRES_KNOWN)
    assert not js_errors(page), js_errors(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_epicentres_page_is_fully_accessible(open_page, cluster, width):
    page = open_page(OFFICER_EMAIL, width)
    open_epicentres(page)
    if width == NARROW:
        assert_no_horizontal_scroll(page)
    axe(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_answer_a_pin_page_is_accessible(open_page, cluster, width):
    page = open_page(OFFICER_EMAIL, width)
    page.goto(f"/places/pins/{cluster.pin_ids[1]}/respond/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Answer a pin")
    check(page, width)
    page.get_by_role("button", name="Publish the update").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    check(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_moderation_page_is_accessible(open_page, width):
    page = open_page(MODERATOR_EMAIL, width)
    page.goto(MAP)
    page.get_by_role("link", name="Pins to moderate").click()
    assert urlsplit(page.url).path == MODERATION
    expect(page.get_by_role("heading", level=1)).to_have_text("Pins to moderate")
    check(page, width)
