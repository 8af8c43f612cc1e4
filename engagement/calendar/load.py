"""The engagement-load (fatigue) index from the database: per ward and week, weighted asks per
1,000 residents (:func:`engagement.calendar.logic.load_index`), and the nearest lower-load window
for an activity that would push a ward over the threshold."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings

from engagement.calendar import logic
from engagement.calendar.clash import wards_of
from engagement.calendar.models import Activity
from engagement.models import Area

# Weighted asks per 1,000 residents in one week above which a ward is overloaded. About three
# light asks, or one heavy one, a week per 1,000 people; CALENDAR_LOAD_THRESHOLD overrides it.
DEFAULT_THRESHOLD = 0.5


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
    those for one of ``areas``: three queries."""
    activities = (
        Activity.objects.asking().overlapping(start, end).prefetch_related("areas", "audiences")
    )
    if exclude is not None:
        activities = activities.exclude(pk=exclude)
    if areas is not None:
        activities = activities.filter(
            pk__in=Activity.areas.through.objects.filter(area_id__in=areas).values("activity_id")
        )
    return [
        a.as_ask(frozenset(x.pk for x in a.areas.all()), frozenset(x.pk for x in a.audiences.all()))
        for a in activities
    ]


def load_table(first_week: date, weeks: int) -> dict[tuple[int, date], float]:
    """Load per (ward, week) for ``weeks`` weeks from the week of ``first_week``: a constant
    number of queries however many activities there are."""
    monday = _monday(first_week)
    start = datetime.combine(monday, datetime.min.time(), logic.LONDON)
    end = start + timedelta(weeks=weeks)
    table = logic.load_index(asks_between(start, end), ward_populations(), wards_of())
    last = monday + timedelta(weeks=weeks)
    return {key: value for key, value in table.items() if monday <= key[1] < last}


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
    return logic.suggest_window(
        ask,
        asks_between(start, end, exclude=activity.pk),
        ward_populations(),
        wards_of(),
        threshold(),
        earliest=earliest,
        search_weeks=search_weeks,
    )
