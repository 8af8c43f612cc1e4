"""Activities in the database: envelopes of weekly patterns, the invariants the database keeps, and
clash detection through the area hierarchy in a constant number of queries."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from engagement.calendar.clash import find_clashes, wards_of
from engagement.calendar.logic import LONDON
from engagement.calendar.models import Activity
from tests.calendar.factories import make_activity as activity
from tests.factories import AudienceFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)


def ids(objects) -> frozenset[int]:
    return frozenset(o.pk for o in objects)


def test_wards_of_maps_every_area_to_the_wards_it_covers(place):
    covered = wards_of()
    assert covered[place["abbey"].pk] == {place["abbey"].pk}
    assert covered[place["north"].pk] == {place["abbey"].pk, place["brook"].pk}
    assert covered[place["county"].pk] == ids([place["abbey"], place["brook"], place["cliff"]])


def test_a_weekly_activity_stores_its_whole_envelope_in_local_time(council, place):
    drop_in = Activity(
        title="Warm Space at the library",
        kind=Activity.Kind.WARM_SPACE,
        starts_at=datetime(2026, 3, 23, 0, 0, tzinfo=LONDON),
        ends_at=datetime(2026, 3, 23, 1, 0, tzinfo=LONDON),
        weekdays="13",
        opens=time(10),
        closes=time(13),
        repeat_until=date(2026, 4, 9),
        status=Activity.Status.PUBLISHED,
    )
    drop_in.full_clean()
    drop_in.save()
    drop_in.refresh_from_db()
    assert drop_in.starts_at == datetime(2026, 3, 24, 10, 0, tzinfo=LONDON)  # the first Tuesday
    assert drop_in.ends_at == datetime(2026, 4, 9, 13, 0, tzinfo=LONDON)  # the last Thursday
    assert len(drop_in.spans()) == 6
    # 10:00 local on both sides of the clock change (29 March).
    assert {span.start.astimezone(LONDON).time() for span in drop_in.spans()} == {time(10)}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"weekdays": "19"}, "Choose the days"),
        ({"weekdays": "1", "opens": time(10)}, "needs its opening time"),
        (
            {
                "weekdays": "1",
                "opens": time(12),
                "closes": time(10),
                "repeat_until": date(2026, 4, 1),
            },
            "close after it opens",
        ),
        (
            {
                "weekdays": "6",
                "opens": time(9),
                "closes": time(10),
                "repeat_until": date(2026, 3, 3),
            },
            "does not open on any of those days",
        ),
    ],
)
def test_bad_weekly_patterns_are_refused_with_a_clear_message(fields, message):
    bad = Activity(
        title="Drop-in",
        kind=Activity.Kind.DROP_IN,
        starts_at=MONDAY,
        ends_at=MONDAY + timedelta(hours=1),
        **fields,
    )
    with pytest.raises(ValidationError, match=message):
        bad.full_clean()


def test_the_database_refuses_an_activity_that_ends_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.create(
            title="Backwards", kind="event", starts_at=MONDAY, ends_at=MONDAY - timedelta(hours=1)
        )


def test_a_ward_activity_clashes_with_one_for_its_district_or_the_whole_place(council, place):
    district = activity(council, [place["north"]], title="District survey")
    county = activity(council, [place["county"]], title="County consultation")
    activity(council, [place["cliff"]], title="Elsewhere")
    draft = activity(council, [place["abbey"]], status="draft", title="A draft")
    cancelled = activity(council, [place["abbey"]], status="cancelled", title="Off")
    mine = Activity(
        title="Mine", kind="workshop", starts_at=MONDAY, ends_at=MONDAY + timedelta(hours=1)
    )

    found = find_clashes(mine, ids([place["abbey"]]), frozenset())

    assert {clash.ask.key for clash in found} == {district.pk, county.pk}
    assert draft.pk not in {clash.ask.key for clash in found}
    assert cancelled.pk not in {clash.ask.key for clash in found}
    assert all(clash.wards == {place["abbey"].pk} for clash in found)


def test_pending_activities_count_and_an_activity_never_clashes_with_itself(council, place):
    pending = activity(council, [place["abbey"]], status="pending")
    mine = activity(council, [place["abbey"]])
    found = find_clashes(mine, ids([place["abbey"]]), frozenset())
    assert [clash.ask.key for clash in found] == [pending.pk]


def test_a_different_audience_or_time_is_no_clash(council, place):
    young, carers = AudienceFactory(name="Young people"), AudienceFactory(name="Carers")
    activity(council, [place["abbey"]], audiences=[young])
    activity(council, [place["abbey"]], start=MONDAY + timedelta(hours=2))  # back to back
    mine = Activity(
        title="Mine", kind="workshop", starts_at=MONDAY, ends_at=MONDAY + timedelta(hours=2)
    )
    assert find_clashes(mine, ids([place["abbey"]]), ids([carers])) == []


def test_a_workshop_clashes_with_a_weekly_drop_in_only_on_its_days(council, place):
    drop_in = Activity.objects.create(
        title="Drop-in",
        kind="drop_in",
        starts_at=datetime(2026, 3, 2, 0, 0, tzinfo=LONDON),
        ends_at=datetime(2026, 3, 2, 1, 0, tzinfo=LONDON),
        weekdays="2",  # Wednesdays
        opens=time(10),
        closes=time(12),
        repeat_until=date(2026, 4, 30),
        status="published",
    )
    drop_in.areas.set([place["brook"]])
    wednesday = datetime(2026, 4, 1, 11, 0, tzinfo=LONDON)

    def clash_at(start):
        mine = Activity(
            title="Mine", kind="workshop", starts_at=start, ends_at=start + timedelta(hours=1)
        )
        return find_clashes(mine, ids([place["north"]]), frozenset())

    assert [c.ask.key for c in clash_at(wednesday)] == [drop_in.pk]
    assert clash_at(wednesday + timedelta(days=1)) == []
    assert clash_at(wednesday.replace(hour=12)) == []  # starts as it closes


@pytest.mark.parametrize("count", [1, 40])
def test_clash_detection_makes_the_same_queries_however_full_the_calendar(
    council, place, count, django_assert_num_queries
):
    audience = AudienceFactory()
    for n in range(count):
        activity(council, [place["abbey"], place["south"]], audiences=[audience], title=f"A{n}")
    mine = Activity(
        title="Mine", kind="workshop", starts_at=MONDAY, ends_at=MONDAY + timedelta(hours=1)
    )
    # wards, then the candidates with their areas and audiences
    with django_assert_num_queries(2):
        found = find_clashes(mine, ids([place["county"]]), frozenset())
    assert len(found) == count
