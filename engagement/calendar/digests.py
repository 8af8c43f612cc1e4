"""Which new asks each resident hears about, and who is due a digest.

A digest lists published activities (not cancelled, not over) that went on the calendar since the
person's last digest, that no earlier digest listed to them, and that are in an area or on a topic
they follow: following a ward means activities for that ward, its district or the whole place;
following a district, its wards too; following the whole place, everything. Soonest first, at most
the person's cap; the rest are counted as left out.

Periods are London weeks starting on Monday, or calendar months. A person's first digest covers
the period before the current one.

Everything here works on a batch of people at once with a fixed number of queries, so sending to
20,000 people costs the same number of queries per chunk as sending to one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from engagement.calendar.clash import wards_of
from engagement.calendar.logic import LONDON
from engagement.calendar.models import Activity, DigestDelivery, DigestSettings, Follow
from engagement.calendar.views import ORGANISATIONS
from engagement.models import User

Frequency = DigestSettings.Frequency
DEFAULT_CAP = DigestSettings._meta.get_field("cap").default
# Digests look a little further back than the last one was sent, in case an activity published
# just before it only became visible (its transaction committed) just after. Listing it twice is
# impossible: what a digest listed is recorded and never listed to that person again.
OVERLAP = timedelta(minutes=5)
CHUNK = 500


# --- Periods --------------------------------------------------------------------------------------


def period_start(frequency: str, moment: datetime) -> date:
    """The first day of the period ``moment`` falls in: the London Monday for weekly digests, the
    first of the month for monthly ones."""
    day = timezone.localtime(moment, LONDON).date()
    if frequency == Frequency.WEEKLY:
        return day - timedelta(days=day.weekday())
    if frequency == Frequency.MONTHLY:
        return day.replace(day=1)
    raise ValueError(f"no digest period for {frequency!r}")


def previous_period_start(frequency: str, start: date) -> date:
    """The first day of the period before the one starting on ``start``."""
    if frequency == Frequency.WEEKLY:
        return start - timedelta(weeks=1)
    if frequency == Frequency.MONTHLY:
        return (start - timedelta(days=1)).replace(day=1)
    raise ValueError(f"no digest period for {frequency!r}")


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON)


def first_since(frequency: str, now: datetime) -> datetime:
    """Where a person's first digest starts: the beginning of the previous period."""
    return local_midnight(previous_period_start(frequency, period_start(frequency, now)))


# --- Selecting the new asks -----------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """One person a digest is being chosen for."""

    user_id: int
    since: datetime
    cap: int = DEFAULT_CAP


@dataclass
class Digest:
    activities: list[Activity] = field(default_factory=list)
    left_out: int = 0


def related_areas(area_id: int, wards: Mapping[int, frozenset[int]]) -> frozenset[int]:
    """The areas whose activities concern a follower of ``area_id``: every area sharing a ward
    with it (a ward's district and the county; a district's wards and the county; for the county,
    all)."""
    mine = wards.get(area_id, frozenset())
    return frozenset(pk for pk, covered in wards.items() if covered & mine) or frozenset([area_id])


def select_new_asks(
    readers: Sequence[Reader],
    now: datetime | None = None,
    wards: Mapping[int, frozenset[int]] | None = None,
) -> dict[int, Digest]:
    """Each reader's digest, by user id. Seven queries however many readers and activities (six
    when ``wards`` from :func:`~engagement.calendar.clash.wards_of` is passed in); the matching is
    set arithmetic over the few activities new since the earliest ``since``."""
    now = now or timezone.now()
    digests = {reader.user_id: Digest() for reader in readers}
    if not readers:
        return digests
    wards = wards if wards is not None else wards_of()
    follows = Follow.objects.filter(user_id__in=digests).values_list(
        "user_id", "area_id", "topic_id"
    )
    areas_of: dict[int, set[int]] = defaultdict(set)
    topics_of: dict[int, set[int]] = defaultdict(set)
    related: dict[int, frozenset[int]] = {}
    for user_id, area_id, topic_id in follows:
        if area_id is not None:
            if area_id not in related:
                related[area_id] = related_areas(area_id, wards)
            areas_of[user_id] |= related[area_id]
        else:
            topics_of[user_id].add(topic_id)
    all_areas = set().union(*areas_of.values())
    all_topics = set().union(*topics_of.values())
    if not all_areas and not all_topics:
        return digests

    in_areas = Activity.areas.through.objects.filter(area_id__in=all_areas)
    on_topics = Activity.topics.through.objects.filter(servicecategory_id__in=all_topics)
    candidates = list(
        Activity.objects.published()
        .filter(ends_at__gt=now, published_at__gt=min(reader.since for reader in readers))
        .filter(
            Q(pk__in=in_areas.values("activity_id")) | Q(pk__in=on_topics.values("activity_id"))
        )
        .order_by("starts_at", "pk")
        .prefetch_related(ORGANISATIONS)
    )
    if not candidates:
        return digests
    ids = [activity.pk for activity in candidates]
    areas_in: dict[int, set[int]] = defaultdict(set)
    for activity_id, area_id in in_areas.filter(activity_id__in=ids).values_list(
        "activity_id", "area_id"
    ):
        areas_in[activity_id].add(area_id)
    topics_on: dict[int, set[int]] = defaultdict(set)
    for activity_id, topic_id in on_topics.filter(activity_id__in=ids).values_list(
        "activity_id", "servicecategory_id"
    ):
        topics_on[activity_id].add(topic_id)
    listed: dict[int, set[int]] = defaultdict(set)
    earlier = DigestDelivery.activities.through.objects.filter(
        digestdelivery__user_id__in=digests, activity_id__in=ids
    ).values_list("digestdelivery__user_id", "activity_id")
    for user_id, activity_id in earlier:
        listed[user_id].add(activity_id)

    for reader in readers:
        user_id = reader.user_id
        areas, topics, seen = areas_of[user_id], topics_of[user_id], listed[user_id]
        new = [
            activity
            for activity in candidates
            if activity.published_at > reader.since
            and activity.pk not in seen
            and (areas_in[activity.pk] & areas or topics_on[activity.pk] & topics)
        ]
        digests[reader.user_id] = Digest(new[: reader.cap], max(0, len(new) - reader.cap))
    return digests


def new_asks_for(user, since: datetime, cap: int, now: datetime | None = None):
    """The new asks ``user`` should hear about: (the activities to list, soonest first and at most
    ``cap``; how many more there are). A constant number of queries."""
    digest = select_new_asks([Reader(user.pk, since, cap)], now)[user.pk]
    return digest.activities, digest.left_out


# --- Who is due -----------------------------------------------------------------------------------


def due(frequency: str, start: date):
    """People due a digest of ``frequency`` for the period starting ``start``: active, with an
    email address, following something, with that frequency (weekly when they have never chosen)
    and not yet sent one for the period. Each has ``last_sent`` (their last digest's time, or
    None) and their settings (``calendar_digest``, when saved) loaded with them."""
    people = (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(Exists(Follow.objects.filter(user=OuterRef("pk"))))
        .exclude(
            Exists(
                DigestDelivery.objects.filter(
                    user=OuterRef("pk"), frequency=frequency, period_start=start
                )
            )
        )
    )
    if frequency == Frequency.WEEKLY:
        people = people.filter(
            Q(calendar_digest__frequency=frequency) | Q(calendar_digest__isnull=True)
        )
    else:
        people = people.filter(calendar_digest__frequency=frequency)
    last = DigestDelivery.objects.filter(user=OuterRef("pk")).order_by("-sent_at")
    return (
        people.annotate(last_sent=Subquery(last.values("sent_at")[:1]))
        .select_related("calendar_digest")
        .only("pk", "email", "display_name", "calendar_digest__cap", "calendar_digest__token")
        .order_by("pk")
    )


def in_chunks(people, size: int = CHUNK) -> Iterator[list]:
    """``people`` (ordered by pk) a chunk at a time, each chunk one query."""
    after = 0
    while chunk := list(people.filter(pk__gt=after)[:size]):
        yield chunk
        after = chunk[-1].pk


def as_reader(person, fallback_since: datetime) -> Reader:
    """A person from :func:`due` as a :class:`Reader`."""
    saved = saved_settings(person)
    since = person.last_sent - OVERLAP if person.last_sent else fallback_since
    return Reader(person.pk, since, saved.cap if saved else DEFAULT_CAP)


def saved_settings(person) -> DigestSettings | None:
    try:
        return person.calendar_digest
    except DigestSettings.DoesNotExist:
        return None
