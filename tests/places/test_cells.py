"""Hotspots from the database: the summary table and the pins themselves agree with each other,
with the pure reference ``geo.aggregate``, and with a rebuild from scratch."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from contextlib import contextmanager

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from places import cells, geo, services
from places.models import MeToo, Pin, PinCell, PinCellTotal
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DB_EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# The test place: Westgate is west of -1.5, Eastgate east of it.
PLACE = geo.BBox(-1.6, 52.0, -1.4, 52.1)


@contextmanager
def rolled_back():
    """Each Hypothesis example starts from the same database: its pins are undone after it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def new_pin(make_pin, resident):
    """make_pin with a signed-in author, so pins go straight on the map (unless told otherwise)."""

    def make(**fields) -> Pin:
        fields.setdefault("author", resident)
        return make_pin(**fields)

    return make


def ward_of(lon: float) -> str:
    return "west" if lon < -1.5 else "east"


def as_dict(found: list[geo.Cell]) -> dict:
    return {
        (c.cx, c.cy): (c.pride, c.shame, c.pride_voices, c.shame_voices) for c in found if c.pins
    }


def centres(found: list[geo.Cell]) -> dict:
    return {(c.cx, c.cy): (c.lon_sum, c.lat_sum) for c in found if c.pins}


def assert_same_cells(left: list[geo.Cell], right: list[geo.Cell]) -> None:
    assert as_dict(left) == as_dict(right)
    a, b = centres(left), centres(right)
    for key in a:
        assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-9)


def reference(pins, bbox: geo.BBox, level: int, keep=lambda pin: True) -> list[geo.Cell]:
    """geo.aggregate over the visible pins in the whole cells the viewport touches."""
    min_cx, min_cy, max_cx, max_cy = geo.cell_range(bbox, level)
    points = []
    for pin in pins:
        if pin.moderation != Pin.Moderation.VISIBLE or not keep(pin):
            continue
        cx, cy = geo.cell_of(pin.mx, pin.my, level)
        if min_cx <= cx <= max_cx and min_cy <= cy <= max_cy:
            points.append(geo.Point(pin.lon, pin.lat, pin.kind, 1 + pin.me_too_count))
    return list(geo.aggregate(points, level).values())


# A spot in the place (some on the ward border, some on cell edges), a kind, a service, some "me
# too"s, and whether a moderator has it.
pin_specs = st.lists(
    st.tuples(
        st.one_of(
            st.floats(-1.5999, -1.4001),
            st.sampled_from([-1.5001, -1.4999, -1.55, -1.45]),
        ),
        st.one_of(st.floats(52.0001, 52.0999), st.sampled_from([52.05, 52.0001])),
        st.sampled_from(["pride", "shame"]),
        st.integers(0, 1),
        st.integers(0, 4),
        st.sampled_from(["visible", "visible", "visible", "hidden", "pending"]),
    ),
    max_size=25,
)


@st.composite
def viewports(draw, max_zoom: int = 13) -> tuple[geo.BBox, int]:
    west = draw(st.floats(-1.65, -1.41))
    east = draw(st.floats(west + 0.001, -1.35))
    south = draw(st.floats(51.95, 52.09))
    north = draw(st.floats(south + 0.001, 52.15))
    zoom = draw(st.integers(0, max_zoom))
    return geo.BBox(west, south, east, north), zoom


def make_specs(new_pin, specs) -> list[Pin]:
    made = []
    for lon, lat, kind, category, me_too, moderation in specs:
        made.append(
            new_pin(
                kind=kind,
                lon=lon,
                lat=lat,
                ward=ward_of(lon),
                category=category,
                me_too_count=me_too,
                moderation=moderation,
            )
        )
    return made


@DB_EXAMPLES
@given(specs=pin_specs, viewport=viewports())
def test_hotspots_from_the_summary_equal_hotspots_summed_from_the_pins(new_pin, specs, viewport):
    bbox, zoom = viewport
    with rolled_back():
        pins = make_specs(new_pin, specs)
        level = geo.level_for(bbox, zoom)
        assert level in cells.SUMMARY_LEVELS

        from_summary = cells._cells_from_counts(PinCell, bbox, level, cells.Filters())
        from_totals = cells._cells_from_counts(PinCellTotal, bbox, level, cells.Filters())
        from_pins = cells._cells_from_pins(bbox, level, cells.Filters())

        assert_same_cells(from_summary, from_pins)
        assert_same_cells(from_totals, from_pins)
        assert_same_cells(from_pins, reference(pins, bbox, level))


@DB_EXAMPLES
@given(
    specs=pin_specs,
    viewport=viewports(max_zoom=geo.MAX_ZOOM),
    kind=st.sampled_from(["", "pride", "shame"]),
)
def test_hotspots_from_the_totals_equal_the_pins_at_every_zoom(new_pin, specs, viewport, kind):
    bbox, zoom = viewport
    with rolled_back():
        pins = make_specs(new_pin, specs)
        level = geo.level_for(bbox, zoom)
        filters = cells.Filters(kind=kind)
        assert cells.source(level, filters) == "totals"

        from_totals = cells.cells(bbox, level, filters)
        assert_same_cells(from_totals, cells._cells_from_pins(bbox, level, filters))
        assert_same_cells(
            from_totals, reference(pins, bbox, level, lambda p: not kind or p.kind == kind)
        )


@DB_EXAMPLES
@given(
    specs=pin_specs,
    viewport=viewports(),
    kind=st.sampled_from(["", "pride", "shame"]),
    category=st.sampled_from([None, 0, 1]),
    ward=st.sampled_from([None, "west", "east"]),
)
def test_filters_give_the_same_counts_from_the_summary_and_the_pins(
    new_pin, categories, place, specs, viewport, kind, category, ward
):
    bbox, zoom = viewport
    with rolled_back():
        pins = make_specs(new_pin, specs)
        level = geo.level_for(bbox, zoom)
        filters = cells.Filters(
            kind=kind,
            categories=[categories[category].pk] if category is not None else [],
            ward=place[ward].pk if ward else None,
        )

        def keep(pin):
            return (
                (not kind or pin.kind == kind)
                and (category is None or pin.category_id == categories[category].pk)
                and (ward is None or pin.ward_id == place[ward].pk)
            )

        from_summary = cells._cells_from_counts(PinCell, bbox, level, filters)
        assert_same_cells(from_summary, cells._cells_from_pins(bbox, level, filters))
        assert_same_cells(cells.cells(bbox, level, filters), from_summary)
        assert_same_cells(from_summary, reference(pins, bbox, level, keep))


@DB_EXAMPLES
@given(
    ages=st.lists(st.integers(0, 400), min_size=1, max_size=20),
    since=st.one_of(st.none(), st.integers(0, 400)),
    span=st.one_of(st.none(), st.integers(0, 200)),
)
def test_date_filters_are_summed_from_the_pins_and_match_the_reference(new_pin, ages, since, span):
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    rng = random.Random(len(ages))
    with rolled_back():
        pins = [
            new_pin(
                kind=rng.choice(["pride", "shame"]),
                lon=rng.uniform(-1.59, -1.41),
                lat=rng.uniform(52.01, 52.09),
                ward="west",
                created_at=now - dt.timedelta(days=age, hours=rng.randint(0, 23)),
            )
            for age in ages
        ]
        start = now - dt.timedelta(days=since) if since is not None else None
        end = start + dt.timedelta(days=span) if start is not None and span is not None else None
        filters = cells.Filters(since=start, until=end)
        bbox, zoom = PLACE, 8
        level = geo.level_for(bbox, zoom)

        def keep(pin):
            return (start is None or pin.created_at >= start) and (
                end is None or pin.created_at < end
            )

        found = cells.cells(bbox, level, filters)
        assert_same_cells(found, reference(pins, bbox, level, keep))
        assert sum(c.pins for c in found) == sum(
            1 for p in pins if keep(p) and PLACE.contains(p.lon, p.lat)
        )


# --- Keeping the summary in step ------------------------------------------------------------------


SUMMARY_KEY = ("level", "cx", "cy", "kind", "category_id", "ward_id")
TOTALS_KEY = ("level", "cx", "cy", "kind")


def summary_rows(model=PinCell, key_fields=SUMMARY_KEY) -> dict:
    rows = {}
    n = len(key_fields)
    for row in model.objects.values_list(*key_fields, "pins", "voices", "lon_sum", "lat_sum"):
        key, (pins, voices, lon_sum, lat_sum) = row[:n], row[n:]
        if pins == 0:
            # A row emptied by a hide is harmless, but it must really be empty.
            assert voices == 0
            assert abs(lon_sum) < 1e-6 and abs(lat_sum) < 1e-6
            continue
        rows[key] = (pins, voices, lon_sum, lat_sum)
    return rows


def assert_summary_matches_a_rebuild() -> None:
    """Both tables of counts, kept step by step, hold what a rebuild from scratch makes."""
    tables = ((PinCell, SUMMARY_KEY), (PinCellTotal, TOTALS_KEY))
    incremental = [summary_rows(*table) for table in tables]
    cells.rebuild()
    for before, table in zip(incremental, tables, strict=True):
        rebuilt = summary_rows(*table)
        assert {k: v[:2] for k, v in before.items()} == {k: v[:2] for k, v in rebuilt.items()}
        for key, (*_, lon_sum, lat_sum) in rebuilt.items():
            assert before[key][2:] == pytest.approx((lon_sum, lat_sum), rel=1e-9, abs=1e-9)
    if incremental[1]:
        levels = {key[0] for key in incremental[1]}
        assert levels == set(cells.TOTAL_LEVELS)


@pytest.mark.parametrize("seed", range(6))
def test_incremental_maintenance_equals_a_rebuild(new_pin, place, serving_council, moderator, seed):
    rng = random.Random(seed)
    people = [UserFactory() for _ in range(4)]
    place["east"].pins_premoderated = seed % 2 == 0
    place["east"].save()
    pins = []
    for _ in range(rng.randint(5, 20)):
        action = rng.random()
        if action < 0.4 or not pins:
            lon = rng.choice([rng.uniform(-1.599, -1.401), -1.5001, -1.4999])
            pins.append(
                new_pin(
                    kind=rng.choice(["pride", "shame"]),
                    lon=lon,
                    lat=rng.uniform(52.001, 52.099),
                    ward=ward_of(lon),
                    category=rng.randint(0, 1),
                    author=rng.choice(people + [None]),
                )
            )
        elif action < 0.65:
            pin = rng.choice(pins)
            pin.add_me_too(rng.choice(people))
        elif action < 0.8:
            rng.choice(pins).hide(by=moderator, reason="It is spam or advertising.")
        elif action < 0.95:
            rng.choice(pins).publish(by=moderator)
        else:
            rng.choice(pins).keep(by=moderator)
    assert_summary_matches_a_rebuild()


def test_each_change_moves_the_summary_as_a_rebuild_would(
    new_pin, resident, other_resident, moderator, serving_council
):
    pin = new_pin(author=resident, kind="shame")
    assert_summary_matches_a_rebuild()

    assert pin.add_me_too(other_resident)
    assert PinCell.objects.get(level=10, kind="shame").voices == 2
    assert_summary_matches_a_rebuild()

    pin.hide(by=moderator, reason="It is offensive or abusive.")
    assert not PinCell.objects.filter(pins__gt=0).exists()
    assert_summary_matches_a_rebuild()

    pin.publish(by=moderator)
    assert PinCell.objects.get(level=10, kind="shame").voices == 2
    assert_summary_matches_a_rebuild()

    # A second hide or publish of the same pin changes nothing.
    assert not pin.publish(by=moderator)
    assert_summary_matches_a_rebuild()


def test_a_me_too_on_a_pending_pin_counts_when_it_is_published(
    new_pin, place, other_resident, moderator, serving_council
):
    place["district"].pins_premoderated = True
    place["district"].save()
    pin = new_pin()
    assert pin.moderation == Pin.Moderation.PENDING
    assert not PinCell.objects.exists()

    pin.add_me_too(other_resident)
    assert not PinCell.objects.filter(pins__gt=0).exists()

    pin.publish(by=moderator)
    assert set(PinCell.objects.values_list("pins", "voices")) == {(1, 2)}
    assert_summary_matches_a_rebuild()


def test_a_resent_pin_is_counted_once(place, categories):
    key = uuid.uuid4()
    fields = {
        "kind": "shame",
        "category": categories[0],
        "aspect": Pin.Aspect.WORKS,
        "description": "The streetlight is out.",
        "ward": place["west"],
        "lon": -1.55,
        "lat": 52.05,
    }
    first, created = services.create_pin(author=None, idempotency_key=key, **fields)
    again, created_again = services.create_pin(author=None, idempotency_key=key, **fields)
    assert created and not created_again and first.pk == again.pk
    assert Pin.objects.count() == 1
    assert MeToo.objects.count() == 0


# --- Hotspots or pins -----------------------------------------------------------------------------


def test_few_pins_come_back_one_by_one(new_pin):
    for n in range(5):
        new_pin(lon=-1.59 + n * 0.03, ward="west" if n < 3 else "east")
    found = cells.hotspots(PLACE, 10, cells.Filters())
    assert found.pins is not None
    assert len(found.pins) == 5
    assert found.pride + found.shame == 5


def test_more_pins_than_the_limit_come_back_as_cells(new_pin):
    for n in range(6):
        new_pin(lon=-1.59 + n * 0.001)
    found = cells.hotspots(PLACE, 10, cells.Filters(), pin_limit=5)
    assert found.pins is None
    assert found.shame == 6

    exactly = cells.hotspots(PLACE, 10, cells.Filters(), pin_limit=6)
    assert exactly.pins is not None and len(exactly.pins) == 6


def test_pins_mode_never_sends_more_than_the_pin_limit(bulk_pins):
    rng = random.Random(3)
    bulk_pins([(rng.uniform(-1.59, -1.51), rng.uniform(52.01, 52.09), "shame") for _ in range(40)])
    found = cells.hotspots(PLACE, 13, cells.Filters(), pin_limit=50)
    assert found.pins is not None and len(found.pins) == 40
    found = cells.hotspots(PLACE, 13, cells.Filters(), pin_limit=39)
    assert found.pins is None
    assert sum(c.pins for c in found.cells) == 40


def test_hidden_and_pending_pins_are_never_in_hotspots_or_pins(new_pin, moderator):
    new_pin(moderation="pending")
    hidden = new_pin()
    hidden.hide(by=moderator, reason="It is spam or advertising.")
    shown = new_pin(kind="pride")
    for zoom in (0, 8, 13, 18):
        found = cells.hotspots(PLACE, zoom, cells.Filters())
        assert (found.pride, found.shame) == (1, 0)
        assert [p.pk for p in found.pins] == [shown.pk]
