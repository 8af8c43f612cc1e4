"""Fixtures for the map: a small place of two wards with boundaries, services, a council that
serves the whole place with an officer and a moderator, and a way to make pins."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine

from engagement.models import Area
from places import services
from places.models import Pin
from tests.factories import AreaFactory, ServiceCategoryFactory


def square(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture(autouse=True)
def run_tasks_immediately(settings) -> None:
    """Background tasks (emails) run inline, so tests see their effects."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def place(db) -> dict[str, Area]:
    county = AreaFactory(
        name="Testshire",
        kind=Area.Kind.COUNTY,
        population=20_000,
        boundary=square(-1.6, 52.0, -1.4, 52.1),
    )
    district = AreaFactory(
        name="West District", kind=Area.Kind.DISTRICT, parent=county, population=20_000,
        boundary=square(-1.6, 52.0, -1.4, 52.1),
    )  # fmt: skip
    west = AreaFactory(
        name="Westgate", kind=Area.Kind.WARD, parent=district, population=8_000,
        boundary=square(-1.6, 52.0, -1.5, 52.1),
    )  # fmt: skip
    east = AreaFactory(
        name="Eastgate", kind=Area.Kind.WARD, parent=district, population=12_000,
        boundary=square(-1.5, 52.0, -1.4, 52.1),
    )  # fmt: skip
    return {"county": county, "district": district, "west": west, "east": east}


@pytest.fixture
def categories(db):
    return [
        ServiceCategoryFactory(name="Street cleaning"),
        ServiceCategoryFactory(name="Parks and green spaces"),
    ]


@pytest.fixture
def serving_council(council, place):
    """The test council serves the whole place, so its officer and moderator act on its pins."""
    council.areas.set([place["county"]])
    return council


@pytest.fixture
def make_pin(place, categories):
    def make(
        *, kind="shame", ward="west", lon=-1.55, lat=52.05, author=None, category=0, **extra
    ) -> Pin:
        fields = {
            "kind": kind,
            "category": categories[category],
            "aspect": Pin.Aspect.LOOKS,
            "description": extra.pop("description", "Rubbish piles up by the bus shelter."),
            "ward": place[ward],
            "lon": lon,
            "lat": lat,
            **extra,
        }
        pin, _ = services.create_pin(author=author, idempotency_key=uuid.uuid4(), **fields)
        return pin

    return make


@pytest.fixture
def superuser(db):
    from tests.factories import UserFactory

    return UserFactory(is_superuser=True, is_staff=True, mfa_exempt=True)


@pytest.fixture
def bulk_pins(place, categories):
    """Many visible pins at once, without a query per pin: ``bulk_pins([(lon, lat, kind), …])``.

    The hotspot summary is rebuilt afterwards, so the map sees them as if added one by one.
    """
    from places import cells, geo

    def make(points, *, ward="west", description="Litter on the verge.", **extra) -> list[Pin]:
        pins = []
        for n, (lon, lat, kind) in enumerate(points):
            mx, my = geo.project(lon, lat)
            pins.append(
                Pin(
                    kind=kind,
                    category=categories[n % len(categories)],
                    aspect=Pin.Aspect.LOOKS,
                    description=description,
                    ward=place[ward],
                    lon=lon,
                    lat=lat,
                    mx=mx,
                    my=my,
                    **extra,
                )
            )
        made = Pin.objects.bulk_create(pins, batch_size=500)
        cells.rebuild()
        return made

    return make


@pytest.fixture(autouse=True)
def static_files_found_on_demand(settings) -> None:
    """Every test's client loads the middleware afresh, and WhiteNoise would then index every
    static file (about 0.13 s a test); found on demand instead, a request costs a millisecond.
    These tests are about the map, not about serving static files."""
    settings.WHITENOISE_AUTOREFRESH = True


# --- Rate limits ----------------------------------------------------------------------------------


def limited(settings, action: str, **limits) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, action: limits}


@pytest.fixture
def mid_hour():
    """Limits count in fixed windows: keep the burst inside one, whatever the clock says."""
    with time_machine.travel(dt.datetime(2026, 5, 1, 12, 30, tzinfo=dt.UTC), tick=False):
        yield
