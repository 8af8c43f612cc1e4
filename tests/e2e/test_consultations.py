"""Responding to the demo place's consultations in a real browser.

- by keyboard alone (Tab, Shift+Tab, Space, arrow keys and Enter; no clicks, no filling of fields
  picked out by selector), anonymously, on the ward consultation;
- without JavaScript, through a validation error and back;
- signed in, saving part of a multi-page consultation, signing out and back in, finishing it and
  receiving the emailed copy;
- and axe-core at 1280 and 320 px on every page of the way, in its error state too.

What reached the database is read from the server's own database (SQLite file or PostgreSQL), so
"nothing was saved" is checked, not assumed.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from consultations.demo import LIBRARIES, LIVING_WELL, PARKING, PLAY_AREA
from tests.e2e.conftest import (
    NARROW,
    RESIDENT_EMAIL,
    WIDE,
    Platform,
    assert_no_horizontal_scroll,
    axe,
    focused,
    log_in,
    read_emails,
)
from tests.e2e.test_keyboard_journeys import activate, tab_to, type_into
from tests.servers import manage

pytestmark = pytest.mark.e2e

WIDTHS = [pytest.param(WIDE, id="1280px"), pytest.param(NARROW, id="320px")]
HUB = "/consultations/"


def url(demo) -> str:
    return f"{HUB}{demo.slug}/"


# The questions, by what they ask (the demo module is the one place their wording lives).
HOW_OFTEN, EQUIPMENT, FEELS_SAFE, ANYTHING_ELSE = (q.text for q in PLAY_AREA.parts[0].questions)
HEALTH, GP, USED_SERVICE, PLACE = (q.text for q in LIVING_WELL.parts[0].questions)
PRIORITIES, HELPS, RATING, WHAT_WORKED = (q.text for q in LIVING_WELL.parts[1].questions)
WALK, ONE_CHANGE, ELSE_STRATEGY = (q.text for q in LIVING_WELL.parts[2].questions)


# --- The server's database ------------------------------------------------------------------------


def _query(platform: Platform, sql: str, *params) -> list[tuple]:
    database = platform.env["DATABASE_URL"]
    if database.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(database.removeprefix("sqlite:///")) as connection:
            return connection.execute(sql.replace("%s", "?"), params).fetchall()
    import psycopg

    with psycopg.connect(database) as connection:
        return connection.execute(sql, params).fetchall()


def sent_responses(platform: Platform, demo) -> list[tuple[str, str | None]]:
    """(answers JSON, ward name) of every sent response to ``demo``, oldest first."""
    return _query(
        platform,
        "SELECT CAST(r.answers AS TEXT), w.name FROM consultations_response r "
        "JOIN wagtailcore_page p ON p.id = r.consultation_id "
        "LEFT JOIN engagement_area w ON w.id = r.ward_id "
        "WHERE p.slug = %s AND r.status = 'submitted' ORDER BY r.id",
        demo.slug,
    )


def check(page: Page, width: int = WIDE) -> None:
    axe(page)
    if width == NARROW:
        assert_no_horizontal_scroll(page)


# --- Keyboard helpers -----------------------------------------------------------------------------


def group(page: Page, question: str):
    return page.get_by_role("group", name=question, exact=True)


def choose_radio(page: Page, question: str, option: str) -> None:
    """Tab into the radio group and move to ``option`` with the arrow keys (Space on the first)."""
    radios = group(page, question).get_by_role("radio")
    labels = [radio.evaluate("r => r.labels[0].innerText.trim()") for radio in radios.all()]
    tab_to(page, id=radios.first.get_attribute("id"))
    index = labels.index(option)
    if index == 0:
        page.keyboard.press("Space")
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    expect(group(page, question).get_by_label(option, exact=True)).to_be_checked()


def tick(page: Page, question: str, option: str) -> None:
    box = group(page, question).get_by_label(option, exact=True)
    tab_to(page, id=box.get_attribute("id"))
    page.keyboard.press("Space")
    expect(box).to_be_checked()


def pick(page: Page, field_id: str, option: str) -> None:
    """Tab to a select and press the down arrow until ``option`` is chosen (the list stays shut)."""
    tab_to(page, id=field_id)
    select = page.locator(f"#{field_id}")
    for _ in range(40):
        if select.evaluate("s => s.selectedOptions[0].text") == option:
            return
        page.keyboard.press("ArrowDown")
    pytest.fail(f"{option!r} is not an option of #{field_id}")


# --- (a) Keyboard only ----------------------------------------------------------------------------


def test_anonymous_resident_responds_to_the_ward_consultation_by_keyboard(page, platform):
    before = len(sent_responses(platform, PLAY_AREA))
    page.goto(url(PLAY_AREA))
    activate(page, "Respond now")
    expect(page.get_by_role("heading", level=1)).to_have_text(PLAY_AREA.parts[0].title)
    assert focused(page)["tag"] == "body"

    choose_radio(page, HOW_OFTEN, "A few times a year")
    tick(page, EQUIPMENT, "Zip wire")
    tick(page, EQUIPMENT, "Roundabout a wheelchair can roll onto")
    choose_radio(page, FEELS_SAFE, "Disagree")
    type_into(
        page,
        page.get_by_label(ANYTHING_ELSE).get_attribute("id"),
        "Keep the big tree, the children love its shade.",
    )
    pick(page, "id_ward", "Riverside")
    activate(page, "Send your response")

    expect(page.get_by_role("heading", level=1)).to_have_text("Response sent")
    check(page)
    sent = sent_responses(platform, PLAY_AREA)
    assert len(sent) == before + 1
    answers, ward = sent[-1]
    for value in ("A few times a year", "Zip wire", "Disagree", "Keep the big tree"):
        assert value in answers
    assert "Swings" not in answers
    assert ward == "Riverside"


# --- (b) Without JavaScript -----------------------------------------------------------------------


def test_response_without_javascript_comes_back_with_errors_then_sends(new_page, platform):
    page = new_page(javascript=False)
    before = len(sent_responses(platform, PLAY_AREA))
    page.goto(url(PLAY_AREA))
    page.get_by_role("button", name="Respond now").click()

    # The first (required) question is left unanswered.
    group(page, EQUIPMENT).get_by_label("Swings", exact=True).check()
    group(page, FEELS_SAFE).get_by_label("Agree", exact=True).check()
    page.get_by_label(ANYTHING_ELSE).fill("More benches for grandparents.")
    page.get_by_role("button", name="Send your response").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    link = summary.get_by_role("link")
    expect(link).to_have_count(1)
    expect(link).to_have_text(f"Select an answer to “{HOW_OFTEN}”.")
    first_radio = group(page, HOW_OFTEN).get_by_role("radio").first
    assert link.get_attribute("href") == f"#{first_radio.get_attribute('id')}"
    expect(group(page, HOW_OFTEN).locator(".govuk-error-message")).to_contain_text(HOW_OFTEN)
    assert page.title().startswith("Error:"), page.title()
    assert len(sent_responses(platform, PLAY_AREA)) == before, "nothing is saved"
    # What was answered is kept.
    expect(group(page, EQUIPMENT).get_by_label("Swings", exact=True)).to_be_checked()
    expect(group(page, FEELS_SAFE).get_by_label("Agree", exact=True)).to_be_checked()
    expect(page.get_by_label(ANYTHING_ELSE)).to_have_value("More benches for grandparents.")
    # (axe needs JavaScript; the same error state is checked with it in the tests below.)

    group(page, HOW_OFTEN).get_by_label("At least once a week", exact=True).check()
    page.get_by_role("button", name="Send your response").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Response sent")
    assert not page.title().startswith("Error:")
    sent = sent_responses(platform, PLAY_AREA)
    assert len(sent) == before + 1
    assert "At least once a week" in sent[-1][0] and "More benches" in sent[-1][0]


# --- (c) Save and come back later -----------------------------------------------------------------


def answer_part_one(page: Page) -> None:
    group(page, HEALTH).get_by_label("Good", exact=True).check()
    group(page, GP).get_by_label("Agree", exact=True).check()
    group(page, USED_SERVICE).get_by_label("Yes", exact=True).check()
    place = group(page, PLACE)
    place.get_by_label("Ward").select_option(label="Abbey")
    place.get_by_label("Describe the spot (optional)").fill("The bowling green behind the church")


def answer_part_two(page: Page) -> None:
    ranking = group(page, PRIORITIES)
    order = [
        "Loneliness and isolation",
        "Mental health support",
        "Warm, safe homes",
        "Support for unpaid carers",
        "Being active every day",
    ]
    for position, option in enumerate(order, start=1):
        ranking.get_by_label(option, exact=True).select_option(str(position))
    for option in ("Parks and green spaces", "Libraries"):
        group(page, HELPS).get_by_label(option, exact=True).check()
    group(page, RATING).get_by_label("7", exact=True).check()


def answer_part_three(page: Page) -> None:
    page.get_by_label(WALK).fill("12")
    page.get_by_label(ONE_CHANGE).fill("A bench halfway up Abbey Hill")


def test_signed_in_resident_saves_signs_out_and_comes_back_to_finish(new_page, server, platform):
    page = new_page()
    log_in(page, RESIDENT_EMAIL)
    page.goto(url(LIVING_WELL))
    page.get_by_role("button", name="Respond now").click()
    expect(page.locator(".govuk-caption-l")).to_contain_text("Part 1 of 3")
    answer_part_one(page)
    page.get_by_role("button", name="Save and come back later").click()

    expect(page).to_have_url(re.compile(re.escape(url(LIVING_WELL)) + "$"))
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()
    expect(page.get_by_role("button", name="Continue your response")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    log_in(page, RESIDENT_EMAIL)
    page.goto(url(LIVING_WELL))
    page.get_by_role("button", name="Continue your response").click()
    # Everything given before signing out is still there.
    expect(group(page, HEALTH).get_by_label("Good", exact=True)).to_be_checked()
    expect(group(page, GP).get_by_label("Agree", exact=True)).to_be_checked()
    expect(group(page, USED_SERVICE).get_by_label("Yes", exact=True)).to_be_checked()
    place = group(page, PLACE)
    assert place.get_by_label("Ward").evaluate("s => s.selectedOptions[0].text") == "Abbey"
    expect(place.get_by_label("Describe the spot (optional)")).to_have_value(
        "The bowling green behind the church"
    )
    page.get_by_role("button", name="Save and continue").click()

    expect(page.locator(".govuk-caption-l")).to_contain_text("Part 2 of 3")
    answer_part_two(page)
    # "Yes" on part 1 brings in the question that depends on it.
    page.get_by_label(WHAT_WORKED).fill("The walking group leader rang me when I missed a week.")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.locator(".govuk-caption-l")).to_contain_text("Part 3 of 3")
    answer_part_three(page)
    page.get_by_label("Which ward do you live in?").select_option(label="Abbey")
    page.get_by_label("Email me when the outcome is published").check()
    page.get_by_role("button", name="Send your response").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Response sent")
    expect(page.get_by_text("We have emailed you a copy of your answers.")).to_be_visible()

    # The copy is sent by the background worker, as in production.
    manage("db_worker", "--batch", "--no-startup-delay", "--no-reload", env=platform.env)
    copies = [
        message
        for message in read_emails(server.mail_dir)
        if message["To"] == RESIDENT_EMAIL and LIVING_WELL.title in message["Subject"]
    ]
    assert len(copies) == 1, [m["Subject"] for m in read_emails(server.mail_dir)]
    body = copies[0].get_body(preferencelist=("plain",)).get_content()
    for answer in (
        "Good",
        "The bowling green behind the church",
        "1. Loneliness and isolation",
        "The walking group leader rang me",
        "A bench halfway up Abbey Hill",
    ):
        assert answer in body, body


# --- (d) Accessibility ----------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_hub_is_accessible_with_and_without_filters(new_page, width):
    page = new_page(width)
    page.goto(HUB)
    expect(page.get_by_role("link", name=LIVING_WELL.title)).to_be_visible()
    check(page, width)
    page.get_by_label("Status").select_option(label="Open")
    page.get_by_label("Topic").select_option(label="Play areas")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"status=open"))
    expect(page.get_by_role("link", name=PLAY_AREA.title)).to_be_visible()
    expect(page.get_by_role("link", name=LIBRARIES.title)).to_have_count(0)
    expect(page.get_by_role("link", name="Clear filters").first).to_be_visible()
    check(page, width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "demo",
    [
        pytest.param(LIVING_WELL, id="open-county-wide"),
        pytest.param(PLAY_AREA, id="open-ward"),
        pytest.param(PARKING, id="forthcoming"),
        pytest.param(LIBRARIES, id="closed-with-outcome"),
    ],
)
def test_consultation_page_is_accessible(new_page, demo, width):
    page = new_page(width)
    response = page.goto(url(demo))
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(demo.title)
    if demo is LIBRARIES:
        expect(page.get_by_role("heading", name="We asked, you said, we did")).to_be_visible()
        expect(page.get_by_role("link", name="See the results")).to_be_visible()
    check(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_public_results_of_the_closed_consultation_are_accessible(new_page, width):
    page = new_page(width)
    page.goto(url(LIBRARIES))
    page.get_by_role("link", name="See the results").click()
    assert urlsplit(page.url).path == f"{url(LIBRARIES)}results/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Results")
    expect(page.get_by_text(re.compile(r"\d+ responses were sent"))).to_be_visible()
    check(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_of_responding_is_accessible(new_page, width):
    """Each part of the multi-page consultation, its error state, and the confirmation."""
    page = new_page(width)
    page.goto(url(LIVING_WELL))
    page.get_by_role("button", name="Respond now").click()
    check(page, width)

    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert page.title().startswith("Error:"), page.title()
    check(page, width)

    answer_part_one(page)
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-caption-l")).to_contain_text("Part 2 of 3")
    check(page, width)

    answer_part_two(page)
    page.get_by_label(WHAT_WORKED).fill("Friendly volunteers.")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-caption-l")).to_contain_text("Part 3 of 3")
    page.get_by_text("About you (optional)").click()  # open the equality questions
    expect(page.get_by_role("group", name="What is your age?")).to_be_visible()
    check(page, width)

    page.get_by_label(WALK).fill("not a number")
    page.get_by_role("button", name="Send your response").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert page.title().startswith("Error:"), page.title()
    check(page, width)

    answer_part_three(page)
    page.get_by_role("button", name="Send your response").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Response sent")
    check(page, width)
