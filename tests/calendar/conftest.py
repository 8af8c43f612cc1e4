"""Fixtures for the calendar tests: a small place of one county, two districts, three wards."""

from __future__ import annotations

import pytest

from engagement.models import Area
from tests.factories import AreaFactory


@pytest.fixture
def place():
    county = AreaFactory(name="Testshire", kind=Area.Kind.COUNTY)
    north = AreaFactory(name="North District", kind=Area.Kind.DISTRICT, parent=county)
    south = AreaFactory(name="South District", kind=Area.Kind.DISTRICT, parent=county)
    return {
        "county": county,
        "north": north,
        "south": south,
        "abbey": AreaFactory(name="Abbey", kind=Area.Kind.WARD, parent=north, population=4000),
        "brook": AreaFactory(name="Brook", kind=Area.Kind.WARD, parent=north, population=5000),
        "cliff": AreaFactory(name="Cliff", kind=Area.Kind.WARD, parent=south, population=6000),
    }
