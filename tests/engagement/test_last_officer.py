"""An organisation always keeps at least one officer who can administer it."""

from __future__ import annotations

import pytest

from engagement.models import Membership
from tests.factories import MembershipFactory


@pytest.fixture
def officer_membership(officer, council):
    return Membership.objects.get(user=officer, organisation=council)


@pytest.mark.django_db
def test_the_only_officer_cannot_remove_their_own_role(client, officer, officer_membership):
    client.force_login(officer)
    client.post(f"/admin/memberships/delete/{officer_membership.pk}/")
    assert Membership.objects.filter(pk=officer_membership.pk).exists()


@pytest.mark.django_db
def test_the_only_officer_cannot_demote_themselves(client, officer, officer_membership, council):
    client.force_login(officer)
    response = client.post(
        f"/admin/memberships/edit/{officer_membership.pk}/",
        {"organisation": council.pk, "role": Membership.Role.PARTNER},
    )
    assert response.status_code == 200
    assert "only officer" in response.content.decode()
    officer_membership.refresh_from_db()
    assert officer_membership.role == Membership.Role.OFFICER


@pytest.mark.django_db
def test_with_a_second_officer_a_role_can_be_removed(client, officer, officer_membership, council):
    MembershipFactory(organisation=council, role=Membership.Role.OFFICER)
    client.force_login(officer)
    client.post(f"/admin/memberships/delete/{officer_membership.pk}/")
    assert not Membership.objects.filter(pk=officer_membership.pk).exists()
