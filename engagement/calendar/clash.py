"""Clash detection against the database: a few indexed queries narrow the calendar to the
activities that could clash, then :func:`engagement.calendar.logic.clashes` decides exactly."""

from __future__ import annotations

from engagement.calendar import logic
from engagement.calendar.models import Activity
from engagement.models import Area


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


def find_clashes(
    activity: Activity,
    area_ids: frozenset[int],
    audience_ids: frozenset[int],
    wards: dict[int, frozenset[int]] | None = None,
) -> list[logic.Clash]:
    """Published or pending activities that clash with ``activity`` (saved or not) if it had
    these areas and audiences. A constant number of queries however big the calendar is."""
    wards = wards if wards is not None else wards_of()
    ask = activity.as_ask(area_ids, audience_ids)
    mine = logic.wards_touched(area_ids, wards)
    if not mine or not ask.spans:
        return []
    related = areas_sharing(mine, wards)
    start = min(span.start for span in ask.spans)
    end = max(span.end for span in ask.spans)
    candidates = (
        Activity.objects.asking()
        .overlapping(start, end)
        .filter(areas__in=related)
        .exclude(pk=activity.pk)
        .distinct()
        .prefetch_related("areas", "audiences")
    )
    others = [
        candidate.as_ask(
            frozenset(a.pk for a in candidate.areas.all()),
            frozenset(a.pk for a in candidate.audiences.all()),
        )
        for candidate in candidates
    ]
    return logic.clashes(ask, others, wards)
