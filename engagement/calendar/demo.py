"""The demo place's shared calendar (Marlshire): about two months of asks and activities from the
county, the districts, the NHS, the fire service, the university and VCSE partners, from a fortnight
ago to eight weeks ahead, with

- **one deliberate clash**: next week the county council runs a short consultation on school
  streets in Abbey ward for families, and Eastbrook Food Network goes ahead with a family cooking
  session there the same week, with its reason recorded for officers;
- **one overloaded ward**: Brookside (Eastbrook) in three weeks' time, when six heavy asks and
  two light ones land on the same residents in one week;
- one activity from a VCSE partner waiting for an officer's approval;
- weekly Warm Spaces and Welcoming Places;
- the demo consultations' own activities (written when they are published) and, for the demo
  residents, areas and topics followed with their digest settings.

Called by ``manage.py seed_demo`` after the consultations and forums. Dates are relative to the
day it runs. Idempotent: if the demo calendar is already there nothing is added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from engagement.calendar import logic
from engagement.calendar.models import Activity, DigestSettings, Follow
from engagement.calendar.services import sync_consultation
from engagement.models import Area, Audience, Organisation, ServiceCategory, User

MARKER = "Abbey school streets: tell us about the school run"

COUNTY = "Marlshire County Council"
NHS = "Marlshire Health and Care Partnership"
FIRE = "Marlshire Fire and Rescue Service"
UNI = "University of Marlshire"
FOOD = "Eastbrook Food Network"
K = Activity.Kind


@dataclass(frozen=True)
class Demo:
    title: str
    kind: str
    organisations: tuple[str, ...]
    areas: tuple[str, ...]  # names; districts and wards are unique in the demo place
    week: int  # weeks from this week's Monday
    day: int = 1  # Monday = 0
    hours: tuple[int, int] = (10, 12)  # local start and end hours
    days: int = 0  # a one-off spanning more than one day: how many days it runs
    audiences: tuple[str, ...] = ()  # slugs; none = everyone
    topics: tuple[str, ...] = ()
    ask_level: str = "light"
    mode: str = "proactive"
    venue: str = ""
    summary: str = ""
    weekly: tuple[int, ...] = ()  # weekdays of a weekly opening
    weekly_until: int = 8  # weeks from this week's Monday
    status: str = Activity.Status.PUBLISHED
    clash_reason: str = ""
    extra: dict = field(default_factory=dict)


DEMOS: list[Demo] = [
    # --- The deliberate clash: Abbey ward, families, next week ---------------------------------
    Demo(
        MARKER,
        K.CONSULTATION,
        (COUNTY,),
        ("Abbey",),
        week=1,
        day=0,
        hours=(8, 20),
        days=6,
        audiences=("families",),
        topics=("roads-and-pavements",),
        summary="Should the roads outside Abbey's two primary schools close to traffic at the "
        "start and end of the school day? A short survey, online and on paper at the schools.",
        venue="Online, and paper copies at Abbey Primary and St Mary's",
    ),
    Demo(
        "Family cooking and chat at the community kitchen",
        K.WORKSHOP,
        (FOOD,),
        ("Abbey",),
        week=1,
        day=2,
        hours=(16, 18),
        audiences=("families",),
        topics=("community-centres-and-hubs",),
        ask_level="heavy",
        venue="Abbey Community Kitchen, Mill Lane",
        summary="Cook a cheap family meal together and tell us what would help your household "
        "eat well this winter.",
        clash_reason="The community kitchen is only free to us that week, and the families we "
        "work with asked for a half-term session.",
    ),
    # --- Brookside, three weeks from now: one week, eight asks ---------------------------------
    Demo(
        "Brookside regeneration: design workshop",
        K.WORKSHOP,
        ("Eastbrook District Council",),
        ("Brookside",),
        week=3,
        day=1,
        hours=(18, 20),
        ask_level="heavy",
        topics=("planning-and-development",),
        venue="Brookside Library",
    ),
    Demo(
        "Brookside regeneration: second design workshop",
        K.WORKSHOP,
        ("Eastbrook District Council",),
        ("Brookside",),
        week=3,
        day=3,
        hours=(18, 20),
        ask_level="heavy",
        topics=("planning-and-development",),
        venue="Brookside Library",
    ),
    Demo(
        "Listening event: GP and pharmacy services in Brookside",
        K.EVENT,
        (NHS,),
        ("Brookside",),
        week=3,
        day=2,
        hours=(13, 16),
        ask_level="heavy",
        venue="Brookside Health Centre",
    ),
    Demo(
        "Brookside household survey (door to door)",
        K.OUTREACH,
        (UNI,),
        ("Brookside",),
        week=3,
        day=0,
        hours=(10, 17),
        weekly=(0, 1),
        weekly_until=3,
        ask_level="heavy",
        summary="Researchers knock on doors to ask about work, money and health.",
    ),
    Demo(
        "Community conversations: what Brookside needs next",
        K.OUTREACH,
        ("Brookside Mosque and Community Centre",),
        ("Brookside",),
        week=3,
        day=4,
        hours=(12, 16),
        ask_level="heavy",
        venue="Brookside Mosque and Community Centre",
    ),
    Demo(
        "Brookside bus stop changes: drop-in",
        K.DROP_IN,
        (COUNTY,),
        ("Brookside",),
        week=3,
        day=5,
        hours=(10, 14),
        ask_level="heavy",
        topics=("public-transport",),
        venue="Brookside Market Square",
    ),
    Demo(
        "Home fire safety visits in Brookside",
        K.OUTREACH,
        (FIRE,),
        ("Brookside",),
        week=3,
        day=4,
        hours=(10, 12),
        audiences=("older-people",),
    ),
    Demo(
        "Food bank user panel",
        K.WORKSHOP,
        (FOOD,),
        ("Brookside",),
        week=3,
        day=3,
        hours=(10, 12),
        venue="Brookside Community Pantry",
    ),
    # --- Warm Spaces and Welcoming Places (weekly) ---------------------------------------------
    Demo(
        "Riverside Warm Welcome",
        K.WARM_SPACE,
        ("Riverside Warm Welcome",),
        ("Riverside",),
        week=-2,
        hours=(10, 16),
        weekly=(0, 2, 4),
        ask_level="inform",
        venue="St Anne's Hall, Riverside",
        summary="A warm room, hot drinks and soup, free. Everyone welcome; no need to book.",
    ),
    Demo(
        "Greyfriars Welcoming Place",
        K.WARM_SPACE,
        ("Greyfriars Community Hub",),
        ("Greyfriars",),
        week=-2,
        hours=(12, 18),
        weekly=(1, 3),
        ask_level="inform",
        venue="Greyfriars Community Hub",
    ),
    Demo(
        "Warm Space at Eastbrook Library",
        K.WARM_SPACE,
        (COUNTY,),
        ("Castle Hill",),
        week=-2,
        hours=(9, 17),
        weekly=(0, 1, 2, 3, 4, 5),
        ask_level="inform",
        venue="Eastbrook Library",
    ),
    Demo(
        "Carers' café",
        K.DROP_IN,
        ("Harrowfield Carers Centre",),
        ("Harrowfield",),
        week=-2,
        hours=(10, 12),
        weekly=(2,),
        audiences=("carers",),
        venue="Harrowfield Carers Centre",
    ),
    # --- Everything else -----------------------------------------------------------------------
    Demo(
        "Health MOT drop-in",
        K.DROP_IN,
        (NHS,),
        ("Sandham",),
        week=0,
        day=3,
        hours=(9, 15),
        venue="Sandham Leisure Centre",
    ),
    Demo(
        "Health MOT drop-in",
        K.DROP_IN,
        (NHS,),
        ("Kelmere",),
        week=2,
        day=3,
        hours=(9, 15),
        venue="Kelmere Market Hall",
    ),
    Demo(
        "Youth voice workshop: what Kelmere needs",
        K.WORKSHOP,
        ("Kelmere Youth Collective",),
        ("Kelmere",),
        week=1,
        day=4,
        hours=(17, 19),
        audiences=("young-people",),
        ask_level="heavy",
        venue="The Yard, Kelmere",
    ),
    Demo(
        "Estate walkabout with residents",
        K.OUTREACH,
        ("Sandham Tenants Together",),
        ("Saltings",),
        week=0,
        day=5,
        hours=(11, 13),
        audiences=("tenants",),
    ),
    Demo(
        "Age-friendly high street audit walk",
        K.EVENT,
        ("Marlshire Age Friendly Forum",),
        ("Castle Hill",),
        week=2,
        day=1,
        hours=(10, 12),
        audiences=("older-people", "disabled-people"),
        topics=("local-centres-and-high-streets",),
    ),
    Demo(
        "Local plan: drop-in for Sandham",
        K.DROP_IN,
        ("Sandham District Council",),
        ("Priory",),
        week=4,
        day=2,
        hours=(14, 19),
        ask_level="heavy",
        topics=("planning-and-development", "housing"),
        venue="Priory Community Centre",
    ),
    Demo(
        "Local plan: drop-in for Sandham",
        K.DROP_IN,
        ("Sandham District Council",),
        ("Riverside",),
        week=5,
        day=2,
        hours=(14, 19),
        ask_level="heavy",
        topics=("planning-and-development", "housing"),
        venue="Riverside Library",
    ),
    Demo(
        "Marlshire Life survey",
        K.SURVEY,
        (UNI, "Marlshire Community Foundation"),
        ("Marlshire",),
        week=6,
        day=0,
        hours=(9, 17),
        days=13,
        audiences=("seldom-heard-groups",),
        ask_level="light",
        summary="The yearly survey of life in Marlshire: twelve minutes, online or by post.",
    ),
    Demo(
        "Traders' breakfast: the high street this winter",
        K.EVENT,
        ("Marlshire Chamber of Commerce",),
        ("Eastbrook",),
        week=2,
        day=2,
        hours=(8, 9),
        audiences=("businesses",),
        topics=("local-centres-and-high-streets",),
    ),
    Demo(
        "Allotment open day",
        K.EVENT,
        ("Millbrook Allotment Society",),
        ("Millbrook",),
        week=6,
        day=5,
        hours=(10, 15),
        ask_level="inform",
        topics=("parks-and-green-spaces",),
    ),
    Demo(
        "Accessible buses: tell us what gets in the way",
        K.WORKSHOP,
        ("Marlshire Disability Voices", COUNTY),
        ("Marlshire",),
        week=4,
        day=3,
        hours=(13, 15),
        audiences=("disabled-people",),
        topics=("public-transport",),
        ask_level="heavy",
        venue="Online, and at County Hall",
    ),
    Demo(
        "Winter fire safety stall",
        K.EVENT,
        (FIRE,),
        ("Harrowfield",),
        week=-1,
        day=5,
        hours=(10, 14),
        ask_level="inform",
        venue="Harrowfield Market",
    ),
    Demo(
        "Park users count and chat",
        K.SURVEY,
        (COUNTY,),
        ("Riverside",),
        week=5,
        day=5,
        hours=(10, 16),
        audiences=("families",),
        topics=("parks-and-green-spaces", "play-areas"),
    ),
    Demo(
        "Skate park design jam",
        K.WORKSHOP,
        ("Kelmere Youth Collective",),
        ("Millbrook",),
        week=3,
        day=5,
        hours=(13, 16),
        audiences=("young-people",),
        topics=("leisure-and-sport", "parks-and-green-spaces"),
        ask_level="heavy",
        status=Activity.Status.PENDING,
        venue="Millbrook Rec",
    ),
]

FOLLOWS = {
    # resident: (areas, topics, frequency)
    "resident@demo.commonground.test": (("Abbey",), ("parks-and-green-spaces",), "weekly"),
    "resident2@demo.commonground.test": (("Sandham",), (), "monthly"),
}


def _monday(today: date) -> date:
    return today - timedelta(days=today.weekday())


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=logic.LONDON)


def _create(demo: Demo, monday: date, lookups: dict, creator: User | None) -> Activity:
    first = monday + timedelta(weeks=demo.week, days=demo.day)
    activity = Activity(
        title=demo.title,
        summary=demo.summary,
        kind=demo.kind,
        venue=demo.venue,
        ask_level=demo.ask_level,
        mode=demo.mode,
        status=demo.status,
        clash_reason=demo.clash_reason,
        created_by=creator,
    )
    if demo.weekly:
        activity.weekdays = "".join(str(d) for d in demo.weekly)
        activity.opens, activity.closes = time(demo.hours[0]), time(demo.hours[1])
        activity.repeat_until = monday + timedelta(weeks=demo.weekly_until, days=6)
        activity.starts_at, activity.ends_at = _at(first, demo.hours[0]), _at(first, demo.hours[1])
    else:
        activity.starts_at = _at(first, demo.hours[0])
        activity.ends_at = _at(first + timedelta(days=demo.days), demo.hours[1])
    if demo.status == Activity.Status.PUBLISHED:
        # Counted as published a little before it starts (or a week ago at the latest), so the
        # first digests have something in them.
        activity.published_at = min(activity.starts_at, timezone.now()) - timedelta(days=3)
    activity.save()
    activity.organisations.set([lookups["organisations"][name] for name in demo.organisations])
    activity.areas.set([lookups["areas"][name] for name in demo.areas])
    activity.audiences.set([lookups["audiences"][slug] for slug in demo.audiences])
    activity.topics.set([lookups["topics"][slug] for slug in demo.topics])
    return activity


def seed_calendar(stdout=None) -> int:
    """Create the demo calendar once; returns how many activities were added (0 if there)."""
    from consultations.models import ConsultationPage

    # Consultations published before the calendar existed get their activity now.
    for page in ConsultationPage.objects.live().filter(activity__isnull=True):
        sync_consultation(page)
    if Activity.objects.filter(title=MARKER).exists():
        if stdout is not None:
            stdout.write("Demo calendar already there: nothing added.")
        return 0
    lookups = {
        "organisations": {o.name: o for o in Organisation.objects.all()},
        "areas": {a.name: a for a in Area.objects.all()},
        "audiences": {a.slug: a for a in Audience.objects.all()},
        "topics": {t.slug: t for t in ServiceCategory.objects.all()},
    }
    people = {u.email: u for u in User.objects.filter(email__endswith="@demo.commonground.test")}
    creators = {
        FOOD: people.get("partner@demo.commonground.test"),
        COUNTY: people.get("officer@demo.commonground.test"),
        NHS: people.get("nhs.officer@demo.commonground.test"),
        "Sandham District Council": people.get("district.officer@demo.commonground.test"),
    }
    monday = _monday(timezone.localdate())
    with transaction.atomic():
        made = [
            _create(demo, monday, lookups, creators.get(demo.organisations[0])) for demo in DEMOS
        ]
        for email, (areas, topics, frequency) in FOLLOWS.items():
            person = people.get(email)
            if person is None:
                continue
            for name in areas:
                Follow.objects.get_or_create(user=person, area=lookups["areas"][name])
            for slug in topics:
                Follow.objects.get_or_create(user=person, topic=lookups["topics"][slug])
            DigestSettings.objects.update_or_create(user=person, defaults={"frequency": frequency})
    if stdout is not None:
        stdout.write(f"Demo calendar: {len(made)} activities.")
    return len(made)
