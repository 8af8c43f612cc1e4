"""The core permission matrix: who may do what to organisations, the admin and profiles."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from engagement import rules as core_rules
from engagement.models import Membership, User
from tests.factories import MembershipFactory, OrganisationFactory

# Roles are chosen by name with request.getfixturevalue, which pytest-django cannot see.
pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "resident",
    "partner",
    "officer",
    "other_org_officer",
    "moderator",
    "superuser",
]

# (permission, target) -> the roles that hold it. "council" is the officer's and the moderator's
# organisation, "other_council" the other officer's, "vcse" the partner's; a "*_membership" target
# is a membership of that organisation. None asks without an object, which the rules answer as
# "on at least one" (so the CMS shows officers the menu and the object check decides which).
OFFICERS = {"officer", "other_org_officer", "superuser"}
MATRIX = {
    ("wagtailadmin.access_admin", None): OFFICERS,
    ("engagement.view_organisation", "council"): set(ROLES),
    ("engagement.change_organisation", "council"): {"officer", "superuser"},
    ("engagement.change_organisation", "other_council"): {"other_org_officer", "superuser"},
    ("engagement.change_organisation", "vcse"): {"superuser"},
    ("engagement.change_organisation", None): OFFICERS,
    ("engagement.add_organisation", None): {"superuser"},
    ("engagement.delete_organisation", "council"): {"superuser"},
    ("engagement.delete_organisation", None): {"superuser"},
    ("engagement.view_membership", "council_membership"): {"officer", "superuser"},
    ("engagement.add_membership", "council"): {"officer", "superuser"},
    ("engagement.add_membership", "vcse"): {"superuser"},
    ("engagement.change_membership", "council_membership"): {"officer", "superuser"},
    ("engagement.change_membership", "vcse_membership"): {"superuser"},
    ("engagement.delete_membership", "council_membership"): {"officer", "superuser"},
    ("engagement.delete_membership", "other_council_membership"): {
        "other_org_officer",
        "superuser",
    },
    ("engagement.change_membership", None): OFFICERS,
    ("engagement.view_profile", None): set(ROLES) - {"anonymous"},
}

CASES = [
    pytest.param(role, permission, target, role in holders, id=f"{role}-{permission}-{target}")
    for (permission, target), holders in MATRIX.items()
    for role in ROLES
]


@pytest.fixture
def cast(request, council, other_council, vcse):
    def person(role: str):
        if role == "anonymous":
            return AnonymousUser()
        user = request.getfixturevalue(role)
        # A fresh instance, so no membership cache carries over between questions.
        return User.objects.get(pk=user.pk)

    return person


@pytest.fixture
def council_membership(moderator):
    return moderator.memberships.get()


@pytest.fixture
def vcse_membership(partner):
    return partner.memberships.get()


@pytest.fixture
def other_council_membership(other_council):
    return MembershipFactory(organisation=other_council, role=Membership.Role.PARTNER)


@pytest.mark.parametrize(("role", "permission", "target", "expected"), CASES)
def test_permission_matrix(request, cast, role, permission, target, expected):
    obj = request.getfixturevalue(target) if target else None
    user = cast(role)

    assert user.has_perm(permission, obj) is expected


def test_officer_of_one_organisation_is_not_officer_of_another(officer, council, other_council):
    assert core_rules.is_officer_of(officer, council)
    assert not core_rules.is_officer_of(officer, other_council)


@pytest.mark.parametrize(
    ("role", "officer_of", "moderator_of", "partner_of", "member_of"),
    [
        ("officer", True, False, False, True),
        ("moderator", False, True, False, True),
        ("partner", False, False, True, True),
        ("resident", False, False, False, False),
        ("other_org_officer", False, False, False, False),
    ],
)
def test_role_predicates_follow_objects_to_their_organisation(
    request, council, vcse, role, officer_of, moderator_of, partner_of, member_of
):
    """Anything with an ``organisation_id`` (an engagement, an activity...) belongs to that
    organisation; the partner's organisation is the VCSE, everyone else's the council."""
    user = request.getfixturevalue(role)
    organisation = vcse if role == "partner" else council
    owned = SimpleNamespace(organisation_id=organisation.pk)

    assert core_rules.is_officer_of(user, owned) is officer_of
    assert core_rules.is_moderator_of(user, owned) is moderator_of
    assert core_rules.is_partner_of(user, owned) is partner_of
    assert core_rules.is_member_of(user, owned) is member_of


def test_role_predicates_refuse_objects_without_an_organisation(officer, moderator, partner):
    orphan = SimpleNamespace(organisation_id=None)
    unrelated = SimpleNamespace(title="no organisation at all")

    for obj in (orphan, unrelated):
        assert not core_rules.is_officer_of(officer, obj)
        assert not core_rules.is_moderator_of(moderator, obj)
        assert not core_rules.is_partner_of(partner, obj)
        assert not core_rules.is_member_of(officer, obj)


def test_role_predicates_without_an_object_ask_about_any_organisation(officer, partner, resident):
    assert core_rules.is_officer_of(officer)
    assert core_rules.is_member_of(partner)
    assert not core_rules.is_partner_of(officer)
    assert not core_rules.is_member_of(resident)


def test_role_predicates_are_false_for_anonymous_visitors(council):
    anonymous = AnonymousUser()

    assert not core_rules.is_officer(anonymous)
    assert not core_rules.is_moderator(anonymous)
    assert not core_rules.is_partner(anonymous)
    assert not core_rules.is_officer_of(anonymous, council)
    assert not core_rules.is_member_of(anonymous, council)


@pytest.mark.parametrize(
    ("role", "any_officer", "any_moderator", "any_partner"),
    [
        ("resident", False, False, False),
        ("partner", False, False, True),
        ("officer", True, False, False),
        ("moderator", False, True, False),
    ],
)
def test_any_organisation_role_predicates(request, role, any_officer, any_moderator, any_partner):
    user = request.getfixturevalue(role)

    assert core_rules.is_officer(user) is any_officer
    assert core_rules.is_moderator(user) is any_moderator
    assert core_rules.is_partner(user) is any_partner


def test_permission_checks_across_many_organisations_query_memberships_once(
    django_assert_num_queries, council
):
    organisations = [council, *OrganisationFactory.create_batch(5)]
    member = MembershipFactory(organisation=council, role=Membership.Role.OFFICER).user
    MembershipFactory(user=member, organisation=organisations[1], role=Membership.Role.MODERATOR)
    member = User.objects.get(pk=member.pk)

    with django_assert_num_queries(1):
        answers = [
            member.has_perm("engagement.change_organisation", organisation)
            for organisation in organisations
        ]
        moderates = [core_rules.is_moderator_of(member, org) for org in organisations]

    assert answers == [True, False, False, False, False, False]
    assert moderates == [False, True, False, False, False, False]
