"""Clash detection against the database: a few indexed queries narrow the calendar to the
activities that could clash, then :func:`engagement.calendar.logic.clashes` decides exactly."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter

from django.db.models import QuerySet

from engagement.calendar import logic
from engagement.calendar.models import Activity, as_text, linked, parse_utc
from engagement.models import Area

_ASK_COLUMNS = (
    "pk",
    "title",
    "ask_level",
    "starts_text",
    "ends_text",
    "weekdays",
    "opens",
    "closes",
    "repeat_until",
)
_DAY = timedelta(days=1)
_MAX_IDS = 2000


def wards_of() -> dict[int, frozenset[int]]:
    """For every area, the wards it covers (a ward itself; a district its wards; the county all
    of them): one query."""
    covered: dict[int, set[int]] = {}
    rows = Area.objects.values_list("pk", "kind", "parent_id", "parent__parent_id")
    for pk, kind, parent, grandparent in rows:
        covered.setdefault(pk, set())
        if kind == Area.Kind.WARD:
            for area in (pk, parent, grandparent):
                if area is not None:
                    covered.setdefault(area, set()).add(pk)
    return {area: frozenset(wards) for area, wards in covered.items()}


def areas_sharing(
    wards: frozenset[int], covered: dict[int, frozenset[int]] | None = None
) -> list[int]:
    """The areas with a ward in ``wards``: the wards themselves, their districts and the whole
    place. An activity for any of them concerns those wards."""
    covered = covered if covered is not None else wards_of()
    return [area for area, theirs in covered.items() if theirs & wards]


def _spans(row: tuple, start: datetime, end: datetime) -> tuple[logic.Span, ...]:
    """An activity's occurrences with time in [start, end)."""
    starts_at, ends_at = parse_utc(row[3]), parse_utc(row[4])
    weekdays, opens, closes, repeat_until = row[5:9]
    if not weekdays:
        return (logic.Span(starts_at, ends_at),)
    opening = logic.WeeklyOpening(frozenset(int(day) for day in weekdays), opens, closes)
    # Only the days that can hold an occurrence with time in [start, end), a day either side
    # for the clocks: a weekly activity can run for months around a two-hour workshop.
    first = max(starts_at, start - _DAY).astimezone(logic.LONDON).date()
    last = min(repeat_until, (end + _DAY).astimezone(logic.LONDON).date())
    found = logic.weekly_occurrences(opening, first, last) if first <= last else ()
    return tuple(span for span in found if span.start < end and start < span.end)


def areas_and_audiences(
    activities: QuerySet, ids: list[int]
) -> tuple[dict[int, frozenset[int]], dict[int, frozenset[int]]]:
    """The areas and the audiences of ``ids``, the activities of ``activities``: two queries.
    Past a few thousand, sending the ids costs more than narrowing the calendar again. Equal sets
    are shared: tens of thousands of small sets kept alive otherwise keep the garbage collector
    busy (a year's load table spent most of its time there)."""
    wanted = ids if len(ids) <= _MAX_IDS else activities.values("pk")
    found = []
    for relation, column in (("areas", "area_id"), ("audiences", "audience_id")):
        rows = (
            getattr(Activity, relation)
            .through.objects.filter(activity_id__in=wanted)
            .order_by("activity_id")
            .values_list("activity_id", column)
        )
        shared: dict[frozenset[int], frozenset[int]] = {}
        linked = {}
        for pk, group in groupby(rows, itemgetter(0)):
            others = frozenset(map(itemgetter(1), group))
            linked[pk] = shared.setdefault(others, others)
        found.append(linked)
    return found[0], found[1]


def asks_of(activities: QuerySet, start: datetime, end: datetime) -> list[logic.Ask]:
    """``activities`` (narrowed to time in [start, end)) as asks for the clash and load rules,
    each with its occurrences in [start, end) only. One query, reading only the columns the rules
    need with a row for each of an activity's areas and audiences (most have one or two of each),
    however many activities there are."""
    rows = (
        activities.order_by("pk")
        .annotate(starts_text=as_text("starts_at"), ends_text=as_text("ends_at"))
        .values_list(*_ASK_COLUMNS, "areas", "audiences")
    )
    shared: dict[frozenset[int], frozenset[int]] = {}  # see areas_and_audiences
    asks = []
    for pk, group in groupby(rows, itemgetter(0)):
        group = list(group)
        spans = _spans(group[0], start, end)
        if spans:
            areas = frozenset(row[-2] for row in group if row[-2] is not None)
            audiences = frozenset(row[-1] for row in group if row[-1] is not None)
            asks.append(
                logic.Ask(
                    key=pk,
                    spans=spans,
                    areas=shared.setdefault(areas, areas),
                    audiences=shared.setdefault(audiences, audiences),
                    ask_level=group[0][2],
                    label=group[0][1],
                )
            )
    return asks


def find_clashes(
    activity: Activity,
    area_ids: frozenset[int],
    audience_ids: frozenset[int],
    wards: dict[int, frozenset[int]] | None = None,
) -> list[logic.Clash]:
    """Published or pending activities that clash with ``activity`` (saved or not) if it had
    these areas and audiences; each clashing ask carries its occurrences in the time of
    ``activity``. Two queries however big the calendar is: the wards, then the activities in
    time and place with their areas and audiences."""
    ask = activity.as_ask(area_ids, audience_ids)
    if not ask.asks_something:  # an "inform" activity clashes with nothing
        return []
    wards = wards if wards is not None else wards_of()
    mine = logic.wards_touched(area_ids, wards)
    if not mine or not ask.spans:
        return []
    start = min(span.start for span in ask.spans)
    end = max(span.end for span in ask.spans)
    # Audiences are left to the rules: filtering on them here turns the planner away from the
    # time range, the selective part (docs/PERFORMANCE.md, "Shared calendar").
    candidates = Activity.objects.asks_overlapping(start, end)
    if mine != frozenset().union(*wards.values()):  # for the whole place, every area concerns it
        candidates = candidates.filter(linked("areas", areas_sharing(mine, wards)))
    if activity.pk is not None:
        candidates = candidates.exclude(pk=activity.pk)
    return logic.clashes(ask, asks_of(candidates, start, end), wards)
