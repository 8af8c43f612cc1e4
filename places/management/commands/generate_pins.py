"""``manage.py generate_pins N``: fill the map with N synthetic visible pins, fast.

For load testing the hotspots (QUALITY.md: a million pins). The pins are spread over the demo
place's wards (``manage.py seed_demo`` first), each point drawn inside its ward's boundary:

- a share of them (``--cluster-share``, half by default) falls in ``--clusters`` dense clusters of
  very different sizes and spreads (100 m to 1 km), each mostly shame or mostly pride and mostly
  about one service, so some cells are far busier than others, as epicentres are;
- the rest is an even background over the whole place.

Dates are spread over the last two years, kinds, services and aspects at random. They are written
with ``bulk_create`` in batches (``save()`` is bypassed, so the grid coordinates ``mx``/``my`` are
computed here with :func:`places.geo.project`), then the hotspot summary is recounted with
:func:`places.cells.rebuild` and, on PostgreSQL, the tables are vacuumed and analysed so the planner
and index-only scans see the new rows. A million pins take a few minutes on PostgreSQL.

Generated pins carry idempotency keys in a range of their own, so ``--clear`` removes the pins an
earlier run made (and nothing else) before adding new ones.
"""

from __future__ import annotations

import itertools
import math
import random
import time
import uuid
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from engagement.models import Area, ServiceCategory
from places import cells, geo
from places.demo import EVERYWHERE, METRES_PER_DEGREE
from places.forms import contains
from places.models import Flag, MeToo, Pin, PinCell, PinCellTotal, StatusUpdate

# Generated pins' idempotency keys share their first 64 bits; the last 64 are a per-run number and
# the pin's sequence number, so keys never repeat across runs.
KEY_PREFIX = uuid.UUID("9e0c1a7b-5d3f-4c2e-0000-000000000000").int >> 64
KEY_LOW, KEY_HIGH = uuid.UUID(int=KEY_PREFIX << 64), uuid.UUID(int=(KEY_PREFIX << 64) | (2**64 - 1))
YEARS = 2


def generated_pins():
    """The pins ``generate_pins`` made (found by their idempotency keys)."""
    return Pin.objects.filter(idempotency_key__gte=KEY_LOW, idempotency_key__lte=KEY_HIGH)


def clear_generated() -> int:
    """Delete every generated pin and what hangs off them; returns how many pins went."""
    pins = generated_pins()
    MeToo.objects.filter(pin__in=pins).delete()
    Flag.objects.filter(pin__in=pins).delete()
    StatusUpdate.pins.through.objects.filter(pin__in=pins).delete()
    field = Pin._meta.get_field("idempotency_key")
    table = connection.ops.quote_name(Pin._meta.db_table)
    sql = f"DELETE FROM {table} WHERE idempotency_key >= %s AND idempotency_key <= %s"  # noqa: S608
    with connection.cursor() as cursor:
        bounds = [field.get_db_prep_value(key, connection) for key in (KEY_LOW, KEY_HIGH)]
        cursor.execute(sql, bounds)
        return cursor.rowcount


def polygon_area(geometry: dict) -> float:
    """Area of a GeoJSON polygon's outer ring(s) in square degrees, scaled by cos(latitude)."""
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    total = 0.0
    for polygon in polygons:
        ring = polygon[0]
        twice = sum(
            x1 * y2 - x2 * y1 for (x1, y1, *_), (x2, y2, *_) in zip(ring, ring[1:], strict=False)
        )
        lat = sum(point[1] for point in ring) / len(ring)
        total += abs(twice) / 2 * math.cos(math.radians(lat))
    return total


class Ward:
    """A ward's boundary and bounding box, for drawing points inside it quickly."""

    def __init__(self, area: Area):
        self.pk, self.name, self.boundary = area.pk, area.name, area.boundary
        self.west, self.south = area.min_lon, area.min_lat
        self.east, self.north = area.max_lon, area.max_lat
        self.area = polygon_area(area.boundary)

    def contains(self, lon: float, lat: float) -> bool:
        return (
            self.west <= lon <= self.east
            and self.south <= lat <= self.north
            and (contains(self.boundary, lon, lat))
        )

    def uniform(self, rng: random.Random) -> tuple[float, float]:
        while True:
            lon, lat = rng.uniform(self.west, self.east), rng.uniform(self.south, self.north)
            if contains(self.boundary, lon, lat):
                return lon, lat


class Cluster:
    def __init__(self, rng: random.Random, ward: Ward, categories: list[int]):
        self.ward = ward
        self.lon, self.lat = ward.uniform(rng)
        self.spread_m = math.exp(rng.uniform(math.log(100), math.log(1000)))
        self.shame = 0.85 if rng.random() < 0.7 else 0.2  # mostly shame, or mostly pride
        self.category = rng.choice(categories)
        self.recency = rng.choice((1.0, 1.0, 2.0, 3.0))  # some are growing
        self.weight = rng.paretovariate(1.2)

    def point(self, rng: random.Random) -> tuple[float, float]:
        dlat_per_m = 1 / METRES_PER_DEGREE
        dlon_per_m = dlat_per_m / math.cos(math.radians(self.lat))
        for _ in range(100):
            lon = self.lon + rng.gauss(0, self.spread_m) * dlon_per_m
            lat = self.lat + rng.gauss(0, self.spread_m) * dlat_per_m
            if self.ward.contains(lon, lat):
                return lon, lat
        return self.lon, self.lat


class Command(BaseCommand):
    help = "Create N synthetic visible pins over the demo wards (for load tests), then recount."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="how many pins to create")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--batch", type=int, default=5000, help="rows per INSERT")
        parser.add_argument(
            "--clear", action="store_true", help="first delete the pins earlier runs generated"
        )
        parser.add_argument("--clusters", type=int, default=12)
        parser.add_argument(
            "--cluster-share",
            type=float,
            default=0.5,
            help="share of the pins that fall in clusters (default 0.5; the rest is even)",
        )

    def handle(self, *args, count: int, seed: int, batch: int, clear: bool, **options):
        if count < 0 or batch < 1:
            raise CommandError("count must be at least 0 and --batch at least 1")
        if not 0 <= options["cluster_share"] <= 1:
            raise CommandError("--cluster-share must be between 0 and 1")
        verbosity = options["verbosity"]
        wards = [
            Ward(area)
            for area in Area.objects.wards().filter(boundary__isnull=False).order_by("pk")
        ]
        categories = list(ServiceCategory.objects.order_by("pk").values_list("pk", "slug"))
        if not wards or not categories:
            raise CommandError("No wards with boundaries or no service categories: run seed_demo")
        started = time.monotonic()
        rng = random.Random(seed)  # noqa: S311 - test data, not security
        category_ids = [pk for pk, _slug in categories]
        texts = {}  # (category, kind) -> what residents write
        for pk, slug in categories:
            notes = EVERYWHERE.get(slug, EVERYWHERE["other"])
            for kind in Pin.Kind.values:
                texts[pk, kind] = [note for note in notes if note[0] == kind] or list(notes)
        clusters = [
            Cluster(rng, rng.choices(wards, [w.area for w in wards])[0], category_ids)
            for _ in range(options["clusters"])
        ]
        cluster_weights = list(itertools.accumulate(cluster.weight for cluster in clusters))
        ward_weights = list(itertools.accumulate(ward.area for ward in wards))
        now = timezone.now()
        span_s = YEARS * 365 * 86400
        run = uuid.uuid4().int & 0xFFFFFFFF  # keys never repeat across runs
        aspects = Pin.Aspect.values
        made = in_clusters = 0
        insert_s = 0.0

        def make(n: int) -> dict:
            nonlocal in_clusters
            if clusters and rng.random() < options["cluster_share"]:
                cluster = rng.choices(clusters, cum_weights=cluster_weights)[0]
                ward = cluster.ward
                lon, lat = cluster.point(rng)
                kind = "shame" if rng.random() < cluster.shame else "pride"
                category = cluster.category if rng.random() < 0.6 else rng.choice(category_ids)
                age = span_s * rng.random() ** cluster.recency
                in_clusters += 1
            else:
                ward = rng.choices(wards, cum_weights=ward_weights)[0]
                lon, lat = ward.uniform(rng)
                kind = "shame" if rng.random() < 0.5 else "pride"
                category = rng.choice(category_ids)
                age = span_s * rng.random()
            lon, lat = round(lon, 6), round(lat, 6)
            mx, my = geo.project(lon, lat)
            _kind, aspect, text = rng.choice(texts[category, kind])
            return {
                "kind": kind,
                "category_id": category,
                "aspect": aspect if rng.random() < 0.7 else rng.choice(aspects),
                "description": text.format(ward=ward.name),
                "lat": lat,
                "lon": lon,
                "mx": mx,
                "my": my,
                "ward_id": ward.pk,
                "idempotency_key": uuid.UUID(int=(KEY_PREFIX << 64) | (run << 32) | n),
                "created_at": now - timedelta(seconds=age),
            }

        write = self.copy_rows if connection.vendor == "postgresql" else self.insert_rows
        # One transaction: the summary always matches the pins, even if this is interrupted.
        with transaction.atomic():
            if clear:
                removed = clear_generated()
                self.stdout.write(f"Cleared {removed:,} generated pins.")
            while made < count:
                size = min(batch, count - made)
                rows = [make(made + n) for n in range(size)]
                began = time.monotonic()
                write(rows, now)
                insert_s += time.monotonic() - began
                made += size
                if verbosity >= 1 and count >= 100_000 and made % 100_000 < batch:
                    elapsed = time.monotonic() - started
                    self.stderr.write(f"  {made:,} pins ({elapsed:.0f}s)")
            generated_s = time.monotonic() - started
            rebuilding = time.monotonic()
            rows_made = cells.rebuild()
            rebuild_s = time.monotonic() - rebuilding
        analysed_s = 0.0
        if connection.vendor == "postgresql":
            # New rows have no statistics and are not yet all-visible (index-only scans).
            analysing = time.monotonic()
            tables = ", ".join(m._meta.db_table for m in (Pin, PinCell, PinCellTotal))
            with connection.cursor() as cursor:
                # VACUUM cannot run in a transaction (a caller's, as in a test): ANALYZE can.
                vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
                cursor.execute(f"{vacuum} {tables}")
            analysed_s = time.monotonic() - analysing
        visible = Pin.objects.visible().count()
        self.stdout.write(
            f"Generated {made:,} pins ({in_clusters:,} in {len(clusters)} clusters) in "
            f"{generated_s:.1f}s ({insert_s:.1f}s of it inserting, "
            f"{made / max(generated_s, 1e-9):,.0f} pins/s); hotspot summary rebuilt: {rows_made:,} "
            f"cell rows in {rebuild_s:.1f}s"
            + (f"; vacuum and analyse {analysed_s:.1f}s" if analysed_s else "")
            + f". Visible pins now: {visible:,}. Total {time.monotonic() - started:.1f}s."
        )

    @staticmethod
    def insert_rows(rows: list[dict], now) -> None:
        """Any database: one multi-row INSERT per batch (``save()`` and signals are bypassed)."""
        Pin.objects.bulk_create([Pin(**row) for row in rows], batch_size=len(rows))

    @staticmethod
    def copy_rows(rows: list[dict], now) -> None:
        """PostgreSQL: COPY the batch, several times faster than INSERT for a million rows. Every
        column gets the model's default unless the row sets it, as ``bulk_create`` would."""
        fields = [field for field in Pin._meta.concrete_fields if not field.primary_key]
        defaults = {field.attname: field.get_default() for field in fields}
        defaults["updated_at"] = now
        defaults["moderation"] = Pin.Moderation.VISIBLE
        columns = [field.column for field in fields]
        names = ", ".join(connection.ops.quote_name(column) for column in columns)
        table = connection.ops.quote_name(Pin._meta.db_table)
        with connection.cursor() as cursor:
            raw = cursor.connection  # the psycopg connection
            with (
                raw.cursor() as copy_cursor,
                copy_cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row([row.get(name, defaults[name]) for name in defaults])
