"""Keeping the hotspot cells in step with pins, and reading hotspots for a viewport.

Counts live in two tables, both kept by ``INSERT … ON CONFLICT DO UPDATE`` (PostgreSQL and SQLite
both speak it) in the same transaction as the change that made a pin visible; hiding it subtracts:

- :class:`~places.models.PinCellTotal`: one row per (level, cell, kind) at **every** level the map
  can ask for (:data:`TOTAL_LEVELS`). The unfiltered map, or one filtered by kind, reads it.
- :class:`~places.models.PinCell`: one row per (level, cell, kind, service, ward) for the coarse
  levels in :data:`SUMMARY_LEVELS`, for the map filtered by service or ward (and for epicentres).

Anything else (a filter by date, or by service or ward at a fine level, where a viewport holds few
pins) is summed from the pins themselves through the covering grid index. :func:`source` says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F, Q, Sum, Value

from places import geo
from places.models import Pin, PinCell, PinCellTotal

# Cells counted per service and ward: display zoom 0 to 14. Above that a viewport is a few
# kilometres across and a filtered map sums its pins directly.
SUMMARY_LEVELS = range(1, 16)
# Cells counted per kind only: every level the map can ask for.
TOTAL_LEVELS = range(1, geo.MAX_LEVEL + 1)
# Few enough pins in a viewport to send them one by one instead of as hotspots.
PIN_LIMIT = 300

_UPSERT_TOTAL = """
INSERT INTO places_pincelltotal (level, cx, cy, kind, pins, voices, lon_sum, lat_sum)
VALUES {rows}
ON CONFLICT (level, cx, cy, kind) DO UPDATE SET
    pins = places_pincelltotal.pins + excluded.pins,
    voices = places_pincelltotal.voices + excluded.voices,
    lon_sum = places_pincelltotal.lon_sum + excluded.lon_sum,
    lat_sum = places_pincelltotal.lat_sum + excluded.lat_sum
"""
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
    """Add (or, with negative numbers, take away) a pin's counts at every level of both tables:
    two statements, whatever the number of levels."""
    rows, params = [], []
    for level in SUMMARY_LEVELS:
        cx, cy = geo.cell_of(pin.mx, pin.my, level)
        rows.append("(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
        params += [
            level, cx, cy, pin.kind, pin.category_id, pin.ward_id,
            pins, voices, pin.lon * pins, pin.lat * pins,
        ]  # fmt: skip
    total_rows, total_params = [], []
    for level in TOTAL_LEVELS:
        cx, cy = geo.cell_of(pin.mx, pin.my, level)
        total_rows.append("(%s, %s, %s, %s, %s, %s, %s, %s)")
        total_params += [level, cx, cy, pin.kind, pins, voices, pin.lon * pins, pin.lat * pins]
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(rows=", ".join(rows)), params)
        cursor.execute(_UPSERT_TOTAL.format(rows=", ".join(total_rows)), total_params)


def add(pin: Pin) -> None:
    adjust(pin, 1, pin.voices)


def remove(pin: Pin) -> None:
    adjust(pin, -1, -pin.voices)


@transaction.atomic
def rebuild() -> int:
    """Recount every summary cell from the visible pins, in the database; returns the rows made."""
    PinCell.objects.all().delete()
    PinCellTotal.objects.all().delete()
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
        made += rebuild_totals(cursor)
    return made


def rebuild_totals(cursor) -> int:
    """Fill the (empty) totals table: the finest level from the pins, each coarser level from the
    one below it (a cell is exactly its four children), so the pins are read once, not 21 times."""
    finest = max(TOTAL_LEVELS)
    s = geo.shift(finest)
    cursor.execute(
        f"""
        INSERT INTO places_pincelltotal (level, cx, cy, kind, pins, voices, lon_sum, lat_sum)
        SELECT %s, mx >> {s}, my >> {s}, kind, COUNT(*), SUM(1 + me_too_count), SUM(lon), SUM(lat)
        FROM places_pin WHERE moderation = 'visible'
        GROUP BY mx >> {s}, my >> {s}, kind
        """,  # noqa: S608
        [finest],
    )
    made = cursor.rowcount
    for level in reversed(TOTAL_LEVELS[:-1]):
        cursor.execute(
            """
            INSERT INTO places_pincelltotal (level, cx, cy, kind, pins, voices, lon_sum, lat_sum)
            SELECT %s, cx >> 1, cy >> 1, kind, SUM(pins), SUM(voices), SUM(lon_sum), SUM(lat_sum)
            FROM places_pincelltotal WHERE level = %s
            GROUP BY cx >> 1, cy >> 1, kind
            """,
            [level, level + 1],
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

    @property
    def by_kind_only(self) -> bool:
        return not (self.categories or self.ward or self.by_date)

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


def _cells_from_counts(model, bbox: geo.BBox, level: int, filters: Filters) -> list[geo.Cell]:
    """Hotspots from one of the tables of counts (``PinCell`` or ``PinCellTotal``)."""
    min_cx, min_cy, max_cx, max_cy = geo.cell_range(bbox, level)
    rows = (
        model.objects.filter(
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


def source(level: int, filters: Filters) -> str:
    """Where the hotspots at ``level`` under ``filters`` are read from: ``"totals"``,
    ``"summary"`` or ``"pins"``."""
    if level in TOTAL_LEVELS and filters.by_kind_only:
        return "totals"
    if level in SUMMARY_LEVELS and not filters.by_date:
        return "summary"
    return "pins"


def cells(bbox: geo.BBox, level: int, filters: Filters) -> list[geo.Cell]:
    """The hotspots of a viewport at ``level``, from the cheapest source that can answer."""
    match source(level, filters):
        case "totals":
            return _cells_from_counts(PinCellTotal, bbox, level, filters)
        case "summary":
            return _cells_from_counts(PinCell, bbox, level, filters)
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
