"""A live thread served by two real daphne processes sharing one Redis.

Nothing is mocked: the servers run the production ASGI application in child processes, share the
database this test commits to and a real redis-server. A post published by a third process reaches
a reader on each server, and a reader whose socket was closed while it was posted gets it when the
page reconnects and resumes.

The post is published by ``services.publish_post`` in a ``manage.py shell`` child process (the
same service the thread's reply view calls), so the test does not depend on the HTTP views.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit

import pytest
from websockets.sync.client import ClientConnection, connect

from engagement.forums import services
from engagement.forums.models import Forum, ThreadEvent
from tests.live.support import (
    database_url_for_children,
    logs_shown_on_failure,
    pid_listening_on,
    session_cookie,
)
from tests.live.test_two_processes import assert_healthy, enter_together
from tests.servers import REPO, asgi_server, redis_server

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERY_TIMEOUT_SECONDS = 10.0

# Waits for one JSON line on stdin, then publishes the post; Django boots while the test gets ready.
PUBLISHER = """
import json, sys
from django.contrib.auth import get_user_model
from engagement.forums import services
from engagement.forums.models import Thread, ThreadEvent
request = json.loads(sys.stdin.readline())
thread = Thread.objects.get(pk=request["thread_id"])
author = get_user_model().objects.get(pk=request["author_id"])
post = services.publish_post(thread, author, request["body"])
event = ThreadEvent.objects.get(target=f"post-{post.pk}")
print(json.dumps({"post": post.pk, "event": event.pk}))
"""


@contextmanager
def publisher(env: dict[str, str]) -> Iterator[Callable[[int, int, str], dict]]:
    """A third process, neither server, ready to publish one post."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PUBLISHER],
        cwd=REPO,
        env={**os.environ, "DEBUG": "1", **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def publish(thread_id: int, author_id: int, body: str) -> dict:
        request = json.dumps({"thread_id": thread_id, "author_id": author_id, "body": body})
        output, errors = process.communicate(request + "\n", timeout=60)
        assert process.returncode == 0, f"publishing failed:\n{output}\n{errors}"
        return json.loads(output.strip().splitlines()[-1])

    try:
        yield publish
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def open_thread_socket(base_url: str, thread_id: int, cookie: str) -> ClientConnection:
    return connect(
        f"{base_url.replace('http://', 'ws://')}/ws/forums/threads/{thread_id}/",
        origin=base_url,
        additional_headers={"Cookie": cookie},
        open_timeout=5,
        proxy=None,
    )


@contextmanager
def reader(base_url: str, thread_id: int, cookie: str, after: int) -> Iterator[ClientConnection]:
    """A socket as the page opens it: greeted, then resumed after the last event it has."""
    with open_thread_socket(base_url, thread_id, cookie) as socket:
        assert json.loads(socket.recv(timeout=5))["event"] == "hello"
        socket.send(json.dumps({"type": "resume", "after": after}))
        yield socket


def forum_events(socket: ClientConnection, deadline: float, wanted: int) -> list[dict]:
    """Up to ``wanted`` forum events received before ``deadline`` (monotonic seconds)."""
    found = []
    while len(found) < wanted:
        try:
            message = json.loads(socket.recv(timeout=max(0.0, deadline - time.monotonic())))
        except TimeoutError:
            break
        if message["event"] == "forum":
            found.append(message)
    return found


def test_a_post_reaches_readers_on_both_processes_and_a_dropped_reader_catches_up(
    tmp_path, council, resident, other_resident, officer
):
    forum = Forum.objects.create(title="Parks", slug="parks", summary="About parks")
    forum.organisations.add(council)
    thread = services.start_thread(forum, officer, "Benches", "Where should benches go?")
    page_last = ThreadEvent.objects.filter(thread=thread).latest("pk").pk
    cookies = {person.pk: session_cookie(person) for person in (resident, other_resident, officer)}
    database_url = database_url_for_children(tmp_path)
    logs = (tmp_path / "daphne-a.log", tmp_path / "daphne-b.log")

    with logs_shown_on_failure(*logs), redis_server() as redis_url, ExitStack() as stack:
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
        server_a, server_b = enter_together(
            stack, asgi_server(env, log_path=logs[0]), asgi_server(env, log_path=logs[1])
        )
        pids = {pid_listening_on(urlsplit(url).port) for url in (server_a, server_b)}
        assert len(pids) == 2, "two separate server processes"
        assert_healthy(server_a, server_b)

        on_a = stack.enter_context(reader(server_a, thread.pk, cookies[resident.pk], page_last))
        on_b = stack.enter_context(
            reader(server_b, thread.pk, cookies[other_resident.pk], page_last)
        )
        # A third reader loads the page and connects, then loses the connection before the post.
        with reader(server_b, thread.pk, cookies[officer.pk], page_last):
            pass
        publish = stack.enter_context(publisher(env))

        made = publish(thread.pk, resident.pk, "A bench by the pond, please")
        deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS

        for socket in (on_a, on_b):
            (event,) = forum_events(socket, deadline, wanted=1)
            assert event["id"] == made["event"]
            assert (event["kind"], event["target"]) == ("post", f"post-{made['post']}")
            assert "A bench by the pond, please" in event["html"]
        grace = time.monotonic() + 0.5
        for socket in (on_a, on_b):
            assert forum_events(socket, grace, wanted=1) == [], "delivered once"

        # The dropped reader comes back (on the other server) and asks for what it missed.
        with reader(server_a, thread.pk, cookies[officer.pk], page_last) as back:
            caught_up = forum_events(back, time.monotonic() + DELIVERY_TIMEOUT_SECONDS, wanted=1)
            assert [event["id"] for event in caught_up] == [made["event"]]
            assert forum_events(back, time.monotonic() + 0.5, wanted=1) == []

        # Both servers still answer their readers.
        for socket in (on_a, on_b):
            socket.send(json.dumps({"type": "ping"}))
            message = json.loads(socket.recv(timeout=5))
            while message["event"] == "presence":
                message = json.loads(socket.recv(timeout=5))
            assert message == {"event": "pong"}
