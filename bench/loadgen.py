"""A small closed-loop HTTP/1.1 load generator (standard library only).

``users`` simulated users each hold one keep-alive connection and issue GET requests back to back
(the next request leaves when the previous response has been read to the last byte) for
``warmup + duration`` seconds. Given several ``--port``s, user *i* talks to port *i mod n*: the
users are dealt out round-robin, a fixed even split across server processes that stands in for the
reverse proxy in front of the web replicas (the proxy itself is not measured).

Only requests *started* inside the measured window are recorded; the ones still in flight when it
closes are waited for and recorded too, so slow responses are not cut off. Throughput is recorded
requests divided by the window length.

With ``--cpu-pid NAME=PID`` it also reads the CPU time of server processes (their own plus that of
children they have reaped, from /proc) at both ends of the window, so each result carries the
server-side CPU milliseconds per request: a figure that, unlike latency, barely moves when other
work shares the machine. The load generator's own CPU time is reported the same way, and so is
the whole machine's busy and stolen time (/proc/stat) over the same window, from which the caller
works out how much CPU processes other than its own used meanwhile.

With ``--form FILE`` it submits a form instead: each user first GETs the path once (not timed),
as a browser opens the page, keeping the CSRF cookie and token it is given; then it POSTs one of
the bodies in FILE (JSON: ``{"bodies": [{field: value or [values]}], "success": "text"}``) back to
back, each with a fresh ``idempotency_key``. A POST succeeds when it is answered with a redirect
whose Location contains ``success``; the keys of every success, warm-up included, are printed so
the caller can check each one reached the database.

It runs in its own process, apart from the server, and prints one JSON object per path:

    python -m bench.loadgen --port 8000 --users 20 --duration 10 --warmup 2 /bench/floor /healthz
    python -m bench.loadgen --port 8001 --port 8002 --users 20 /   # 10 users on each
    python -m bench.loadgen --port 8001 --port 8002 --users 50 --form bodies.json /c/x/respond/
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

REQUEST_TIMEOUT = 30.0


class ProtocolError(Exception):
    pass


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: Counter = field(default_factory=Counter)  # "HTTP 500" / exception name -> count
    statuses: Counter = field(default_factory=Counter)
    body_bytes: int = 0
    # Form submissions: the idempotency key of every POST that succeeded, warm-up included.
    saved_keys: list[str] = field(default_factory=list)


@dataclass
class Reply:
    status: int
    size: int
    keep_alive: bool
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes = b""


async def read_response(reader: asyncio.StreamReader, keep_body: bool = False) -> Reply:
    """Read one response: status, body length, whether the connection stays open, the headers
    (the last of each name), the cookies set, and the body itself when ``keep_body``."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    try:
        status = int(rest[:3])
    except ValueError as error:
        raise ProtocolError(f"bad status line {lines[0]!r}") from error
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
            if name.strip().lower() == "set-cookie":
                cookie, _, _attributes = value.strip().partition(";")
                cookie_name, _, cookie_value = cookie.partition("=")
                cookies[cookie_name.strip()] = cookie_value.strip()
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"

    def reply(size: int, alive: bool, body: bytes = b"") -> Reply:
        return Reply(status, size, alive, headers, cookies, body if keep_body else b"")

    if "chunked" in headers.get("transfer-encoding", "").lower():
        size, parts = 0, []
        while True:
            chunk_line = await reader.readuntil(b"\r\n")
            chunk = int(chunk_line.split(b";", 1)[0].strip(), 16)
            if chunk == 0:
                # Trailers (normally none) end with an empty line.
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                break
            data = await reader.readexactly(chunk + 2)
            if keep_body:
                parts.append(data[:-2])
            size += chunk
        return reply(size, keep_alive, b"".join(parts))
    if "content-length" in headers:
        length = int(headers["content-length"])
        body = await reader.readexactly(length)
        return reply(length, keep_alive, body)
    if status in (204, 304) or 100 <= status < 200:
        return reply(0, keep_alive)
    body = await reader.read()  # no framing: the body runs to the end of the connection
    return reply(len(body), False, body)


# A request to send, and the idempotency key it carries (None for a GET).
RequestMaker = Callable[[], tuple[bytes, str | None]]


def succeeded(reply: Reply, success: str | None) -> bool:
    """A GET succeeds with a 2xx; a form POST with a redirect to the page named by ``success``."""
    if success is None:
        return 200 <= reply.status < 300
    return reply.status in (302, 303) and success in reply.headers.get("location", "")


async def simulated_user(
    host: str,
    port: int,
    make_request: RequestMaker,
    record_from: float,
    stop_at: float,
    outcome: Outcome,
    success: str | None = None,
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while (started := time.perf_counter()) < stop_at:
        recorded = started >= record_from
        request, key = make_request()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port), REQUEST_TIMEOUT
                )
            writer.write(request)
            answer = await asyncio.wait_for(read_response(reader), REQUEST_TIMEOUT)
        except (
            OSError,
            EOFError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ProtocolError,
            TimeoutError,
            ValueError,
        ) as error:
            if recorded:
                outcome.errors[type(error).__name__] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)  # do not spin if the server refuses connections
            continue
        elapsed = time.perf_counter() - started
        ok = succeeded(answer, success)
        if ok and key is not None:
            outcome.saved_keys.append(key)
        if recorded:
            outcome.statuses[answer.status] += 1
            if ok:
                outcome.latencies.append(elapsed)
                outcome.body_bytes += answer.size
            else:
                outcome.errors[f"HTTP {answer.status}"] += 1
        if not answer.keep_alive:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def _stat_fields(pid: int | str) -> list[str]:
    # The fields after the ")" that closes the command name: state, ppid, ... (stat(5) from 3 on).
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds_many(pids: dict[str, int]) -> dict[str, float | None]:
    """CPU seconds of each process, its live children and the children it has reaped.

    PostgreSQL runs one backend per connection: per-request backends that have exited are in
    the postmaster's reaped-children time, pooled or still-running ones are live children. One
    pass over /proc serves every PID, so sampling costs the same however many are watched.
    """
    tick = os.sysconf("SC_CLK_TCK")
    totals: dict[int, int | None] = {}
    for pid in set(pids.values()):
        try:
            fields = _stat_fields(pid)
        except OSError:
            totals[pid] = None
            continue
        totals[pid] = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            child = _stat_fields(entry.name)
        except OSError:
            continue
        parent = int(child[1])
        if totals.get(parent) is not None:
            totals[parent] += int(child[11]) + int(child[12])
    return {
        name: (None if totals[pid] is None else totals[pid] / tick) for name, pid in pids.items()
    }


def cpu_seconds(pid: int) -> float | None:
    """CPU seconds of ``pid`` with its live and reaped children (see ``cpu_seconds_many``)."""
    return cpu_seconds_many({"pid": pid})["pid"]


def machine_cpu_seconds() -> dict[str, float]:
    """CPU seconds the whole machine has spent since boot, from the first line of /proc/stat.

    ``processes``: user + nice + system (time charged to processes); ``interrupts``: irq +
    softirq (loopback networking lands here, ours included); ``steal``: taken by the hypervisor.
    """
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    tick = os.sysconf("SC_CLK_TCK")
    return {
        "processes": (user + nice + system) / tick,
        "interrupts": (irq + softirq) / tick,
        "steal": steal / tick,
    }


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


async def measure(
    host: str,
    ports: list[int],
    path: str,
    users: int,
    warmup: float,
    duration: float,
    cpu_pids: dict[str, int] | None = None,
    form: dict | None = None,
) -> dict:
    outcomes = {port: Outcome() for port in ports}
    users_on = [ports[index % len(ports)] for index in range(users)]  # round-robin
    if form is None:
        makers = [_get_maker(host, port, path) for port in users_on]
    else:
        # Every user opens the form once, as a browser would, before the clock starts.
        sessions = await asyncio.gather(*(open_form(host, port, path) for port in users_on))
        makers = [
            _post_maker(host, port, path, cookies, token, form["bodies"], offset=index)
            for index, (port, (cookies, token)) in enumerate(zip(users_on, sessions, strict=True))
        ]
    success = form["success"] if form else None
    begin = time.perf_counter()
    record_from, stop_at = begin + warmup, begin + warmup + duration
    samples: list[dict] = []

    async def sample_cpu() -> None:
        for moment in (record_from, stop_at):
            await asyncio.sleep(max(0.0, moment - time.perf_counter()))
            samples.append(
                {
                    "at": time.perf_counter(),
                    "machine": machine_cpu_seconds(),
                    "cpu": {**cpu_seconds_many(cpu_pids or {}), "loadgen": time.process_time()},
                }
            )

    await asyncio.gather(
        sample_cpu(),
        *(
            simulated_user(host, port, make, record_from, stop_at, outcomes[port], success)
            for port, make in zip(users_on, makers, strict=True)
        ),
    )
    ordered = sorted(latency for outcome in outcomes.values() for latency in outcome.latencies)
    error_kinds: Counter = sum((outcome.errors for outcome in outcomes.values()), Counter())
    statuses: Counter = sum((outcome.statuses for outcome in outcomes.values()), Counter())
    errors = sum(error_kinds.values())
    completed = len(ordered) + errors
    ms = 1000.0
    first, last = samples
    cpu_s = {
        name: (
            last["cpu"][name] - before
            if before is not None and last["cpu"][name] is not None
            else None
        )
        for name, before in first["cpu"].items()
    }
    cpu_ms_per_request = {
        name: seconds * ms / completed
        for name, seconds in cpu_s.items()
        if seconds is not None and completed
    }
    saved = [key for outcome in outcomes.values() for key in outcome.saved_keys]
    return {
        "path": path,
        "method": "GET" if form is None else "POST",
        "ports": ports,
        "users": users,
        "warmup_s": warmup,
        "duration_s": duration,
        "requests": completed,
        "ok": len(ordered),
        "errors": errors,
        "error_kinds": dict(error_kinds),
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "requests_per_port": {
            str(port): len(outcome.latencies) + sum(outcome.errors.values())
            for port, outcome in outcomes.items()
        },
        "throughput_rps": completed / duration,
        "p50_ms": percentile(ordered, 50) * ms,
        "p95_ms": percentile(ordered, 95) * ms,
        "p99_ms": percentile(ordered, 99) * ms,
        "mean_ms": (sum(ordered) / len(ordered) * ms) if ordered else math.nan,
        "max_ms": (ordered[-1] * ms) if ordered else math.nan,
        "mean_body_bytes": (sum(o.body_bytes for o in outcomes.values()) / len(ordered))
        if ordered
        else 0,
        "cpu_s": cpu_s,
        "cpu_ms_per_request": cpu_ms_per_request,
        "window_s": last["at"] - first["at"],
        "machine_s": {key: last["machine"][key] - first["machine"][key] for key in last["machine"]},
        **({"saved_total": len(saved), "saved_keys": saved} if form is not None else {}),
    }


def _head(method: str, host: str, port: int, path: str, extra: str = "") -> str:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: common-ground-bench\r\n"
        f"Accept: text/html,application/json\r\nAccept-Encoding: identity\r\n{extra}"
    )


def _get_maker(host: str, port: int, path: str) -> RequestMaker:
    request = (_head("GET", host, port, path) + "\r\n").encode("latin-1")
    return lambda: (request, None)


TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


async def open_form(host: str, port: int, path: str) -> tuple[dict[str, str], str]:
    """GET the form page once: the cookies it sets (the CSRF cookie) and the form's CSRF token."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), REQUEST_TIMEOUT)
    try:
        writer.write((_head("GET", host, port, path) + "\r\n").encode("latin-1"))
        page = await asyncio.wait_for(read_response(reader, keep_body=True), REQUEST_TIMEOUT)
    finally:
        writer.close()
    found = TOKEN.search(page.body)
    if page.status != 200 or found is None:
        raise ProtocolError(f"GET {path} gave HTTP {page.status} without a CSRF token")
    return page.cookies, found.group(1).decode()


def _post_maker(
    host: str,
    port: int,
    path: str,
    cookies: dict[str, str],
    token: str,
    bodies: list[dict],
    offset: int,
) -> RequestMaker:
    """POST the bodies in turn (starting at ``offset``), each with a new idempotency key."""
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    encoded = [urlencode({**body, "csrfmiddlewaretoken": token}, doseq=True) for body in bodies]
    sent = 0

    def make() -> tuple[bytes, str]:
        nonlocal sent
        key = str(uuid.uuid4())
        body = f"{encoded[(offset + sent) % len(encoded)]}&idempotency_key={key}".encode()
        sent += 1
        head = _head(
            "POST",
            host,
            port,
            path,
            f"Origin: http://{host}:{port}\r\nCookie: {cookie}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n",
        )
        return head.encode("latin-1") + body, key

    return make


def main(argv: list[str] | None = None) -> int:
    global REQUEST_TIMEOUT  # noqa: PLW0603 - one setting for the whole process
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port",
        type=int,
        action="append",
        required=True,
        help="a server port; repeat it to deal the users out round-robin across several",
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--pause", type=float, default=1.0, help="idle seconds between paths")
    parser.add_argument(
        "--form",
        type=Path,
        help="JSON file of form bodies to POST to each path (see the module docstring)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=REQUEST_TIMEOUT,
        help=f"seconds to wait for a response (default {REQUEST_TIMEOUT:g})",
    )
    parser.add_argument(
        "--cpu-pid",
        action="append",
        default=[],
        metavar="NAME=PID",
        help="a server process whose CPU time to account per request",
    )
    args = parser.parse_args(argv)
    REQUEST_TIMEOUT = args.timeout
    cpu_pids = {name: int(pid) for name, pid in (item.split("=", 1) for item in args.cpu_pid)}
    form = json.loads(args.form.read_text()) if args.form else None
    for index, path in enumerate(args.paths):
        if index:
            time.sleep(args.pause)
        result = asyncio.run(
            measure(
                args.host, args.port, path, args.users, args.warmup, args.duration, cpu_pids, form
            )
        )
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
