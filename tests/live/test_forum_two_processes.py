"""A live thread served by two real daphne processes sharing one Redis.

Nothing is mocked: the servers run the production ASGI application in child processes, share the
database this test commits to and a real redis-server. A resident posts through the thread's
ordinary form on one server (a real HTTP POST with the CSRF token the page gave them); the post
reaches a reader on each server, and a reader whose socket was closed while it was posted gets it
when the page reconnects and resumes.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from urllib.parse import urlencode, urlsplit

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
from tests.servers import asgi_server, redis_server

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERY_TIMEOUT_SECONDS = 10.0


def post_through_the_form(base_url: str, thread_path: str, cookie: str, body: str) -> int:
    """What a browser does: load the thread page (which sets the CSRF cookie and puts the token in
    the form), then POST the reply form. Returns the HTTP status of the POST."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", thread_path, headers={"Cookie": cookie})
        page = connection.getresponse()
        html = page.read().decode()
        assert page.status == 200, html[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        csrf_cookie = next(
            value.split(";")[0]
            for name, value in page.getheaders()
            if name.lower() == "set-cookie" and value.startswith("csrftoken=")
        )
        form = urlencode(
            {"csrfmiddlewaretoken": token, "body": body, "idempotency_key": str(uuid.uuid4())}
        )
        connection.request(
            "POST",
            f"{thread_path}posts/",
            body=form,
            headers={
                "Cookie": f"{cookie}; {csrf_cookie}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


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
        body = "A bench by the pond, please"
        thread_path = thread.get_absolute_url()
        assert post_through_the_form(server_a, thread_path, cookies[resident.pk], body) == 302
        deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS

        delivered = []
        for socket in (on_a, on_b):
            (event,) = forum_events(socket, deadline, wanted=1)
            assert event["kind"] == "post" and event["target"].startswith("post-")
            assert body in event["html"]
            delivered.append((event["id"], event["target"]))
        assert delivered[0] == delivered[1], "the same event on both servers"
        assert delivered[0][0] > page_last
        grace = time.monotonic() + 0.5
        for socket in (on_a, on_b):
            assert forum_events(socket, grace, wanted=1) == [], "delivered once"

        # The dropped reader comes back (on the other server) and asks for what it missed.
        with reader(server_a, thread.pk, cookies[officer.pk], page_last) as back:
            caught_up = forum_events(back, time.monotonic() + DELIVERY_TIMEOUT_SECONDS, wanted=1)
            assert [(event["id"], event["target"]) for event in caught_up] == [delivered[0]]
            assert forum_events(back, time.monotonic() + 0.5, wanted=1) == []

        # Both servers still answer their readers.
        for socket in (on_a, on_b):
            socket.send(json.dumps({"type": "ping"}))
            message = json.loads(socket.recv(timeout=5))
            while message["event"] == "presence":
                message = json.loads(socket.recv(timeout=5))
            assert message == {"event": "pong"}
