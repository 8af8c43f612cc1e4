"""The pins the map benchmark needs, its viewports, and the query plans behind them.

Runs in a child process under ``bench.settings`` against the benchmark's database:

    python -m bench.places_data setup N      # generate N pins; print JSON: viewports and counts
    python -m bench.places_data explain      # print JSON: EXPLAIN ANALYZE of each viewport's SQL

``setup`` runs ``manage.py generate_pins N --clear`` (clustered and background pins over the demo
wards, then the hotspot summary rebuilt and the tables vacuumed and analysed) and picks two centres
from the summary itself, so any N works:

- **dense**: the centre of mass of the busiest summary cell at the finest summary level (about
  750 m across): the heart of the biggest cluster;
- **quiet**: the centre of an ordinary stretch of background, the level-13 cell (about 3 km) at
  the 10th percentile of pins among the cells well inside the place.

Around each it makes one 1280 × 800 pixel viewport per zoom from 9 to 18, its bbox worked out
with Web Mercator arithmetic on 256-pixel tiles (what a slippy map sends). For each viewport it
prints the hotspot URL (the product's ``/places/hotspots.geojson``), the naive comparison URL
(``bench.urls``: every visible pin in the bbox as GeoJSON) and how many visible pins the bbox
holds.

``explain`` reruns :func:`places.cells.hotspots` for every viewport with the SQL captured and runs
``EXPLAIN (ANALYZE, BUFFERS)`` on each statement three times: the database's own time, apart from
Django and the server, and the plan (kept for the dense viewports).
"""

from __future__ import annotations

import io
import json
import math
import os
import statistics
import sys
import time
from urllib.parse import urlencode

HOTSPOTS = "/places/hotspots.geojson"
NAIVE = "/bench/places/naive.geojson"
WIDTH, HEIGHT = 1280, 800
ZOOMS = range(9, 19)
TILE = 256


def viewport(lon: float, lat: float, zoom: int, width: int = WIDTH, height: int = HEIGHT):
    """(west, south, east, north) of a ``width`` × ``height`` pixel map centred on (lon, lat)."""
    world = TILE * 2**zoom
    x = (lon + 180.0) / 360.0 * world
    sin = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * world

    def unproject(px: float, py: float) -> tuple[float, float]:
        return (
            px / world * 360.0 - 180.0,
            math.degrees(math.atan(math.sinh(math.pi - 2 * math.pi * py / world))),
        )

    west, north = unproject(x - width / 2, y - height / 2)
    east, south = unproject(x + width / 2, y + height / 2)
    return west, south, east, north


def bbox_text(bbox) -> str:
    return ",".join(f"{value:.6f}" for value in bbox)


def centres() -> dict[str, dict]:
    from django.db.models import Sum

    from places import cells
    from places.models import PinCell

    finest = max(cells.SUMMARY_LEVELS)
    sums = {"n": Sum("pins"), "lon": Sum("lon_sum"), "lat": Sum("lat_sum")}
    busiest = (
        PinCell.objects.filter(level=finest)
        .values("cx", "cy")
        .annotate(**sums)
        .order_by("-n", "cx", "cy")
        .first()
    )
    if busiest is None or not busiest["n"]:
        raise SystemExit("no visible pins: nothing to benchmark")
    level = 13
    rows = list(
        PinCell.objects.filter(level=level).values("cx", "cy").annotate(**sums).filter(n__gt=0)
    )
    xs = [row["cx"] for row in rows]
    ys = [row["cy"] for row in rows]
    inner = [
        row
        for row in rows
        if min(xs) + 1 < row["cx"] < max(xs) - 1 and min(ys) + 1 < row["cy"] < max(ys) - 1
    ] or rows
    inner.sort(key=lambda row: (row["n"], row["cx"], row["cy"]))
    quiet = inner[len(inner) // 10]
    return {
        "dense": {
            "lon": busiest["lon"] / busiest["n"],
            "lat": busiest["lat"] / busiest["n"],
            "cell_level": finest,
            "cell_pins": busiest["n"],
        },
        "quiet": {
            "lon": quiet["lon"] / quiet["n"],
            "lat": quiet["lat"] / quiet["n"],
            "cell_level": level,
            "cell_pins": quiet["n"],
        },
    }


def viewports() -> list[dict]:
    from places import geo
    from places.models import Pin

    found = []
    for name, centre in centres().items():
        for zoom in ZOOMS:
            bbox = viewport(centre["lon"], centre["lat"], zoom)
            query = urlencode({"bbox": bbox_text(bbox), "zoom": zoom}, safe=",")
            found.append(
                {
                    "centre": name,
                    "zoom": zoom,
                    "bbox": bbox,
                    "hotspots": f"{HOTSPOTS}?{query}",
                    "naive": f"{NAIVE}?{query}",
                    "pins_in_bbox": Pin.objects.visible().in_bbox(geo.BBox(*bbox)).count(),
                }
            )
    return found


def setup(count: int) -> dict:
    from django.core.management import call_command

    from places import cells, geo
    from places.models import Pin, PinCell, PinCellTotal

    out = io.StringIO()
    began = time.monotonic()
    call_command("generate_pins", str(count), "--clear", "--seed", "1", stdout=out, stderr=out)
    generate_s = time.monotonic() - began
    return {
        "generated": count,
        "generate_s": generate_s,
        "generate_output": out.getvalue().strip(),
        "visible_pins": Pin.objects.visible().count(),
        "summary_rows": PinCell.objects.count() + PinCellTotal.objects.count(),
        # Where the unfiltered map's hotspots come from at each level (JSON keys are strings).
        "sources": {
            str(level): cells.source(level, cells.Filters()) for level in range(geo.MAX_LEVEL + 1)
        },
        "centres": centres(),
        "viewports": viewports(),
    }


def explain(rounds: int = 3) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from places import cells, geo

    results = []
    for spot in viewports():
        bbox = geo.BBox(*spot["bbox"])
        with CaptureQueriesContext(connection) as captured:
            found = cells.hotspots(bbox, spot["zoom"], cells.Filters())
        statements = []
        for query in captured.captured_queries:
            times, plan = [], ""
            for _ in range(rounds):
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                    lines = [row[0] for row in cursor.fetchall()]
                plan = "\n".join(lines)
                execution = next(line for line in lines if line.startswith("Execution Time"))
                planning = next(line for line in lines if line.startswith("Planning Time"))
                times.append((float(planning.split()[-2]), float(execution.split()[-2])))
            statements.append(
                {
                    "sql": query["sql"],
                    "planning_ms": statistics.median(t[0] for t in times),
                    "execution_ms": statistics.median(t[1] for t in times),
                    "plan": plan if spot["centre"] == "dense" else "",
                }
            )
        results.append(
            {
                "centre": spot["centre"],
                "zoom": spot["zoom"],
                "level": found.level,
                "source": cells.source(found.level, cells.Filters()),
                "mode": "pins" if found.pins is not None else "cells",
                "statements": statements,
            }
        )
    return {"rounds": rounds, "viewports": results}


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    if argv[:1] == ["setup"] and len(argv) == 2:
        print(json.dumps(setup(int(argv[1]))))
    elif argv[:1] == ["explain"]:
        print(json.dumps(explain()))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
