"""The shared calendar's benchmark data: 100,000 activities over two years around now.

Runs in a child process under ``bench.settings`` against the benchmark's database:

    python -m bench.calendar_data setup [N]    # write N activities (100,000); print JSON counts

The activities are drawn by a seeded ``random.Random``, so every run writes the same calendar
(relative to the day it runs), and written with PostgreSQL's COPY together with their four
many-to-many tables (a few seconds), then ``VACUUM ANALYZE``d. Their shape follows the demo place
(``manage.py seed_demo``: one county, four districts, twenty wards, twenty organisations):

- **when**: starting from a year ago to a year ahead, evenly; events, workshops, drop-ins, forum
  sessions and outreach last one to eight hours, surveys two to six weeks, consultations four to
  twelve; a tenth are Warm Spaces open weekly on one to three days for 6 to 20 weeks (their
  ``starts_at``/``ends_at`` is the envelope, first opening to last closing, as
  :meth:`Activity.save` stores it);
- **where**: four in five for a ward (some for two or three wards of one district), 15% for a
  district, 5% for the whole county; by an organisation working there, a tenth with a partner;
- **who and what**: no audience (everyone) for two in five, one or two audiences otherwise; one or
  two topics; ask level by type (consultations mostly heavy, Warm Spaces inform);
- **status**: 2% drafts; 6% of those still to come wait for approval; 5% cancelled (four in five
  of them after they were published, so the feed marks them cancelled); the rest published, with
  ``published_at`` one to sixty days before the start (never in the future) and a ``SEQUENCE``
  above 0 for the edited ones.

The feed (``/calendar.ics``) lists published activities, and cancelled ones that had been
published, ending after now − :data:`FEED_PAST`. About half of the 100,000 qualify, so the
benchmark's 10,000-event feed is a filtered one: exactly :data:`FEED_EVENTS` of the qualifying
activities (and the same share of the others) belong to :data:`FEED_ORGANISATION`, and its feed,
``/calendar.ics?organisation=<slug>``, is the target's row.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

ACTIVITIES = 100_000
# The feed's window reaches back this far (engagement/calendar/feeds.py).
FEED_PAST = timedelta(days=30)
FEED_EVENTS = 10_000
FEED_ORGANISATION = "Marlshire County Council"
# The first activity's uid: finding it means the data is already there.
MARKER = uuid.UUID("6a1f0c3e-5b7d-4e2a-9c1b-3d5e7f9a0b2c")
SEED = 6

# kind: (weight, ask levels with weights, hours (min, max) or None for multi-week)
KINDS: dict[str, tuple[int, dict[str, int]]] = {
    "event": (33, {"inform": 5, "light": 5}),
    "workshop": (15, {"light": 4, "heavy": 6}),
    "drop_in": (14, {"inform": 2, "light": 8}),
    "forum_session": (6, {"light": 3, "heavy": 7}),
    "outreach": (10, {"inform": 3, "light": 7}),
    "survey": (8, {"light": 9, "heavy": 1}),
    "consultation": (4, {"light": 3, "heavy": 7}),
    "warm_space": (10, {"inform": 9, "light": 1}),
}
HOURS = {
    "event": (1, 3),
    "workshop": (1.5, 3),
    "drop_in": (2, 4),
    "forum_session": (1, 2),
    "outreach": (3, 8),
}
WEEKS = {"survey": (2, 6), "consultation": (4, 12)}
MODES = {"proactive": 6, "reactive": 3, "directive": 1}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _local(day: date, at: clock) -> datetime:
    from engagement.calendar.logic import LONDON

    return datetime.combine(day, at, tzinfo=LONDON)


class Place:
    """The demo place's ids, read once."""

    def __init__(self):
        from engagement.models import Area, Audience, Organisation, ServiceCategory

        areas = list(Area.objects.values("pk", "name", "kind", "parent_id"))
        self.county = next(a for a in areas if a["kind"] == Area.Kind.COUNTY)
        self.districts = [a for a in areas if a["kind"] == Area.Kind.DISTRICT]
        self.wards_in = {
            d["pk"]: [a for a in areas if a["kind"] == Area.Kind.WARD and a["parent_id"] == d["pk"]]
            for d in self.districts
        }
        if not self.districts or not all(self.wards_in.values()):
            raise SystemExit("the demo place is missing: run manage.py seed_demo first")
        self.audiences = list(
            Audience.objects.exclude(slug="everyone").values_list("pk", flat=True)
        )
        self.topics = list(ServiceCategory.objects.values_list("pk", "name"))
        organisations = list(Organisation.objects.values("pk", "name", "slug"))
        self.feed_organisation = next(o for o in organisations if o["name"] == FEED_ORGANISATION)
        # Who works where: an organisation with no area of its own works everywhere.
        worked = {}
        for pk, area in Organisation.areas.through.objects.values_list(
            "organisation_id", "area_id"
        ):
            worked.setdefault(pk, set()).add(area)
        self.organisations_for = {}
        for district in [self.county, *self.districts]:
            self.organisations_for[district["pk"]] = [
                o["pk"]
                for o in organisations
                if o["pk"] != self.feed_organisation["pk"]
                and (
                    not worked.get(o["pk"])
                    or district["pk"] in worked[o["pk"]]
                    or self.county["pk"] in worked[o["pk"]]
                )
            ]


def draw(rng: random.Random, place: Place, now: datetime) -> dict[str, Any]:
    """One activity's columns and many-to-many ids (organisations are settled later)."""
    from engagement.calendar import logic

    kind = _pick(rng, {k: weight for k, (weight, _levels) in KINDS.items()})
    today = now.astimezone(logic.LONDON).date()
    day = today + timedelta(days=rng.randint(-365, 365))
    values: dict[str, Any] = {"weekdays": "", "opens": None, "closes": None, "repeat_until": None}
    if kind == "warm_space":
        days = rng.sample(range(7), rng.choice([1, 1, 2, 2, 3]))
        opens = clock(rng.randint(9, 14))
        closes = clock(opens.hour + rng.randint(2, 4))
        last = day + timedelta(weeks=rng.randint(6, 20))
        opening = logic.WeeklyOpening(frozenset(days), opens, closes)
        spans = logic.weekly_occurrences(opening, day, last)
        values.update(
            weekdays="".join(str(d) for d in sorted(days)),
            opens=opens,
            closes=closes,
            repeat_until=last,
        )
        starts, ends = spans[0].start, spans[-1].end
    elif kind in WEEKS:
        low, high = WEEKS[kind]
        starts = _local(day, clock(9))
        ends = _local(day + timedelta(weeks=rng.randint(low, high)), clock(23, 59))
    else:
        low, high = HOURS[kind]
        starts = _local(day, clock(rng.randint(9, 19), rng.choice([0, 30])))
        ends = starts + timedelta(minutes=30 * rng.randint(int(low * 2), int(high * 2)))

    where = rng.random()
    if where < 0.05:
        areas, district = [place.county], place.county
    elif where < 0.20:
        district = rng.choice(place.districts)
        areas = [district]
    else:
        district = rng.choice(place.districts)
        wards = place.wards_in[district["pk"]]
        areas = rng.sample(wards, 1 if rng.random() < 0.85 else rng.randint(2, 3))
    working_there = place.organisations_for[district["pk"]]
    organisations = rng.sample(working_there, 2 if rng.random() < 0.1 else 1)
    audiences = rng.sample(place.audiences, rng.choices([0, 1, 2], weights=[4, 4, 2])[0])
    topics = rng.sample(place.topics, 1 if rng.random() < 0.7 else 2)

    status = "published"
    state = rng.random()
    if state < 0.02:
        status = "draft"
    elif state < 0.07:
        status = "cancelled"
    elif starts > now and state < 0.13:
        status = "pending"
    lead = timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 23))
    created = min(now - timedelta(minutes=5), starts - lead)
    published_at = None
    if status == "published" or (status == "cancelled" and rng.random() < 0.8):
        published_at = created
    sequence = 0
    if status == "cancelled" or (status == "published" and rng.random() < 0.3):
        sequence = rng.randint(1, 3)  # changed since it was first published
    area_name = areas[0]["name"] if len(areas) == 1 else f"{areas[0]['name']} and nearby"
    topic = topics[0][1]
    label = kind.replace("_", " ").capitalize()
    online = kind in {"survey", "consultation"} or rng.random() < 0.15
    values.update(
        uid=uuid.UUID(int=rng.getrandbits(128), version=4),
        title=f"{label}: {topic} in {area_name}"[:150],
        summary=(
            f"A {label.lower()} about {topic.lower()} for people in {area_name}. "
            "Come along, tell us what matters to you and hear what happens next."
        ),
        kind=kind,
        starts_at=starts,
        ends_at=ends,
        venue="" if online else f"{area_name} Community Centre",
        online_url=f"https://meet.example.org/{rng.getrandbits(32):08x}" if online else "",
        mode=_pick(rng, MODES),
        ask_level=_pick(rng, KINDS[kind][1]),
        status=status,
        clash_reason="",
        sequence=sequence,
        published_at=published_at,
        idempotency_key=None,
        created_by_id=None,
        created_at=created,
        updated_at=created,
        consultation_id=None,
        forum_session_id=None,
    )
    return {
        "values": values,
        "organisations": organisations,
        "areas": [a["pk"] for a in areas],
        "audiences": audiences,
        "topics": [pk for pk, _name in topics],
    }


def in_feed(values: dict[str, Any], now: datetime) -> bool:
    """Whether the unfiltered feed lists this activity (engagement/calendar/feeds.py's rule)."""
    listed = values["status"] == "published" or (
        values["status"] == "cancelled" and values["published_at"] is not None
    )
    return listed and values["ends_at"] > now - FEED_PAST


def fill(count: int) -> int:
    """Write ``count`` activities with COPY; 0 when they are already there."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.survey_data import _copy, _foreign_keys_checked_once
    from engagement.calendar.models import Activity

    if Activity.objects.filter(uid=MARKER).exists():
        return 0
    rng = random.Random(SEED)  # noqa: S311 - benchmark data
    now = timezone.now()
    place = Place()
    drawn = [draw(rng, place, now) for _ in range(count)]
    drawn[0]["values"]["uid"] = MARKER
    # Exactly FEED_EVENTS of the activities in the feed are the feed organisation's, and the same
    # share of the others, so its feed has FEED_EVENTS events and its past looks like its future.
    listed = [item for item in drawn if in_feed(item["values"], now)]
    share = FEED_EVENTS / max(1, len(listed))
    for item in rng.sample(listed, min(FEED_EVENTS, len(listed))):
        item["organisations"][0] = place.feed_organisation["pk"]
    for item in drawn:
        if not in_feed(item["values"], now) and rng.random() < share:
            item["organisations"][0] = place.feed_organisation["pk"]

    through = {
        "organisations": (Activity.organisations.through, "organisation_id"),
        "areas": (Activity.areas.through, "area_id"),
        "audiences": (Activity.audiences.through, "audience_id"),
        "topics": (Activity.topics.through, "servicecategory_id"),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Activity._meta.db_table, count],
        )
        ids = [row[0] for row in cursor.fetchall()]
        raw = cursor.connection
        rows = []
        links: dict[str, list[dict]] = {name: [] for name in through}
        for pk, item in zip(ids, drawn, strict=True):
            rows.append({"id": pk, **item["values"]})
            for name, (_model, column) in through.items():
                links[name] += [{"activity_id": pk, column: other} for other in item[name]]
        models = [model for model, _column in through.values()]
        with _foreign_keys_checked_once(cursor, models):
            columns = [f.column for f in Activity._meta.concrete_fields]
            _copy(raw, Activity, columns, rows)
            for name, (model, column) in through.items():
                _copy(raw, model, ["activity_id", column], links[name])
    with connection.cursor() as cursor:
        for model in [Activity, *models]:
            cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
    return count


def feed_queryset(now: datetime):
    """What the unfiltered feed lists, as :func:`in_feed` decides it."""
    from django.db.models import Q

    from engagement.calendar.models import Activity

    return Activity.objects.filter(
        Q(status="published") | Q(status="cancelled", published_at__isnull=False),
        ends_at__gt=now - FEED_PAST,
    )


def summary() -> dict[str, Any]:
    from django.db.models import Count, Q
    from django.utils import timezone

    from engagement.calendar.models import Activity
    from engagement.models import Area, Organisation

    now = timezone.now()
    by_status = dict(Activity.objects.values_list("status").annotate(n=Count("pk")).order_by())
    organisation = Organisation.objects.get(name=FEED_ORGANISATION)
    areas = Activity.areas.through.objects.values("area__kind").annotate(n=Count("activity_id"))
    busiest_ward = (
        Area.objects.wards()
        .annotate(n=Count("activities", filter=Q(activities__ends_at__gt=now)))
        .order_by("-n", "pk")
        .values("slug", "name")
        .first()
    )
    return {
        "activities": Activity.objects.count(),
        "by_status": by_status,
        "weekly": Activity.objects.exclude(weekdays="").count(),
        "by_area_kind": {row["area__kind"]: row["n"] for row in areas},
        "first_start": Activity.objects.order_by("starts_at")
        .values_list("starts_at", flat=True)[0]
        .isoformat(),
        "last_end": Activity.objects.order_by("-ends_at")
        .values_list("ends_at", flat=True)[0]
        .isoformat(),
        "feed": {
            "past_days": FEED_PAST.days,
            "all": feed_queryset(now).count(),
            "organisation": {
                "slug": organisation.slug,
                "name": organisation.name,
                "events": feed_queryset(now).filter(organisations=organisation).count(),
            },
            "ward": busiest_ward,
        },
    }


def setup(count: int) -> dict[str, Any]:
    began = time.perf_counter()
    written = fill(count)
    return {"written": written, "fill_s": time.perf_counter() - began, **summary()}


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    if argv[:1] == ["setup"] and len(argv) <= 2:
        print(json.dumps(setup(int(argv[1]) if len(argv) == 2 else ACTIVITIES)))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
