"""Where pins go on the map, and how they are gathered into hotspots: pure functions, no database.

Every pin stores its position twice: as the latitude and longitude the resident chose, and as
integer Web Mercator coordinates (``mx``, ``my``) on a grid of 2**28 × 2**28 points — the pixel
grid of zoom level 20. A hotspot *cell* at level ``L`` is the square
``(mx >> (28 - L), my >> (28 - L))``: 2**L cells across the world. One cell is 128 screen pixels
wide at display zoom ``L - 1``, so a viewport of a given size holds a bounded number of cells at
any zoom, and both Python and SQL can find a pin's cell with one bit shift.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

GRID_BITS = 28
GRID_SIZE = 1 << GRID_BITS
# Web Mercator stops at the latitude where the world becomes square.
MAX_LATITUDE = 85.05112878
MIN_ZOOM, MAX_ZOOM = 0, 20
# A cell is 128 screen pixels across: two cells to a 256-pixel tile, so level = zoom + 1. Wide
# enough that hotspot markers drawn at cell centres never overlap (WCAG 2.5.8 target spacing).
CELL_LEVEL_OFFSET = 1
MAX_LEVEL = MAX_ZOOM + CELL_LEVEL_OFFSET
# A response never holds more cells than this (QUALITY.md: ≤ 2,000 features and ≤ 200 KB).
MAX_CELLS = 1500


@dataclass(frozen=True)
class BBox:
    """A viewport in degrees: west, south, east, north."""

    west: float
    south: float
    east: float
    north: float

    def __post_init__(self) -> None:
        if not (-180 <= self.west < self.east <= 180 and -90 <= self.south < self.north <= 90):
            raise ValueError("a bbox is west,south,east,north with west < east and south < north")

    @classmethod
    def parse(cls, text: str) -> BBox:
        """``"w,s,e,n"`` in degrees; ValueError with a readable message if it is not one."""
        parts = text.split(",")
        if len(parts) != 4:
            raise ValueError("a bbox is four numbers: west,south,east,north")
        try:
            numbers = [float(part) for part in parts]
        except ValueError:
            raise ValueError("a bbox is four numbers: west,south,east,north") from None
        if not all(math.isfinite(n) for n in numbers):
            raise ValueError("a bbox is four finite numbers")
        return cls(*numbers)

    def contains(self, lon: float, lat: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north


def project(lon: float, lat: float) -> tuple[int, int]:
    """Integer Web Mercator coordinates (mx, my) on the 2**28 grid; y grows southwards."""
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    x = (lon + 180.0) / 360.0
    sin = math.sin(math.radians(lat))
    y = 0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)
    return (
        min(GRID_SIZE - 1, max(0, int(x * GRID_SIZE))),
        min(GRID_SIZE - 1, max(0, int(y * GRID_SIZE))),
    )


def unproject(mx: float, my: float) -> tuple[float, float]:
    """(lon, lat) of a point on the grid (the inverse of :func:`project`, up to rounding)."""
    lon = mx / GRID_SIZE * 360.0 - 180.0
    n = math.pi - 2.0 * math.pi * my / GRID_SIZE
    lat = math.degrees(math.atan(math.sinh(n)))
    return lon, lat


def shift(level: int) -> int:
    """How far to shift ``mx``/``my`` right to get a cell index at ``level``."""
    return GRID_BITS - level


def cell_of(mx: int, my: int, level: int) -> tuple[int, int]:
    return mx >> shift(level), my >> shift(level)


def cell_bounds(cx: int, cy: int, level: int) -> BBox:
    """The cell as a bbox in degrees."""
    size = 1 << shift(level)
    west, north = unproject(cx * size, cy * size)
    east, south = unproject((cx + 1) * size, (cy + 1) * size)
    return BBox(west, max(south, -90.0), east, min(north, 90.0))


def cell_range(bbox: BBox, level: int) -> tuple[int, int, int, int]:
    """The cells a bbox touches at ``level``: (min_cx, min_cy, max_cx, max_cy), inclusive."""
    left, top = project(bbox.west, bbox.north)
    right, bottom = project(bbox.east, bbox.south)
    s = shift(level)
    return left >> s, top >> s, right >> s, bottom >> s


def cell_count(bbox: BBox, level: int) -> int:
    min_cx, min_cy, max_cx, max_cy = cell_range(bbox, level)
    return (max_cx - min_cx + 1) * (max_cy - min_cy + 1)


def level_for(bbox: BBox, zoom: int, max_cells: int = MAX_CELLS) -> int:
    """The hotspot level for a viewport: 128-pixel cells at ``zoom``, coarser if the viewport is so
    large that it would hold more than ``max_cells`` of them."""
    if not MIN_ZOOM <= zoom <= MAX_ZOOM:
        raise ValueError(f"zoom must be between {MIN_ZOOM} and {MAX_ZOOM}")
    level = zoom + CELL_LEVEL_OFFSET
    while level > 0 and cell_count(bbox, level) > max_cells:
        level -= 1
    return level


@dataclass
class Cell:
    """A hotspot: how many pride and shame pins (and voices, counting "me too") fall in one cell,
    and where their centre of mass is."""

    cx: int
    cy: int
    pride: int = 0
    shame: int = 0
    pride_voices: int = 0
    shame_voices: int = 0
    lon_sum: float = 0.0
    lat_sum: float = 0.0

    @property
    def pins(self) -> int:
        return self.pride + self.shame

    @property
    def centre(self) -> tuple[float, float]:
        """(lon, lat): the mean of the pins' positions."""
        return self.lon_sum / self.pins, self.lat_sum / self.pins


@dataclass(frozen=True)
class Point:
    """What aggregation needs to know about a pin."""

    lon: float
    lat: float
    kind: str  # "pride" or "shame"
    voices: int = 1


def aggregate(points: Iterable[Point], level: int, bbox: BBox | None = None) -> dict:
    """Gather points into cells at ``level`` (only those inside ``bbox`` if one is given).

    The reference the database queries are tested against: the SQL does the same sums.
    """
    cells: dict[tuple[int, int], Cell] = {}
    for point in points:
        if bbox is not None and not bbox.contains(point.lon, point.lat):
            continue
        key = cell_of(*project(point.lon, point.lat), level)
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = Cell(*key)
        if point.kind == "pride":
            cell.pride += 1
            cell.pride_voices += point.voices
        else:
            cell.shame += 1
            cell.shame_voices += point.voices
        cell.lon_sum += point.lon
        cell.lat_sum += point.lat
    return cells


def feature(cell: Cell, digits: int = 5, level: int | None = None) -> dict:
    """A cell as a compact GeoJSON point feature: at its pins' centre, or, given its ``level``,
    at the cell's own centre (so neighbouring markers keep a whole cell apart on screen)."""
    if level is None:
        lon, lat = cell.centre
    else:
        size = 1 << shift(level)
        lon, lat = unproject((cell.cx + 0.5) * size, (cell.cy + 0.5) * size)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, digits), round(lat, digits)]},
        "properties": {"pride": cell.pride, "shame": cell.shame},
    }


def shame_score(shame_voices: int, pride_voices: int, population: int) -> tuple[float, float]:
    """(shame voices per 1,000 residents, share of voices that are shame) for an epicentre.

    The ranking multiplies them: many shame voices for the ward's size, and few pride voices in
    the same place to balance them, make an epicentre.
    """
    per_thousand = shame_voices * 1000 / population if population > 0 else 0.0
    total = shame_voices + pride_voices
    share = shame_voices / total if total else 0.0
    return per_thousand, share
