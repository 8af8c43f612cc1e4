"""The engagement-load (fatigue) index from the database: per ward and week, weighted asks per
1,000 residents (:func:`engagement.calendar.logic.load_index`), and the nearest lower-load window
for an activity that would push a ward over the threshold."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import cache

from django.conf import settings
from django.db.models import DateField, ExpressionWrapper, F
from django.db.models.functions import TruncDate

from engagement.calendar import logic
from engagement.calendar.clash import areas_and_audiences, areas_sharing, asks_of, wards_of
from engagement.calendar.models import Activity, linked
from engagement.models import Area

# Weighted asks per 1,000 residents in one week above which a ward is overloaded. About three
# light asks, or one heavy one, a week per 1,000 people; CALENDAR_LOAD_THRESHOLD overrides it.
DEFAULT_THRESHOLD = 0.5
LAST_MOMENT = timedelta(microseconds=1)


def threshold() -> float:
    return float(getattr(settings, "CALENDAR_LOAD_THRESHOLD", DEFAULT_THRESHOLD))


def ward_populations() -> dict[int, int]:
    return dict(Area.objects.wards().filter(population__gt=0).values_list("pk", "population"))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def asks_between(
    start: datetime,
    end: datetime,
    exclude: int | None = None,
    areas: list[int] | None = None,
) -> list[logic.Ask]:
    """The asks (published or pending activities) with time in [start, end), optionally only
    those for one of ``areas``, each with its occurrences in [start, end): one query."""
    activities = Activity.objects.asking().overlapping(start, end)
    if exclude is not None:
        activities = activities.exclude(pk=exclude)
    if areas is not None:
        activities = activities.filter(linked("areas", areas))
    return asks_of(activities, start, end)


def load_table(first_week: date, weeks: int) -> dict[tuple[int, date], float]:
    """Load per (ward, week) for ``weeks`` weeks from the week of ``first_week``: five queries
    however many activities there are.

    The same sums as :func:`logic.load_index` over the asks in those weeks, what each ask adds
    and the wards it touches coming from the rules; but an ask is read as its first and last
    local day (a weekly pattern opens in every week of its envelope), and what asks for the same
    areas add per 1,000 residents is summed week by week before it is spread over those areas'
    wards. Over a year of a busy calendar that is tens of thousands of asks, and building each
    one's occurrences first took seconds (docs/PERFORMANCE.md)."""
    monday = _monday(first_week)
    start = datetime.combine(monday, datetime.min.time(), logic.LONDON)
    end = start + timedelta(weeks=weeks)
    activities = Activity.objects.asking().overlapping(start, end).order_by()
    rows = list(
        activities.values_list(
            "pk",
            "ask_level",
            _local_day(F("starts_at")),
            _local_day(F("ends_at") - LAST_MOMENT),  # the day of its last moment
        )
    )
    areas, audiences = areas_and_audiences(activities, [row[0] for row in rows])
    covered, populations = wards_of(), ward_populations()

    @cache
    def per_thousand(level: str, audience_ids: frozenset[int]) -> float:
        """What such an ask adds in a week to a ward of 1,000 people (the rule's own figure;
        :func:`logic.load_added` scales it to a ward's population)."""
        ask = logic.Ask(None, spans=(), areas=frozenset(), audiences=audience_ids, ask_level=level)
        return logic.load_added(ask, 1000)

    # Per set of areas, what its asks add per 1,000 residents and how many there are in each
    # week, as changes from the week before: an ask touches two entries however long it lasts.
    changes: dict[frozenset[int], tuple[list[float], list[int]]] = {}
    nothing: frozenset[int] = frozenset()
    for pk, level, first_day, last_day in rows:
        first = max((first_day - monday).days // 7, 0)
        last = min((last_day - monday).days // 7, weeks - 1)
        where = areas.get(pk, nothing)
        if where not in changes:
            changes[where] = ([0.0] * (weeks + 1), [0] * (weeks + 1))
        added, asks = changes[where]
        amount = per_thousand(level, audiences.get(pk, nothing))
        added[first] += amount
        added[last + 1] -= amount
        asks[first] += 1
        asks[last + 1] -= 1

    table: dict[tuple[int, date], float] = defaultdict(float)
    mondays = [monday + timedelta(weeks=n) for n in range(weeks)]
    for where, (added, asks) in changes.items():
        wards = [ward for ward in logic.wards_touched(where, covered) if populations.get(ward)]
        total, count = 0.0, 0
        for week, amount, more in zip(mondays, added, asks, strict=False):
            total, count = total + amount, count + more
            if count:
                for ward in wards:
                    table[(ward, week)] += total * 1000 / populations[ward]
    return dict(table)


def _local_day(moment) -> ExpressionWrapper:
    """The London date of ``moment``, read as the database returns it: wrapped, it skips
    Django's per-row converter for TruncDate (a third of a year's table)."""
    return ExpressionWrapper(TruncDate(moment, tzinfo=logic.LONDON), output_field=DateField())


def suggestion(
    activity: Activity,
    area_ids: frozenset[int],
    audience_ids: frozenset[int],
    search_weeks: int = 8,
    earliest: datetime | None = None,
) -> logic.Ask | None:
    """Where ``activity`` (saved or not) should move, by whole weeks, so that no ward it touches
    goes over the threshold; None if it is fine where it is (or nothing nearby is better)."""
    ask = activity.as_ask(area_ids, audience_ids)
    start = min(span.start for span in ask.spans) - timedelta(weeks=search_weeks + 1)
    end = max(span.end for span in ask.spans) + timedelta(weeks=search_weeks + 1)
    covered = wards_of()
    # Only the asks sharing a ward with this one can change whether its wards go over.
    nearby = areas_sharing(logic.wards_touched(area_ids, covered), covered)
    return logic.suggest_window(
        ask,
        asks_between(start, end, exclude=activity.pk, areas=nearby),
        ward_populations(),
        covered,
        threshold(),
        earliest=earliest,
        search_weeks=search_weeks,
    )
