"""``make bench``: load-test the platform on its production stack and print the figures.

1. Starts PostgreSQL and Redis on loopback as child processes (or uses $DATABASE_URL / $REDIS_URL
   when they are set), migrates, seeds the demo place and collects static files into a temporary
   STATIC_ROOT (DEBUG=0 serves them through WhiteNoise's manifest storage).
2. Counts the SQL queries of every page once, in a child process (``bench/queries.py``).
3. Starts five daphne processes at once, while the demo data is seeded (DEBUG=0, production
   security settings apart from HTTPS, ``bench.settings``, which adds the framework floor
   ``/bench/floor``: a trivial view behind the same middleware), in three server sets:

   - **one process**, with the PostgreSQL connection pool: what one process can carry;
   - **two processes**, with the pool: the deployed shape (``docker-compose.yml`` runs two daphne
     replicas, ``web1`` and ``web2``, behind nginx on a 2-core machine);
   - **two processes without the pool** (``DB_POOL=0``), for the pool's effect.

   Idle sets cost nothing measurable (their CPU time still counts as this benchmark's when the
   machine's other load is worked out); starting them together saves a quarter of a minute.
4. Drives each URL with 20 concurrent closed-loop users from a separate process
   (``bench/loadgen.py``). Against two processes the users are dealt out round-robin, 10 to each
   port: that stands in for nginx in front of the replicas, which is not itself measured. It
   reports requests, errors, throughput and p50/p95/p99 latency beside the floor of the same
   server set, the server-side CPU per request, and how much CPU other processes on the machine
   took meanwhile. The QUALITY.md target for pages (p95 <= 300 ms, 0 errors at 20 concurrent
   users) is judged on the deployed shape; the one-process figures are shown beside it.

5. Consultations (``bench/survey_data.py`` makes their data right after ``seed_demo``):

   - **a consultation with 30 questions**: its page and its respond page join the page tables
     (20 users), and are measured again with **one user** on one process, so that latency is the
     server time with no queueing (target: p50 <= 25 ms), beside the floor measured the same way;
   - **response submission**: 50 users on the deployed shape each open a five-question form once
     (CSRF cookie and token, as a browser) and then POST complete anonymous responses back to back
     (target: >= 150 responses/s, p99 <= 250 ms), beside the floor at 50 users. Afterwards every
     success's idempotency key is looked up in the database (target: 0 lost);
   - **results over 100,000 responses**, written with COPY: ``question_results``, ``totals`` and
     ``reach_by_ward`` timed in a child process, computed in the database and from the cache
     (target: <= 300 ms).

6. The pride and shame map (``bench/places_data.py``, ``bench/map_report.py``): right after the
   consultation data, ``manage.py generate_pins`` writes ``--pins`` visible pins (1,000,000 by
   default, or ``$BENCH_PINS``; 0 skips the map). Then ``GET /places/hotspots.geojson`` is measured
   for 1280 × 800 pixel viewports at zooms 9 to 18, centred on the densest cluster and on a quiet
   area, with one user on one process (target: p50 <= 50 ms, <= 2,000 features and <= 200 KB),
   beside the floor and beside the same viewports served naively (every pin in the bbox, a route of
   ``bench/urls.py`` only); two of them again at 20 users on two processes; and the SQL behind each
   viewport is timed with ``EXPLAIN ANALYZE``. ``--only places`` (``make bench BENCH=places``) runs
   just this part.
7. The live forum (``bench/forum_live.py``): after the page and map load, ``--live-clients``
   signed-in WebSocket readers (500 by default; 0 skips it) on one thread, dealt over the two
   processes of the deployed shape, while posters post through the ordinary form: post-to-client
   latency p50/p95/p99, then the same with a tenth of the readers cut off every two seconds and
   catching up, counting what any reader lacks at the end (target: p95 <= 200 ms, 0 lost); beside
   raw Redis pub/sub with as many subscribers at the same rate. ``--only forums`` (``make bench
   BENCH=forums``) runs just this part.
8. The shared calendar (``bench/calendar_data.py``, ``bench/calendar_report.py``): after the map
   data, ``--activities`` activities (100,000 by default, or ``$BENCH_ACTIVITIES``; 0 skips it)
   are written with COPY. ``GET /calendar.ics`` for the organisation with 10,000 events in its
   feed (target: <= 500 ms), a ward's feed and the whole calendar's are measured with one user on
   one process beside the floor, each parsed once with ``icalendar``; then, in a child process,
   the clash check for 200 candidate activities (target: <= 20 ms), the form's whole check, the
   load index over a year × every ward and the suggested window. ``--only calendar`` (``make
   bench BENCH=calendar``) runs just this part.

The tables are printed and written to ``bench/results/latest.md`` (with the raw figures and the
SQL in ``latest.json``). Exits non-zero only when the harness itself fails; a missed target is
reported loudly but is a result, not a crash.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import json
import math
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.chdir(REPO)

from bench import FLOOR_PATH, calendar_data, calendar_report, forum_live, map_report  # noqa: E402
from bench.survey_data import SUBMIT_PATH, THIRTY_PAGE, THIRTY_RESPOND  # noqa: E402
from tests.servers import free_port, postgres_server, redis_server, wait_for_port  # noqa: E402

TARGET_P95_MS = 300.0
# QUALITY.md's consultation targets.
TARGET_PAGE_P50_MS = 25.0
TARGET_SUBMIT_RPS = 150.0
TARGET_SUBMIT_P99_MS = 250.0
TARGET_RESULTS_MS = 300.0
SUBMIT_USERS = 50
RESULTS_DIR = REPO / "bench" / "results"

# Server sets: name -> (processes, extra environment).
SERVER_SETS = {
    "one": (1, {"DB_POOL": "1"}),
    "two": (2, {"DB_POOL": "1"}),
    "two-nopool": (2, {"DB_POOL": "0"}),
}
PAGES = [
    ("framework floor", FLOOR_PATH),
    ("health check", "/healthz"),
    ("home page", "/"),
    ("sign in", "/accounts/login/"),
    ("consultation hub", "/consultations/"),
    ("accessibility statement", "/accessibility/"),
    ("consultation, 30 questions", THIRTY_PAGE),
    ("respond page, 30 questions", THIRTY_RESPOND),
]


@dataclass(frozen=True)
class Phase:
    """URLs driven against one server set; the rows go to the report section named ``report``."""

    server_set: str
    urls: list[tuple[str, str]]
    report: str = "pages"
    users: int | None = None  # None: --users
    form: bool = False  # POST the consultation form (bench/survey_data.py) instead of GETs
    warmup: float | None = None  # None: --warmup
    duration: float | None = None  # None: --duration (--submit-duration for forms)
    timeout: float | None = None  # seconds the load generator waits for a response (None: 30)


# In the order they run. The floor on the deployed shape runs again after the pages, so drift
# during the run shows.
PHASES = [
    Phase("one", PAGES),
    Phase("two", PAGES),
    Phase("two-nopool", [("health check", "/healthz"), ("home page", "/")]),
    Phase("two", [("framework floor (again)", FLOOR_PATH)]),
    Phase(
        "one",
        [
            ("framework floor", FLOOR_PATH),
            ("consultation, 30 questions", THIRTY_PAGE),
            ("respond page, 30 questions", THIRTY_RESPOND),
        ],
        report="server_time",
        users=1,
    ),
    Phase("two", [("framework floor", FLOOR_PATH)], report="submit", users=SUBMIT_USERS),
    Phase(
        "two", [("submit a response", SUBMIT_PATH)], report="submit", users=SUBMIT_USERS, form=True
    ),
]


class HarnessError(RuntimeError):
    """The benchmark could not be run (as opposed to a target being missed)."""


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Child:
    """A child process started from the repository root, its output collected in temp files."""

    def __init__(self, args: list[str], env: dict[str, str], what: str, timeout: float):
        self.what, self.timeout, self.started = what, timeout, time.monotonic()
        self.stdout = tempfile.TemporaryFile()  # noqa: SIM115 - closed in wait()
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in wait()
        self.process = subprocess.Popen(
            args, cwd=REPO, env={**os.environ, **env}, stdout=self.stdout, stderr=self.stderr
        )

    def wait(self) -> str:
        """Wait for the child; return its stdout or raise HarnessError."""
        try:
            self.process.wait(timeout=max(1.0, self.started + self.timeout - time.monotonic()))
        except subprocess.TimeoutExpired as error:
            self.process.kill()
            self.process.wait()
            raise HarnessError(f"{self.what} did not finish within {self.timeout:.0f}s") from error
        finally:
            if self.process.poll() is None:  # interrupted: do not leave it running
                self.process.kill()
                self.process.wait()
        self.stdout.seek(0)
        self.stderr.seek(0)
        out = self.stdout.read().decode(errors="replace")
        err = self.stderr.read().decode(errors="replace")
        self.stdout.close()
        self.stderr.close()
        if self.process.returncode != 0:
            raise HarnessError(
                f"{self.what} failed (exit {self.process.returncode}):\n{out[-3000:]}{err[-3000:]}"
            )
        say(f"{self.what}: finished within {time.monotonic() - self.started:.1f}s")
        return out


def run_child(args: list[str], env: dict[str, str], what: str, timeout: float) -> str:
    return Child(args, env, what, timeout).wait()


def manage(*args: str, env: dict[str, str], timeout: float = 300) -> Child:
    return Child([sys.executable, "manage.py", *args], env, f"manage.py {args[0]}", timeout)


def server_environment(database_url: str, redis_url: str, workdir: Path) -> dict[str, str]:
    """Production settings on loopback: DEBUG off, no HTTPS (there is no proxy in front)."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "ENV_FILE": "/nonexistent",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": database_url,
        # The production default; anything else would also switch the connection pool off.
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": redis_url,
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "PYTHONUNBUFFERED": "1",
    }


@dataclass
class Daphne:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path


@contextlib.contextmanager
def daphne_processes(specs: list[tuple[str, dict[str, str]]], workdir: Path):
    """Start one daphne per (name, environment) at once and yield them, stopping them on exit.

    Each is the production command (``daphne -b 127.0.0.1 -p PORT engagement.asgi:application``,
    access log on stdout, here a file) and is stopped by its own PID on the way out. They boot
    while the caller does other work; ``wait_until_serving`` waits for them.
    """
    servers: list[Daphne] = []
    try:
        for name, env in specs:
            port = free_port()
            log_path = workdir / f"daphne-{name}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
                    + ["engagement.asgi:application"],
                    cwd=REPO,
                    env={**os.environ, **env},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            servers.append(Daphne(name, port, process, log_path))
        yield servers
    finally:
        for server in servers:
            if server.process.poll() is None:
                server.process.terminate()
        for server in servers:
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


def wait_until_serving(servers: list[Daphne]) -> None:
    """Wait until every server listens and answers /healthz (which also opens its pool)."""
    for server in servers:
        try:
            wait_for_port(server.port, timeout=90, process=server.process)
            url = f"http://127.0.0.1:{server.port}/healthz"
            urllib.request.urlopen(url, timeout=20).close()
        except (RuntimeError, TimeoutError, OSError) as error:
            tail = server.log_path.read_text(errors="replace")[-3000:]
            raise HarnessError(f"daphne {server.name} did not start: {error}\n{tail}") from error


def service_pids(database_url: str, redis_url: str) -> dict[str, int]:
    """PIDs of the PostgreSQL postmaster and redis-server, when they run on this machine.

    The postmaster is the parent of every backend; it accumulates the CPU time of the
    per-request backends it has reaped (without the pool, Django opens one connection per request).
    """
    import psycopg
    import redis

    pids = {}
    with psycopg.connect(database_url, connect_timeout=5) as connection:
        backend = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        with contextlib.suppress(OSError, IndexError, ValueError):
            if b"postgres" in Path(f"/proc/{backend}/cmdline").read_bytes():
                stat = Path(f"/proc/{backend}/stat").read_text()
                pids["postgres"] = int(stat.rsplit(")", 1)[1].split()[1])
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        redis_pid = int(client.info("server")["process_id"])
    finally:
        client.close()
    with contextlib.suppress(OSError):
        if b"redis" in Path(f"/proc/{redis_pid}/cmdline").read_bytes():
            pids["redis"] = redis_pid
    return pids


def client_connections(database_url: str) -> int:
    """Client connections PostgreSQL holds open, apart from the one asking."""
    import psycopg

    with psycopg.connect(database_url, connect_timeout=5) as connection:
        return connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
            "AND pid <> pg_backend_pid()"
        ).fetchone()[0]


def saved_responses(database_url: str, consultation_id: int, keys: list[str]) -> tuple[int, int]:
    """(sent responses to the consultation, how many of ``keys`` are among them)."""
    import psycopg

    with psycopg.connect(database_url, connect_timeout=5) as connection:
        rows = connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE idempotency_key = ANY(%s::uuid[])) "
            "FROM consultations_response WHERE consultation_id = %s AND status = 'submitted'",
            [keys, consultation_id],
        ).fetchone()
    return rows[0], rows[1]


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def machine_info(database_url: str, redis_url: str) -> dict[str, str]:
    import psycopg
    import redis

    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    cpu_model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    with psycopg.connect(database_url, connect_timeout=5) as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        redis_version = client.info("server")["redis_version"]
    finally:
        client.close()
    return {
        "CPUs": f"{os.cpu_count()} ({len(os.sched_getaffinity(0))} usable) × {cpu_model}",
        "Memory": memory,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Django": version("django"),
        "Wagtail": version("wagtail"),
        "daphne": version("daphne"),
        "Twisted": version("twisted"),
        "Channels": version("channels"),
        "psycopg / psycopg-pool": f"{version('psycopg')} / {version('psycopg-pool')}",
        "PostgreSQL": postgres,
        "Redis": redis_version,
    }


def verdict(row: dict) -> bool:
    return (
        row["requests"] > 0
        and row["errors"] == 0
        and math.isfinite(row["p95_ms"])
        and row["p95_ms"] <= TARGET_P95_MS
    )


def derive(row: dict, server_set: str, cpus: int) -> None:
    """Add app/db CPU per request and the machine's other load to a load-generator result."""
    cpu, requests = row["cpu_s"], row["requests"]
    app = [seconds for name, seconds in cpu.items() if name.startswith(f"web:{server_set}:")]
    db = [cpu[name] for name in ("postgres", "redis") if cpu.get(name) is not None]
    row["app_cpu_ms"] = sum(app) * 1000 / requests if requests and None not in app else None
    row["db_cpu_ms"] = sum(db) * 1000 / requests if requests and db else None
    ours = sum(seconds for seconds in cpu.values() if seconds is not None)
    capacity = row["window_s"] * cpus
    machine = row["machine_s"]
    row["other_share"] = max(0.0, machine["processes"] - ours) / capacity
    row["steal_share"] = machine["steal"] / capacity
    row["interrupt_share"] = machine["interrupts"] / capacity


def number(value: float | None, digits: int = 1) -> str:
    return f"{value:.{digits}f}" if value is not None and math.isfinite(value) else "–"


def table(rows: list[dict], floor_p95: float, judged: bool) -> list[str]:
    last = "Target" if judged else "≤ 300 ms?"
    lines = [
        "| URL | What | SQL queries | Requests | Errors | Req/s | p50 ms | p95 ms | p99 ms "
        f"| p95 ÷ floor | CPU ms/req app + db | Other load | KB | {last} |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for row in rows:
        ratio = row["p95_ms"] / floor_p95 if floor_p95 and math.isfinite(floor_p95) else math.nan
        queries = row.get("queries")
        query_text = "–" if queries is None else str(queries)
        if queries is not None and row.get("queries_first") not in (None, queries):
            query_text += f" ({row['queries_first']} cold)"
        if row.get("status") not in (None, 200):
            query_text += f" (HTTP {row['status']})"
        errors = str(row["errors"])
        if row["errors"]:
            errors += " (" + ", ".join(f"{k}: {v}" for k, v in row["error_kinds"].items()) + ")"
        if judged:
            mark = "PASS" if verdict(row) else "**FAIL**"
        else:
            mark = "yes" if verdict(row) else "**no**"
        lines.append(
            f"| `{row['path']}` | {row['label']} | {query_text} | {row['requests']} | {errors} "
            f"| {row['throughput_rps']:.0f} | {number(row['p50_ms'])} | {number(row['p95_ms'])} "
            f"| {number(row['p99_ms'])} | {number(ratio)}× "
            f"| {number(row['app_cpu_ms'])} + {number(row['db_cpu_ms'])} "
            f"| {row['other_share']:.0%} | {row['mean_body_bytes'] / 1024:.1f} | {mark} |"
        )
    return lines


RESULTS_FUNCTIONS = ("question_results", "totals", "reach_by_ward")


def results_total(timings: dict, mode: str, figure: str) -> float:
    """The time to produce every figure of a results page: the three functions added up."""
    return sum(timings[mode][name][figure] for name in RESULTS_FUNCTIONS)


def consultation_verdicts(consultations: dict) -> list[tuple[str, bool]]:
    """(what was measured against which QUALITY.md target, whether it was met)."""
    verdicts = []
    for row in consultations["server_time"]:
        if row["path"] != FLOOR_PATH:
            verdicts.append(
                (
                    f"{row['label']}: p50 server time {row['p50_ms']:.1f} ms "
                    f"(target <= {TARGET_PAGE_P50_MS:.0f} ms)",
                    row["errors"] == 0 and row["p50_ms"] <= TARGET_PAGE_P50_MS,
                )
            )
    for row in consultations["submit"]:
        if "integrity" not in row:
            continue
        integrity = row["integrity"]
        lost = integrity["successes"] - integrity["found"]
        verdicts += [
            (
                f"response submission: {row['throughput_rps']:.0f} responses/s "
                f"(target >= {TARGET_SUBMIT_RPS:.0f})",
                row["throughput_rps"] >= TARGET_SUBMIT_RPS,
            ),
            (
                f"response submission: p99 {row['p99_ms']:.0f} ms at {row['users']} users "
                f"(target <= {TARGET_SUBMIT_P99_MS:.0f} ms), {row['errors']} errors",
                row["p99_ms"] <= TARGET_SUBMIT_P99_MS and row["errors"] == 0,
            ),
            (f"response submission: {lost} lost (target 0)", lost == 0),
        ]
    if "results" in consultations:
        total = results_total(consultations["results"], "computed", "median_ms")
        verdicts.append(
            (
                f"results over {consultations['results']['responses']:,} responses computed in "
                f"the database: {total:.0f} ms (target <= {TARGET_RESULTS_MS:.0f} ms)",
                total <= TARGET_RESULTS_MS,
            )
        )
    return verdicts


def render_consultations(consultations: dict) -> list[str]:
    floor_time = next(
        (row for row in consultations["server_time"] if row["path"] == FLOOR_PATH), None
    )
    lines = [
        "## Consultations",
        "",
        "### Consultation page with 30 questions: server time",
        "",
        "One process, **one user** (closed loop, keep-alive, no queueing), so latency is the "
        "server's time plus loopback. The 30 questions are in one section, the nine question "
        "types in turn (`bench/survey_data.py`). The same pages at 20 users are in the tables "
        f"above. Target (QUALITY.md): p50 ≤ {TARGET_PAGE_P50_MS:.0f} ms.",
        "",
        "| URL | What | SQL queries | Requests | p50 ms | p95 ms | p50 − floor p50 | "
        "CPU ms/req app + db | Other load | KB | Target |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for row in consultations["server_time"]:
        is_floor = row["path"] == FLOOR_PATH
        over = row["p50_ms"] - floor_time["p50_ms"] if floor_time and not is_floor else None
        ok = row["errors"] == 0 and row["p50_ms"] <= TARGET_PAGE_P50_MS
        mark = "–" if is_floor else ("PASS" if ok else "**FAIL**")
        lines.append(
            f"| `{row['path']}` | {row['label']} | {row['queries']} | {row['requests']} "
            f"| {number(row['p50_ms'])} | {number(row['p95_ms'])} | {number(over)} "
            f"| {number(row['app_cpu_ms'])} + {number(row['db_cpu_ms'])} "
            f"| {row['other_share']:.0%} | {row['mean_body_bytes'] / 1024:.1f} | {mark} |"
        )
    submit_rows = consultations["submit"]
    if submit_rows:
        users = submit_rows[-1]["users"]
        lines += [
            "",
            "### Response submission",
            "",
            f"The deployed shape (two processes, pool on), **{users} users** dealt out "
            "round-robin. Each user first GETs the five-question form once, untimed, keeping the "
            "CSRF cookie and token as a browser does; then it POSTs complete anonymous responses "
            "back to back, each with a fresh idempotency key. A success is the redirect to the "
            "confirmation page. The floor is a GET of the trivial view at the same concurrency. "
            f"Targets (QUALITY.md): ≥ {TARGET_SUBMIT_RPS:.0f} responses/s sustained, p99 ≤ "
            f"{TARGET_SUBMIT_P99_MS:.0f} ms at 50 users, 0 lost.",
            "",
            "| What | SQL queries | Measured s | Requests | Errors | Per second | p50 ms | p95 ms "
            "| p99 ms | CPU ms/req app + db | Other load |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for row in submit_rows:
            errors = str(row["errors"])
            if row["errors"]:
                errors += " (" + ", ".join(f"{k}: {v}" for k, v in row["error_kinds"].items()) + ")"
            lines.append(
                f"| {row['label']} (`{row['method']} {row['path']}`) | {row['queries']} "
                f"| {row['duration_s']:g} | {row['requests']} | {errors} "
                f"| {row['throughput_rps']:.0f} | {number(row['p50_ms'])} "
                f"| {number(row['p95_ms'])} | {number(row['p99_ms'])} "
                f"| {number(row['app_cpu_ms'])} + {number(row['db_cpu_ms'])} "
                f"| {row['other_share']:.0%} |"
            )
        for row in submit_rows:
            if "integrity" in row:
                integrity = row["integrity"]
                lines += [
                    "",
                    f"Nothing lost: {integrity['successes']:,} POSTs got the confirmation "
                    f"redirect (warm-up included); {integrity['found']:,} of their idempotency "
                    f"keys are sent responses in the database; the consultation gained "
                    f"{integrity['rows_added']:,} sent responses during the test "
                    f"(**{integrity['successes'] - integrity['found']} lost**, "
                    f"{integrity['rows_added'] - integrity['found']} saved without a "
                    "confirmation reaching the client).",
                ]
    if "results" in consultations:
        timings = consultations["results"]
        data = consultations.get("data", {}).get("results", {})
        lines += [
            "",
            f"### Results over {timings['responses']:,} responses",
            "",
            f"One consultation with every question type and {timings['responses']:,} sent "
            f"responses ({data.get('answer_rows', 0):,} answer rows), written with COPY in "
            f"{data.get('fill_s', 0):.0f} s and then `VACUUM ANALYZE`d. Each function runs "
            f"{timings['repeat']} times in a child process on a freshly loaded page: "
            "**computed** with the cache switched off (every figure counted in PostgreSQL; the "
            'first run, with the process\'s caches empty, is "cold") and then **cached** '
            "(Redis, as deployed). Wall time, including the SQL and the Python that shapes it. "
            f"Target (QUALITY.md): ≤ {TARGET_RESULTS_MS:.0f} ms for a results page's figures "
            "(`question_results` + `totals` + `reach_by_ward`).",
            "",
            "| Function | SQL queries | Computed: cold ms | median ms | min ms | max ms "
            "| Cached: median ms | SQL queries (cached) |",
            "|---|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for name, computed in timings["computed"].items():
            cached = timings["cached"][name]
            lines.append(
                f"| `{name}` | {computed['queries']} | {computed['cold_ms']:.0f} "
                f"| {computed['median_ms']:.0f} | {computed['min_ms']:.0f} "
                f"| {computed['max_ms']:.0f} | {cached['median_ms']:.1f} | {cached['queries']} |"
            )
        total = results_total(timings, "computed", "median_ms")
        cached_total = results_total(timings, "cached", "median_ms")
        ok = total <= TARGET_RESULTS_MS
        lines += [
            f"| **the three together** | | {results_total(timings, 'computed', 'cold_ms'):.0f} "
            f"| **{total:.0f}** | | | {cached_total:.1f} | |",
            "",
            f"Computed in the database: {total:.0f} ms against the {TARGET_RESULTS_MS:.0f} ms "
            f"target: {'PASS' if ok else '**FAIL**'} (`equality_summary` is shown for "
            "reference, outside the sum).",
        ]
    verdicts = consultation_verdicts(consultations)
    if verdicts:
        lines += ["", "Against the targets:", ""]
        lines += [f"- {'PASS' if ok else '**FAIL**'}: {what}" for what, ok in verdicts]
    return lines + [""]


def render(
    results: dict[str, list[dict]],
    info: dict[str, str],
    config: dict,
    notes: list[str],
    consultations: dict | None = None,
    places: dict | None = None,
    live: dict | None = None,
    calendar: dict | None = None,
):
    one, two, nopool = results["one"], results["two"], results["two-nopool"]
    lines = [f"# Common Ground benchmark, {config['date']}", ""]
    if not two:  # --only places / forums / calendar
        lines += [
            f"`make bench BENCH={config['only']}`: that part only, daphne with DEBUG=0, "
            f"PostgreSQL and Redis on loopback, on one {config['cpus']}-CPU machine, from a "
            "separate load-generator process.",
            "",
        ]
        if places:
            lines += map_report.render(places)
        if live:
            lines += forum_live.render(live)
        if calendar:
            lines += calendar_report.render(calendar)
        return _render_tail(lines, info, config, notes)
    lines += [
        f"`make bench`: daphne with DEBUG=0, PostgreSQL and Redis on loopback, on one "
        f"{config['cpus']}-CPU machine. {config['users']} concurrent closed-loop users per URL "
        f"(keep-alive, anonymous, no cookies), {config['warmup']:g} s warm-up then "
        f"{config['duration']:g} s measured, from a separate load-generator process. The framework "
        f'floor is `{FLOOR_PATH}`, a view returning "ok" behind the same middleware on the same '
        "servers. Target for pages (QUALITY.md): p95 ≤ "
        f"{TARGET_P95_MS:.0f} ms and 0 errors at 20 concurrent users, **judged on the deployed "
        "shape** (two processes).",
        "",
        "## Deployed shape: two daphne processes, connection pool on",
        "",
        "As `docker-compose.yml` runs it (`web1`, `web2`). The load generator deals its users out "
        "round-robin, 10 to each process, in place of nginx; nginx is not in the measurement.",
        "",
        *table(two, two[0]["p95_ms"], judged=True),
        "",
        "## Per-process capacity: one daphne process, connection pool on",
        "",
        "All 20 users on one process, which can use one core: what a single replica carries. "
        "For reference; not the shape the target is judged on.",
        "",
        *table(one, one[0]["p95_ms"], judged=False),
        "",
        "## Connection pool on vs off (two processes)",
        "",
        "| URL | Pool | Req/s | p50 ms | p95 ms | CPU ms/req app + db | Other load |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    pooled = {row["path"]: row for row in two}
    for row in nopool:
        for label, item in (("on", pooled.get(row["path"])), ("off (`DB_POOL=0`)", row)):
            if item is None:
                continue
            lines.append(
                f"| `{item['path']}` | {label} | {item['throughput_rps']:.0f} "
                f"| {number(item['p50_ms'])} | {number(item['p95_ms'])} "
                f"| {number(item['app_cpu_ms'])} + {number(item['db_cpu_ms'])} "
                f"| {item['other_share']:.0%} |"
            )
    lines += [
        "",
        "- SQL queries: per request in the steady state, counted once per page with Django's test "
        'client against the same database ("cold": the first request of a fresh process, when '
        "it differs).",
        "- CPU ms/req: CPU time the daphne process(es) under test (app) and PostgreSQL + Redis "
        "(db) spent per request during the measured window, read from /proc. Unlike latency it "
        "barely changes when other work shares the machine; one process can serve at most about "
        "1000 ÷ app CPU requests per second.",
        "- Other load: share of the machine's CPU time (user + system, all CPUs) that processes "
        "other than this benchmark's used during the measured window. Interrupt time (where "
        "loopback networking lands) and hypervisor steal are left out of it and given in the "
        "notes.",
        f"- The load generator itself used {number(config['loadgen_cpu'], 2)} CPU ms per request "
        "at most, on the same machine.",
        "- KB: mean response body.",
        f"- Load average (1/5/15 min) before setup: {config['load_before']}; when the load test "
        f"started: {config['load_at_start']}; at the end: {config['load_after']}.",
        "",
    ]
    if consultations and (consultations["server_time"] or consultations["submit"]):
        lines += render_consultations(consultations)
    if places:
        lines += map_report.render(places)
    if live:
        lines += forum_live.render(live)
    if calendar:
        lines += calendar_report.render(calendar)
    return _render_tail(lines, info, config, notes)


def _render_tail(lines: list[str], info: dict[str, str], config: dict, notes: list[str]) -> str:
    if notes:
        lines += ["Notes:", "", *[f"- {note}" for note in notes], ""]
    lines += ["## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in info.items()]
    lines += ["", f"Total harness time: {config['elapsed']:.0f} s.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load-test Common Ground (make bench).")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--pause", type=float, default=0.5, help="idle seconds between URLs")
    parser.add_argument(
        "--submit-duration",
        type=float,
        default=20.0,
        help="measured seconds of the response submission test (sustained throughput)",
    )
    parser.add_argument("--results-repeat", type=int, default=9)
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.md")
    parser.add_argument(
        "--only",
        choices=["places", "forums", "calendar"],
        help="run only this part (make bench BENCH=places, BENCH=forums or BENCH=calendar), "
        "without the pages "
        "and consultations",
    )
    parser.add_argument(
        "--live-clients",
        type=int,
        default=int(os.environ.get("BENCH_LIVE_CLIENTS") or 500),
        help="WebSocket readers for the live forum benchmark (default 500; 0 skips it)",
    )
    parser.add_argument(
        "--pins",
        type=int,
        default=int(os.environ.get("BENCH_PINS") or 1_000_000),
        help="pins generated for the map benchmark (default $BENCH_PINS or 1,000,000; 0 skips it)",
    )
    parser.add_argument(
        "--places-duration",
        type=float,
        default=3.0,
        help="measured seconds per map viewport (one user)",
    )
    parser.add_argument(
        "--activities",
        type=int,
        default=int(os.environ.get("BENCH_ACTIVITIES") or calendar_data.ACTIVITIES),
        help="calendar activities for the calendar benchmark (default $BENCH_ACTIVITIES or "
        "100,000; 0 skips it)",
    )
    parser.add_argument(
        "--calendar-duration",
        type=float,
        default=5.0,
        help="measured seconds per calendar feed (one user)",
    )
    args = parser.parse_args(argv)
    run_core = args.only is None
    run_places = args.pins > 0 and args.only in (None, "places")
    run_forums = args.live_clients > 0 and args.only in (None, "forums")
    run_calendar = args.activities > 0 and args.only in (None, "calendar")
    if args.only == "places" and not run_places:
        parser.error("--only places needs --pins above 0")
    if args.only == "forums" and not run_forums:
        parser.error("--only forums needs --live-clients above 0")
    if args.only == "calendar" and not run_calendar:
        parser.error("--only calendar needs --activities above 0")

    # Unwind the context managers (and so stop every server) on SIGTERM as on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    load_before = load_average()
    cpus = os.cpu_count() or 1
    notes: list[str] = []
    results: dict[str, list[dict]] = {name: [] for name in SERVER_SETS}
    consultations: dict[str, list[dict]] = {"server_time": [], "submit": []}
    places: dict = {}
    live: dict = {}
    calendar: dict = {}
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cg-bench-")))
        if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
            notes.append("PostgreSQL from $DATABASE_URL (migrated and seeded in place).")
        say("starting PostgreSQL")
        database_url = stack.enter_context(postgres_server())
        if os.environ.get("REDIS_URL"):
            notes.append("Redis from $REDIS_URL.")
        say("starting Redis")
        redis_url = stack.enter_context(redis_server())
        env = server_environment(database_url, redis_url, workdir)

        # collectstatic needs no database, so it runs beside migrate. The servers need both (the
        # static manifest is read at start-up) but not the demo data, so they boot beside
        # seed_demo and the query counts.
        collectstatic = manage("collectstatic", "--noinput", env=env)
        try:
            manage("migrate", "--noinput", env=env).wait()
        finally:
            collectstatic.wait()
        specs = [
            (f"{name}:{index + 1}", {**env, **extra})
            for name, (count, extra) in SERVER_SETS.items()
            for index in range(count)
        ]
        say(f"starting {len(specs)} daphne processes")
        servers = stack.enter_context(daphne_processes(specs, workdir))
        manage("seed_demo", env=env).wait()
        phases = list(PHASES) if run_core else []
        form_file = workdir / "form.json"
        if run_core:
            survey = json.loads(
                run_child(
                    [sys.executable, "-m", "bench.survey_data", "setup"],
                    env,
                    "consultation data",
                    900,
                )
            )
            say(
                f"consultation data: {survey['results']['written']:,} responses written in "
                f"{survey['results']['fill_s']:.0f}s"
            )
            form_file.write_text(
                json.dumps({"bodies": survey["submit"]["bodies"], "success": "/confirmation/"})
            )
        if run_places:
            say(f"map data: generating {args.pins:,} pins")
            data = json.loads(
                run_child(
                    [sys.executable, "-m", "bench.places_data", "setup", str(args.pins)],
                    env,
                    "map data",
                    1800,
                )
            )
            places["viewports"] = data.pop("viewports")
            places["data"] = data
            say(f"map data: {data['generate_output'].splitlines()[-1]}")
            phases += map_report.phases(
                Phase, places["viewports"], args.places_duration, args.users
            )
        if run_calendar:
            say(f"calendar data: writing {args.activities:,} activities")
            calendar["data"] = json.loads(
                run_child(
                    [sys.executable, "-m", "bench.calendar_data", "setup", str(args.activities)],
                    env,
                    "calendar data",
                    900,
                )
            )
            say(f"calendar data: {calendar['data']['written']:,} written")
            phases += calendar_report.phases(Phase, calendar["data"], args.calendar_duration)
        # Query counts for every GET measured, except the naive map (it reads every pin).
        paths = list(
            dict.fromkeys(
                path for phase in phases if phase.report != "places_naive" for _, path in phase.urls
            )
        )
        queries = json.loads(
            run_child([sys.executable, "-m", "bench.queries", *paths], env, "query counts", 120)
        )
        wait_until_serving(servers)
        say("daphne processes serving")
        if run_places:
            one = next(server for server in servers if server.name.startswith("one:"))
            map_report.probe(one.port, places["viewports"])
        if run_calendar:
            one = next(server for server in servers if server.name.startswith("one:"))
            calendar["feeds"] = calendar_report.probe(
                one.port, calendar["data"], redis_url, one.process.pid, database_url
            )
        pids = service_pids(database_url, redis_url)
        pids.update({f"web:{server.name}": server.process.pid for server in servers})
        connections = client_connections(database_url)
        notes.append(
            f"After start-up PostgreSQL held {connections} client connections, all the pooled "
            "processes' (each keeps at least `DB_POOL_MIN_SIZE`, 2 by default, open; it may open "
            "one more while the pool is still filling); the unpooled ones close theirs after "
            "every request."
        )

        load_at_start = load_average()
        total = sum(len(phase.urls) for phase in phases)
        say(f"load: {total} URLs, {args.users} users unless stated (load {load_at_start})")
        submit_id = survey["submit"]["page_id"] if run_core else None
        for phase in phases:
            server_set = phase.server_set
            ports = [s.port for s in servers if s.name.startswith(f"{server_set}:")]
            duration = phase.duration or (args.submit_duration if phase.form else args.duration)
            warmup = args.warmup if phase.warmup is None else phase.warmup
            per_url = warmup + duration + args.pause
            if phase.form:
                saved_before = saved_responses(database_url, submit_id, [])[0]
            output = run_child(
                [
                    sys.executable,
                    "-m",
                    "bench.loadgen",
                    *[f"--port={port}" for port in ports],
                    f"--users={phase.users or args.users}",
                    f"--warmup={warmup}",
                    f"--duration={duration}",
                    f"--pause={args.pause}",
                    *[f"--cpu-pid={name}={pid}" for name, pid in pids.items()],
                    *([f"--form={form_file}"] if phase.form else []),
                    *([f"--timeout={phase.timeout}"] if phase.timeout else []),
                    *[path for _, path in phase.urls],
                ],
                env,
                f"load generator ({server_set}, {phase.report})",
                timeout=len(phase.urls) * (per_url + max(60, phase.timeout or 0)),
            )
            rows = [json.loads(line) for line in output.splitlines() if line.strip()]
            if len(rows) != len(phase.urls):
                raise HarnessError(
                    f"load generator returned {len(rows)} results for {len(phase.urls)}"
                )
            for (label, _), row in zip(phase.urls, rows, strict=True):
                row["label"] = label
                row["server_set"] = server_set
                keys = ("queries", "queries_first", "status")
                counted = queries.get(row["path"], {})
                row.update({key: counted.get(key) for key in keys})
                if phase.form:
                    row["queries"] = survey["submit"]["post_queries"]
                    row["queries_first"] = row["status"] = None
                    keys_sent = row.pop("saved_keys")
                    rows_after, found = saved_responses(database_url, submit_id, keys_sent)
                    row["integrity"] = {
                        "successes": len(keys_sent),
                        "found": found,
                        "rows_added": rows_after - saved_before,
                    }
                derive(row, server_set, cpus)
                if phase.report == "pages":
                    results[server_set].append(row)
                elif phase.report.startswith("places_"):
                    places.setdefault(phase.report.removeprefix("places_"), []).append(row)
                elif phase.report.startswith("calendar_"):
                    calendar.setdefault(phase.report.removeprefix("calendar_"), []).append(row)
                else:
                    consultations[phase.report].append(row)
            time.sleep(args.pause)
        if run_core:
            say("timing results over 100,000 responses")
            timings = json.loads(
                run_child(
                    [
                        sys.executable,
                        "-m",
                        "bench.survey_data",
                        "results",
                        str(survey["results"]["page_id"]),
                        str(args.results_repeat),
                    ],
                    env,
                    "results timing",
                    600,
                )
            )
            consultations["results"] = timings
            consultations["data"] = {k: v for k, v in survey.items() if k != "submit"}
        if run_forums:
            ports = [str(s.port) for s in servers if s.name.startswith("two:")]
            say(f"live forum: {args.live_clients} readers on ports {', '.join(ports)}")
            config_file = workdir / "forum-live.json"
            config_file.write_text(
                run_child(
                    [sys.executable, "-m", "bench.forum_live", "setup", str(args.live_clients)],
                    env,
                    "live forum data",
                    600,
                )
            )
            live["run"] = json.loads(
                run_child(
                    [
                        sys.executable,
                        "-m",
                        "bench.forum_live",
                        "run",
                        str(config_file),
                        *[f"--port={port}" for port in ports],
                        f"--clients={args.live_clients}",
                    ],
                    env,
                    "live forum load",
                    900,
                )
            )
            say("live forum: raw Redis pub/sub baseline")
            live["redis"] = json.loads(
                run_child(
                    [
                        sys.executable,
                        "-m",
                        "bench.forum_live",
                        "redis",
                        redis_url,
                        f"--subscribers={args.live_clients}",
                    ],
                    env,
                    "Redis pub/sub baseline",
                    300,
                )
            )
        if run_calendar:
            say("calendar: timing the clash check and the load index")
            calendar["timings"] = json.loads(
                run_child(
                    [sys.executable, "-m", "bench.calendar_report", "time"],
                    env,
                    "calendar timing",
                    1800,
                )
            )
        if run_places:
            say("map: EXPLAIN ANALYZE of every viewport's SQL")
            places["explain"] = json.loads(
                run_child(
                    [sys.executable, "-m", "bench.places_data", "explain"],
                    env,
                    "map query plans",
                    900,
                )
            )
        load_after = load_average()
        for server in servers:
            tracebacks = server.log_path.read_text(errors="replace").count("Traceback (most recent")
            if tracebacks:
                notes.append(f"daphne {server.name} logged {tracebacks} traceback(s).")
        info = machine_info(database_url, redis_url)

    every = [row for rows in results.values() for row in rows]
    every += consultations["server_time"] + consultations["submit"]
    # Not the naive map's rows: its requests outlast their half-second windows.
    every += [row for key in ("hotspots", "load") for row in places.get(key, [])]
    every += calendar.get("feed", [])
    if every:
        worst = max(every, key=lambda row: row["other_share"])
        mean_other = sum(row["other_share"] for row in every) / len(every)
        steal = max(row["steal_share"] for row in every)
        interrupts = max(row["interrupt_share"] for row in every)
    else:  # --only forums: no HTTP load windows
        worst = {"other_share": 0.0, "path": "–", "server_set": "–"}
        mean_other = steal = interrupts = 0.0
    contention = (
        f"Other processes on the machine used {mean_other:.0%} of its {cpus} CPUs on average "
        f"during the measured windows, at most {worst['other_share']:.0%} (`{worst['path']}`, "
        f"{worst['server_set']}). Hypervisor steal at most {steal:.0%}; interrupts at most "
        f"{interrupts:.0%}."
    )
    if mean_other > 0.10 or steal > 0.05:
        contention += (
            " Latency and throughput are pessimistic in this run; the CPU ms/req column is the "
            "figure to compare between runs."
        )
    notes.insert(0, contention)
    splits = [
        min(row["requests_per_port"].values()) / max(1, max(row["requests_per_port"].values()))
        for row in results["two"] + results["two-nopool"] + places.get("load", [])
    ]
    if splits:
        notes.append(
            f"Two-process rows: the less busy process served at least {min(splits):.0%} as many "
            "requests as the busier one."
        )
    loadgen = [row["cpu_ms_per_request"].get("loadgen") for row in every]
    config = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": cpus,
        "users": args.users,
        "warmup": args.warmup,
        "duration": args.duration,
        "elapsed": time.monotonic() - began,
        "load_before": load_before,
        "load_at_start": load_at_start,
        "load_after": load_after,
        "loadgen_cpu": max((value for value in loadgen if value is not None), default=None),
        "other_cpu_share_mean": mean_other,
        "steal_share_max": steal,
        "only": args.only,
    }
    report = render(results, info, config, notes, consultations, places, live, calendar)
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    args.output.with_suffix(".json").write_text(
        json.dumps(
            {
                "config": config,
                "machine": info,
                "results": results,
                "consultations": consultations,
                "places": places,
                "live": live,
                "calendar": calendar,
                "queries": queries,
                "notes": notes,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    say(f"written to {args.output}")

    missed = [
        f"  {row['path']} ({row['label']}): p95 {row['p95_ms']:.1f} ms, {row['errors']} errors"
        for row in results["two"]
        if not verdict(row)
    ]
    if missed:
        missed.insert(
            0,
            f"On the deployed shape (two processes; p95 <= {TARGET_P95_MS:.0f} ms and 0 errors "
            f"at {args.users} concurrent users):",
        )
    missed += [f"  {what}" for what, ok in consultation_verdicts(consultations) if not ok]
    missed += [f"  {what}" for what, ok in map_report.verdicts(places) if not ok]
    missed += [f"  {what}" for what, ok in forum_live.verdicts(live) if not ok]
    missed += [f"  {what}" for what, ok in calendar_report.verdicts(calendar) if not ok]
    if missed:
        banner = "!" * 78
        message = "\n".join([banner, "TARGET MISSED", *missed, banner])
        print(message)
        print(message, file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (HarnessError, RuntimeError) as error:  # RuntimeError: a service would not start
        say(f"harness error: {error}")
        sys.exit(2)
