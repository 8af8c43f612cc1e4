"""Where pins go on the grid and how they gather into hotspots: the pure functions, by property."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from places import geo

FAST = settings(max_examples=60, deadline=None)

# One step of the 2**28 grid, in degrees of longitude.
LON_STEP = 360.0 / geo.GRID_SIZE
EPSILON = 1e-9

longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)
# Web Mercator stops short of the poles; project() clamps beyond it.
mercator_latitudes = st.floats(
    min_value=-geo.MAX_LATITUDE, max_value=geo.MAX_LATITUDE, allow_nan=False
)
latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
levels = st.integers(min_value=0, max_value=geo.MAX_LEVEL)
zooms = st.integers(min_value=geo.MIN_ZOOM, max_value=geo.MAX_ZOOM)


@st.composite
def bboxes(draw, min_width: float = 1e-7) -> geo.BBox:
    """Any valid viewport, from a few centimetres to the whole world."""
    west = draw(st.floats(min_value=-180, max_value=180 - min_width))
    east = draw(st.floats(min_value=west + min_width, max_value=180))
    south = draw(st.floats(min_value=-90, max_value=90 - min_width))
    north = draw(st.floats(min_value=south + min_width, max_value=90))
    assume(west < east and south < north)
    return geo.BBox(west, south, east, north)


@st.composite
def points_in(draw, bbox: geo.BBox) -> tuple[float, float]:
    lon = draw(st.floats(min_value=bbox.west, max_value=bbox.east))
    lat = draw(st.floats(min_value=bbox.south, max_value=bbox.north))
    return lon, lat


# --- Projection -----------------------------------------------------------------------------------


@FAST
@given(lon=longitudes, lat=mercator_latitudes)
def test_project_then_unproject_lands_within_one_grid_step(lon, lat):
    mx, my = geo.project(lon, lat)
    assert 0 <= mx < geo.GRID_SIZE and 0 <= my < geo.GRID_SIZE

    back_lon, top_lat = geo.unproject(mx, my)
    _, bottom_lat = geo.unproject(mx, my + 1)
    # The grid point is the north-west corner of the step the point falls in.
    assert abs(lon - back_lon) <= LON_STEP + EPSILON
    assert bottom_lat - EPSILON <= lat <= top_lat + EPSILON


@FAST
@given(mx=st.integers(0, geo.GRID_SIZE - 1), my=st.integers(1, geo.GRID_SIZE - 1))
def test_unproject_then_project_comes_back_to_the_same_grid_point(mx, my):
    lon, lat = geo.unproject(mx + 0.5, my + 0.5)  # the middle of the grid step
    assert geo.project(lon, lat) == (mx, my)


@FAST
@given(lon=longitudes, lat=latitudes)
def test_latitudes_beyond_mercator_are_clamped_onto_the_grid(lon, lat):
    mx, my = geo.project(lon, lat)
    assert 0 <= mx < geo.GRID_SIZE and 0 <= my < geo.GRID_SIZE
    clamped = max(-geo.MAX_LATITUDE, min(geo.MAX_LATITUDE, lat))
    assert (mx, my) == geo.project(lon, clamped)


@FAST
@given(lon1=longitudes, lon2=longitudes, lat1=latitudes, lat2=latitudes)
def test_project_keeps_order_east_is_right_and_north_is_up(lon1, lon2, lat1, lat2):
    west, east = sorted((lon1, lon2))
    south, north = sorted((lat1, lat2))
    assert geo.project(west, lat1)[0] <= geo.project(east, lat1)[0]
    # y grows southwards.
    assert geo.project(lon1, south)[1] >= geo.project(lon1, north)[1]


# --- Cells ----------------------------------------------------------------------------------------


@FAST
@given(data=st.data(), bbox=bboxes(), level=levels)
def test_a_point_inside_a_bbox_lands_in_a_cell_within_the_bboxs_cell_range(data, bbox, level):
    lon, lat = data.draw(points_in(bbox))
    cx, cy = geo.cell_of(*geo.project(lon, lat), level)
    min_cx, min_cy, max_cx, max_cy = geo.cell_range(bbox, level)

    assert min_cx <= cx <= max_cx
    assert min_cy <= cy <= max_cy
    assert 0 <= min_cx <= max_cx < 1 << level
    assert 0 <= min_cy <= max_cy < 1 << level


@FAST
@given(lon=longitudes, lat=mercator_latitudes, level=levels)
def test_a_points_cell_bounds_contain_the_point(lon, lat, level):
    cx, cy = geo.cell_of(*geo.project(lon, lat), level)
    bounds = geo.cell_bounds(cx, cy, level)

    assert bounds.west - EPSILON <= lon <= bounds.east + LON_STEP
    assert bounds.south - 1e-6 <= lat <= bounds.north + 1e-6
    # And the cell's own range is just itself.
    inner = geo.BBox(
        bounds.west + (bounds.east - bounds.west) / 4,
        bounds.south + (bounds.north - bounds.south) / 4,
        bounds.east - (bounds.east - bounds.west) / 4,
        bounds.north - (bounds.north - bounds.south) / 4,
    )
    assert geo.cell_range(inner, level) == (cx, cy, cx, cy)


@FAST
@given(cx=st.integers(0, 2**15 - 1), cy=st.integers(0, 2**15 - 1), up=st.integers(0, 15))
def test_cells_nest_a_cell_at_a_finer_level_lies_inside_its_parent(cx, cy, up):
    level = 15
    coarser = level - up
    child = geo.cell_bounds(cx, cy, level)
    parent = geo.cell_bounds(cx >> up, cy >> up, coarser)
    assert parent.west - EPSILON <= child.west < child.east <= parent.east + EPSILON
    assert parent.south - EPSILON <= child.south < child.north <= parent.north + EPSILON


def test_the_whole_world_is_one_cell_at_level_zero_and_four_at_level_one():
    world = geo.BBox(-180, -90, 180, 90)
    assert geo.cell_count(world, 0) == 1
    assert geo.cell_count(world, 1) == 4
    assert geo.cell_range(world, 5) == (0, 0, 31, 31)


# --- Levels ---------------------------------------------------------------------------------------


@FAST
@given(bbox=bboxes(), zoom=zooms)
def test_level_for_never_yields_more_than_max_cells(bbox, zoom):
    level = geo.level_for(bbox, zoom)
    assert 0 <= level <= zoom + geo.CELL_LEVEL_OFFSET
    assert geo.cell_count(bbox, level) <= geo.MAX_CELLS
    # And it is the finest level that fits: one finer would hold too many (unless capped by zoom).
    if level < zoom + geo.CELL_LEVEL_OFFSET:
        assert geo.cell_count(bbox, level + 1) > geo.MAX_CELLS


@FAST
@given(bbox=bboxes(), zoom=st.integers(geo.MIN_ZOOM, geo.MAX_ZOOM - 1))
def test_level_for_never_coarsens_when_zooming_in(bbox, zoom):
    assert geo.level_for(bbox, zoom) <= geo.level_for(bbox, zoom + 1)


@FAST
@given(data=st.data(), outer=bboxes(min_width=1e-4), zoom=zooms)
def test_level_for_a_smaller_viewport_is_never_coarser(data, outer, zoom):
    a, b = data.draw(points_in(outer)), data.draw(points_in(outer))
    assume(a[0] != b[0] and a[1] != b[1])
    inner = geo.BBox(min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1]))
    assert geo.level_for(inner, zoom) >= geo.level_for(outer, zoom)


@FAST
@given(bbox=bboxes(), zoom=zooms, small=st.integers(1, geo.MAX_CELLS))
def test_level_for_is_monotonic_in_the_cell_budget(bbox, zoom, small):
    assert geo.level_for(bbox, zoom, max_cells=small) <= geo.level_for(bbox, zoom)
    assert geo.cell_count(bbox, geo.level_for(bbox, zoom, max_cells=small)) <= small


@pytest.mark.parametrize("zoom", [-1, geo.MAX_ZOOM + 1, 100])
def test_level_for_refuses_a_zoom_out_of_range(zoom):
    with pytest.raises(ValueError, match="zoom"):
        geo.level_for(geo.BBox(-1, 52, 0, 53), zoom)


# --- Aggregation ----------------------------------------------------------------------------------

kinds = st.sampled_from(["pride", "shame"])


@st.composite
def point_sets(draw, bbox: geo.BBox | None = None, max_size: int = 60) -> list[geo.Point]:
    """Points scattered over an area, some clustered on the same spot."""
    area = bbox or geo.BBox(-1.7, 51.9, -1.3, 52.2)
    spots = draw(st.lists(points_in(area), min_size=1, max_size=8))
    return draw(
        st.lists(
            st.builds(
                lambda spot, jitter, kind, voices: geo.Point(
                    min(max(spot[0] + jitter[0], -180), 180),
                    min(max(spot[1] + jitter[1], -90), 90),
                    kind,
                    voices,
                ),
                st.sampled_from(spots),
                st.tuples(st.floats(-0.01, 0.01), st.floats(-0.01, 0.01)),
                kinds,
                st.integers(1, 50),
            ),
            max_size=max_size,
        )
    )


@FAST
@given(
    points=point_sets(),
    level=st.integers(0, geo.MAX_LEVEL),
    viewport=st.one_of(st.none(), bboxes()),
)
def test_aggregate_conserves_pins_and_voices(points, level, viewport):
    cells = geo.aggregate(points, level, viewport)
    inside = [p for p in points if viewport is None or viewport.contains(p.lon, p.lat)]

    assert sum(c.pride + c.shame for c in cells.values()) == len(inside)
    assert sum(c.pride for c in cells.values()) == sum(p.kind == "pride" for p in inside)
    assert sum(c.pride_voices for c in cells.values()) == sum(
        p.voices for p in inside if p.kind == "pride"
    )
    assert sum(c.shame_voices for c in cells.values()) == sum(
        p.voices for p in inside if p.kind == "shame"
    )
    assert all(c.pins > 0 for c in cells.values())


@FAST
@given(points=point_sets(), level=st.integers(0, geo.MAX_LEVEL))
def test_aggregated_cells_are_disjoint_each_point_is_in_exactly_the_cell_it_projects_to(
    points, level
):
    cells = geo.aggregate(points, level)

    assert all((c.cx, c.cy) == key for key, c in cells.items())
    claimed = {}
    for point in points:
        key = geo.cell_of(*geo.project(point.lon, point.lat), level)
        claimed[key] = claimed.get(key, 0) + 1
    assert {key: c.pins for key, c in cells.items()} == claimed


@FAST
@given(points=point_sets(), level=st.integers(0, geo.MAX_LEVEL))
def test_a_cells_centre_is_the_mean_of_its_points_and_lies_in_the_cell(points, level):
    cells = geo.aggregate(points, level)
    for (cx, cy), cell in cells.items():
        mine = [p for p in points if geo.cell_of(*geo.project(p.lon, p.lat), level) == (cx, cy)]
        lon, lat = cell.centre
        assert lon == pytest.approx(sum(p.lon for p in mine) / len(mine), abs=1e-9)
        assert lat == pytest.approx(sum(p.lat for p in mine) / len(mine), abs=1e-9)
        bounds = geo.cell_bounds(cx, cy, level)
        assert bounds.west - 1e-6 <= lon <= bounds.east + 1e-6
        assert bounds.south - 1e-6 <= lat <= bounds.north + 1e-6


def test_aggregate_keeps_pride_and_shame_apart_in_one_cell():
    points = [
        geo.Point(-1.55, 52.05, "pride", 3),
        geo.Point(-1.55, 52.05, "shame", 1),
        geo.Point(-1.55, 52.05, "shame", 2),
    ]
    [cell] = geo.aggregate(points, 10).values()
    assert (cell.pride, cell.shame, cell.pride_voices, cell.shame_voices) == (1, 2, 3, 3)
    assert geo.feature(cell)["properties"] == {"pride": 1, "shame": 2}


# --- Response size --------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    count=st.integers(0, 1_000_000),
    lon=st.floats(-180, 180),
    lat=st.floats(-geo.MAX_LATITUDE, geo.MAX_LATITUDE),
)
def test_a_full_response_of_max_cells_stays_under_200_kb(count, lon, lat):
    """The worst case: every cell of the budget filled, long coordinates, large counts."""
    pride, shame = max(count, 1), 1_000_000
    pins = pride + shame
    cell = geo.Cell(0, 0, pride=pride, shame=shame, lon_sum=lon * pins, lat_sum=lat * pins)
    features = [geo.feature(cell) for _ in range(geo.MAX_CELLS)]
    body = {
        "type": "FeatureCollection",
        "mode": "cells",
        "level": geo.MAX_LEVEL,
        "pride": 10**12,
        "shame": 10**12,
        "features": features,
    }
    assert len(json.dumps(body, separators=(",", ":")).encode()) <= 200_000
    assert len(features) <= 2_000


@FAST
@given(lon=st.floats(-180, 180), lat=st.floats(-90, 90), digits=st.integers(0, 6))
def test_feature_coordinates_are_rounded_to_the_digits_asked(lon, lat, digits):
    cell = geo.Cell(1, 2, pride=1, lon_sum=lon, lat_sum=lat)
    [x, y] = geo.feature(cell, digits)["geometry"]["coordinates"]
    for given_value, shown in ((lon, x), (lat, y)):
        assert abs(shown - given_value) <= 0.5 * 10**-digits + 1e-12
        text = repr(shown)
        if "e" not in text and "." in text:
            assert len(text.split(".")[1]) <= max(digits, 1)


# --- Parsing a bbox -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1,2,3",
        "1,2,3,4,5",
        "-1.6,52.0,-1.4",
        "a,b,c,d",
        "-1.6;52.0;-1.4;52.1",
        "-1.6,52.0,-1.4,",
        "nan,52,-1.4,52.1",
        "-1.6,52,inf,52.1",
        "-inf,52,-1.4,52.1",
        "-1.6,52,-1.4,1e400",
        "-1.4,52,-1.6,52.1",  # west after east
        "-1.5,52,-1.5,52.1",  # no width
        "-1.6,52.1,-1.4,52.0",  # south after north
        "-1.6,52,-1.6,52",
        "-181,52,-1.4,52.1",
        "-1.6,52,181,52.1",
        "-1.6,-91,-1.4,52.1",
        "-1.6,52,-1.4,91",
        "0x10,52,-1.4,52.1",
    ],
)
def test_bbox_parse_rejects_junk_with_a_readable_value_error(text):
    with pytest.raises(ValueError, match="bbox|four"):
        geo.BBox.parse(text)


def test_bbox_parse_reads_a_good_one():
    assert geo.BBox.parse("-1.6,52.0,-1.4,52.1") == geo.BBox(-1.6, 52.0, -1.4, 52.1)
    assert geo.BBox.parse(" -180 , -90 , 180 , 90 ") == geo.BBox(-180, -90, 180, 90)


@FAST
@given(text=st.text(max_size=60))
def test_bbox_parse_of_any_text_gives_a_valid_bbox_or_a_value_error(text):
    try:
        bbox = geo.BBox.parse(text)
    except ValueError:
        return
    assert all(math.isfinite(v) for v in (bbox.west, bbox.south, bbox.east, bbox.north))
    assert -180 <= bbox.west < bbox.east <= 180
    assert -90 <= bbox.south < bbox.north <= 90


@FAST
@given(
    numbers=st.lists(
        st.one_of(st.floats(), st.integers(-1000, 1000).map(float)), min_size=4, max_size=4
    )
)
def test_bbox_parse_of_any_four_numbers_is_valid_or_a_value_error(numbers):
    text = ",".join(repr(n) for n in numbers)
    try:
        bbox = geo.BBox.parse(text)
    except ValueError:
        w, s, e, n = numbers
        assert not (
            all(math.isfinite(v) for v in numbers) and -180 <= w < e <= 180 and -90 <= s < n <= 90
        )
        return
    assert (bbox.west, bbox.south, bbox.east, bbox.north) == tuple(numbers)


# --- Scores ---------------------------------------------------------------------------------------


@FAST
@given(shame=st.integers(0, 10**6), pride=st.integers(0, 10**6), population=st.integers(-10, 10**6))
def test_shame_score_is_per_thousand_and_a_share_between_0_and_1(shame, pride, population):
    per_thousand, share = geo.shame_score(shame, pride, population)
    assert 0 <= share <= 1
    assert per_thousand >= 0
    if population > 0:
        assert per_thousand == pytest.approx(shame * 1000 / population)
    else:
        assert per_thousand == 0
    if shame + pride:
        assert share == pytest.approx(shame / (shame + pride))
