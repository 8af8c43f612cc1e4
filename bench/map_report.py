"""The map benchmark's phases, probes, verdicts and report (``bench/run.py`` drives them).

What is measured (QUALITY.md: "Map hotspots with 1,000,000 pins: p50 ≤ 50 ms per viewport,
≤ 2,000 features and ≤ 200 KB per response at any zoom"):

- **hotspots**: ``GET /places/hotspots.geojson?bbox=…&zoom=z`` for a 1280 × 800 pixel viewport at
  each zoom from 9 to 18, centred on the densest cluster and on a quiet stretch of background
  (``bench/places_data.py``), with **one user** on one process, so latency is the server's time;
  the framework floor is measured the same way;
- **naive**: the same viewports from ``/bench/places/naive.geojson`` (``bench/urls.py``), every
  visible pin in the bbox as GeoJSON: what the hotspots save;
- **under load**: two of the dense viewports at 20 users on the deployed shape (two processes);
- **in the database**: ``EXPLAIN ANALYZE`` of the SQL behind each viewport.

Each viewport is also fetched once before the load (untimed) to read what it returns: mode
("cells" or "pins"), summary level, features and bytes.
"""

from __future__ import annotations

import json
import math
import urllib.request

from bench import FLOOR_PATH

TARGET_P50_MS = 50.0
TARGET_FEATURES = 2000
TARGET_BYTES = 200 * 1024
# The naive endpoint is measured for viewports holding up to this many pins, and once for the
# widest viewport (every pin of the place: about 75 s and 250 MB at a million pins); the other
# wide viewports hold the same pins, or nearly.
NAIVE_LIMIT = 250_000
NAIVE_TIMEOUT = 600.0
# The dense viewports measured again at 20 users on two processes: a wide one and the zoom where
# summing the cluster's pins used to cost most.
LOAD_ZOOMS = (12, 15)


def label(spot: dict) -> str:
    return f"z{spot['zoom']} {spot['centre']}"


def phases(phase_class, viewports: list[dict], duration: float, users: int) -> list:
    """The map's load phases, in the order they run (``phase_class`` is ``run.Phase``)."""
    dense = {spot["zoom"]: spot for spot in viewports if spot["centre"] == "dense"}
    return [
        phase_class(
            "one",
            [("framework floor", FLOOR_PATH)]
            + [(label(spot), spot["hotspots"]) for spot in viewports],
            report="places_hotspots",
            users=1,
            warmup=0.5,
            duration=duration,
        ),
        # One request each at least (the ones still running when the window closes are waited
        # for): the widest viewports return every pin of the place.
        phase_class(
            "one",
            [(label(spot), spot["naive"]) for spot in naive_viewports(viewports)],
            report="places_naive",
            users=1,
            warmup=0.0,
            duration=0.5,
            timeout=NAIVE_TIMEOUT,
        ),
        phase_class(
            "two",
            [("framework floor", FLOOR_PATH)]
            + [(label(dense[z]), dense[z]["hotspots"]) for z in LOAD_ZOOMS if z in dense],
            report="places_load",
            users=users,
        ),
    ]


def naive_viewports(viewports: list[dict]) -> list[dict]:
    widest = max(viewports, key=lambda spot: spot["pins_in_bbox"])
    return [spot for spot in viewports if spot is widest or spot["pins_in_bbox"] <= NAIVE_LIMIT]


def probe(port: int, viewports: list[dict]) -> None:
    """Fetch each viewport's hotspots once and note what came back (mode, level, features,
    bytes, pride and shame counted)."""
    for spot in viewports:
        url = f"http://127.0.0.1:{port}{spot['hotspots']}"
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
        data = json.loads(body)
        spot["probe"] = {
            "bytes": len(body),
            "features": len(data["features"]),
            "mode": data.get("mode"),
            "level": data.get("level"),
            "pride": data.get("pride"),
            "shame": data.get("shame"),
        }


def _number(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _db_ms(explained: dict | None, spot: dict) -> float | None:
    if not explained:
        return None
    for item in explained["viewports"]:
        if item["centre"] == spot["centre"] and item["zoom"] == spot["zoom"]:
            return sum(s["execution_ms"] + s["planning_ms"] for s in item["statements"])
    return None


def spot_ok(spot: dict, row: dict | None) -> dict[str, bool]:
    found = spot.get("probe", {})
    return {
        "p50": bool(row) and row["errors"] == 0 and row["p50_ms"] <= TARGET_P50_MS,
        "features": found.get("features", math.inf) <= TARGET_FEATURES,
        "bytes": found.get("bytes", math.inf) <= TARGET_BYTES,
    }


def verdicts(places: dict) -> list[tuple[str, bool]]:
    """(what was measured against which QUALITY.md target, whether it was met)."""
    if not places.get("viewports"):
        return []
    rows = {row["path"]: row for row in places.get("hotspots", [])}
    spots = places["viewports"]
    checks = [(spot, spot_ok(spot, rows.get(spot["hotspots"]))) for spot in spots]
    pins = places["data"]["visible_pins"]
    out = []
    slow = [spot for spot, ok in checks if not ok["p50"]]
    worst = max(
        (rows[spot["hotspots"]] for spot in spots if spot["hotspots"] in rows),
        key=lambda row: row["p50_ms"],
        default=None,
    )
    out.append(
        (
            f"map hotspots, {pins:,} pins: p50 <= {TARGET_P50_MS:.0f} ms in "
            f"{len(spots) - len(slow)} of {len(spots)} viewports"
            + (f" (worst: {worst['label']} at {worst['p50_ms']:.1f} ms)" if worst else ""),
            not slow,
        )
    )
    most = max(spots, key=lambda spot: spot.get("probe", {}).get("features", 0))
    out.append(
        (
            f"map hotspots: at most {most.get('probe', {}).get('features', 0):,} features "
            f"(target <= {TARGET_FEATURES:,})",
            all(ok["features"] for _, ok in checks),
        )
    )
    biggest = max(spots, key=lambda spot: spot.get("probe", {}).get("bytes", 0))
    out.append(
        (
            f"map hotspots: at most {biggest.get('probe', {}).get('bytes', 0) / 1024:,.1f} KB "
            f"(target <= {TARGET_BYTES // 1024} KB)",
            all(ok["bytes"] for _, ok in checks),
        )
    )
    return out


def render(places: dict) -> list[str]:
    data = places["data"]
    spots = places["viewports"]
    hot = {row["path"]: row for row in places.get("hotspots", [])}
    naive = {row["path"]: row for row in places.get("naive", [])}
    floor = next((row for row in places.get("hotspots", []) if row["path"] == FLOOR_PATH), None)
    explained = places.get("explain")
    centres = data["centres"]
    lines = [
        f"## Map hotspots ({data['visible_pins']:,} pins)",
        "",
        f"`manage.py generate_pins {data['generated']} --clear --seed 1` wrote "
        f"{data['generated']:,} visible pins over the demo wards (half in 12 clusters, half an "
        f"even background) in {data['generate_s']:.0f} s, with the hotspot summary rebuilt "
        f"({data['summary_rows']:,} rows). Each viewport is 1280 × 800 pixels, centred on the "
        f"densest cluster (**dense**: {centres['dense']['cell_pins']:,} pins in one level-"
        f"{centres['dense']['cell_level']} cell, at {centres['dense']['lon']:.4f}, "
        f"{centres['dense']['lat']:.4f}) or on ordinary background (**quiet**: "
        f"{centres['quiet']['cell_pins']:,} pins in its level-{centres['quiet']['cell_level']} "
        f"cell, at {centres['quiet']['lon']:.4f}, {centres['quiet']['lat']:.4f}). One user on one "
        "process, closed loop, so latency is server time plus loopback. Targets (QUALITY.md): "
        f"p50 ≤ {TARGET_P50_MS:.0f} ms per viewport, ≤ {TARGET_FEATURES:,} features and "
        f"≤ {TARGET_BYTES // 1024} KB per response at any zoom.",
        "",
    ]
    if floor:
        lines += [
            f"Framework floor, same conditions: p50 {_number(floor['p50_ms'])} ms, p95 "
            f"{_number(floor['p95_ms'])} ms, {_number(floor['app_cpu_ms'])} ms of app CPU "
            "per request.",
            "",
        ]
    lines += [
        "| Viewport | Pins in bbox | Level | From | Mode | Features | KB | SQL | p50 ms "
        "| p95 ms | CPU ms/req app + db | DB ms (EXPLAIN) | Other load | Naive: KB | Naive: ms "
        "| Target |",
        "|---|--:|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for spot in spots:
        row = hot.get(spot["hotspots"])
        found = spot.get("probe", {})
        ok = spot_ok(spot, row)
        mark = (
            "PASS"
            if all(ok.values())
            else "**FAIL** (" + ", ".join(name for name, good in ok.items() if not good) + ")"
        )
        source = data.get("sources", {}).get(str(found.get("level")), "pins")
        slow = naive.get(spot["naive"])
        naive_ms = "–"
        if slow:
            naive_ms = _number(slow["p50_ms"], 0)
            if slow["errors"]:
                naive_ms += f" ({slow['errors']} errors)"
        lines.append(
            f"| {label(spot)} | {spot['pins_in_bbox']:,} | {found.get('level', '–')} | {source} "
            f"| {found.get('mode', '–')} | {found.get('features', 0):,} "
            f"| {found.get('bytes', 0) / 1024:,.1f} | {row.get('queries', '–') if row else '–'} "
            f"| {_number(row['p50_ms']) if row else '–'} "
            f"| {_number(row['p95_ms']) if row else '–'} "
            f"| {_number(row['app_cpu_ms']) if row else '–'} + "
            f"{_number(row['db_cpu_ms']) if row else '–'} "
            f"| {_number(_db_ms(explained, spot))} "
            f"| {row['other_share']:.0%} | "
            f"{_number(slow['mean_body_bytes'] / 1024, 0) if slow else '–'} | {naive_ms} "
            f"| {mark} |"
            if row
            else f"| {label(spot)} | {spot['pins_in_bbox']:,} | – | – | – | – | – | – | – | – "
            "| – | – | – | – | – | **FAIL** (not measured) |"
        )
    lines += [
        "",
        "- Pins in bbox: visible pins inside the viewport, which is what the naive endpoint "
        "returns, one feature each. From: `totals` (`PinCellTotal`, per kind), `summary` "
        "(`PinCell`, per kind, service and ward) or `pins` (summed through the covering grid "
        "index). Mode: `cells` (hotspots) or `pins` (few enough to send "
        "one by one).",
        "- SQL: queries per request (Django's test client, steady state). DB ms: the median "
        "`EXPLAIN (ANALYZE)` planning + execution time of those queries, in a separate process "
        "after the load.",
        "- Naive: `/bench/places/naive.geojson`, a comparison route defined in `bench/urls.py` "
        "only: every visible pin in the bbox as GeoJSON with the same fields as the hotspots' "
        "pins mode. Measured for at least one request per viewport (more when fast); ms is "
        f"its p50. Viewports holding more than {NAIVE_LIMIT:,} pins are measured only for the "
        'widest one ("–" for the others, which return the same pins or nearly).',
        "",
    ]
    load = places.get("load", [])
    if load:
        lines += [
            f"Under load: {load[-1]['users']} users on the deployed shape (two processes, "
            "pool on):",
            "",
            "| URL | Requests | Errors | Req/s | p50 ms | p95 ms | p99 ms | CPU ms/req app + db "
            "| Other load |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for row in load:
            lines.append(
                f"| {row['label']} | {row['requests']} | {row['errors']} "
                f"| {row['throughput_rps']:.0f} | {_number(row['p50_ms'])} "
                f"| {_number(row['p95_ms'])} | {_number(row['p99_ms'])} "
                f"| {_number(row['app_cpu_ms'])} + {_number(row['db_cpu_ms'])} "
                f"| {row['other_share']:.0%} |"
            )
        lines.append("")
    found = verdicts(places)
    if found:
        lines += ["Against the targets:", ""]
        lines += [f"- {'PASS' if ok else '**FAIL**'}: {what}" for what, ok in found]
        lines.append("")
    return lines
