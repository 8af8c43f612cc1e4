"""Two real daphne processes sharing one Redis: a notification reaches sockets on both of them.

Nothing is mocked. The servers are child processes started from the ``daphne`` command with the
production ASGI application; they share the database (the one this test commits to) and Redis.
The notification is published by a third process (``manage.py shell``) through the configured
channel layer, because the platform has no HTTP route that publishes to this socket and none is
added for tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from urllib.parse import urlsplit

import pytest
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from engagement.consumers import CLOSE_MESSAGE_TOO_LARGE, MAX_MESSAGE_BYTES
from tests.live.support import (
    database_url_for_children,
    get_json,
    logs_shown_on_failure,
    pid_listening_on,
    session_cookie,
)
from tests.servers import REPO, asgi_server, redis_server

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERY_TIMEOUT_SECONDS = 5.0
IDLE_SECONDS = 6.0


def open_socket(base_url: str, cookie: str | None, origin: str | None = None) -> ClientConnection:
    headers = {"Cookie": cookie} if cookie else {}
    return connect(
        base_url.replace("http://", "ws://") + "/ws/notifications/",
        origin=origin or base_url,
        additional_headers=headers,
        open_timeout=5,
        proxy=None,
    )


@contextmanager
def greeted_socket(base_url: str, cookie: str) -> Iterator[ClientConnection]:
    with open_socket(base_url, cookie) as socket:
        assert json.loads(socket.recv(timeout=5)) == {"event": "hello", "payload": {}}
        yield socket


def assert_healthy(*base_urls: str) -> None:
    for base_url in base_urls:
        assert get_json(f"{base_url}/healthz") == (
            200,
            {"status": "ok", "checks": {"database": "ok", "cache": "ok", "channel_layer": "ok"}},
        ), base_url


def messages_with(
    socket: ClientConnection, nonce: str, deadline: float, first_only: bool = False
) -> list[dict]:
    """Messages carrying ``nonce`` received before ``deadline`` (monotonic seconds).

    Messages already buffered are read even once the deadline has passed.
    """
    found = []
    while not (first_only and found):
        try:
            message = json.loads(socket.recv(timeout=max(0.0, deadline - time.monotonic())))
        except TimeoutError:
            break
        if message.get("payload", {}).get("nonce") == nonce:
            found.append(message)
    return found


# Waits for one JSON line on stdin, then publishes it; Django boots while the test gets ready.
PUBLISHER = """
import json, sys
from engagement.consumers import notify_user
request = json.loads(sys.stdin.readline())
notify_user(request["user_id"], request["event"], request["payload"])
"""


@contextmanager
def publisher(env: dict[str, str]) -> Iterator[Callable[[int, str, dict], None]]:
    """A third process, neither server, ready to publish through the configured channel layer."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PUBLISHER],
        cwd=REPO,
        env={**os.environ, "DEBUG": "1", **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def publish(user_id: int, event: str, payload: dict) -> None:
        request = json.dumps({"user_id": user_id, "event": event, "payload": payload})
        output, _ = process.communicate(request + "\n", timeout=60)
        assert process.returncode == 0, f"publishing failed:\n{output}"

    try:
        yield publish
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def enter_together(stack: ExitStack, *managers: AbstractContextManager) -> list:
    """Enter context managers in parallel threads (each server boots Django for seconds)."""
    with ThreadPoolExecutor(len(managers)) as pool:
        futures = [pool.submit(manager.__enter__) for manager in managers]
    values, errors = [], []
    for manager, future in zip(managers, futures, strict=True):
        try:
            values.append(future.result())
            stack.push(manager)
        except Exception as error:  # re-raised below, once every exit is registered
            errors.append(error)
    if errors:
        raise errors[0]
    return values


def test_a_notification_reaches_sockets_on_both_server_processes(
    tmp_path, resident, other_resident
):
    resident_cookie, other_cookie = session_cookie(resident), session_cookie(other_resident)
    database_url = database_url_for_children(tmp_path)
    logs = (tmp_path / "daphne-a.log", tmp_path / "daphne-b.log")

    with logs_shown_on_failure(*logs), redis_server() as redis_url, ExitStack() as stack:
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
        server_a, server_b = enter_together(
            stack, asgi_server(env, log_path=logs[0]), asgi_server(env, log_path=logs[1])
        )

        pids = {pid_listening_on(urlsplit(url).port) for url in (server_a, server_b)}
        assert len(pids) == 2, "two separate server processes"
        # The channel-layer check round-trips a message through Redis from each process.
        assert_healthy(server_a, server_b)

        on_a = stack.enter_context(greeted_socket(server_a, resident_cookie))
        on_b = stack.enter_context(greeted_socket(server_b, resident_cookie))
        someone_else_on_a = stack.enter_context(greeted_socket(server_a, other_cookie))

        publish = stack.enter_context(publisher(env))

        # Idle for longer than channels_redis's blocking 5 s read from Redis: with redis-py's
        # default 5 s socket timeout that read used to fail and kill every idle socket.
        time.sleep(IDLE_SECONDS)
        # Idle sockets hold the layer's receive lock; the health check must not wait for it.
        assert_healthy(server_a, server_b)

        nonce = uuid.uuid4().hex
        publish(resident.pk, "test.broadcast", {"nonce": nonce})
        deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS

        expected = {"event": "test.broadcast", "payload": {"nonce": nonce}}
        assert messages_with(on_b, nonce, deadline, first_only=True) == [expected]
        assert messages_with(on_a, nonce, deadline, first_only=True) == [expected]
        grace = time.monotonic() + 0.5
        for socket in (on_a, on_b, someone_else_on_a):
            assert messages_with(socket, nonce, grace) == [], "no duplicate, no stray delivery"

        # Both servers still serve their sockets after the broadcast.
        for socket in (on_a, on_b):
            socket.send(json.dumps({"type": "ping"}))
            assert json.loads(socket.recv(timeout=5)) == {"event": "pong", "payload": {}}


def test_the_real_server_enforces_origin_authentication_and_size_limits(tmp_path, resident):
    cookie = session_cookie(resident)
    database_url = database_url_for_children(tmp_path)
    log = tmp_path / "daphne.log"

    with (
        logs_shown_on_failure(log),
        asgi_server({"DATABASE_URL": database_url}, log_path=log) as url,
    ):
        # A socket closed before it is accepted becomes an HTTP 403 on the handshake.
        with pytest.raises(InvalidStatus) as foreign:
            open_socket(url, cookie, origin="http://evil.example")
        assert foreign.value.response.status_code == 403

        with pytest.raises(InvalidStatus) as anonymous:
            open_socket(url, cookie=None)
        assert anonymous.value.response.status_code == 403

        with greeted_socket(url, cookie) as socket:
            socket.send("x" * (MAX_MESSAGE_BYTES + 1))
            with pytest.raises(ConnectionClosedError) as closed:
                socket.recv(timeout=5)
            assert closed.value.rcvd.code == CLOSE_MESSAGE_TOO_LARGE
