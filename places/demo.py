"""The demo place's pride and shame map (Marlshire): about 400 fictional pins with three clear
epicentres of shame, a few places people are proud of, "me too"s, the county council's answers, one
pin waiting for a moderator and one flagged pin.

Called by ``manage.py seed_demo`` after the areas, categories and accounts exist (like
:mod:`consultations.demo`). Idempotent: every pin's idempotency key is a UUID derived from a fixed
namespace, and if any demo pin is already in the database nothing is added (moderators and officers
may have changed them since). Everything random comes from one seeded ``random.Random``, so two
fresh databases hold the same map, and every point lies inside its ward's boundary.

Pins go through :func:`places.services.create_pin` and the pins' own methods (``add_me_too``,
``flag``) and answers through :func:`places.services.post_update`, exactly as residents' and
officers' would, so the hotspot summary (:class:`~places.models.PinCell`) stays in step.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from engagement.models import Area, Organisation, ServiceCategory, User
from places import services
from places.forms import centre_of, contains
from places.models import Flag, MeToo, Pin, StatusUpdate

NAMESPACE = uuid.UUID("6d1f2c9a-4b7e-4e0f-9a35-2c8d7b1e5f63")
SEED = 2026
DAYS = 270  # pins go back about nine months
METRES_PER_DEGREE = 111_320.0

COUNTY_COUNCIL = "Marlshire County Council"
OFFICER = "officer@demo.commonground.test"
# The published demo residents place most pins; a dozen demo-only neighbours (who cannot sign in)
# place the rest and add their "me too"s, so a busy spot has many voices.
RESIDENTS = ["resident@demo.commonground.test", "resident2@demo.commonground.test"]
NEIGHBOURS = [
    ("neighbour.amara@demo.commonground.test", "Amara"),
    ("neighbour.bill@demo.commonground.test", "Bill"),
    ("neighbour.chen@demo.commonground.test", "Chen"),
    ("neighbour.deepa@demo.commonground.test", "Deepa"),
    ("neighbour.eileen@demo.commonground.test", "Eileen"),
    ("neighbour.femi@demo.commonground.test", "Femi"),
    ("neighbour.gosia@demo.commonground.test", "Gosia"),
    ("neighbour.harry@demo.commonground.test", "Harry"),
    ("neighbour.imran@demo.commonground.test", "Imran"),
    ("neighbour.jess@demo.commonground.test", "Jess"),
    ("neighbour.kwame@demo.commonground.test", "Kwame"),
    ("neighbour.lily@demo.commonground.test", "Lily"),
]

S, P = Pin.Kind.SHAME, Pin.Kind.PRIDE
LOOKS, FEELS, WORKS = Pin.Aspect.LOOKS, Pin.Aspect.FEELS, Pin.Aspect.WORKS


@dataclass(frozen=True)
class Spot:
    """A place many residents pin: an epicentre of shame or a place people are proud of."""

    key: str
    name: str
    ward: str
    at: tuple[float, float]  # where in the ward's bounding box, 0..1 from the west and the south
    kind: str
    pins: int
    spread_m: float  # standard deviation of the pins around the spot, in metres
    # (service slug, aspect, what residents write), picked in turn with a little shuffling.
    notes: tuple[tuple[str, str, str], ...]
    # Age skew: a pin is ``DAYS * random() ** recency`` days old, so 1 spreads the pins evenly over
    # the nine months and 3 puts most of them in the last two (the spot is getting worse).
    recency: float = 1.0
    me_too_share: float = 0.35
    location: str = ""


SPOTS = (
    Spot(
        "underpass",
        "Station Road underpass",
        "Brookside",
        (0.42, 0.55),
        S,
        76,
        70,
        (
            (
                "street-cleaning",
                LOOKS,
                "Mattresses, a sofa and bags of rubbish dumped in the "
                "underpass again. It has been there for over a week.",
            ),
            (
                "street-cleaning",
                LOOKS,
                "Fly-tipping right across the underpass floor; you have "
                "to walk through it to get to the station.",
            ),
            (
                "waste-and-recycling",
                LOOKS,
                "Builders' rubble and paint tins left at the Station Road end of the underpass.",
            ),
            (
                "community-safety",
                FEELS,
                "I avoid the underpass after dark now. Two of the lights "
                "are out and it smells of urine.",
            ),
            (
                "street-cleaning",
                FEELS,
                "Broken glass all the way through the underpass. Not safe "
                "with a pushchair or a dog.",
            ),
            (
                "street-lighting",
                WORKS,
                "The lights in the Station Road underpass have been off for a month.",
            ),
            (
                "community-safety",
                LOOKS,
                "Graffiti covers every wall of the underpass, some of "
                "it offensive, and nobody cleans it off.",
            ),
            (
                "waste-and-recycling",
                WORKS,
                "The bin at the underpass entrance overflows every "
                "day and the rubbish blows straight in.",
            ),
            (
                "roads-and-pavements",
                WORKS,
                "Water pools at the bottom of the underpass ramp "
                "whenever it rains; the drain is blocked with litter.",
            ),
        ),
        recency=3.0,
        me_too_share=0.45,
        location="Station Road underpass, under the railway",
    ),
    Spot(
        "high-street",
        "Northgate High Street",
        "Northgate",
        (0.55, 0.45),
        S,
        46,
        110,
        (
            (
                "street-lighting",
                WORKS,
                "Half the street lights on the High Street are out, from "
                "the market cross to the car park.",
            ),
            (
                "street-lighting",
                FEELS,
                "The High Street is pitch black after six. It does not "
                "feel safe walking home from the bus.",
            ),
            (
                "local-centres-and-high-streets",
                LOOKS,
                "Three more shops boarded up this year; the High Street looks abandoned.",
            ),
            (
                "roads-and-pavements",
                WORKS,
                "Cracked and lifted paving slabs outside the old bank. Someone will trip on them.",
            ),
            (
                "street-lighting",
                WORKS,
                "The lamp post outside the chemist has been flickering and buzzing for weeks.",
            ),
            (
                "community-safety",
                FEELS,
                "With the lights out and the empty shops, the High "
                "Street at night is somewhere people hurry through.",
            ),
            (
                "local-centres-and-high-streets",
                WORKS,
                "Nowhere to sit on the High Street since the benches were taken away.",
            ),
        ),
        location="Northgate High Street, between the market cross and the car park",
    ),
    Spot(
        "play-area",
        "Riverside Park play area",
        "Riverside",
        (0.5, 0.6),
        S,
        31,
        60,
        (
            (
                "play-areas",
                WORKS,
                "The swings in Riverside Park have been chained up as broken since the spring.",
            ),
            (
                "play-areas",
                FEELS,
                "The gate of the play area does not close, and the path "
                "beside it is busy with bikes.",
            ),
            (
                "play-areas",
                LOOKS,
                "The climbing frame is rusty and the safety surface is coming up in big pieces.",
            ),
            (
                "parks-and-green-spaces",
                LOOKS,
                "Glass and cans left under the play area benches every weekend.",
            ),
            (
                "waste-and-recycling",
                WORKS,
                "The bins at the play area overflow by Saturday lunchtime.",
            ),
        ),
        location="Riverside Park, the play area by the footbridge",
    ),
    Spot(
        "country-park",
        "Millbrook Country Park",
        "Millbrook",
        (0.45, 0.5),
        P,
        26,
        220,
        (
            (
                "parks-and-green-spaces",
                FEELS,
                "Millbrook Country Park is the best thing about "
                "living here. The lake walk is lovely in every season.",
            ),
            (
                "parks-and-green-spaces",
                LOOKS,
                "The wildflower meadow by the lake was stunning this summer.",
            ),
            (
                "parks-and-green-spaces",
                WORKS,
                "New accessible path round the lake means I can "
                "get all the way round with my wheelchair.",
            ),
            (
                "leisure-and-sport",
                WORKS,
                "The free Saturday morning run in the park is a brilliant start to the weekend.",
            ),
            (
                "parks-and-green-spaces",
                FEELS,
                "The volunteer-run community orchard in the park "
                "makes it feel like everyone's place.",
            ),
        ),
        me_too_share=0.3,
        location="Millbrook Country Park, around the lake",
    ),
    Spot(
        "library",
        "Greyfriars Library",
        "Greyfriars",
        (0.5, 0.5),
        P,
        18,
        40,
        (
            (
                "libraries",
                FEELS,
                "Greyfriars Library is warm, welcoming and free. It is always busy.",
            ),
            (
                "libraries",
                WORKS,
                "The homework club at the library has been a lifeline for our family.",
            ),
            (
                "community-centres-and-hubs",
                WORKS,
                "The library's Warm Space on winter evenings, "
                "with tea and the papers, is a real help.",
            ),
            (
                "libraries",
                LOOKS,
                "The refurbished children's corner at Greyfriars Library is "
                "bright and full of books.",
            ),
        ),
        me_too_share=0.3,
        location="Greyfriars Library, Church Street",
    ),
    Spot(
        "market-hall",
        "Abbey Market Hall",
        "Abbey",
        (0.55, 0.45),
        P,
        12,
        50,
        (
            (
                "local-centres-and-high-streets",
                FEELS,
                "The Saturday market in Abbey Market Hall "
                "is busy and friendly, with real local food.",
            ),
            (
                "arts-and-culture",
                LOOKS,
                "The restored Victorian roof of the market hall is "
                "beautiful, especially with the lights on in winter.",
            ),
            (
                "arts-and-culture",
                WORKS,
                "Free lunchtime concerts in the market hall bring the whole town centre to life.",
            ),
        ),
        location="Abbey Market Hall",
    ),
)

# What residents pin anywhere, by service: (kind, aspect, text), with {ward} for the ward's name.
EVERYWHERE = {
    "street-cleaning": (
        (S, LOOKS, "Litter piles up along the verge by the {ward} shops and is rarely swept."),
        (S, LOOKS, "Dog mess all along the footpath behind the {ward} primary school."),
        (P, LOOKS, "The streets around the {ward} parade are kept spotless."),
    ),
    "waste-and-recycling": (
        (S, WORKS, "Recycling in our {ward} road was missed three weeks running."),
        (S, LOOKS, "Overflowing communal bins behind the flats in {ward} attract rats."),
        (P, WORKS, "The new food waste collection in {ward} works really well."),
    ),
    "parks-and-green-spaces": (
        (
            P,
            FEELS,
            "The little green in {ward} is well kept, and the new benches are used all day.",
        ),
        (S, LOOKS, "The grass on the {ward} recreation ground has not been cut since May."),
        (P, LOOKS, "Spring bulbs along the {ward} roundabout are a joy every year."),
    ),
    "play-areas": (
        (S, WORKS, "The only play area in {ward} has one working swing."),
        (P, WORKS, "The rebuilt play area in {ward} has equipment a wheelchair user can use."),
    ),
    "roads-and-pavements": (
        (S, WORKS, "Deep potholes along the {ward} bus route; cyclists swerve into the traffic."),
        (S, FEELS, "The pavement on the hill in {ward} is too narrow and broken for a buggy."),
        (P, WORKS, "The new crossing by the {ward} school has made the walk to school safer."),
    ),
    "public-transport": (
        (S, WORKS, "The evening bus from {ward} was cut, so there is no way home after 7pm."),
        (S, FEELS, "The bus shelter in {ward} has no glass left; you stand in the rain."),
        (P, WORKS, "The real-time bus display at the {ward} stop is accurate and helpful."),
    ),
    "parking": (
        (S, WORKS, "Cars parked on the pavement all along the {ward} shops block wheelchairs."),
        (P, WORKS, "Free short-stay parking in {ward} makes popping to the shops easy."),
    ),
    "street-lighting": (
        (S, WORKS, "The street light at the end of our close in {ward} has been out for weeks."),
        (P, WORKS, "The new LED street lights in {ward} are bright and the road feels safer."),
    ),
    "community-safety": (
        (S, FEELS, "The alley between the {ward} shops and the estate feels unsafe at night."),
        (P, FEELS, "The neighbourhood officers' drop-in in {ward} makes people feel listened to."),
    ),
    "libraries": (
        (P, WORKS, "The mobile library stop in {ward} is a lifeline for older residents."),
        (S, WORKS, "The {ward} library is now only open two days a week."),
    ),
    "leisure-and-sport": (
        (
            P,
            FEELS,
            "The {ward} leisure centre pool is clean and the swimming lessons are good value.",
        ),
        (S, WORKS, "The changing rooms at the {ward} sports ground have been closed all season."),
    ),
    "arts-and-culture": (
        (P, LOOKS, "The mural on the {ward} underpass brightened up the whole walk."),
        (P, FEELS, "The summer festival on the {ward} green brings everyone together."),
    ),
    "community-centres-and-hubs": (
        (P, WORKS, "The {ward} community centre runs something for everyone, every day."),
        (S, LOOKS, "The {ward} community hall roof leaks and the building looks neglected."),
    ),
    "local-centres-and-high-streets": (
        (P, FEELS, "The independent shops on the {ward} parade make it feel like a village."),
        (S, LOOKS, "Empty units and betting shops are all that is left of the {ward} parade."),
    ),
    "planning-and-development": (
        (
            S,
            LOOKS,
            "The derelict garage site in {ward} has been fenced off and overgrown for years.",
        ),
        (P, LOOKS, "The new homes by the {ward} canal fit in well, with trees and a path."),
    ),
    "housing": (
        (
            S,
            LOOKS,
            "Damp and mould in the stairwells of the {ward} flats; the entrance doors do not lock.",
        ),
        (P, WORKS, "The repairs team fixed the {ward} estate's heating within a day."),
    ),
    "other": (
        (P, FEELS, "The public toilets in {ward} are open, clean and free."),
        (S, WORKS, "The only public toilet in {ward} has been locked for a year."),
    ),
}
BACKGROUND_PINS = 188
BY_WARD_SHARE = 0.06  # pins placed by choosing a ward and describing the spot, not on the map


@dataclass
class Planned:
    """One pin to create, decided before anything is written."""

    key: uuid.UUID
    spot: str  # a Spot key, or "" for a pin anywhere
    ward: Area
    kind: str
    category: str
    aspect: str
    description: str
    lon: float
    lat: float
    created_at: datetime
    author: User
    located_by_ward: bool = False
    location: str = ""
    me_toos: tuple[User, ...] = ()
    moderation: str = Pin.Moderation.VISIBLE


def _key(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(str(part) for part in parts))


def _bbox(ward: Area) -> tuple[float, float, float, float]:
    return ward.min_lon, ward.min_lat, ward.max_lon, ward.max_lat


def point_near(
    rng: random.Random, ward: Area, lon: float, lat: float, spread_m: float
) -> tuple[float, float]:
    """A point about ``spread_m`` metres (one standard deviation) from (lon, lat), inside the
    ward."""
    for _ in range(1000):
        dlat = rng.gauss(0, spread_m) / METRES_PER_DEGREE
        dlon = rng.gauss(0, spread_m) / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
        candidate = round(lon + dlon, 6), round(lat + dlat, 6)
        if contains(ward.boundary, *candidate):
            return candidate
    raise ValueError(f"no point near {lon}, {lat} inside {ward.name}")


def point_in(rng: random.Random, ward: Area) -> tuple[float, float]:
    """A point anywhere in the ward, evenly spread."""
    west, south, east, north = _bbox(ward)
    while True:
        candidate = round(rng.uniform(west, east), 6), round(rng.uniform(south, north), 6)
        if contains(ward.boundary, *candidate):
            return candidate


def spot_centre(ward: Area, at: tuple[float, float]) -> tuple[float, float]:
    west, south, east, north = _bbox(ward)
    lon, lat = west + at[0] * (east - west), south + at[1] * (north - south)
    return (lon, lat) if contains(ward.boundary, lon, lat) else centre_of(ward)


class Plan:
    """Decides every pin (where, what, when, who) from one seeded generator."""

    def __init__(self, wards: dict[str, Area], categories: dict[str, ServiceCategory], people):
        self.rng = random.Random(SEED)  # noqa: S311 - demo data, not security
        self.wards, self.categories, self.people = wards, categories, people
        self.now = timezone.now()
        # The published demo residents place a fair share each; the neighbours the rest.
        self.author_weights = [5 if person.email in RESIDENTS else 1 for person in people]

    def moment(self, recency: float = 1.0) -> datetime:
        age = DAYS * self.rng.random() ** recency
        return self.now - timedelta(days=max(age, 0.02))

    def author(self) -> User:
        return self.rng.choices(self.people, self.author_weights)[0]

    def me_toos(self, author: User, share: float) -> tuple[User, ...]:
        if self.rng.random() >= share:
            return ()
        others = [person for person in self.people if person != author]
        return tuple(self.rng.sample(others, self.rng.choice((1, 1, 1, 2, 2, 3, 4, 6))))

    def spot_pins(self, spot: Spot) -> list[Planned]:
        ward = self.wards[spot.ward]
        lon0, lat0 = spot_centre(ward, spot.at)
        notes = list(spot.notes)
        pins = []
        for n in range(spot.pins):
            if n % len(notes) == 0:
                self.rng.shuffle(notes)
            category, aspect, text = notes[n % len(notes)]
            lon, lat = point_near(self.rng, ward, lon0, lat0, spot.spread_m)
            author = self.author()
            pins.append(
                Planned(
                    _key("spot", spot.key, n), spot.key, ward, spot.kind, category, aspect, text,
                    lon, lat, self.moment(spot.recency), author,
                    location=spot.location if self.rng.random() < 0.3 else "",
                    me_toos=self.me_toos(author, spot.me_too_share),
                )
            )  # fmt: skip
        return pins

    def background_pins(self) -> list[Planned]:
        wards = list(self.wards.values())
        weights = [ward.population for ward in wards]
        choices = [(slug, *note) for slug, notes in EVERYWHERE.items() for note in notes]
        pins = []
        for n in range(BACKGROUND_PINS):
            ward = self.rng.choices(wards, weights)[0]
            category, kind, aspect, text = self.rng.choice(choices)
            by_ward = self.rng.random() < BY_WARD_SHARE
            lon, lat = centre_of(ward) if by_ward else point_in(self.rng, ward)
            author = self.author()
            pins.append(
                Planned(
                    _key("anywhere", n), "", ward, kind, category, aspect,
                    text.format(ward=ward.name), round(lon, 6), round(lat, 6), self.moment(),
                    author, located_by_ward=by_ward,
                    location=f"Somewhere in {ward.name}, near the shops" if by_ward else "",
                    me_toos=self.me_toos(author, 0.1),
                )
            )  # fmt: skip
        return pins

    def single(self, name: str, ward: str, kind: str, category: str, aspect: str, text: str,
               age_days: float, author: User, **extra) -> Planned:  # fmt: skip
        area = self.wards[ward]
        lon, lat = point_in(self.rng, area)
        return Planned(
            _key("single", name), "", area, kind, category, aspect, text, lon, lat,
            self.now - timedelta(days=age_days), author, **extra,
        )  # fmt: skip


def _people() -> list[User]:
    found = {user.email: user for user in User.objects.filter(email__in=RESIDENTS)}
    residents = [found[email] for email in RESIDENTS if email in found]
    for email, name in NEIGHBOURS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(email=email, display_name=name)
            user.set_unusable_password()  # demo-only: they place pins, nobody signs in as them
            user.save()
        residents.append(user)
    return residents


def _create(planned: Planned, categories: dict[str, ServiceCategory]) -> Pin:
    fields = {
        "kind": planned.kind,
        "category": categories[planned.category],
        "aspect": planned.aspect,
        "description": planned.description,
        "ward": planned.ward,
        "location_description": planned.location,
        "lat": planned.lat,
        "lon": planned.lon,
        "located_by_ward": planned.located_by_ward,
        "created_at": planned.created_at,
    }
    if planned.moderation == Pin.Moderation.PENDING:
        pin = Pin(author=planned.author, idempotency_key=planned.key, moderation=planned.moderation,
                  **fields)  # fmt: skip
        pin.save()  # waiting for a moderator: not on the map, so not counted in any cell
        return pin
    pin, _created = services.create_pin(
        author=planned.author, idempotency_key=planned.key, **fields
    )
    for person in planned.me_toos:
        pin.add_me_too(person)
    if planned.me_toos:
        # Each voice joined some time after the pin was placed.
        span = (timezone.now() - planned.created_at).total_seconds()
        for n, me_too in enumerate(MeToo.objects.filter(pin=pin).order_by("pk")):
            offset = span * (n + 1) / (len(planned.me_toos) + 1)
            me_too.created_at = planned.created_at + timedelta(seconds=offset)
            me_too.save(update_fields=["created_at"])
    return pin


def _answer(pins: list[Pin], status: str, message: str, days_ago: float) -> None:
    """The county council's public answer, dated ``days_ago``, to the pins placed before it."""
    officer = User.objects.filter(email=OFFICER).first()
    council = Organisation.objects.filter(name=COUNTY_COUNCIL).first()
    if officer is None or council is None:
        return
    when = timezone.now() - timedelta(days=days_ago)
    answered = [pin for pin in pins if pin.created_at < when]
    if not answered:
        return
    update = services.post_update(
        pins=answered, status=status, message=message, organisation=council, by=officer
    )
    StatusUpdate.objects.filter(pk=update.pk).update(created_at=when)
    Pin.objects.filter(pk__in=[pin.pk for pin in answered]).update(status_updated_at=when)


def _day(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B}"


def plan_pins() -> tuple[Plan, list[Planned]]:
    wards = {
        ward.name: ward
        for ward in Area.objects.wards()
        .filter(boundary__isnull=False)
        .select_related("parent__parent")
    }
    categories = {category.slug: category for category in ServiceCategory.objects.all()}
    plan = Plan(wards, categories, _people())
    planned = [pin for spot in SPOTS for pin in plan.spot_pins(spot)]
    planned += plan.background_pins()
    resident, neighbour = plan.people[0], plan.people[1]
    planned += [
        plan.single(
            "pothole", "Orchard", S, "roads-and-pavements", WORKS,
            "A deep pothole on the bend of Orchard Lane; two cars have burst tyres in it.",
            age_days=40, author=resident, location="Orchard Lane, on the bend by the farm shop",
        ),
        plan.single(
            "bus-shelter", "Lowther", S, "public-transport", LOOKS,
            "The bus shelter glass on Mill Lane has been smashed for a month and nobody has "
            "swept it up.",
            age_days=12, author=neighbour,
        ),
        plan.single(
            "mural", "Quarry Fields", P, "arts-and-culture", LOOKS,
            "The new mural on the community centre wall has brightened the whole street.",
            age_days=0.2, author=resident, moderation=Pin.Moderation.PENDING,
        ),
    ]  # fmt: skip
    return plan, planned


def seed_pins(stdout=None) -> int:
    """Create the demo map once; returns how many pins were added (0 if it was already there)."""
    plan, planned = plan_pins()
    if Pin.objects.filter(idempotency_key__in=[pin.key for pin in planned]).exists():
        if stdout is not None:
            stdout.write("Demo map already there: no pins added.")
        return 0
    with transaction.atomic():
        pins = {planned_pin.key: _create(planned_pin, plan.categories) for planned_pin in planned}
        by_spot: dict[str, list[Pin]] = {}
        for planned_pin in planned:
            by_spot.setdefault(planned_pin.spot, []).append(pins[planned_pin.key])

        started = timezone.now() - timedelta(days=9)
        _answer(
            by_spot["high-street"],
            Pin.Status.IN_PROGRESS,
            "Thank you for every report about the High Street. A damaged underground cable has "
            "left fourteen lamp columns between the market cross and the car park without power. "
            f"Our street lighting contractor started replacing the cable on {_day(started)} and "
            "expects to finish within three weeks; meanwhile temporary lights are up by the bus "
            "stops and the car park entrance. We are also asking Kelmere District Council to look "
            "at seating and the empty shop fronts. We will post here again when the lights are "
            "back on.",
            days_ago=9,
        )
        pothole = pins[_key("single", "pothole")]
        _answer(
            [pothole],
            Pin.Status.DONE,
            f"Our highways team filled the pothole on Orchard Lane on "
            f"{_day(timezone.now() - timedelta(days=21))} and resurfaced the bend. Thank you for "
            "reporting it.",
            days_ago=21,
        )
        shelter = pins[_key("single", "bus-shelter")]
        shelter.flag(
            user=plan.people[2],
            reason=Flag.Reason.WRONG_PLACE,
            note="This shelter is on Mill Lane in Millbrook, not in Lowther.",
        )
    if stdout is not None:
        shame = sum(1 for pin in planned if pin.kind == S)
        stdout.write(
            f"Demo map ready: {len(planned)} pins ({shame} shame, {len(planned) - shame} pride), "
            f"{sum(len(pin.me_toos) for pin in planned)} me-toos, {len(SPOTS)} busy spots."
        )
    return len(planned)
