"""Dates and times read as GOV.UK writes them, in UK time: "1 December 2026, 11:59pm"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.template import Context, Template

from engagement.templatetags.engagement_tags import uk_datetime
from tests.factories import consultation_page


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Greenwich Mean Time in winter: UTC is UK time.
        (datetime(2026, 12, 1, 23, 59, tzinfo=UTC), "1 December 2026, 11:59pm"),
        (datetime(2026, 1, 5, 9, 30, tzinfo=UTC), "5 January 2026, 9:30am"),
        (datetime(2026, 1, 5, 9, 0, tzinfo=UTC), "5 January 2026, 9am"),
        (datetime(2026, 1, 5, 12, 0, tzinfo=UTC), "5 January 2026, midday"),
        (datetime(2026, 1, 5, 12, 30, tzinfo=UTC), "5 January 2026, 12:30pm"),
        (datetime(2026, 1, 5, 0, 0, tzinfo=UTC), "5 January 2026, midnight"),
        (datetime(2026, 1, 5, 0, 5, tzinfo=UTC), "5 January 2026, 12:05am"),
        # British Summer Time: an hour ahead of UTC, into the next day near midnight.
        (datetime(2026, 7, 1, 22, 59, tzinfo=UTC), "1 July 2026, 11:59pm"),
        (datetime(2026, 7, 1, 11, 0, tzinfo=UTC), "1 July 2026, midday"),
        (datetime(2026, 6, 30, 23, 0, tzinfo=UTC), "1 July 2026, midnight"),
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "1 July 2026, 12:30am"),
        (datetime(2026, 7, 1, 4, 15, tzinfo=UTC), "1 July 2026, 5:15am"),
    ],
)
def test_uk_datetime_writes_uk_time_in_govuk_style(moment, expected):
    assert uk_datetime(moment) == expected


def test_uk_datetime_of_a_date_or_nothing():
    assert uk_datetime(date(2026, 3, 9)) == "9 March 2026"
    assert uk_datetime(None) == ""
    assert uk_datetime("") == ""


def test_uk_datetime_never_ends_a_sentence_with_two_full_stops():
    html = Template(
        "{% load engagement_tags %}It closed on {{ at|uk_datetime }}.",
    ).render(Context({"at": datetime(2026, 12, 1, 23, 59, tzinfo=UTC)}))
    assert html == "It closed on 1 December 2026, 11:59pm."


def test_a_closed_consultation_gives_its_closing_time_in_uk_time(client, council, site_structure):
    closes = datetime(2026, 6, 30, 22, 59, tzinfo=UTC)  # 11:59pm British Summer Time
    page = consultation_page(council, opens_at=closes - timedelta(weeks=12), closes_at=closes)
    with time_machine.travel(closes + timedelta(days=1), tick=False):
        html = client.get(page.url).content.decode()
    assert "This consultation closed on 30 June 2026, 11:59pm." in html
    assert "p.m." not in html and "a.m." not in html
