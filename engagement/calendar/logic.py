"""Clash detection and the engagement-load (fatigue) index, as pure functions over plain values.

Nothing here imports the ORM: callers turn activities into :class:`Ask` values (with recurring
opening times already expanded by :func:`weekly_occurrences`) and areas into a mapping from each
area to the wards it covers, so the rules are fast to test and to benchmark.

- Two asks **clash** when some occurrence of one overlaps some occurrence of the other in time
  (half-open intervals: one ending at 10:00 does not clash with one starting at 10:00), they touch a
  common ward (an ask for a district touches every ward in it; one for the whole place, every ward),
  and they share an audience (an ask with no audience is for everyone, so it shares with all).
  Activities at the "inform" level ask nothing of anyone (a Warm Space, a newsletter item), so
  they clash with nothing; they still add a little to the load.
- The **load** of a ward in a week is the sum, over asks with an occurrence in that week that touch
  the ward, of the ask's weight (by ask level) times its reach (the share of residents its
  audiences are), per 1,000 residents of the ward.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

# How heavily an ask weighs on the people asked: a newsletter item is not a two-hour workshop.
ASK_WEIGHTS = {"inform": 0.25, "light": 1.0, "heavy": 3.0}
# Reach of an ask aimed at a particular audience when that audience's share is not known.
DEFAULT_AUDIENCE_SHARE = 0.25


@dataclass(frozen=True)
class Span:
    """One occurrence: from ``start`` up to, not including, ``end`` (both timezone-aware)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("occurrence times must be timezone-aware")
        if not self.start < self.end:
            raise ValueError("an occurrence must end after it starts")

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Ask:
    """What the calendar knows of one activity for clash and load purposes."""

    key: object
    spans: tuple[Span, ...]
    areas: frozenset[int]
    audiences: frozenset[int] = frozenset()  # empty: everyone
    ask_level: str = "light"
    label: str = ""

    def shares_audience_with(self, other: Ask) -> bool:
        return not self.audiences or not other.audiences or bool(self.audiences & other.audiences)

    def reach(self, audience_share: Mapping[int, float]) -> float:
        """The share of residents asked, at most 1."""
        if not self.audiences:
            return 1.0
        share = sum(audience_share.get(a, DEFAULT_AUDIENCE_SHARE) for a in self.audiences)
        return min(1.0, share)

    @property
    def asks_something(self) -> bool:
        """False for an "inform" activity: it tells people something and asks nothing."""
        return self.ask_level != "inform"

    @property
    def weight(self) -> float:
        return ASK_WEIGHTS.get(self.ask_level, ASK_WEIGHTS["light"])


def wards_touched(areas: Iterable[int], wards_of: Mapping[int, frozenset[int]]) -> frozenset[int]:
    """Every ward the areas cover (``wards_of`` maps a ward to itself, a district to its wards and
    the whole place to every ward)."""
    touched: set[int] = set()
    for area in areas:
        touched |= wards_of.get(area, frozenset())
    return frozenset(touched)


@dataclass(frozen=True)
class Clash:
    """An existing ask that clashes with the one being written, and where and when."""

    ask: Ask
    wards: frozenset[int]
    first_overlap: datetime


def first_overlap(a: Ask, b: Ask) -> datetime | None:
    """The start of the earliest overlap between two asks' occurrences, or None."""
    earliest = None
    for x in a.spans:
        for y in b.spans:
            if x.overlaps(y):
                start = max(x.start, y.start)
                if earliest is None or start < earliest:
                    earliest = start
    return earliest


def clashes(
    new: Ask, existing: Iterable[Ask], wards_of: Mapping[int, frozenset[int]]
) -> list[Clash]:
    """The existing asks that clash with ``new``, earliest overlap first."""
    if not new.asks_something:
        return []
    mine = wards_touched(new.areas, wards_of)
    found = []
    for other in existing:
        if other.key == new.key or not other.asks_something:
            continue
        if not new.shares_audience_with(other):
            continue
        common = mine & wards_touched(other.areas, wards_of)
        if not common:
            continue
        when = first_overlap(new, other)
        if when is not None:
            found.append(Clash(other, common, when))
    found.sort(key=lambda clash: (clash.first_overlap, str(clash.ask.key)))
    return found


# --- Recurring opening times ----------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklyOpening:
    """Open on these weekdays (Monday = 0) from ``opens`` to ``closes`` local time."""

    weekdays: frozenset[int]
    opens: time
    closes: time
    tz: ZoneInfo = field(default=LONDON)


def weekly_occurrences(opening: WeeklyOpening, first: date, last: date) -> tuple[Span, ...]:
    """Every occurrence from ``first`` to ``last`` inclusive, at the same local wall-clock times
    on each day whatever the UTC offset (the clocks change, the library still opens at 10:00)."""
    if not opening.opens < opening.closes:
        raise ValueError("opening hours must close after they open")
    spans = []
    day = first
    while day <= last:
        if day.weekday() in opening.weekdays:
            start = datetime.combine(day, opening.opens, tzinfo=opening.tz)
            end = datetime.combine(day, opening.closes, tzinfo=opening.tz)
            spans.append(Span(start, end))
        day += timedelta(days=1)
    return tuple(spans)


# --- The load index -------------------------------------------------------------------------------


def week_of(moment: datetime, tz: ZoneInfo = LONDON) -> date:
    """The Monday (local date) of the week ``moment`` falls in."""
    local = moment.astimezone(tz).date()
    return local - timedelta(days=local.weekday())


def weeks_of(span: Span, tz: ZoneInfo = LONDON) -> list[date]:
    """Every week (by its Monday) an occurrence has time in."""
    last_instant = span.end - timedelta(microseconds=1)
    week, last = week_of(span.start, tz), week_of(last_instant, tz)
    weeks = []
    while week <= last:
        weeks.append(week)
        week += timedelta(days=7)
    return weeks


def load_added(
    ask: Ask, population: int, audience_share: Mapping[int, float] | None = None
) -> float:
    """What one ask adds to the load of a ward of ``population`` people in a week it is in."""
    if not population:
        return 0.0
    return ask.weight * ask.reach(audience_share or {}) * 1000 / population


def load_index(
    asks: Iterable[Ask],
    populations: Mapping[int, int],
    wards_of: Mapping[int, frozenset[int]],
    audience_share: Mapping[int, float] | None = None,
    tz: ZoneInfo = LONDON,
) -> dict[tuple[int, date], float]:
    """Load per (ward, week): weighted asks per 1,000 residents. An ask counts once in a week
    however many of its occurrences fall in it. Wards without a population are left out."""
    totals: dict[tuple[int, date], float] = {}
    for ask in asks:
        weeks = {week for span in ask.spans for week in weeks_of(span, tz)}
        for ward in wards_touched(ask.areas, wards_of):
            population = populations.get(ward)
            if not population:
                continue
            per_thousand = load_added(ask, population, audience_share)
            for week in weeks:
                totals[(ward, week)] = totals.get((ward, week), 0.0) + per_thousand
    return totals


def shifted(ask: Ask, by: timedelta) -> Ask:
    """The same ask moved in time: by whole days, wall-clock times are kept across clock changes."""

    def move(moment: datetime) -> datetime:
        local = moment.astimezone(LONDON)
        return datetime.combine(local.date() + by, local.timetz().replace(tzinfo=None), LONDON)

    spans = tuple(Span(move(s.start), move(s.end)) for s in ask.spans)
    return Ask(ask.key, spans, ask.areas, ask.audiences, ask.ask_level, ask.label)


@dataclass(frozen=True)
class Overload:
    """A ward and week that an ask would push over the threshold, and the load it would have."""

    ward: int
    week: date
    load: float


def load_in(
    wards: frozenset[int],
    asks: Iterable[Ask],
    populations: Mapping[int, int],
    wards_of: Mapping[int, frozenset[int]],
    audience_share: Mapping[int, float] | None,
) -> dict[tuple[int, date], float]:
    """:func:`load_index` for ``wards`` only: an ask for the whole place touches every ward, and
    working out the others' load costs ten times as much for a ward's activity. What
    :func:`overloaded` and :func:`suggest_window` compare ``new`` with (pass it to both as
    ``base`` to work it out once)."""
    narrowed = {area: covered & wards for area, covered in wards_of.items()}
    return load_index(asks, populations, narrowed, audience_share)


def overloaded(
    new: Ask,
    existing: Iterable[Ask],
    populations: Mapping[int, int],
    wards_of: Mapping[int, frozenset[int]],
    threshold: float,
    audience_share: Mapping[int, float] | None = None,
    base: Mapping[tuple[int, date], float] | None = None,
) -> list[Overload]:
    """The (ward, week)s where ``new`` on top of ``existing`` is over ``threshold``, in week then
    ward order. Only the wards and weeks ``new`` itself adds to: a ward already overloaded in a
    week this ask does not touch is not this author's doing."""
    others = [ask for ask in existing if ask.key != new.key]
    if base is None:
        mine = wards_touched(new.areas, wards_of)
        base = load_in(mine, others, populations, wards_of, audience_share)
    added = load_index([new], populations, wards_of, audience_share)
    found = [
        Overload(ward, week, base.get((ward, week), 0.0) + value)
        for (ward, week), value in added.items()
        if base.get((ward, week), 0.0) + value > threshold
    ]
    return sorted(found, key=lambda o: (o.week, o.ward))


def suggest_window(
    new: Ask,
    existing: Iterable[Ask],
    populations: Mapping[int, int],
    wards_of: Mapping[int, frozenset[int]],
    threshold: float,
    audience_share: Mapping[int, float] | None = None,
    earliest: datetime | None = None,
    search_weeks: int = 12,
    avoid_clashes: bool = False,
    base: Mapping[tuple[int, date], float] | None = None,
) -> Ask | None:
    """If ``new`` pushes a ward it touches over ``threshold`` in some week (or, with
    ``avoid_clashes``, clashes with an existing ask), the nearest version of it moved by whole weeks
    (later first, then earlier, never before ``earliest``) that does neither; None if it is fine
    where it is or nothing within ``search_weeks`` is."""
    others = [ask for ask in existing if ask.key != new.key]
    mine = wards_touched(new.areas, wards_of)
    if base is None:
        base = load_in(mine, others, populations, wards_of, audience_share)

    def over(candidate: Ask) -> bool:
        added = load_index([candidate], populations, wards_of, audience_share)
        return any(
            base.get(key, 0.0) + value > threshold for key, value in added.items() if key[0] in mine
        )

    def troubled(candidate: Ask) -> bool:
        return over(candidate) or (avoid_clashes and bool(clashes(candidate, others, wards_of)))

    if not troubled(new):
        return None
    for step in range(1, search_weeks + 1):
        for sign in (1, -1):
            candidate = shifted(new, timedelta(weeks=sign * step))
            if earliest is not None and min(s.start for s in candidate.spans) < earliest:
                continue
            if not troubled(candidate):
                return candidate
    return None
