"""Keeping the hotspot cells in step with pins, and reading hotspots for a viewport.

Counts live in :class:`~places.models.PinCell`, one row per (level, cell, kind, service, ward) for
the coarse levels in :data:`SUMMARY_LEVELS`. A visible pin adds itself to one row per level with
a single ``INSERT … ON CONFLICT DO UPDATE`` (PostgreSQL and SQLite both speak it), in the same
transaction as the change that made it visible; hiding it subtracts. Finer levels, where a
viewport holds few pins, are summed from the pins themselves through the covering grid index.
Filters by date need the pins' own dates, so they are summed from the pins too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F, Q, Sum, Value

from places import geo
from places.models import Pin, PinCell

# Cells counted ahead of time: display zoom 0 to 13. Above that a viewport is a few kilometres
# across and its pins are summed directly.
SUMMARY_LEVELS = range(1, 16)
# Few enough pins in a viewport to send them one by one instead of as hotspots.
PIN_LIMIT = 300

_UPSERT = """
INSERT INTO places_pincell
    (level, cx, cy, kind, category_id, ward_id, pins, voices, lon_sum, lat_sum)
VALUES {rows}
ON CONFLICT (level, cx, cy, kind, category_id, ward_id) DO UPDATE SET
    pins = places_pincell.pins + excluded.pins,
    voices = places_pincell.voices + excluded.voices,
    lon_sum = places_pincell.lon_sum + excluded.lon_sum,
    lat_sum = places_pincell.lat_sum + excluded.lat_sum
"""


def adjust(pin: Pin, pins: int, voices: int) -> None:
    """Add (or, with negative numbers, take away) a pin's counts in every summary level."""
    rows, params = [], []
    for level in SUMMARY_LEVELS:
        cx, cy = geo.cell_of(pin.mx, pin.my, level)
        rows.append("(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
        params += [
            level, cx, cy, pin.kind, pin.category_id, pin.ward_id,
            pins, voices, pin.lon * pins, pin.lat * pins,
        ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(rows=", ".join(rows)), params)


def add(pin: Pin) -> None:
    adjust(pin, 1, pin.voices)


def remove(pin: Pin) -> None:
    adjust(pin, -1, -pin.voices)


@transaction.atomic
def rebuild() -> int:
    """Recount every summary cell from the visible pins, in the database; returns the rows made."""
    PinCell.objects.all().delete()
    made = 0
    with connection.cursor() as cursor:
        for level in SUMMARY_LEVELS:
            s = geo.shift(level)
            # The shift is an int computed here, never input.
            cursor.execute(
                f"""
                INSERT INTO places_pincell
                    (level, cx, cy, kind, category_id, ward_id, pins, voices, lon_sum, lat_sum)
                SELECT %s, mx >> {s}, my >> {s}, kind, category_id, ward_id,
                       COUNT(*), SUM(1 + me_too_count), SUM(lon), SUM(lat)
                FROM places_pin WHERE moderation = 'visible'
                GROUP BY mx >> {s}, my >> {s}, kind, category_id, ward_id
                """,  # noqa: S608
                [level],
            )
            made += cursor.rowcount
    return made


@dataclass
class Filters:
    """What the map, the list and the open data can be narrowed by."""

    kind: str = ""
    categories: list[int] = field(default_factory=list)
    ward: int | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive

    @property
    def by_date(self) -> bool:
        return self.since is not None or self.until is not None

    def q(self, prefix: str = "") -> Q:
        q = Q()
        if self.kind:
            q &= Q(**{f"{prefix}kind": self.kind})
        if self.categories:
            q &= Q(**{f"{prefix}category_id__in": self.categories})
        if self.ward:
            q &= Q(**{f"{prefix}ward_id": self.ward})
        if self.since is not None:
            q &= Q(created_at__gte=self.since)
        if self.until is not None:
            q &= Q(created_at__lt=self.until)
        return q


_CELL_SUMS = ("cx", "cy", "pride", "shame", "pride_voices", "shame_voices", "lon_sum", "lat_sum")


def _sums(pins, voices, lon, lat) -> dict:
    """Per-cell sums shared by the summary and the pins: pride and shame kept apart."""
    return {
        "pride": Sum(pins, filter=Q(kind="pride"), default=0),
        "shame": Sum(pins, filter=Q(kind="shame"), default=0),
        "pride_voices": Sum(voices, filter=Q(kind="pride"), default=0),
        "shame_voices": Sum(voices, filter=Q(kind="shame"), default=0),
        "lon_sum": Sum(lon),
        "lat_sum": Sum(lat),
    }


def _cells_from_summary(bbox: geo.BBox, level: int, filters: Filters) -> list[geo.Cell]:
    min_cx, min_cy, max_cx, max_cy = geo.cell_range(bbox, level)
    rows = (
        PinCell.objects.filter(
            filters.q(),
            level=level,
            cx__gte=min_cx,
            cx__lte=max_cx,
            cy__gte=min_cy,
            cy__lte=max_cy,
        )
        .values("cx", "cy")
        .annotate(**_sums("pins", "voices", "lon_sum", "lat_sum"), total=Sum("pins"))
        .filter(total__gt=0)
        .values_list(*_CELL_SUMS)
    )
    return [geo.Cell(*row) for row in rows]


def cell_window(bbox: geo.BBox, level: int) -> Q:
    """Pins in the whole cells a viewport touches at ``level`` (the same cells the summary holds,
    so hotspots from either source agree)."""
    min_cx, min_cy, max_cx, max_cy = geo.cell_range(bbox, level)
    s = geo.shift(level)
    return Q(
        my__gte=min_cy << s,
        my__lte=((max_cy + 1) << s) - 1,
        mx__gte=min_cx << s,
        mx__lte=((max_cx + 1) << s) - 1,
    )


def _cells_from_pins(bbox: geo.BBox, level: int, filters: Filters) -> list[geo.Cell]:
    s = geo.shift(level)
    rows = (
        Pin.objects.visible()
        .filter(cell_window(bbox, level), filters.q())
        .annotate(cx=F("mx").bitrightshift(s), cy=F("my").bitrightshift(s))
        .values("cx", "cy")
        .annotate(**_sums(Value(1), 1 + F("me_too_count"), "lon", "lat"))
        .values_list(*_CELL_SUMS)
    )
    return [geo.Cell(*row) for row in rows]


def cells(bbox: geo.BBox, level: int, filters: Filters) -> list[geo.Cell]:
    """The hotspots of a viewport at ``level``: from the summary where it can answer, else summed
    from the pins."""
    if level in SUMMARY_LEVELS and not filters.by_date:
        return _cells_from_summary(bbox, level, filters)
    return _cells_from_pins(bbox, level, filters)


@dataclass
class Hotspots:
    """What the map is sent for one viewport: cells, or the pins themselves when few."""

    level: int
    cells: list[geo.Cell]
    pins: list[Pin] | None = None

    @property
    def pride(self) -> int:
        return sum(c.pride for c in self.cells)

    @property
    def shame(self) -> int:
        return sum(c.shame for c in self.cells)


def hotspots(bbox: geo.BBox, zoom: int, filters: Filters, pin_limit: int = PIN_LIMIT) -> Hotspots:
    level = geo.level_for(bbox, zoom)
    found = cells(bbox, level, filters)
    result = Hotspots(level=level, cells=found)
    if sum(c.pins for c in found) <= pin_limit:
        result.pins = list(
            Pin.objects.visible()
            .filter(cell_window(bbox, level), filters.q())
            .select_related("category")
            .only(
                "pk",
                "kind",
                "lat",
                "lon",
                "status",
                "description",
                "me_too_count",
                "category__name",
            )  # fmt: skip
            .order_by("-created_at", "-pk")[:pin_limit]
        )
    return result
