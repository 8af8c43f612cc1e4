"""The load index and the suggested window, read from the database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from engagement.calendar import load
from engagement.calendar.logic import LONDON
from engagement.calendar.models import Activity
from tests.calendar.test_clash_queries import activity, ids

pytestmark = pytest.mark.django_db

TUESDAY = datetime(2026, 3, 3, 10, 0, tzinfo=LONDON)


def test_the_table_adds_each_ask_to_every_ward_it_touches_per_1000_residents(council, place):
    activity(council, [place["north"]], start=TUESDAY, ask_level="heavy")  # Abbey and Brook
    activity(council, [place["abbey"]], start=TUESDAY + timedelta(weeks=1), ask_level="light")
    activity(council, [place["cliff"]], start=TUESDAY, status="draft")  # not an ask yet

    table = load.load_table(date(2026, 3, 2), weeks=2)

    first, second = date(2026, 3, 2), date(2026, 3, 9)
    assert table == pytest.approx(
        {
            (place["abbey"].pk, first): 3 * 1000 / 4000,
            (place["brook"].pk, first): 3 * 1000 / 5000,
            (place["abbey"].pk, second): 1 * 1000 / 4000,
        }
    )


@pytest.mark.parametrize("count", [1, 30])
def test_the_table_costs_the_same_queries_however_many_activities(
    council, place, count, django_assert_num_queries
):
    for n in range(count):
        activity(council, [place["county"]], start=TUESDAY + timedelta(days=n % 14))
    # activities, their areas, their audiences, populations, wards
    with django_assert_num_queries(5):
        table = load.load_table(date(2026, 3, 2), weeks=2)
    assert len(table) == 3 * min(2, count)  # three wards × the weeks with an activity


def test_an_activity_that_overloads_a_ward_is_offered_the_nearest_quieter_week(
    council, place, settings
):
    settings.CALENDAR_LOAD_THRESHOLD = 1.0
    for n in range(2):
        activity(council, [place["abbey"]], start=TUESDAY, ask_level="heavy", title=f"Busy {n}")
    mine = Activity(
        title="Mine",
        kind="workshop",
        starts_at=TUESDAY + timedelta(days=1),
        ends_at=TUESDAY + timedelta(days=1, hours=2),
        ask_level="light",
    )
    # Abbey carries 1.5 already; Mine adds 0.25 there, so a quieter week is suggested.
    moved = load.suggestion(mine, ids([place["abbey"]]), frozenset())
    assert moved is not None
    assert moved.spans[0].start == mine.starts_at + timedelta(weeks=1)
    # In Cliff, Mine adds 1000/6000 to an empty week: fine where it is.
    assert load.suggestion(mine, ids([place["cliff"]]), frozenset()) is None
