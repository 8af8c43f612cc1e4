"""The demo map ``seed_demo`` builds, and the synthetic pins ``generate_pins`` makes for load
tests: every pin inside its ward, the hotspot summary equal to a recount, nothing duplicated."""

from __future__ import annotations

import io
import math
import statistics
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from engagement.management.commands.seed_demo import Command as SeedDemo
from engagement.models import Area, Organisation, User
from places import cells, geo, services
from places.demo import NEIGHBOURS, seed_pins
from places.forms import contains
from places.management.commands.generate_pins import generated_pins
from places.models import Flag, MeToo, Pin, PinCell, PinCellTotal, StatusUpdate
from tests.engagement._db import module_transaction

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_place(django_db_setup, django_db_blocker):
    """``seed_demo`` once for the module (a few seconds), rolled back after it."""
    out = io.StringIO()
    with module_transaction(django_db_blocker):
        call_command("seed_demo", stdout=out)
        yield out.getvalue()


def summary() -> list[tuple]:
    return sorted(
        PinCell.objects.values_list(
            "level", "cx", "cy", "kind", "category_id", "ward_id", "pins", "voices",
            "lon_sum", "lat_sum",
        )
    )  # fmt: skip


def assert_same_summary(before: list[tuple], after: list[tuple]) -> None:
    """Counts equal; coordinate sums equal up to the order floats were added in."""
    assert [row[:8] for row in before] == [row[:8] for row in after]
    for old, new in zip(before, after, strict=True):
        assert math.isclose(old[8], new[8], rel_tol=1e-9, abs_tol=1e-6)
        assert math.isclose(old[9], new[9], rel_tol=1e-9, abs_tol=1e-6)


def place_bbox() -> geo.BBox:
    county = Area.objects.get(kind=Area.Kind.COUNTY)
    return geo.BBox(county.min_lon, county.min_lat, county.max_lon, county.max_lat)


def coarsest_total() -> int:
    level = min(cells.SUMMARY_LEVELS)
    return PinCell.objects.filter(level=level).aggregate(n=Sum("pins"))["n"] or 0


# --- The demo map ---------------------------------------------------------------------------------


def test_demo_map_has_a_few_hundred_varied_pins_each_inside_its_ward(demo_place):
    pins = list(Pin.objects.select_related("ward"))

    assert "Demo map ready: 400 pins" in demo_place
    assert 300 <= len(pins) <= 500
    for pin in pins:
        assert pin.ward.kind == Area.Kind.WARD
        assert contains(pin.ward.boundary, pin.lon, pin.lat), pin
        assert (pin.mx, pin.my) == geo.project(pin.lon, pin.lat)
    assert {pin.kind for pin in pins} == {Pin.Kind.PRIDE, Pin.Kind.SHAME}
    assert {pin.aspect for pin in pins} == set(Pin.Aspect.values)
    assert len({pin.category_id for pin in pins}) >= 15
    assert len({pin.ward_id for pin in pins}) == 20
    assert len({pin.description for pin in pins}) >= 80
    assert any(pin.located_by_ward for pin in pins)
    # Spread over about nine months, all in the past.
    now = timezone.now()
    ages = [(now - pin.created_at).days for pin in pins]
    assert min(ages) >= 0
    assert max(ages) >= 240
    # Placed by the demo residents and a dozen neighbours who cannot sign in.
    emails = {pin.author.email for pin in Pin.objects.select_related("author")}
    assert {"resident@demo.commonground.test", "resident2@demo.commonground.test"} <= emails
    neighbours = User.objects.filter(email__in=[email for email, _ in NEIGHBOURS])
    assert neighbours.count() == len(NEIGHBOURS)
    assert not any(user.has_usable_password() for user in neighbours)


def test_the_top_shame_epicentre_clearly_dominates_and_is_growing(demo_place):
    found = cells.hotspots(place_bbox(), 12, cells.Filters())
    ranked = sorted(found.cells, key=lambda cell: cell.shame, reverse=True)

    # Three epicentres stand far above the background, the first well ahead of the second.
    assert ranked[0].shame >= 1.5 * ranked[1].shame
    assert ranked[2].shame >= 5 * ranked[3].shame
    assert ranked[0].shame >= 60
    # The first is the underpass in Brookside, and most of its pins came in the last two months.
    brookside = Area.objects.get(kind=Area.Kind.WARD, name="Brookside")
    assert contains(brookside.boundary, *ranked[0].centre)
    shame = Pin.objects.filter(ward=brookside, kind=Pin.Kind.SHAME)
    recent = shame.filter(created_at__gte=timezone.now() - timedelta(days=60)).count()
    assert recent > shame.count() / 2
    # Pride has its own places: the country park and the library are the busiest pride cells.
    pride = sorted(found.cells, key=lambda cell: cell.pride, reverse=True)
    assert pride[0].pride >= 15
    assert pride[0].shame <= pride[0].pride / 4


def test_demo_map_has_voices_answers_and_work_for_moderators(demo_place):
    assert MeToo.objects.count() >= 100
    for pin in Pin.objects.filter(me_too_count__gt=0):
        assert pin.me_toos.count() == pin.me_too_count
        assert not pin.me_toos.filter(user=pin.author_id).exists()
        assert all(me_too.created_at >= pin.created_at for me_too in pin.me_toos.all())

    council = Organisation.objects.get(name="Marlshire County Council")
    updates = StatusUpdate.objects.all()
    assert updates.count() == 2
    for update in updates:
        assert update.organisation == council
        assert update.created_by.email == "officer@demo.commonground.test"
        assert len(update.message) > 50
        assert update.created_at < timezone.now()
        for pin in update.pins.all():
            assert pin.status == update.status
            assert pin.created_at < update.created_at
    hotspot = max(updates, key=lambda update: update.pins.count())
    assert hotspot.pins.count() >= 30  # one answer to a whole epicentre
    assert hotspot.status == Pin.Status.IN_PROGRESS

    pending = Pin.objects.get(moderation=Pin.Moderation.PENDING)
    flagged = Pin.objects.get(open_flags__gt=0)
    assert flagged.is_visible
    assert Flag.objects.get().pin == flagged
    assert set(Pin.objects.needing_moderation()) == {pending, flagged}


def test_demo_summary_equals_a_fresh_recount(demo_place):
    before = summary()

    cells.rebuild()

    assert_same_summary(before, summary())
    assert coarsest_total() == Pin.objects.visible().count() == Pin.objects.count() - 1


def test_seeding_again_adds_no_pins(demo_place):
    counts = (Pin.objects.count(), MeToo.objects.count(), StatusUpdate.objects.count())
    cells_before = summary()

    out = io.StringIO()
    assert seed_pins(stdout=out) == 0
    call_command("seed_demo", stdout=out)

    assert "Demo map already there" in out.getvalue()
    assert (Pin.objects.count(), MeToo.objects.count(), StatusUpdate.objects.count()) == counts
    assert summary() == cells_before


# --- generate_pins --------------------------------------------------------------------------------


@pytest.fixture
def empty_map(db):
    """The demo place's wards and services, with no pins (whatever the module seeded)."""
    Pin.objects.all().delete()
    PinCell.objects.all().delete()
    PinCellTotal.objects.all().delete()
    seed = SeedDemo()
    seed.seed_taxonomies()
    return seed.seed_areas()


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_pins", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_generate_pins_makes_visible_pins_the_summary_counts(empty_map):
    output = generate("500", "--seed", "3", "--batch", "128")

    assert "Generated 500 pins" in output
    pins = list(Pin.objects.select_related("ward"))
    assert len(pins) == 500 == Pin.objects.visible().count() == generated_pins().count()
    for pin in pins:
        assert (pin.mx, pin.my) == geo.project(pin.lon, pin.lat)
        assert contains(pin.ward.boundary, pin.lon, pin.lat), pin
    assert {pin.kind for pin in pins} == {Pin.Kind.PRIDE, Pin.Kind.SHAME}
    assert len({pin.category_id for pin in pins}) >= 15
    assert len({pin.ward_id for pin in pins}) == 20
    ages = [(timezone.now() - pin.created_at).days for pin in pins]
    assert min(ages) >= 0
    assert 365 < max(ages) <= 2 * 365

    # Every summary level holds all 500, and the rows are what a recount makes.
    for level in cells.SUMMARY_LEVELS:
        assert PinCell.objects.filter(level=level).aggregate(n=Sum("pins"))["n"] == 500
    assert coarsest_total() == 500
    before = summary()
    cells.rebuild()
    assert_same_summary(before, summary())

    # The summary agrees with the reference aggregation at a street-scale level, and the
    # clusters make some cells far busier than the typical one.
    level = 15
    points = [geo.Point(pin.lon, pin.lat, pin.kind) for pin in pins]
    expected = {key: (c.pride, c.shame) for key, c in geo.aggregate(points, level).items()}
    counted: dict[tuple[int, int], list[int]] = {}
    for cx, cy, kind, n in PinCell.objects.filter(level=level).values_list(
        "cx", "cy", "kind", "pins"
    ):
        counted.setdefault((cx, cy), [0, 0])[kind == Pin.Kind.SHAME] += n
    assert {key: tuple(value) for key, value in counted.items()} == expected
    sizes = [pride + shame for pride, shame in expected.values()]
    assert max(sizes) >= 5 * statistics.median(sizes)


def test_generate_pins_clear_removes_only_generated_pins(empty_map):
    ward = empty_map["Abbey"]
    lon, lat = (ward.min_lon + ward.max_lon) / 2, (ward.min_lat + ward.max_lat) / 2
    resident = User.objects.create(email="someone@example.org", display_name="Someone")
    own, _ = services.create_pin(
        author=resident, idempotency_key=uuid.uuid4(), kind=Pin.Kind.PRIDE,
        category=Pin._meta.get_field("category").related_model.objects.first(),
        aspect=Pin.Aspect.LOOKS, description="A lovely square.", ward=ward, lon=lon, lat=lat,
    )  # fmt: skip

    generate("200", "--seed", "5")
    generate("200", "--seed", "5")  # the same seed again: new keys, no clash
    assert Pin.objects.count() == 401
    output = generate("300", "--seed", "5", "--clear")

    assert "Cleared 400 generated pins" in output
    assert Pin.objects.count() == 301
    assert Pin.objects.filter(pk=own.pk).exists()
    assert generated_pins().count() == 300
    assert coarsest_total() == 301


def test_rebuild_pin_cells_restores_the_summary(empty_map):
    generate("120", "--seed", "9")
    before = summary()
    totals = PinCellTotal.objects.count()
    PinCell.objects.all().delete()
    PinCellTotal.objects.all().delete()

    out = io.StringIO()
    call_command("rebuild_pin_cells", stdout=out)

    assert_same_summary(before, summary())
    assert PinCellTotal.objects.count() == totals
    assert f"{len(before) + totals:,} cell rows from 120 visible pins" in out.getvalue()
