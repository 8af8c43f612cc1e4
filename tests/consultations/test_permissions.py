"""The consultations permission matrix: every role against every state, with time frozen.

The consultation is owned by ``council`` (the officer's and the moderator's organisation) and
co-owned by a partner council; ``other_org_officer`` is an officer of a third organisation. The CMS
answers the same questions through the page permission tester, so it is held to the same matrix.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser

from engagement.models import User
from tests.factories import consultation_page

# Roles are chosen by name with request.getfixturevalue, which pytest-django cannot see.
pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=ZoneInfo("Europe/London"))

ROLES = [
    "anonymous",
    "resident",
    "partner",
    "moderator",
    "officer",
    "co_owner_officer",
    "other_org_officer",
    "superuser",
]
# state -> (opens_at, closes_at, published, accepts anonymous responses)
STATES = {
    "draft": (NOW - timedelta(days=7), NOW + timedelta(weeks=11), False, True),
    "forthcoming": (NOW + timedelta(days=7), NOW + timedelta(weeks=13), True, True),
    "open": (NOW - timedelta(days=7), NOW + timedelta(weeks=11), True, True),
    "open_to_accounts": (NOW - timedelta(days=7), NOW + timedelta(weeks=11), True, False),
    "closed": (NOW - timedelta(weeks=13), NOW - timedelta(seconds=1), True, True),
}

EVERYONE = set(ROLES)
RUNS_IT = {"officer", "co_owner_officer", "superuser"}
ALL_STATES = set(STATES)

# permission -> (the states it can hold in, the roles that hold it there)
MATRIX = {
    "respond_consultation": ({"open"}, EVERYONE),
    "change_consultation": (ALL_STATES, RUNS_IT),
    "view_results": (ALL_STATES, RUNS_IT),
    "export_results": (ALL_STATES, RUNS_IT),
    "publish_outcome": (ALL_STATES, RUNS_IT),
    "theme_answers": (ALL_STATES, RUNS_IT | {"moderator"}),
}
# Accounts-only consultations take responses from everyone signed in.
EXCEPTIONS = {("respond_consultation", "open_to_accounts"): EVERYONE - {"anonymous"}}


def _expected(permission: str, state: str, role: str) -> bool:
    if role == "superuser":
        return True  # Django grants an active superuser every permission.
    states, holders = MATRIX[permission]
    holders = EXCEPTIONS.get((permission, state), holders if state in states else set())
    return role in holders


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def consultations(site_structure, council, partner_council) -> dict:
    """One consultation per state, all owned by the council and co-owned by the partner council."""
    pages = {}
    for state, (opens_at, closes_at, published, anonymous) in STATES.items():
        page = consultation_page(
            council,
            title=f"A {state} consultation",
            opens_at=opens_at,
            closes_at=closes_at,
            live=published,
            allow_anonymous=anonymous,
            questions=[],
        )
        page.co_owners.add(partner_council)
        page.save()
        pages[state] = page
    return pages


@pytest.fixture
def cast(request):
    def person(role: str):
        if role == "anonymous":
            return AnonymousUser()
        user = request.getfixturevalue(role)
        # A fresh instance, so no membership or ownership cache carries over between questions.
        return User.objects.get(pk=user.pk)

    return person


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(cast, consultations, role):
    """One row of the matrix per role: every permission in every state."""
    user = cast(role)

    answers = {
        (permission, state): user.has_perm(f"consultations.{permission}", page)
        for permission in MATRIX
        for state, page in consultations.items()
    }

    expected = {key: _expected(*key, role) for key in answers}
    assert answers == expected


@pytest.mark.parametrize("role", ROLES)
def test_the_cms_agrees_with_the_rules(cast, consultations, role):
    """The page permission tester, which every Wagtail page view asks, answers as the rules do."""
    user = cast(role)

    for page in consultations.values():
        tester = page.permissions_for_user(user)
        assert tester.can_edit() is user.has_perm("consultations.change_consultation", page)
        assert tester.can_view_results() is user.has_perm("consultations.view_results", page)


def test_a_consultation_that_closed_one_second_ago_takes_no_responses(cast, consultations):
    page = consultations["open"]

    with time_machine.travel(page.closes_at, tick=False):
        assert not cast("resident").has_perm("consultations.respond_consultation", page)
    with time_machine.travel(page.closes_at - timedelta(seconds=1), tick=False):
        assert cast("resident").has_perm("consultations.respond_consultation", page)
