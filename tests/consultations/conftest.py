"""Fixtures for consultations: a hub, an open consultation with every question type, wards."""

from __future__ import annotations

import pytest

from engagement.models import Area, Membership
from tests.factories import (
    AreaFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    consultation_page,
)


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


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True, mfa_exempt=True)


@pytest.fixture
def partner_council(db):
    return OrganisationFactory(name="Partner Borough Council")


@pytest.fixture
def co_owner_officer(partner_council):
    return MembershipFactory(
        organisation=partner_council, role=Membership.Role.OFFICER, user__mfa_exempt=True
    ).user


@pytest.fixture
def co_owner_moderator(partner_council):
    return MembershipFactory(
        organisation=partner_council, role=Membership.Role.MODERATOR, user__mfa_exempt=True
    ).user


@pytest.fixture
def co_owned(consultation, partner_council):
    """The consultation, co-owned by the partner council."""
    consultation.co_owners.add(partner_council)
    consultation.save()  # a parental many-to-many is written when the page is saved
    return consultation
