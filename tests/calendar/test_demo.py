"""The demo calendar ``seed_demo`` builds: two months of asks from every kind of organisation,
one deliberate clash, one overloaded ward, one activity waiting for approval, seeded once."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from engagement.calendar import load
from engagement.calendar.clash import find_clashes
from engagement.calendar.demo import MARKER, seed_calendar
from engagement.calendar.models import Activity, DigestSettings, Follow
from engagement.management.commands.seed_demo import Command as SeedDemo
from engagement.models import Area, Organisation


@pytest.fixture
def demo_place(db):
    command = SeedDemo(stdout=io.StringIO())
    command.seed_taxonomies()
    command.seed_accounts(command.seed_organisations(command.seed_areas()))


def test_seeding_twice_is_idempotent(demo_place):
    out = io.StringIO()
    added = seed_calendar(stdout=out)
    assert added >= 25
    assert seed_calendar(stdout=out) == 0
    assert Activity.objects.count() == added
    assert "already there" in out.getvalue()


def test_two_months_from_every_kind_of_organisation(demo_place):
    seed_calendar()
    today = timezone.now()
    published = Activity.objects.published()
    assert published.filter(starts_at__lt=today).exists()
    assert published.filter(starts_at__gt=today + timedelta(weeks=6)).exists()
    kinds = set(
        Organisation.objects.filter(activities__in=published).values_list("kind", flat=True)
    )
    assert {"county", "district", "nhs", "vcse"} <= kinds
    assert published.filter(kind=Activity.Kind.WARM_SPACE).exclude(weekdays="").count() >= 3
    assert Activity.objects.filter(status=Activity.Status.PENDING).count() == 1


def test_exactly_one_deliberate_clash_with_its_reason(demo_place):
    seed_calendar()
    published = list(Activity.objects.published().prefetch_related("areas", "audiences"))
    clashing = {}
    for activity in published:
        found = find_clashes(
            activity,
            frozenset(a.pk for a in activity.areas.all()),
            frozenset(a.pk for a in activity.audiences.all()),
        )
        if found:
            clashing[activity.title] = sorted(c.ask.label for c in found)
    assert clashing == {
        MARKER: ["Family cooking and chat at the community kitchen"],
        "Family cooking and chat at the community kitchen": [MARKER],
    }
    assert Activity.objects.get(title__startswith="Family cooking").clash_reason


def test_exactly_one_ward_is_over_the_limit_and_it_is_brookside(demo_place):
    seed_calendar()
    table = load.load_table(timezone.localdate() - timedelta(weeks=2), weeks=10)
    over = {key for key, value in table.items() if value > load.threshold()}
    names = {Area.objects.get(pk=ward).name for ward, _week in over}
    assert names == {"Brookside"}
    assert len(over) == 1


def test_the_demo_residents_follow_places_and_topics(demo_place):
    seed_calendar()
    rosa = Follow.objects.filter(user__email="resident@demo.commonground.test")
    assert {f.area.name for f in rosa if f.area} == {"Abbey"}
    assert DigestSettings.objects.get(user__email="resident2@demo.commonground.test").frequency == (
        "monthly"
    )
