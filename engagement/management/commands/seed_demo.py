"""Build the fictional demo place, idempotently.

Running it twice leaves the same data as running it once: everything is looked up by a natural
key (slug or email) and updated in place. Later capabilities add their own demo data here
(consultations: :mod:`consultations.demo`).
"""

from __future__ import annotations

import random

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify

from consultations.demo import seed_consultations
from consultations.permissions import sync_consultation_officers
from engagement.calendar.demo import seed_calendar
from engagement.forums.demo import seed_forums
from engagement.models import (
    Area,
    Audience,
    Membership,
    Organisation,
    ServiceCategory,
    User,
)
from engagement.setup import ensure_site_structure
from places.demo import seed_pins

COUNTY = "Marlshire"
DISTRICTS = {
    # district: (wards, population)
    "Eastbrook": (["Abbey", "Brookside", "Castle Hill", "Dunmere", "Elmstead"], 168_000),
    "Harrowfield": (["Fenwick", "Greyfriars", "Hollins", "Ivy Bank", "Jubilee"], 142_000),
    "Kelmere": (["Kingsmead", "Lowther", "Millbrook", "Northgate", "Orchard"], 121_000),
    "Sandham": (["Priory", "Quarry Fields", "Riverside", "Saltings", "Tanners Green"], 187_000),
}
# The demo place sits on a fictional patch of the English midlands.
PLACE_WEST, PLACE_EAST = -1.60, -1.10
PLACE_SOUTH, PLACE_NORTH = 52.00, 52.40

AUDIENCES = [
    "Everyone",
    "Young people",
    "Older people",
    "Families",
    "Carers",
    "Disabled people",
    "Tenants",
    "Businesses",
    "Non-English speakers",
    "Seldom-heard groups",
]
SERVICE_CATEGORIES = [
    "Street cleaning",
    "Waste and recycling",
    "Parks and green spaces",
    "Play areas",
    "Roads and pavements",
    "Public transport",
    "Parking",
    "Street lighting",
    "Community safety",
    "Libraries",
    "Leisure and sport",
    "Arts and culture",
    "Community centres and hubs",
    "Local centres and high streets",
    "Planning and development",
    "Housing",
    "Other",
]

K = Organisation.Kind
ORGANISATIONS = [
    ("Marlshire County Council", K.COUNTY_COUNCIL, None),
    ("Eastbrook District Council", K.DISTRICT_COUNCIL, "Eastbrook"),
    ("Harrowfield Borough Council", K.DISTRICT_COUNCIL, "Harrowfield"),
    ("Kelmere District Council", K.DISTRICT_COUNCIL, "Kelmere"),
    ("Sandham District Council", K.DISTRICT_COUNCIL, "Sandham"),
    ("Marlshire Health and Care Partnership", K.NHS, None),
    ("Marlshire Fire and Rescue Service", K.FIRE, None),
    ("Marlshire Community Foundation", K.VCSE, None),
    ("Eastbrook Food Network", K.VCSE, "Eastbrook"),
    ("Harrowfield Carers Centre", K.VCSE, "Harrowfield"),
    ("Kelmere Youth Collective", K.VCSE, "Kelmere"),
    ("Sandham Tenants Together", K.VCSE, "Sandham"),
    ("Riverside Warm Welcome", K.VCSE, "Sandham"),
    ("Marlshire Age Friendly Forum", K.VCSE, None),
    ("Millbrook Allotment Society", K.VCSE, "Kelmere"),
    ("Greyfriars Community Hub", K.VCSE, "Harrowfield"),
    ("Marlshire Disability Voices", K.VCSE, None),
    ("Brookside Mosque and Community Centre", K.VCSE, "Eastbrook"),
    ("Marlshire Chamber of Commerce", K.BUSINESS, None),
    ("University of Marlshire", K.UNIVERSITY, None),
]

DEMO_PASSWORD = "common-ground-demo"  # noqa: S105 - published in the README on purpose
DEMO_ACCOUNTS = [
    # email, display name, organisation, role, superuser
    ("resident@demo.commonground.test", "Rosa Resident", None, None, False),
    ("resident2@demo.commonground.test", "Sam Neighbour", None, None, False),
    (
        "partner@demo.commonground.test",
        "Priya Partner",
        "Eastbrook Food Network",
        Membership.Role.PARTNER,
        False,
    ),
    (
        "officer@demo.commonground.test",
        "Owen Officer",
        "Marlshire County Council",
        Membership.Role.OFFICER,
        False,
    ),
    (
        "district.officer@demo.commonground.test",
        "Dana District",
        "Sandham District Council",
        Membership.Role.OFFICER,
        False,
    ),
    (
        "nhs.officer@demo.commonground.test",
        "Nia NHS",
        "Marlshire Health and Care Partnership",
        Membership.Role.OFFICER,
        False,
    ),
    (
        "moderator@demo.commonground.test",
        "Mo Moderator",
        "Marlshire County Council",
        Membership.Role.MODERATOR,
        False,
    ),
    ("admin@demo.commonground.test", "Ada Admin", None, None, True),
]


def ward_grid() -> list[list[tuple[float, float]]]:
    """Shared corner points for a 5 × 4 grid of wards, gently jittered so it looks like a map.

    Neighbouring wards share corners, so boundaries meet without gaps or overlaps.
    """
    rng = random.Random(2026)
    columns, rows = 5, len(DISTRICTS)
    width = (PLACE_EAST - PLACE_WEST) / columns
    height = (PLACE_NORTH - PLACE_SOUTH) / rows
    grid = []
    for row in range(rows + 1):
        line = []
        for column in range(columns + 1):
            lon = PLACE_WEST + column * width
            lat = PLACE_SOUTH + row * height
            if 0 < column < columns:
                lon += rng.uniform(-0.25, 0.25) * width
            if 0 < row < rows:
                lat += rng.uniform(-0.2, 0.2) * height
            line.append((round(lon, 5), round(lat, 5)))
        grid.append(line)
    return grid


def polygon(corners: list[tuple[float, float]]) -> dict:
    ring = [list(point) for point in corners] + [list(corners[0])]
    return {"type": "Polygon", "coordinates": [ring]}


class Command(BaseCommand):
    help = "Create or refresh the fictional demo place (Marlshire), its organisations and accounts."

    def handle(self, *args, **options):
        with transaction.atomic():
            ensure_site_structure()
            self.seed_taxonomies()
            areas = self.seed_areas()
            organisations = self.seed_organisations(areas)
            self.seed_accounts(organisations)
            # Demo officers join the CMS group that lets them add consultations.
            sync_consultation_officers()
        seed_consultations(stdout=self.stdout)
        seed_pins(stdout=self.stdout)
        seed_forums(stdout=self.stdout)
        seed_calendar(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo place ready: {Area.objects.wards().count()} wards in "
                f"{Area.objects.districts().count()} districts, "
                f"{Organisation.objects.count()} organisations, {len(DEMO_ACCOUNTS)} demo accounts."
            )
        )

    def seed_taxonomies(self) -> None:
        for model, names in ((Audience, AUDIENCES), (ServiceCategory, SERVICE_CATEGORIES)):
            for order, name in enumerate(names):
                model.objects.update_or_create(
                    slug=slugify(name), defaults={"name": name, "sort_order": order}
                )

    def seed_areas(self) -> dict[str, Area]:
        grid = ward_grid()
        county, _ = Area.objects.update_or_create(
            slug=slugify(COUNTY),
            defaults={
                "name": COUNTY,
                "kind": Area.Kind.COUNTY,
                "parent": None,
                "code": "E10000099",
                "population": sum(pop for _, pop in DISTRICTS.values()),
                "boundary": polygon([grid[0][0], grid[0][-1], grid[-1][-1], grid[-1][0]]),
            },
        )
        areas = {COUNTY: county}
        rng = random.Random(7)
        for row, (district_name, (wards, population)) in enumerate(DISTRICTS.items()):
            district, _ = Area.objects.update_or_create(
                slug=slugify(district_name),
                defaults={
                    "name": district_name,
                    "kind": Area.Kind.DISTRICT,
                    "parent": county,
                    "code": f"E0700{row + 1:04d}",
                    "population": population,
                    "boundary": polygon([grid[row][0], *grid[row][1:], *reversed(grid[row + 1])]),
                },
            )
            areas[district_name] = district
            shares = [rng.uniform(0.8, 1.2) for _ in wards]
            for column, ward_name in enumerate(wards):
                ward_population = round(population * shares[column] / sum(shares))
                corners = [
                    grid[row][column],
                    grid[row][column + 1],
                    grid[row + 1][column + 1],
                    grid[row + 1][column],
                ]
                ward, _ = Area.objects.update_or_create(
                    slug=slugify(f"{district_name} {ward_name}"),
                    defaults={
                        "name": ward_name,
                        "kind": Area.Kind.WARD,
                        "parent": district,
                        "code": f"E05{row + 1:02d}{column + 1:04d}",
                        "population": ward_population,
                        "boundary": polygon(corners),
                    },
                )
                areas[ward_name] = ward
        return areas

    def seed_organisations(self, areas: dict[str, Area]) -> dict[str, Organisation]:
        organisations = {}
        for name, kind, area_name in ORGANISATIONS:
            organisation, _ = Organisation.objects.update_or_create(
                slug=slugify(name),
                defaults={
                    "name": name,
                    "kind": kind,
                    "description": f"{name} (a fictional organisation in the demo place).",
                    "website": f"https://{slugify(name)}.example.org",
                },
            )
            organisation.areas.set([areas[area_name or COUNTY]])
            organisations[name] = organisation
        return organisations

    def seed_accounts(self, organisations: dict[str, Organisation]) -> None:
        for email, name, organisation_name, role, superuser in DEMO_ACCOUNTS:
            user = User.objects.filter(email=email).first()
            if user is None:
                # Hashing is deliberately slow, so only new accounts get their password set.
                user = User(email=email)
                user.set_password(DEMO_PASSWORD)
            user.display_name = name
            user.mfa_exempt = True
            user.is_superuser = user.is_staff = superuser
            user.save()
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            if organisation_name:
                Membership.objects.update_or_create(
                    user=user,
                    organisation=organisations[organisation_name],
                    defaults={"role": role},
                )

    @staticmethod
    def demo_logins() -> list[tuple[str, str]]:
        return [(email, name) for email, name, *_ in DEMO_ACCOUNTS]
