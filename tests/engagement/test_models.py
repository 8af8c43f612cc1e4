"""The core domain: people, memberships and the place's areas."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from engagement.models import Area, Membership, Organisation, User, bounding_box
from tests.factories import AreaFactory, MembershipFactory

# Roles are chosen by name with request.getfixturevalue, which pytest-django cannot see.
pytestmark = pytest.mark.django_db

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-1.5, 52.0], [-1.2, 52.0], [-1.2, 52.3], [-1.5, 52.0]]],
}
TWO_ISLANDS = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[-1.6, 52.1], [-1.5, 52.1], [-1.5, 52.2], [-1.6, 52.1]]],
        [[[-1.0, 51.9], [-0.9, 51.9], [-0.9, 52.4], [-1.0, 51.9]]],
    ],
}


@pytest.fixture
def county(db) -> Area:
    return AreaFactory(name="Marlshire", kind=Area.Kind.COUNTY)


@pytest.fixture
def district(county) -> Area:
    return AreaFactory(name="Eastbrook", kind=Area.Kind.DISTRICT, parent=county)


@pytest.fixture
def ward(district) -> Area:
    return AreaFactory(name="Abbey", kind=Area.Kind.WARD, parent=district)


# --- Users ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_user_stores_the_email_in_lower_case_and_hashes_the_password():
    user = User.objects.create_user(
        "Rosa.Resident@Example.ORG", "a-long-password", display_name="Rosa"
    )

    user.refresh_from_db()
    assert user.email == "rosa.resident@example.org"
    assert user.check_password("a-long-password")
    assert user.password != "a-long-password"
    assert not user.is_staff
    assert not user.is_superuser


@pytest.mark.django_db
def test_create_user_refuses_an_empty_email():
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user("", "a-long-password")


@pytest.mark.django_db
def test_create_superuser_is_staff_and_superuser():
    admin = User.objects.create_superuser(
        "Admin@Example.org", "a-long-password", display_name="Ada"
    )

    assert admin.email == "admin@example.org"
    assert admin.is_staff
    assert admin.is_superuser


@pytest.mark.django_db
def test_two_accounts_cannot_share_an_email(resident):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(resident.email, "a-long-password", display_name="Copycat")


def test_a_user_is_shown_by_display_name(resident):
    assert str(resident) == "Rosa Resident"


@pytest.mark.parametrize(
    ("role", "is_staff_role"),
    [("resident", False), ("partner", False), ("officer", True), ("moderator", True)],
)
def test_officers_and_moderators_hold_a_staff_role(request, role, is_staff_role):
    assert request.getfixturevalue(role).is_staff_role is is_staff_role


def test_organisation_ids_filters_by_role(officer, council, vcse):
    MembershipFactory(user=officer, organisation=vcse, role=Membership.Role.PARTNER)
    officer = User.objects.get(pk=officer.pk)

    assert officer.organisation_ids() == {council.pk, vcse.pk}
    assert officer.organisation_ids(Membership.Role.OFFICER) == {council.pk}
    assert officer.organisation_ids(Membership.Role.PARTNER, Membership.Role.MODERATOR) == {vcse.pk}


# --- Organisations and memberships ----------------------------------------------------------------


def test_a_person_holds_at_most_one_role_per_organisation(officer, council):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=officer, organisation=council, role=Membership.Role.PARTNER)

    assert officer.memberships.count() == 1


def test_a_person_may_hold_roles_in_several_organisations(officer, other_council):
    Membership.objects.create(
        user=officer, organisation=other_council, role=Membership.Role.MODERATOR
    )

    assert officer.memberships.count() == 2


@pytest.mark.parametrize(
    ("kind", "public"),
    [
        (Organisation.Kind.COUNTY_COUNCIL, True),
        (Organisation.Kind.NHS, True),
        (Organisation.Kind.VCSE, False),
        (Organisation.Kind.BUSINESS, False),
    ],
)
def test_public_bodies_are_councils_and_public_services(kind, public):
    assert Organisation(kind=kind).is_public_body is public


def test_managed_by_scopes_organisations_to_the_officer(officer, superuser, council, other_council):
    assert list(Organisation.objects.managed_by(officer)) == [council]
    assert set(Organisation.objects.managed_by(superuser)) == {council, other_council}


# --- Areas ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_ward_must_have_a_parent_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Area.objects.create(name="Orphan", slug="orphan", kind=Area.Kind.WARD)


@pytest.mark.django_db
def test_a_district_must_have_a_parent_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Area.objects.create(name="Orphan", slug="orphan", kind=Area.Kind.DISTRICT)


def test_a_county_cannot_have_a_parent(county):
    with pytest.raises(IntegrityError), transaction.atomic():
        Area.objects.create(name="Inner", slug="inner", kind=Area.Kind.COUNTY, parent=county)


def test_saving_an_area_records_the_bounding_box_of_a_polygon(county):
    county.boundary = SQUARE
    county.save()
    county.refresh_from_db()

    assert (county.min_lon, county.min_lat, county.max_lon, county.max_lat) == (
        -1.5,
        52.0,
        -1.2,
        52.3,
    )


def test_saving_an_area_records_the_bounding_box_of_a_multipolygon(county):
    county.boundary = TWO_ISLANDS
    county.save()
    county.refresh_from_db()

    assert (county.min_lon, county.min_lat, county.max_lon, county.max_lat) == (
        -1.6,
        51.9,
        -0.9,
        52.4,
    )


def test_removing_the_boundary_clears_the_bounding_box(county):
    county.boundary = SQUARE
    county.save()
    county.boundary = None
    county.save()
    county.refresh_from_db()

    assert (county.min_lon, county.min_lat, county.max_lon, county.max_lat) == (None,) * 4


@pytest.mark.parametrize("empty", [None, {}])
def test_bounding_box_of_nothing_is_nones(empty):
    assert bounding_box(empty) == (None, None, None, None)


def test_covering_a_ward_gives_the_ward_its_district_and_the_county(ward, district, county):
    AreaFactory(name="Elsewhere", kind=Area.Kind.DISTRICT, parent=county)

    assert set(Area.objects.covering(ward)) == {ward, district, county}
    assert set(Area.objects.covering(district)) == {district, county}
    assert set(Area.objects.covering(county)) == {county}


def test_wards_and_districts_querysets(ward, district, county):
    assert list(Area.objects.wards()) == [ward]
    assert list(Area.objects.districts()) == [district]


@pytest.mark.parametrize(
    "boundary",
    [
        {"type": "Point", "coordinates": [0, 0]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[["a", 0], [1, 0], [1, 1], ["a", 0]]]},
        {"type": "MultiPolygon", "coordinates": []},
        "not geojson",
    ],
)
def test_an_area_boundary_that_is_not_a_valid_polygon_is_refused_with_a_clear_error(boundary):
    from django.core.exceptions import ValidationError

    from engagement.models import validate_boundary

    with pytest.raises(ValidationError, match="GeoJSON Polygon or MultiPolygon"):
        validate_boundary(boundary)


def test_a_closed_polygon_and_multipolygon_are_accepted():
    from engagement.models import validate_boundary

    ring = [[0, 0], [1, 0], [1, 1], [0, 0]]
    validate_boundary({"type": "Polygon", "coordinates": [ring]})
    validate_boundary({"type": "MultiPolygon", "coordinates": [[ring], [ring]]})
    validate_boundary(None)
