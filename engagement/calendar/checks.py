"""What the activity form tells an author before it is saved: the activities it clashes with, the
wards and weeks it would push over the engagement-load threshold, and the nearest window, by whole
weeks, with neither. One pass over the asks near it in time and place: four queries however big the
calendar is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engagement.calendar import load, logic
from engagement.calendar.clash import areas_sharing, wards_of
from engagement.calendar.models import Activity

# How far either side the form looks for a quieter window.
SEARCH_WEEKS = 8


@dataclass(frozen=True)
class Assessment:
    clashes: list[logic.Clash]
    overloads: list[logic.Overload]
    suggestion: logic.Ask | None
    threshold: float
    original_start: datetime | None = None

    @property
    def moved_by_weeks(self) -> int | None:
        """How many whole weeks the suggestion moves the activity (negative: earlier)."""
        if self.suggestion is None or not self.original_start:
            return None
        delta = self.suggestion.spans[0].start.astimezone(logic.LONDON).date() - (
            self.original_start.astimezone(logic.LONDON).date()
        )
        return delta.days // 7


def assess(
    activity: Activity,
    area_ids: frozenset[int],
    audience_ids: frozenset[int],
    earliest: datetime | None = None,
) -> Assessment:
    """Check ``activity`` (saved or not) as if it had these areas and audiences."""
    threshold = load.threshold()
    ask = activity.as_ask(area_ids, audience_ids)
    covered = wards_of()
    mine = logic.wards_touched(area_ids, covered)
    if not mine or not ask.spans:
        return Assessment([], [], None, threshold)
    margin = timedelta(weeks=SEARCH_WEEKS + 1)
    nearby = load.asks_between(
        min(span.start for span in ask.spans) - margin,
        max(span.end for span in ask.spans) + margin,
        exclude=activity.pk,
        areas=areas_sharing(mine, covered),
    )
    populations = load.ward_populations()
    clashes = logic.clashes(ask, nearby, covered)
    # The others' load in this activity's wards, worked out once for both checks.
    base = logic.load_in(mine, nearby, populations, covered, None)
    overloads = logic.overloaded(ask, nearby, populations, covered, threshold, base=base)
    suggestion = None
    if clashes or overloads:
        suggestion = logic.suggest_window(
            ask,
            nearby,
            populations,
            covered,
            threshold,
            earliest=earliest,
            search_weeks=SEARCH_WEEKS,
            avoid_clashes=True,
            base=base,
        )
    return Assessment(clashes, overloads, suggestion, threshold, ask.spans[0].start)
