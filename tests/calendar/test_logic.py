"""Clash detection and the load index as pure functions: symmetry, exact boundaries, the area
hierarchy, recurring opening times across clock changes, and conservation of load."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engagement.calendar.logic import (
    ASK_WEIGHTS,
    LONDON,
    Ask,
    Span,
    WeeklyOpening,
    clashes,
    first_overlap,
    load_index,
    suggest_window,
    weekly_occurrences,
    weeks_of,
)

# A small place: the county (1) covers districts 10 and 20; district 10 covers wards 11 and 12,
# district 20 covers ward 21. Each area maps to the wards it covers.
WARDS_OF = {
    1: frozenset({11, 12, 21}),
    10: frozenset({11, 12}),
    20: frozenset({21}),
    11: frozenset({11}),
    12: frozenset({12}),
    21: frozenset({21}),
}
POPULATIONS = {11: 4000, 12: 5000, 21: 8000}
BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def at(minutes: int) -> datetime:
    return BASE + timedelta(minutes=minutes)


spans = st.builds(
    lambda start, length: Span(at(start), at(start + length)),
    st.integers(0, 60 * 24 * 21),
    st.integers(1, 60 * 24 * 3),
)
asks = st.builds(
    Ask,
    key=st.uuids(),
    spans=st.lists(spans, min_size=1, max_size=4).map(tuple),
    areas=st.sets(st.sampled_from(sorted(WARDS_OF)), min_size=1, max_size=2).map(frozenset),
    audiences=st.sets(st.integers(1, 4), max_size=2).map(frozenset),
    ask_level=st.sampled_from(sorted(ASK_WEIGHTS)),
)


def brute_force_clash(a: Ask, b: Ask) -> bool:
    """The definition, spelled out minute by minute."""
    wards_a = set().union(*(WARDS_OF[x] for x in a.areas))
    wards_b = set().union(*(WARDS_OF[x] for x in b.areas))
    audiences = not a.audiences or not b.audiences or bool(a.audiences & b.audiences)
    in_time = any(max(x.start, y.start) < min(x.end, y.end) for x in a.spans for y in b.spans)
    both_ask = "inform" not in (a.ask_level, b.ask_level)
    return bool(wards_a & wards_b) and audiences and in_time and both_ask


@given(a=asks, b=asks)
def test_clash_detection_is_symmetric_and_matches_the_definition(a, b):
    forward = bool(clashes(a, [b], WARDS_OF))
    assert forward == bool(clashes(b, [a], WARDS_OF))
    assert forward == brute_force_clash(a, b)
    if forward:
        (clash,) = clashes(a, [b], WARDS_OF)
        assert clash.first_overlap == first_overlap(b, a)


@given(start=st.integers(0, 10_000), length=st.integers(1, 600), gap=st.integers(-600, 600))
def test_no_false_negatives_or_positives_at_the_boundaries(start, length, gap):
    """Back to back is not a clash; a microsecond of overlap is."""
    first = Span(at(start), at(start + length))
    second_start = first.end + timedelta(minutes=gap)
    second = Span(second_start, second_start + timedelta(minutes=30))
    a = Ask("a", (first,), frozenset({11}))
    b = Ask("b", (second,), frozenset({11}))
    assert bool(clashes(a, [b], WARDS_OF)) == (gap < 0 and second.end > first.start)
    touching = Ask("c", (Span(first.end, first.end + timedelta(hours=1)),), frozenset({11}))
    assert clashes(a, [touching], WARDS_OF) == []
    nudged = Ask(
        "d",
        (Span(first.end - timedelta(microseconds=1), first.end + timedelta(hours=1)),),
        frozenset({11}),
    )
    assert len(clashes(a, [nudged], WARDS_OF)) == 1


def one_hour(areas, audiences=frozenset(), key=None, when=BASE, level="light") -> Ask:
    return Ask(
        key or f"{sorted(areas)}-{sorted(audiences)}",
        (Span(when, when + timedelta(hours=1)),),
        frozenset(areas),
        frozenset(audiences),
        level,
    )


@pytest.mark.parametrize(
    ("mine", "theirs", "expected"),
    [
        ({11}, {10}, {11}),  # a ward inside the district
        ({11}, {1}, {11}),  # a ward and the whole place
        ({10}, {1}, {11, 12}),  # a district and the whole place
        ({11}, {12}, None),  # neighbouring wards
        ({11}, {20}, None),  # a ward and another district
    ],
)
def test_areas_clash_through_the_hierarchy(mine, theirs, expected):
    found = clashes(one_hour(mine, key="mine"), [one_hour(theirs, key="theirs")], WARDS_OF)
    if expected is None:
        assert found == []
    else:
        assert [c.wards for c in found] == [frozenset(expected)]


def test_audiences_must_meet_unless_one_is_for_everyone():
    young, old = one_hour({11}, {1}, "young"), one_hour({11}, {2}, "old")
    everyone = one_hour({11}, set(), "everyone")
    assert clashes(young, [old], WARDS_OF) == []
    assert len(clashes(young, [everyone], WARDS_OF)) == 1
    assert len(clashes(young, [one_hour({11}, {1, 3}, "mixed")], WARDS_OF)) == 1


def test_an_activity_never_clashes_with_itself():
    ask = one_hour({11}, key="same")
    assert clashes(ask, [ask], WARDS_OF) == []


# --- Recurring opening times and the clocks -------------------------------------------------------


def test_weekly_opening_keeps_local_time_across_the_spring_and_autumn_clock_changes():
    opening = WeeklyOpening(frozenset({6}), time(10, 0), time(12, 0))  # Sundays 10:00-12:00
    spring = weekly_occurrences(opening, date(2026, 3, 22), date(2026, 4, 5))
    assert [s.start.astimezone(UTC).hour for s in spring] == [10, 9, 9]  # GMT, then BST
    assert all(s.start.astimezone(LONDON).time() == time(10, 0) for s in spring)
    autumn = weekly_occurrences(opening, date(2026, 10, 18), date(2026, 11, 1))
    assert [s.start.astimezone(UTC).hour for s in autumn] == [9, 10, 10]
    assert all(s.end - s.start == timedelta(hours=2) for s in spring + autumn)


@given(
    first=st.dates(date(2026, 1, 1), date(2027, 12, 31)),
    days=st.integers(0, 120),
    weekdays=st.sets(st.integers(0, 6), min_size=1).map(frozenset),
)
def test_weekly_occurrences_fall_on_the_chosen_days_only(first, days, weekdays):
    last = first + timedelta(days=days)
    found = weekly_occurrences(WeeklyOpening(weekdays, time(9, 30), time(11, 0)), first, last)
    expected = [
        first + timedelta(days=n)
        for n in range(days + 1)
        if (first + timedelta(days=n)).weekday() in weekdays
    ]
    assert [s.start.astimezone(LONDON).date() for s in found] == expected


def test_a_drop_in_at_the_library_clashes_with_a_workshop_on_an_opening_day_only():
    library = Ask(
        "library",
        weekly_occurrences(
            WeeklyOpening(frozenset({1, 3}), time(10), time(13)),
            date(2026, 3, 23),
            date(2026, 4, 5),
        ),
        frozenset({11}),
    )
    tuesday = datetime(2026, 3, 31, 11, 0, tzinfo=LONDON)  # after the clocks went forward
    wednesday = datetime(2026, 4, 1, 11, 0, tzinfo=LONDON)
    assert len(clashes(one_hour({10}, key="workshop", when=tuesday), [library], WARDS_OF)) == 1
    assert clashes(one_hour({10}, key="workshop", when=wednesday), [library], WARDS_OF) == []


# --- Load -----------------------------------------------------------------------------------------


def test_a_span_over_a_weekend_counts_in_both_weeks():
    sunday_night = datetime(2026, 3, 8, 22, 0, tzinfo=LONDON)
    span = Span(sunday_night, sunday_night + timedelta(hours=4))
    assert weeks_of(span) == [date(2026, 3, 2), date(2026, 3, 9)]
    ending_at_midnight = Span(sunday_night, datetime(2026, 3, 9, 0, 0, tzinfo=LONDON))
    assert weeks_of(ending_at_midnight) == [date(2026, 3, 2)]


@given(batch=st.lists(asks, max_size=8), shares=st.dictionaries(st.integers(1, 4), st.floats(0, 1)))
def test_load_is_conserved(batch, shares):
    """Every ask adds weight × reach × 1,000 / population to each ward it touches, once for each
    week it has time in: nothing lost, nothing counted twice."""
    total = sum(load_index(batch, POPULATIONS, WARDS_OF, shares).values())
    expected = 0.0
    for ask in batch:
        weeks = {w for span in ask.spans for w in weeks_of(span)}
        wards = set().union(*(WARDS_OF[a] for a in ask.areas))
        expected += sum(
            ask.weight * ask.reach(shares) * 1000 / POPULATIONS[w] * len(weeks) for w in wards
        )
    assert total == pytest.approx(expected)


def test_heavy_asks_weigh_more_and_small_audiences_less():
    heavy = load_index([one_hour({11}, level="heavy", key="h")], POPULATIONS, WARDS_OF)
    light = load_index([one_hour({11}, level="light", key="l")], POPULATIONS, WARDS_OF)
    narrow = load_index(
        [one_hour({11}, {3}, level="light", key="n")], POPULATIONS, WARDS_OF, {3: 0.1}
    )
    week = date(2026, 3, 2)
    assert heavy[(11, week)] == pytest.approx(3 * light[(11, week)])
    assert narrow[(11, week)] == pytest.approx(0.1 * light[(11, week)])
    assert light[(11, week)] == pytest.approx(1000 / 4000)


def test_the_suggested_window_is_the_nearest_week_under_the_threshold():
    busy_week = datetime(2026, 3, 3, 10, 0, tzinfo=LONDON)
    crowd = [one_hour({11}, key=f"busy-{n}", when=busy_week, level="heavy") for n in range(3)]
    mine = one_hour({10}, key="mine", when=busy_week + timedelta(days=1), level="heavy")
    # Ward 11 already carries 3 heavy asks (2.25 per 1,000) that week; one more would be 3.0.
    suggestion = suggest_window(mine, crowd, POPULATIONS, WARDS_OF, threshold=2.5)
    assert suggestion is not None
    assert suggestion.spans[0].start == mine.spans[0].start + timedelta(weeks=1)
    assert suggestion.spans[0].start.astimezone(LONDON).time() == time(10, 0)
    # Not over where it is: no suggestion.
    assert suggest_window(mine, crowd[:1], POPULATIONS, WARDS_OF, threshold=2.5) is None
    # Never earlier than allowed, and nothing when every week is over.
    assert suggest_window(mine, crowd, POPULATIONS, WARDS_OF, threshold=0.1, search_weeks=3) is None
