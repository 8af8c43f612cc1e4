"""The CMS: who gets in, and officers administer only their own organisations and members."""

from __future__ import annotations

import pytest
from django.urls import reverse

from engagement.models import Membership, Organisation
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

# Roles are chosen by name with request.getfixturevalue, which pytest-django cannot see.
pytestmark = pytest.mark.django_db

ADMIN = "/admin/"


def _edit_data(organisation: Organisation, **changes) -> dict:
    data = {
        "name": organisation.name,
        "slug": organisation.slug,
        "kind": organisation.kind,
        "description": organisation.description,
        "website": organisation.website,
        "contact_email": organisation.contact_email,
    }
    return {**data, **changes}


def _denied(response) -> bool:
    """Wagtail answers a refused admin request with a redirect to the dashboard (and a message);
    a refusal raised outside its views is a plain 403."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == ADMIN
    )


@pytest.fixture
def other_member(other_council):
    return MembershipFactory(
        organisation=other_council, role=Membership.Role.PARTNER, user__display_name="Olive Other"
    )


# --- Getting in -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_site_login(client):
    response = client.get(ADMIN)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={ADMIN}"


@pytest.mark.parametrize("role", ["resident", "partner", "moderator"])
def test_people_without_an_officer_role_do_not_get_in(request, client, role):
    client.force_login(request.getfixturevalue(role))

    response = client.get(ADMIN)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("role", ["officer", "superuser"])
def test_officers_and_superusers_reach_the_dashboard(request, client, role):
    client.force_login(request.getfixturevalue(role))

    assert client.get(ADMIN).status_code == 200


# --- Organisations --------------------------------------------------------------------------------


def test_an_officer_lists_only_their_own_organisations(
    client, officer, council, other_council, vcse
):
    client.force_login(officer)

    response = client.get(reverse("organisations:index"))

    assert response.status_code == 200
    html = response.content.decode()
    assert council.name in html
    assert other_council.name not in html
    assert vcse.name not in html


def test_a_superuser_lists_every_organisation(client, superuser, council, other_council, vcse):
    client.force_login(superuser)

    html = client.get(reverse("organisations:index")).content.decode()

    assert all(org.name in html for org in (council, other_council, vcse))


def test_an_officer_edits_their_own_organisation(client, officer, council):
    client.force_login(officer)
    url = reverse("organisations:edit", args=[council.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, _edit_data(council, description="We run the county."))

    assert response.status_code == 302
    council.refresh_from_db()
    assert council.description == "We run the county."


def test_an_officer_cannot_open_or_change_another_organisation(client, officer, other_council):
    client.force_login(officer)
    url = reverse("organisations:edit", args=[other_council.pk])

    assert _denied(client.get(url))
    response = client.post(url, _edit_data(other_council, description="Taken over."))

    assert _denied(response)
    other_council.refresh_from_db()
    assert other_council.description == ""


@pytest.mark.parametrize("view", ["delete", "history", "usage", "copy"])
def test_an_officer_cannot_reach_another_organisation_by_its_id(
    client, officer, other_council, view
):
    client.force_login(officer)

    response = client.get(reverse(f"organisations:{view}", args=[other_council.pk]))

    assert _denied(response)
    assert other_council.name not in response.content.decode()


def test_an_officer_sees_the_history_of_their_own_organisation(client, officer, council):
    client.force_login(officer)

    assert client.get(reverse("organisations:history", args=[council.pk])).status_code == 200


def test_only_a_superuser_adds_or_deletes_organisations(client, officer, council):
    client.force_login(officer)

    assert _denied(client.get(reverse("organisations:add")))
    assert _denied(client.post(reverse("organisations:delete", args=[council.pk])))
    assert Organisation.objects.filter(pk=council.pk).exists()


def test_a_superuser_edits_any_organisation(client, superuser, other_council):
    client.force_login(superuser)

    response = client.post(
        reverse("organisations:edit", args=[other_council.pk]),
        _edit_data(other_council, description="Checked by the platform team."),
    )

    assert response.status_code == 302
    other_council.refresh_from_db()
    assert other_council.description == "Checked by the platform team."


# --- Members and roles ----------------------------------------------------------------------------


def test_an_officer_lists_only_their_own_organisations_members(
    client, officer, moderator, other_member
):
    client.force_login(officer)

    html = client.get(reverse("memberships:index")).content.decode()

    assert moderator.display_name in html
    assert other_member.user.display_name not in html


@pytest.mark.parametrize("view", ["edit", "delete", "history", "usage", "copy"])
def test_an_officer_cannot_reach_another_organisations_member_by_id(
    client, officer, other_member, view
):
    client.force_login(officer)

    response = client.get(reverse(f"memberships:{view}", args=[other_member.pk]))

    assert _denied(response)
    assert other_member.user.display_name not in response.content.decode()


def test_an_officer_adds_a_verified_person_to_their_organisation(client, officer, council):
    newcomer = UserFactory(email="new.officer@example.org")
    client.force_login(officer)

    response = client.post(
        reverse("memberships:add"),
        {"email": "New.Officer@Example.org", "organisation": council.pk, "role": "moderator"},
    )

    assert response.status_code == 302
    assert newcomer.memberships.get().organisation == council


def test_an_officer_cannot_add_people_to_another_organisation(client, officer, other_council):
    newcomer = UserFactory()
    client.force_login(officer)

    response = client.post(
        reverse("memberships:add"),
        {"email": newcomer.email, "organisation": other_council.pk, "role": "officer"},
    )

    assert response.status_code == 200  # the form again, with an error
    assert not newcomer.memberships.exists()


def test_an_unverified_account_cannot_be_given_a_role(client, officer, council):
    stranger = UserFactory(verified_email=False)
    client.force_login(officer)

    response = client.post(
        reverse("memberships:add"),
        {"email": stranger.email, "organisation": council.pk, "role": "officer"},
    )

    assert response.status_code == 200
    assert "There is no verified account with this email address" in response.content.decode()
    assert not stranger.memberships.exists()


def test_a_second_role_in_the_same_organisation_is_refused_with_a_message(
    client, officer, moderator, council
):
    client.force_login(officer)

    response = client.post(
        reverse("memberships:add"),
        {"email": moderator.email, "organisation": council.pk, "role": "partner"},
    )

    assert response.status_code == 200
    assert "This person already has a role in this organisation." in response.content.decode()
    assert moderator.memberships.get().role == Membership.Role.MODERATOR


def test_an_officer_cannot_delete_another_organisations_member(client, officer, other_member):
    client.force_login(officer)

    response = client.post(reverse("memberships:delete", args=[other_member.pk]))

    assert _denied(response)
    assert Membership.objects.filter(pk=other_member.pk).exists()


# --- Listings stay cheap as they grow -------------------------------------------------------------


def _queries_for(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_the_members_listing_costs_the_same_for_one_member_or_many(
    client, officer, council, django_assert_max_num_queries
):
    client.force_login(officer)
    url = reverse("memberships:index")
    client.get(url)  # warm the session and Wagtail's per-process caches
    with_one = _queries_for(client, url)

    MembershipFactory.create_batch(30, organisation=council, role=Membership.Role.PARTNER)

    with django_assert_max_num_queries(with_one):
        assert client.get(url).status_code == 200


def test_the_organisations_listing_costs_the_same_for_one_or_many(
    client, superuser, council, django_assert_max_num_queries
):
    client.force_login(superuser)
    url = reverse("organisations:index")
    client.get(url)
    with_one = _queries_for(client, url)

    OrganisationFactory.create_batch(30)

    with django_assert_max_num_queries(with_one):
        assert client.get(url).status_code == 200
