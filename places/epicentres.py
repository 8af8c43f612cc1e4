"""Epicentres of shame: where residents' shame is densest for the size of the ward, and least
balanced by pride in the same place, with how it is changing.

A hotspot is a cell at :data:`LEVEL` (about 600–800 m across in England) within one ward. Its score
is shame voices (pins plus "me too") per 1,000 residents of the ward, times the share of the
voices there that are shame. Counts come from the hotspot summary; the trend compares shame pins
placed in the last :data:`TREND_DAYS` days with the same span before.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone

from engagement.models import Area, ServiceCategory
from places import geo
from places.models import Pin, PinCell

LEVEL = 15
MIN_SHAME_VOICES = 3
TREND_DAYS = 90
TOP = 20


@dataclass
class Epicentre:
    rank: int
    cx: int
    cy: int
    ward_id: int
    ward_name: str
    population: int
    shame: int
    pride: int
    shame_voices: int
    pride_voices: int
    lon: float
    lat: float
    per_thousand: float
    share: float
    top_category: str = ""
    recent: int = 0
    before: int = 0
    status_counts: dict | None = None

    @property
    def score(self) -> float:
        return self.per_thousand * self.share

    @property
    def trend(self) -> int:
        return self.recent - self.before

    @property
    def label(self) -> str:
        return f"{self.top_category}, {self.ward_name}" if self.top_category else self.ward_name

    @property
    def level(self) -> int:
        return LEVEL


def _sums():
    return {
        "shame": Sum("pins", filter=Q(kind="shame"), default=0),
        "pride": Sum("pins", filter=Q(kind="pride"), default=0),
        "shame_voices": Sum("voices", filter=Q(kind="shame"), default=0),
        "pride_voices": Sum("voices", filter=Q(kind="pride"), default=0),
    }


def _trend_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    recent = now - dt.timedelta(days=TREND_DAYS)
    return recent - dt.timedelta(days=TREND_DAYS), recent, now


def ranking(
    ward: Area | None = None, top: int = TOP, now: dt.datetime | None = None
) -> list[Epicentre]:
    """The ``top`` epicentres of the place (or of one ward), best first."""
    rows = PinCell.objects.filter(level=LEVEL)
    if ward is not None:
        rows = rows.filter(ward_id=ward.pk)
    rows = (
        rows.values("cx", "cy", "ward_id")
        .annotate(**_sums(), lon_sum=Sum("lon_sum"), lat_sum=Sum("lat_sum"), pins=Sum("pins"))
        .filter(shame_voices__gte=MIN_SHAME_VOICES)
    )
    wards = {
        pk: (name, population)
        for pk, name, population in Area.objects.wards().values_list("pk", "name", "population")
    }
    found = []
    for row in rows:
        name, population = wards.get(row["ward_id"], ("", 0))
        per_thousand, share = geo.shame_score(row["shame_voices"], row["pride_voices"], population)
        found.append(
            Epicentre(
                rank=0,
                cx=row["cx"],
                cy=row["cy"],
                ward_id=row["ward_id"],
                ward_name=name,
                population=population,
                shame=row["shame"],
                pride=row["pride"],
                shame_voices=row["shame_voices"],
                pride_voices=row["pride_voices"],
                lon=row["lon_sum"] / row["pins"],
                lat=row["lat_sum"] / row["pins"],
                per_thousand=per_thousand,
                share=share,
            )  # fmt: skip
        )
    found.sort(key=lambda e: (-e.score, -e.shame_voices, e.cx, e.cy))
    found = found[:top]
    for rank, epicentre in enumerate(found, start=1):
        epicentre.rank = rank
    if found:
        _add_details(found, now or timezone.now())
    return found


def _in_cell(e: Epicentre) -> Q:
    s = geo.shift(LEVEL)
    return Q(
        ward_id=e.ward_id,
        mx__gte=e.cx << s,
        mx__lt=(e.cx + 1) << s,
        my__gte=e.cy << s,
        my__lt=(e.cy + 1) << s,
    )


def _add_details(found: list[Epicentre], now: dt.datetime) -> None:
    """The main service, the trend and the answers so far for each epicentre: one query each
    over the few cells ranked, not one per cell."""
    s = geo.shift(LEVEL)
    cells_q = Q()
    for e in found:
        cells_q |= _in_cell(e)
    shame = Pin.objects.visible().filter(cells_q, kind=Pin.Kind.SHAME)
    keyed = {(e.cx, e.cy, e.ward_id): e for e in found}

    def key(row):
        return (row["mx"] >> s, row["my"] >> s, row["ward_id"])

    start, middle, end = _trend_window(now)
    categories: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    statuses: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    # Pins in the ranked cells only: a few thousand at most, read once.
    for row in shame.values("mx", "my", "ward_id", "category_id", "status", "created_at"):
        k = key(row)
        e = keyed.get(k)
        if e is None:
            continue
        categories[k][row["category_id"]] += 1
        statuses[k][row["status"]] += 1
        if middle <= row["created_at"] < end:
            e.recent += 1
        elif start <= row["created_at"] < middle:
            e.before += 1
    names = dict(ServiceCategory.objects.values_list("pk", "name"))
    for k, e in keyed.items():
        if categories[k]:
            e.top_category = names.get(max(categories[k], key=categories[k].get), "")
        labels = dict(Pin.Status.choices)
        e.status_counts = {labels[s_]: n for s_, n in sorted(statuses[k].items())}


@dataclass
class WardRow:
    ward_id: int
    slug: str
    name: str
    district: str
    population: int
    shame_voices: int
    pride_voices: int
    shame_per_thousand: float
    pride_per_thousand: float
    recent: int
    before: int

    @property
    def share(self) -> float:
        total = self.shame_voices + self.pride_voices
        return self.shame_voices / total if total else 0.0

    @property
    def trend(self) -> int:
        return self.recent - self.before


def ward_table(now: dt.datetime | None = None) -> list[WardRow]:
    """Every ward's shame and pride per 1,000 residents and its shame trend, worst first."""
    totals = {
        row["ward_id"]: row
        for row in PinCell.objects.filter(level=min(_levels()))
        .values("ward_id")
        .annotate(**_sums())
    }
    start, middle, end = _trend_window(now or timezone.now())
    trend = {
        row["ward_id"]: row
        for row in Pin.objects.visible()
        .filter(kind=Pin.Kind.SHAME, created_at__gte=start, created_at__lt=end)
        .values("ward_id")
        .annotate(
            recent=Count("pk", filter=Q(created_at__gte=middle)),
            before=Count("pk", filter=Q(created_at__lt=middle)),
        )
    }
    rows = []
    for pk, slug, name, district, population in Area.objects.wards().values_list(
        "pk", "slug", "name", "parent__name", "population"
    ):
        t = totals.get(pk, {})
        shame, pride = t.get("shame_voices", 0), t.get("pride_voices", 0)
        per = 1000 / population if population else 0.0
        rows.append(
            WardRow(
                ward_id=pk,
                slug=slug,
                name=name,
                district=district or "",
                population=population,
                shame_voices=shame,
                pride_voices=pride,
                shame_per_thousand=shame * per,
                pride_per_thousand=pride * per,
                recent=trend.get(pk, {}).get("recent", 0),
                before=trend.get(pk, {}).get("before", 0),
            )  # fmt: skip
        )
    rows.sort(key=lambda r: (-r.shame_per_thousand, r.name))
    return rows


def _levels():
    from places.cells import SUMMARY_LEVELS

    return SUMMARY_LEVELS
