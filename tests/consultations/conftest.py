"""Fixtures for consultations: a hub, an open consultation with every question type, wards."""

from __future__ import annotations

import pytest

from engagement.models import Area
from tests.factories import AreaFactory, consultation_page


@pytest.fixture(autouse=True)
def run_tasks_immediately(settings) -> None:
    """Background tasks (emails) run inline, so tests see their effects."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def wards(db) -> list[Area]:
    county = AreaFactory(name="Testshire", kind=Area.Kind.COUNTY, population=300_000)
    district = AreaFactory(name="North District", kind=Area.Kind.DISTRICT, parent=county)
    return [
        AreaFactory(name=f"Ward {n}", kind=Area.Kind.WARD, parent=district, population=5000 * n)
        for n in (1, 2, 3)
    ]


@pytest.fixture
def consultation(site_structure, council, wards):
    return consultation_page(council)
