"""Fixtures for the shared core's tests."""

from __future__ import annotations

import pytest

from engagement.models import Membership
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True, mfa_exempt=True)


@pytest.fixture
def officer_without_mfa(council):
    """A real officer: not a demo account, no authenticator yet."""
    return MembershipFactory(organisation=council, role=Membership.Role.OFFICER).user
