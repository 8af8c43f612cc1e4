"""``manage.py seed_demo`` builds the fictional place, and running it again changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.urls import reverse
from wagtail.models import Site

from engagement.management.commands.seed_demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DISTRICTS
from engagement.models import (
    Area,
    Audience,
    HomePage,
    Membership,
    Organisation,
    ServiceCategory,
    User,
)
from tests.engagement._db import module_transaction


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _snapshot() -> dict:
    return {
        "areas": sorted(Area.objects.values_list("slug", "kind", "parent__slug", "population")),
        "organisations": sorted(Organisation.objects.values_list("slug", "kind")),
        "organisation_areas": sorted(Organisation.areas.through.objects.values_list(
            "organisation__slug", "area__slug"
        )),
        "users": sorted(User.objects.values_list("email", "display_name", "is_superuser")),
        "emails": sorted(EmailAddress.objects.values_list("email", "verified", "primary")),
        "memberships": sorted(Membership.objects.values_list(
            "user__email", "organisation__slug", "role"
        )),
        "audiences": Audience.objects.count(),
        "categories": ServiceCategory.objects.count(),
        "home_pages": HomePage.objects.count(),
    }  # fmt: skip


pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seeding takes a couple of seconds, so it runs once for the module (and is rolled back)."""
    with module_transaction(django_db_blocker):
        yield _seed()


def test_seeding_again_changes_nothing(seeded):
    first = _snapshot()

    _seed()

    assert _snapshot() == first
    assert "Demo place ready: 20 wards in 4 districts, 20 organisations, 8 demo accounts" in seeded


def test_the_place_is_one_county_of_four_districts_of_five_wards(seeded):
    county = Area.objects.get(kind=Area.Kind.COUNTY)
    districts = Area.objects.districts()

    assert county.parent is None
    assert districts.count() == 4
    assert Area.objects.wards().count() == 20
    for district in districts:
        assert district.parent == county
        assert district.children.filter(kind=Area.Kind.WARD).count() == 5


def test_every_ward_has_a_boundary_and_people(seeded):
    for ward in Area.objects.wards():
        assert ward.boundary["type"] == "Polygon"
        ring = ward.boundary["coordinates"][0]
        assert ring[0] == ring[-1], f"{ward} boundary ring is not closed"
        assert ward.population > 0
        assert ward.min_lon < ward.max_lon and ward.min_lat < ward.max_lat


def test_populations_add_up(seeded):
    county = Area.objects.get(kind=Area.Kind.COUNTY)
    districts = list(Area.objects.districts())

    assert county.population == sum(district.population for district in districts)
    for district in districts:
        assert 100_000 <= district.population <= 200_000
        assert district.population == DISTRICTS[district.name][1]
        wards_total = sum(ward.population for ward in district.children.all())
        # Ward shares are rounded, so they add up to the district within a person per ward.
        assert abs(wards_total - district.population) <= 5


def test_wards_sit_inside_their_district_and_the_county(seeded):
    county = Area.objects.get(kind=Area.Kind.COUNTY)
    for ward in Area.objects.wards().select_related("parent"):
        for outer in (ward.parent, county):
            assert outer.min_lon <= ward.min_lon and ward.max_lon <= outer.max_lon
            assert outer.min_lat <= ward.min_lat and ward.max_lat <= outer.max_lat


def test_the_organisations_include_councils_the_nhs_and_the_voluntary_sector(seeded):
    kinds = list(Organisation.objects.values_list("kind", flat=True))

    assert kinds.count(Organisation.Kind.VCSE) >= 10
    assert kinds.count(Organisation.Kind.NHS) == 1
    assert kinds.count(Organisation.Kind.COUNTY_COUNCIL) == 1
    assert kinds.count(Organisation.Kind.DISTRICT_COUNCIL) == 4
    assert not Organisation.objects.filter(areas=None).exists(), "every organisation serves an area"


def test_demo_accounts_are_verified_and_exempt_from_mfa(seeded):
    users = User.objects.filter(email__in=[email for email, *_ in DEMO_ACCOUNTS])

    assert users.count() == len(DEMO_ACCOUNTS) == 8
    for user in users:
        assert user.mfa_exempt
        address = EmailAddress.objects.get(user=user)
        assert address.email == user.email
        assert address.verified and address.primary
    assert list(User.objects.filter(is_superuser=True).values_list("email", flat=True)) == [
        "admin@demo.commonground.test"
    ]


@pytest.mark.parametrize(
    ("email", "reaches_admin"),
    [("resident@demo.commonground.test", False), ("officer@demo.commonground.test", True)],
)
def test_demo_accounts_sign_in_with_the_published_password(client, seeded, email, reaches_admin):
    response = client.post(reverse("account_login"), {"login": email, "password": DEMO_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("profile")
    assert client.get(reverse("profile")).status_code == 200
    assert (client.get("/admin/").status_code == 200) is reaches_admin


def test_the_home_page_is_the_default_sites_root(client, seeded):
    site = Site.objects.get(is_default_site=True)

    assert site.root_page.specific_class is HomePage
    response = client.get("/")
    assert response.status_code == 200
    assert site.root_page.title in response.content.decode()
