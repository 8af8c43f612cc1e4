"""Fixtures for the map: a small place of two wards with boundaries, services, a council that
serves the whole place with an officer and a moderator, and a way to make pins."""

from __future__ import annotations

import uuid

import pytest

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
