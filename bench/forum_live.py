"""The live forum benchmark: many WebSocket readers on one thread across two server processes.

QUALITY.md: 500 WebSocket clients across 2 server processes, p95 post-to-screen ≤ 200 ms and 0
persisted messages lost across forced reconnects. Three subcommands, each run in its own process
by ``bench/run.py``:

- ``setup N`` (Django): an open forum with one thread, N reader accounts and a few posters, each
  with a real signed-in session. Prints JSON (paths and session cookies).
- ``run CONFIG --port P --port Q`` (no Django; asyncio and ``websockets``): opens the N sockets,
  dealt round-robin over the ports (the stand-in for nginx), then

  1. **steady**: posters POST to the thread (a real form POST with its CSRF token, through the
     same view a browser uses) at a fixed rate; each reader records, per post, the time from just
     before the POST left to the moment its event arrived (post-to-client latency);
  2. **reconnects**: the same again while, every ``--drop-every`` seconds, a tenth of the readers
     have their TCP connection cut without a close handshake (a dropped mobile connection) and
     reconnect after a short pause, asking for everything after the last event id they saw.

  At the end every reader should hold every post: the report counts the ones any reader lacks.
- ``redis N CONFIG`` (no Django): the baseline, N raw Redis pub/sub subscribers and one publisher
  at the same rate, in the same process and on the same Redis, measured the same way.

The clock is the load process's own monotonic clock on both ends, so there is no clock skew.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

MARK = re.compile(r"\[bm-(-?\d+)\]")
FORUM_SLUG = "bench-live-forum"


# --- setup (Django) -------------------------------------------------------------------------------


def setup(readers: int, posters: int) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from engagement.forums import services
    from engagement.forums.models import Forum, Thread
    from engagement.models import Organisation

    User = get_user_model()
    forum, _ = Forum.objects.get_or_create(
        slug=FORUM_SLUG,
        defaults={
            "title": "Benchmark: live discussion",
            "summary": "Made by make bench.",
            "access": Forum.Access.OPEN,
        },
    )
    forum.organisations.set(Organisation.objects.all()[:1])
    people = []
    for role, count in (("reader", readers), ("poster", posters)):
        existing = {u.email: u for u in User.objects.filter(email__startswith=f"bench-{role}-")}
        fresh = [
            User(email=f"bench-{role}-{n}@bench.test", display_name=f"Bench {role} {n}")
            for n in range(count)
            if f"bench-{role}-{n}@bench.test" not in existing
        ]
        for user in fresh:
            user.set_unusable_password()
        User.objects.bulk_create(fresh)
        people.append(
            list(
                User.objects.filter(
                    email__in=[f"bench-{role}-{n}@bench.test" for n in range(count)]
                ).order_by("pk")
            )
        )
    thread = Thread.objects.filter(forum=forum).first() or services.start_thread(
        forum, people[1][0], "Live benchmark thread", "The first post."
    )

    def cookie(user) -> str:
        client = Client()
        client.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        return f"{name}={client.cookies[name].value}"

    return {
        "thread_path": thread.get_absolute_url(),
        "post_path": f"/forums/{forum.slug}/threads/{thread.pk}/posts/",
        "ws_path": f"/ws/forums/threads/{thread.pk}/",
        "readers": [cookie(user) for user in people[0]],
        "posters": [cookie(user) for user in people[1]],
    }


# --- the load (asyncio, no Django) ----------------------------------------------------------------


@dataclass
class Reader:
    index: int
    port: int
    cookie: str
    last: int = 0
    seen: dict[int, float] = field(default_factory=dict)  # post number → arrival time
    connects: int = 0
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    socket: object | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def summary_ms(values: list[float]) -> dict:
    return {
        "count": len(values),
        "p50_ms": percentile(values, 50) * 1000 if values else None,
        "p95_ms": percentile(values, 95) * 1000 if values else None,
        "p99_ms": percentile(values, 99) * 1000 if values else None,
        "max_ms": max(values) * 1000 if values else None,
        "mean_ms": statistics.fmean(values) * 1000 if values else None,
    }


async def read_socket(reader: Reader, host: str, ws_path: str, stop: asyncio.Event) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    url = f"ws://{host}:{reader.port}{ws_path}"
    backoff = 0.5
    while not stop.is_set():
        try:
            async with connect(
                url,
                origin=f"http://{host}:{reader.port}",
                additional_headers={"Cookie": reader.cookie},
                open_timeout=60,
                max_size=2**22,
                proxy=None,
            ) as socket:
                reader.socket = socket
                reader.connects += 1
                await socket.send(json.dumps({"type": "resume", "after": reader.last}))
                reader.ready.set()
                backoff = 0.5
                async for raw in socket:
                    now = time.monotonic()
                    message = json.loads(raw)
                    if message.get("event") != "forum":
                        continue
                    reader.last = max(reader.last, message["id"])
                    if message.get("kind") == "post":
                        found = MARK.search(message.get("html", ""))
                        if found:
                            reader.seen.setdefault(int(found.group(1)), now)
        except InvalidStatus as error:
            reader.refused.append(f"HTTP {error.response.status_code}")
        except (ConnectionClosed, OSError, TimeoutError) as error:
            code = getattr(getattr(error, "rcvd", None), "code", None)
            if code and code >= 4000:
                reader.refused.append(f"close {code}")
                return
        except Exception as error:  # any other handshake failure: note it and try again
            reader.errors.append(type(error).__name__)
        reader.socket = None
        if stop.is_set():
            return
        await asyncio.sleep(backoff * (0.5 + random.random()))
        backoff = min(backoff * 2, 5)


def drop(reader: Reader) -> bool:
    """Cut the TCP connection without a closing handshake."""
    socket = reader.socket
    if socket is None:
        return False
    socket.transport.abort()
    return True


class Poster:
    """One signed-in person posting through the thread's ordinary form."""

    def __init__(self, host: str, port: int, cookie: str, config: dict) -> None:
        import requests

        self.session = requests.Session()
        self.session.trust_env = False  # loopback: never through a proxy
        name, value = cookie.split("=", 1)
        self.session.cookies.set(name, value)
        self.base = f"http://{host}:{port}"
        self.config = config
        self.token = ""

    def prepare(self) -> None:
        page = self.session.get(self.base + self.config["thread_path"], timeout=30)
        page.raise_for_status()
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not found:
            raise RuntimeError("no CSRF token on the thread page")
        self.token = found.group(1)

    def post(self, number: int) -> int:
        response = self.session.post(
            self.base + self.config["post_path"],
            data={
                "csrfmiddlewaretoken": self.token,
                "body": f"Benchmark post {number} [bm-{number}]",
                "idempotency_key": str(uuid.uuid4()),
            },
            allow_redirects=False,
            timeout=30,
        )
        return response.status_code


async def run(config: dict, ports: list[int], args) -> dict:
    host = "127.0.0.1"
    readers = [
        Reader(index=i, port=ports[i % len(ports)], cookie=cookie)
        for i, cookie in enumerate(config["readers"][: args.clients])
    ]
    stop = asyncio.Event()
    began = time.monotonic()
    tasks = []
    for start in range(0, len(readers), 50):  # open in waves, as pages load
        for reader in readers[start : start + 50]:
            tasks.append(asyncio.create_task(read_socket(reader, host, config["ws_path"], stop)))
        await asyncio.sleep(0.05)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*(reader.ready.wait() for reader in readers)), timeout=120
        )
    connected = sum(reader.ready.is_set() for reader in readers)
    connect_s = time.monotonic() - began
    await asyncio.sleep(1.0)  # let the resumes settle

    posters = [
        Poster(host, ports[i % len(ports)], cookie, config)
        for i, cookie in enumerate(config["posters"])
    ]
    await asyncio.gather(*(asyncio.to_thread(poster.prepare) for poster in posters))
    # Warm-up, not measured: each poster's server process renders its first fragments and fills
    # its connection pool, as a process does in its first seconds of real use.
    warm = await asyncio.gather(
        *(asyncio.to_thread(poster.post, -1 - i) for i, poster in enumerate(posters))
    )
    await asyncio.sleep(1.0)
    sent: dict[int, float] = {}
    statuses: dict[int, int] = {}
    phases = {}
    number = 0
    drops = 0
    for phase, dropping in (("steady", False), ("reconnects", True)):
        first = number
        interval = 1 / args.rate
        phase_began = time.monotonic()
        next_drop = phase_began + args.drop_every
        pending = []
        for _ in range(args.posts):
            poster = posters[number % len(posters)]
            sent[number] = time.monotonic()
            pending.append((number, asyncio.create_task(asyncio.to_thread(poster.post, number))))
            number += 1
            if dropping and time.monotonic() >= next_drop:
                for reader in random.sample(readers, max(1, len(readers) // 10)):
                    drops += drop(reader)
                next_drop += args.drop_every
            await asyncio.sleep(max(0.0, sent[number - 1] + interval - time.monotonic()))
        for posted, task in pending:
            statuses[posted] = await task
        phases[phase] = (first, number)
        await asyncio.sleep(args.settle)
    stop.set()
    for reader in readers:
        if reader.socket is not None:
            await reader.socket.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    ok = {n for n, status in statuses.items() if status == 302}
    result = {
        "clients": len(readers),
        "ports": ports,
        "connected": connected,
        "connect_s": connect_s,
        "posts_per_phase": args.posts,
        "rate_per_s": args.rate,
        "drop_every_s": args.drop_every,
        "dropped_connections": drops,
        "reconnects": sum(max(0, reader.connects - 1) for reader in readers),
        "refused": sorted({r for reader in readers for r in reader.refused}),
        "errors": dict(_count(e for reader in readers for e in reader.errors)),
        "post_statuses": dict(sorted(_count(statuses.values()).items())),
        "warmup_statuses": dict(_count(warm)),
        "phases": {},
    }
    for phase, (first, last) in phases.items():
        numbers = [n for n in range(first, last) if n in ok]
        latencies = [
            reader.seen[n] - sent[n] for reader in readers for n in numbers if n in reader.seen
        ]
        missing = sum(1 for reader in readers for n in numbers if n not in reader.seen)
        result["phases"][phase] = {
            "posts": len(numbers),
            "deliveries": len(latencies),
            "expected": len(numbers) * len(readers),
            "lost": missing,
            **summary_ms(latencies),
        }
    return result


def _count(values) -> dict:
    counts: dict = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


# --- the Redis pub/sub baseline -------------------------------------------------------------------


async def redis_baseline(redis_url: str, subscribers: int, messages: int, rate: float) -> dict:
    import redis.asyncio as redis

    channel = f"bench-live-{uuid.uuid4().hex}"
    arrivals: list[float] = []
    sent: dict[int, float] = {}
    got = [0]

    async def subscriber(ready: asyncio.Event) -> None:
        client = redis.from_url(redis_url)
        pubsub = client.pubsub()
        await pubsub.subscribe(channel)
        ready.set()
        try:
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                if message is None:
                    if got[0] >= messages * subscribers:
                        break
                    continue
                number = int(message["data"])
                arrivals.append(time.monotonic() - sent[number])
                got[0] += 1
                if number == messages - 1:
                    break
        finally:
            await pubsub.aclose()
            await client.aclose()

    readies = [asyncio.Event() for _ in range(subscribers)]
    tasks = [asyncio.create_task(subscriber(ready)) for ready in readies]
    await asyncio.gather(*(ready.wait() for ready in readies))
    publisher = redis.from_url(redis_url)
    for number in range(messages):
        sent[number] = time.monotonic()
        await publisher.publish(channel, str(number))
        await asyncio.sleep(1 / rate)
    await asyncio.wait(tasks, timeout=30)
    await publisher.aclose()
    return {
        "subscribers": subscribers,
        "messages": messages,
        "expected": subscribers * messages,
        "lost": subscribers * messages - len(arrivals),
        **summary_ms(arrivals),
    }


# --- report ---------------------------------------------------------------------------------------

TARGET_P95_MS = 200.0


def verdicts(live: dict) -> list[tuple[str, bool]]:
    if not live or "run" not in live:
        return []
    run_ = live["run"]
    steady = run_["phases"]["steady"]
    storm = run_["phases"]["reconnects"]
    p95 = steady["p95_ms"]
    return [
        (
            f"live forum, {run_['clients']} clients on {len(run_['ports'])} processes: p95 "
            f"post-to-client {p95:.0f} ms (target <= {TARGET_P95_MS:.0f} ms)"
            if p95 is not None
            else "live forum: no post reached any client",
            p95 is not None and p95 <= TARGET_P95_MS,
        ),
        (
            f"live forum: {storm['lost'] + steady['lost']} of "
            f"{storm['expected'] + steady['expected']} deliveries lost, "
            f"{run_['dropped_connections']} connections cut (target 0 lost)",
            storm["lost"] + steady["lost"] == 0 and run_["connected"] == run_["clients"],
        ),
    ]


def render(live: dict) -> list[str]:
    if not live or "run" not in live:
        return []
    run_ = live["run"]
    redis_ = live.get("redis", {})

    def n(value, digits=1) -> str:
        return "–" if value is None else f"{value:,.{digits}f}"

    lines = [
        f"## Live forum ({run_['clients']} WebSocket clients, {len(run_['ports'])} processes)",
        "",
        f"{run_['connected']:,} of {run_['clients']:,} readers connected (signed in, each its own "
        f"account) in {run_['connect_s']:.1f} s, dealt round-robin over the deployed shape's two "
        f"daphne processes with the Redis channel layer. Posters made {run_['posts_per_phase']} "
        f"posts per phase at {run_['rate_per_s']:g} a second through the thread's ordinary form "
        f"(POST with CSRF). Post statuses: {run_['post_statuses']}. In the reconnect phase a "
        f"tenth of the readers had their TCP connection cut every {run_['drop_every_s']:g} s "
        f"({run_['dropped_connections']} cuts, {run_['reconnects']} reconnects); each came back "
        "asking for everything after the last event it had seen.",
        "",
        "| Phase | Posts | Deliveries / expected | Lost | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for phase, row in run_["phases"].items():
        lines.append(
            f"| {phase} | {row['posts']} | {row['deliveries']:,} / {row['expected']:,} "
            f"| {row['lost']} | {n(row['p50_ms'])} | {n(row['p95_ms'])} | {n(row['p99_ms'])} "
            f"| {n(row['max_ms'])} |"
        )
    if redis_:
        lines.append(
            f"| raw Redis pub/sub ({redis_['subscribers']} subscribers) | {redis_['messages']} "
            f"| {redis_['expected'] - redis_['lost']:,} / {redis_['expected']:,} "
            f"| {redis_['lost']} | {n(redis_['p50_ms'])} | {n(redis_['p95_ms'])} "
            f"| {n(redis_['p99_ms'])} | {n(redis_['max_ms'])} |"
        )
    lines += [
        "",
        "- Latency: from just before a post's HTTP request left to the arrival of its event at "
        "each reader (so it includes the POST itself: saving, rendering the fragment once, the "
        "event row, the commit, Redis and the socket). In the reconnect phase it also includes "
        "readers catching up after a cut, so its tail is the catch-up time.",
        "- Lost: (reader, post) pairs where a reader never received a post that was saved.",
        "",
    ]
    if run_["refused"]:
        lines += [f"- Refusals seen: {', '.join(run_['refused'])}.", ""]
    if run_.get("errors"):
        lines += [f"- Connection errors (retried): {run_['errors']}.", ""]
    lines += ["Against the targets:", ""]
    lines += [f"- {'PASS' if ok else '**FAIL**'}: {what}" for what, ok in verdicts(live)]
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("setup")
    s.add_argument("readers", type=int)
    s.add_argument("--posters", type=int, default=4)
    r = sub.add_parser("run")
    r.add_argument("config", type=Path)
    r.add_argument("--port", type=int, action="append", required=True)
    r.add_argument("--clients", type=int, default=500)
    r.add_argument("--posts", type=int, default=40)
    r.add_argument("--rate", type=float, default=2.0)
    r.add_argument("--drop-every", type=float, default=2.0)
    r.add_argument("--settle", type=float, default=5.0)
    b = sub.add_parser("redis")
    b.add_argument("url")
    b.add_argument("--subscribers", type=int, default=500)
    b.add_argument("--messages", type=int, default=40)
    b.add_argument("--rate", type=float, default=2.0)
    args = parser.parse_args(argv)
    if args.command == "setup":
        print(json.dumps(setup(args.readers, args.posters)))
    elif args.command == "run":
        config = json.loads(args.config.read_text())
        print(json.dumps(asyncio.run(run(config, args.port, args))))
    else:
        print(
            json.dumps(
                asyncio.run(redis_baseline(args.url, args.subscribers, args.messages, args.rate))
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
