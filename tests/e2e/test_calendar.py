"""The shared calendar in a real browser, against the seeded demo place (see
engagement/calendar/demo.py): next week the county council consults families in Abbey ward on
school streets.

1. The issue's journey, without JavaScript: Priya (Eastbrook Food Network, a VCSE partner) posts a
   family activity in Abbey next week, is warned of the clash with the council's consultation,
   moves it to the suggested window and posts it; it waits for approval. Owen (county council
   officer) approves it and Priya is emailed. Rosa follows Abbey: the background worker sends her
   one weekly digest that lists it, and the ward's iCalendar feed she would subscribe to carries it.
2. The calendar views by keyboard.
3. axe at 1280 and 320 px on every calendar page, none scrolling sideways.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta

import icalendar
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    NARROW,
    RESIDENT_EMAIL,
    WIDE,
    assert_no_horizontal_scroll,
    axe,
    read_emails,
    success_banner,
)
from tests.servers import manage

pytestmark = pytest.mark.e2e

WIDTHS = [pytest.param(WIDE, id="1280px"), pytest.param(NARROW, id="320px")]

PARTNER_EMAIL = "partner@demo.commonground.test"
OFFICER_EMAIL = "officer@demo.commonground.test"
CONSULTATION = "Abbey school streets: tell us about the school run"
ABBEY = "eastbrook-abbey"


@pytest.fixture
def as_person(new_page, sessions) -> Callable[..., Page]:
    """``as_person(email=None, width=WIDE, javascript=True)``: a page signed in as ``email``."""

    def open_as(email: str | None = None, width: int = WIDE, *, javascript: bool = True) -> Page:
        return new_page(
            width, javascript=javascript, storage_state=sessions(email) if email else None
        )

    return open_as


def next_week(weekday: int) -> date:
    today = date.today()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=1, days=weekday)


def fill_activity(page: Page, title: str, day: date) -> None:
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("What it is", exact=True).fill(
        "Cook a family meal together and tell us what helps."
    )
    page.get_by_label("Type of activity", exact=True).select_option(label="Workshop")
    page.get_by_label("Eastbrook Food Network", exact=True).check()
    page.get_by_label("Abbey (Eastbrook)", exact=True).check()
    page.get_by_label("Families", exact=True).check()
    page.get_by_label("Date it starts", exact=True).fill(day.isoformat())
    page.get_by_label("Time it starts", exact=True).fill("14:00")
    page.get_by_label("Date it ends", exact=True).fill(day.isoformat())
    page.get_by_label("Time it ends", exact=True).fill("16:00")
    page.get_by_label("Venue", exact=True).fill("Abbey Community Kitchen")
    page.get_by_label("Light (a few minutes)", exact=True).check()


def test_partner_meets_a_clash_moves_officer_approves_resident_hears_and_subscribes(
    as_person, server, platform
):
    title = f"Family tea and ideas {uuid.uuid4().hex[:6]}"
    thursday = next_week(3)

    # 1. Priya posts it in the same week as the council's consultation for families in Abbey.
    priya = as_person(PARTNER_EMAIL, javascript=False)
    priya.goto("/calendar/new/")
    fill_activity(priya, title, thursday)
    priya.get_by_role("button", name="Post the activity").click()

    expect(priya.locator(".govuk-error-summary")).to_contain_text("This clashes with")
    clashes = priya.locator("#clashes")
    expect(clashes).to_contain_text(CONSULTATION)
    expect(clashes).to_contain_text("Marlshire County Council")
    expect(clashes).to_contain_text("Abbey")

    # 2. She takes the suggested window, a week later; nothing is saved until she posts.
    suggestion = priya.locator("#suggestion")
    expect(suggestion).to_contain_text("A quieter time")
    priya.get_by_role("button", name="Move it to this window").click()
    expect(priya.locator(".govuk-notification-banner")).to_contain_text("1 week later")
    later = thursday + timedelta(weeks=1)
    expect(priya.get_by_label("Date it starts", exact=True)).to_have_value(later.isoformat())
    expect(priya.locator("#suggestion")).to_contain_text("clashes with nothing")
    priya.get_by_role("button", name="Post the activity").click()
    expect(success_banner(priya)).to_contain_text("An officer will check the activity")
    expect(priya.locator("h1")).to_have_text(title)
    expect(priya.get_by_text("Waiting for approval")).to_be_visible()
    activity_url = priya.url

    # 3. Owen approves it from the queue; Priya is told by email.
    owen = as_person(OFFICER_EMAIL, javascript=False)
    owen.goto("/calendar/pending/")
    owen.get_by_role("button", name=f"Approve {title}").click()
    expect(success_banner(owen)).to_contain_text(f"“{title}” is published.")
    told = [m for m in read_emails(server.mail_dir) if m["To"] == PARTNER_EMAIL]
    assert any(title in m["Subject"] for m in told), [m["Subject"] for m in told]

    # Everyone now sees it on the calendar, in the week it moved to.
    anyone = as_person(javascript=False)
    anyone.goto(f"/calendar/?area={ABBEY}")
    expect(anyone.get_by_role("link", name=title)).to_be_visible()
    anyone.goto(f"/calendar/week/{later.isoformat()}/?area={ABBEY}")
    expect(anyone.get_by_role("link", name=title)).to_be_visible()

    # 4. Rosa follows Abbey: the weekly digest, built by the background worker, lists it once.
    manage("send_calendar_digests", "--frequency", "weekly", env=platform.env)
    manage("db_worker", "--batch", "--no-startup-delay", "--no-reload", env=platform.env)
    digests = [
        m
        for m in read_emails(server.mail_dir)
        if m["To"] == RESIDENT_EMAIL and m["List-Unsubscribe"]
    ]
    assert len(digests) == 1, [m["Subject"] for m in digests]
    body = digests[0].get_body(preferencelist=("plain",)).get_content()
    assert title in body, body
    assert "One-Click" in digests[0]["List-Unsubscribe-Post"]
    # Running the schedule again sends nothing more this week.
    manage("send_calendar_digests", "--frequency", "weekly", env=platform.env)
    manage("db_worker", "--batch", "--no-startup-delay", "--no-reload", env=platform.env)
    again = [
        m
        for m in read_emails(server.mail_dir)
        if m["To"] == RESIDENT_EMAIL and m["List-Unsubscribe"]
    ]
    assert len(again) == 1

    # 5. She subscribes to Abbey's feed: a calendar app reads the activity from it.
    rosa = as_person(RESIDENT_EMAIL, javascript=False)
    rosa.goto(f"/calendar/?area={ABBEY}")
    webcal = rosa.get_by_role("link", name="Subscribe in your calendar app")
    assert webcal.get_attribute("href").startswith("webcal://")
    address = rosa.locator("#calendar-feed-address").get_attribute("value")
    assert address.endswith(f"/calendar/feeds/area/{ABBEY}.ics")
    assert webcal.get_attribute("href").endswith(address.split("://", 1)[1])
    response = rosa.request.get(address)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    feed = icalendar.Calendar.from_ical(response.body())
    events = {str(e["SUMMARY"]): e for e in feed.walk("VEVENT")}
    assert title in events and CONSULTATION in events
    event = events[title]
    assert event.decoded("DTSTART").date() == later
    assert str(event["DTSTART"].params["TZID"]) == "Europe/London"
    assert activity_url.rstrip("/").split("/")[-1] in str(event["URL"])

    # And one event for her own calendar from the activity's page.
    rosa.goto(activity_url)
    ics = rosa.get_by_role("link", name=re.compile("Add to your calendar"))
    single = rosa.request.get(ics.get_attribute("href"))
    one = icalendar.Calendar.from_ical(single.body())
    [only] = one.walk("VEVENT")
    assert str(only["UID"]) == str(event["UID"])


def test_calendar_views_by_keyboard(as_person):
    page = as_person()
    page.goto("/calendar/")
    # The view switch and the first week of the heat strip are reachable by Tab.
    for name in ("Month", "Week"):
        link = page.get_by_role("link", name=name, exact=True).first
        link.focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"/calendar/{name.lower()}/"))
        page.goto("/calendar/")


CALENDAR_PAGES = [
    pytest.param(None, "/calendar/", id="list"),
    pytest.param(None, "/calendar/month/", id="month"),
    pytest.param(None, "/calendar/week/", id="week"),
    pytest.param(None, f"/calendar/?area={ABBEY}", id="list-filtered"),
    pytest.param(None, "/calendar/?area=nowhere", id="list-bad-filter"),
    pytest.param(OFFICER_EMAIL, "/calendar/load/", id="load"),
    pytest.param(OFFICER_EMAIL, "/calendar/pending/", id="pending"),
    pytest.param(PARTNER_EMAIL, "/calendar/new/", id="new"),
    pytest.param(RESIDENT_EMAIL, "/calendar/following/", id="following"),
]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("email", "path"), CALENDAR_PAGES)
def test_calendar_pages_are_accessible(as_person, email, path, width):
    page = as_person(email, width)
    page.goto(path)
    axe(page)
    assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_activity_page_and_the_form_with_a_clash_are_accessible(as_person, width):
    page = as_person(PARTNER_EMAIL, width)
    page.goto("/calendar/new/")
    fill_activity(page, "Axe check (not posted)", next_week(3))
    page.get_by_role("button", name="Post the activity").click()
    expect(page.locator("#clashes")).to_be_visible()
    axe(page)
    assert_no_horizontal_scroll(page)

    page.goto("/calendar/")
    page.get_by_role("link", name=CONSULTATION).first.click()
    expect(page.locator("h1")).to_have_text(CONSULTATION)
    axe(page)
    assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_cancel_and_change_pages_are_accessible(as_person, width):
    page = as_person(PARTNER_EMAIL, width)
    page.goto("/calendar/?organisation=eastbrook-food-network")
    page.get_by_role("link", name="Family cooking and chat at the community kitchen").click()
    page.get_by_role("link", name="Change this activity").click()
    expect(page.locator("h1")).to_have_text("Change an activity")
    axe(page)
    assert_no_horizontal_scroll(page)
    page.go_back()
    page.get_by_role("link", name="Cancel this activity").click()
    expect(page.get_by_role("button", name="Cancel the activity")).to_be_visible()
    axe(page)
    assert_no_horizontal_scroll(page)
