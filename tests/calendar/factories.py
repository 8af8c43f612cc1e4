"""Making activities in tests: ``make_activity(organisation, areas, ...)``."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from engagement.calendar.logic import LONDON
from engagement.calendar.models import Activity

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)


def make_activity(
    organisation,
    areas,
    *,
    audiences=(),
    topics=(),
    status=Activity.Status.PUBLISHED,
    start=MONDAY,
    hours=2,
    **extra,
) -> Activity:
    """One activity of ``organisation`` in ``areas`` from ``start`` for ``hours`` (published,
    and counted as published when it was made, unless told otherwise)."""
    if status == Activity.Status.PUBLISHED:
        extra.setdefault("published_at", timezone.now())
    made = Activity.objects.create(
        title=extra.pop("title", "An activity"),
        kind=extra.pop("kind", Activity.Kind.WORKSHOP),
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        status=status,
        **extra,
    )
    made.organisations.add(organisation)
    made.areas.set(areas)
    made.audiences.set(audiences)
    made.topics.set(topics)
    return made
