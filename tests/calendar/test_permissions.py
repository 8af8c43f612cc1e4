"""Who may do what on the calendar: every role against activities of two organisations in every
state, through the rules and through the pages (direct-object probes on every id in a URL).

``officer`` is an officer of a county council (a public body, so trusted and an approver);
``other_org_officer`` of a district council; ``partner`` a member of a VCSE group; ``moderator``
a moderator of the county council (moderating is not posting).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from engagement.calendar.logic import LONDON
from engagement.calendar.models import Activity
from engagement.models import Area
from tests.factories import AreaFactory, UserFactory

# Roles are chosen by name with request.getfixturevalue, which pytest-django cannot see.
pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "resident",
    "moderator",
    "partner",
    "officer",
    "other_org_officer",
    "superuser",
]
OWNERS = ["council", "vcse"]
STATES = ["draft", "pending", "published", "cancelled"]

ADDS = {"partner", "officer", "other_org_officer", "superuser"}
CHANGES = {"council": {"officer", "superuser"}, "vcse": {"partner", "superuser"}}
APPROVES = {"officer", "other_org_officer", "superuser"}
SEES_CLASH_REASONS = {"officer", "other_org_officer", "superuser"}

START = datetime(2036, 6, 3, 14, tzinfo=LONDON)


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, mfa_exempt=True)


@pytest.fixture
def ward(db):
    county = AreaFactory(name="Testshire", kind=Area.Kind.COUNTY)
    district = AreaFactory(name="North", kind=Area.Kind.DISTRICT, parent=county)
    return AreaFactory(name="Abbey", kind=Area.Kind.WARD, parent=district)


def user_for(request, role: str):
    if role == "anonymous":
        return AnonymousUser()
    return request.getfixturevalue(role)


def activity_of(request, owner: str, state: str, ward) -> Activity:
    made = Activity.objects.create(
        title=f"{owner} {state}",
        kind=Activity.Kind.WORKSHOP,
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        status=state,
    )
    made.organisations.add(request.getfixturevalue(owner))
    made.areas.add(ward)
    return made


@pytest.mark.parametrize("role", ROLES)
def test_model_level_permissions(request, role):
    user = user_for(request, role)
    assert user.has_perm("calendar.add_activity") is (role in ADDS)
    assert user.has_perm("calendar.approve_activity") is (role in APPROVES)
    assert user.has_perm("calendar.view_clash_reasons") is (role in SEES_CLASH_REASONS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("state", STATES)
def test_change_permission(request, role, owner, state, ward):
    user = user_for(request, role)
    activity = activity_of(request, owner, state, ward)
    assert user.has_perm("calendar.change_activity", activity) is (role in CHANGES[owner])


def expected_page(action: str, role: str, owner: str, state: str) -> int | str:
    """The status a role gets: 200, "login", 403 or 404 (an activity you may not see does not
    exist for you)."""
    if action == "detail":
        visible = state == "published" or role in CHANGES[owner] or role in APPROVES
        return 200 if visible else 404
    if role == "anonymous":
        return "login"
    if action == "add":
        return 200 if role in ADDS else 403
    if action == "edit":
        return 200 if role in CHANGES[owner] else 403
    if action == "pending":
        return 200 if role in APPROVES else 403
    raise AssertionError(action)


def outcome(response) -> int | str:
    if response.status_code == 302 and reverse("account_login") in response["Location"]:
        return "login"
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("state", STATES)
def test_pages_answer_each_role(client, request, role, owner, state, ward):
    activity = activity_of(request, owner, state, ward)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    urls = {
        "detail": reverse("calendar:detail", args=[activity.pk]),
        "add": reverse("calendar:add"),
        "edit": reverse("calendar:edit", args=[activity.pk]),
        "pending": reverse("calendar:pending"),
    }
    for action, url in urls.items():
        assert outcome(client.get(url)) == expected_page(action, role, owner, state), action


@pytest.mark.parametrize("role", ROLES)
def test_only_approvers_decide(client, request, role, ward):
    activity = activity_of(request, "vcse", "pending", ward)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    response = client.post(reverse("calendar:decide", args=[activity.pk]), {"action": "approve"})
    activity.refresh_from_db()
    if role == "anonymous":
        assert outcome(response) == "login"
    elif role in APPROVES:
        assert response.status_code == 302
        assert activity.status == Activity.Status.PUBLISHED
        return
    else:
        assert response.status_code == 403
    assert activity.status == Activity.Status.PENDING


def test_unknown_ids_are_404(client, officer):
    client.force_login(officer)
    for name in ("detail", "edit"):
        assert client.get(reverse(f"calendar:{name}", args=[999999])).status_code == 404
    assert (
        client.post(reverse("calendar:decide", args=[999999]), {"action": "approve"}).status_code
        == 404
    )


def test_a_superuser_publishes_straight_away_for_any_organisation(client, superuser, vcse, ward):
    client.force_login(superuser)
    response = client.post(
        reverse("calendar:add"),
        {
            "title": "Superuser's",
            "kind": "workshop",
            "organisations": [vcse.pk],
            "areas": [ward.pk],
            "starts_at": "2036-06-03",
            "start_time": "10:00",
            "ends_at": "2036-06-03",
            "end_time": "11:00",
            "mode": "proactive",
            "ask_level": "light",
        },
    )
    assert response.status_code == 302
    assert Activity.objects.get().status == Activity.Status.PUBLISHED
