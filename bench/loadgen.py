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

It runs in its own process, apart from the server, and prints one JSON object per path:

    python -m bench.loadgen --port 8000 --users 20 --duration 10 --warmup 2 /bench/floor /healthz
    python -m bench.loadgen --port 8001 --port 8002 --users 20 /   # 10 users on each
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REQUEST_TIMEOUT = 30.0


class ProtocolError(Exception):
    pass


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: Counter = field(default_factory=Counter)  # "HTTP 500" / exception name -> count
    statuses: Counter = field(default_factory=Counter)
    body_bytes: int = 0


async def read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """Read one response; return (status, body length, whether the connection stays open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    try:
        status = int(rest[:3])
    except ValueError as error:
        raise ProtocolError(f"bad status line {lines[0]!r}") from error
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"

    if "chunked" in headers.get("transfer-encoding", "").lower():
        size = 0
        while True:
            chunk_line = await reader.readuntil(b"\r\n")
            chunk = int(chunk_line.split(b";", 1)[0].strip(), 16)
            if chunk == 0:
                # Trailers (normally none) end with an empty line.
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                break
            await reader.readexactly(chunk + 2)
            size += chunk
        return status, size, keep_alive
    if "content-length" in headers:
        length = int(headers["content-length"])
        await reader.readexactly(length)
        return status, length, keep_alive
    if status in (204, 304) or 100 <= status < 200:
        return status, 0, keep_alive
    body = await reader.read()  # no framing: the body runs to the end of the connection
    return status, len(body), False


async def simulated_user(
    host: str, port: int, request: bytes, record_from: float, stop_at: float, outcome: Outcome
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while (started := time.perf_counter()) < stop_at:
        recorded = started >= record_from
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port), REQUEST_TIMEOUT
                )
            writer.write(request)
            status, size, keep_alive = await asyncio.wait_for(
                read_response(reader), REQUEST_TIMEOUT
            )
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
        if recorded:
            outcome.statuses[status] += 1
            if 200 <= status < 300:
                outcome.latencies.append(elapsed)
                outcome.body_bytes += size
            else:
                outcome.errors[f"HTTP {status}"] += 1
        if not keep_alive:
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
) -> dict:
    outcomes = {port: Outcome() for port in ports}
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

    def request(port: int) -> bytes:
        return (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: common-ground-bench\r\n"
            "Accept: text/html,application/json\r\nAccept-Encoding: identity\r\n\r\n"
        ).encode("latin-1")

    users_on = [ports[index % len(ports)] for index in range(users)]  # round-robin
    await asyncio.gather(
        sample_cpu(),
        *(
            simulated_user(host, port, request(port), record_from, stop_at, outcomes[port])
            for port in users_on
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
    return {
        "path": path,
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
    }


def main(argv: list[str] | None = None) -> int:
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
        "--cpu-pid",
        action="append",
        default=[],
        metavar="NAME=PID",
        help="a server process whose CPU time to account per request",
    )
    args = parser.parse_args(argv)
    cpu_pids = {name: int(pid) for name, pid in (item.split("=", 1) for item in args.cpu_pid)}
    for index, path in enumerate(args.paths):
        if index:
            time.sleep(args.pause)
        result = asyncio.run(
            measure(args.host, args.port, path, args.users, args.warmup, args.duration, cpu_pids)
        )
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
