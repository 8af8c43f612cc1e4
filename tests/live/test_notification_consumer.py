"""The notification socket through the full ASGI stack: origin check, session auth, the consumer.

Every connection goes through ``engagement.asgi.application`` with a real session cookie, so the
origin validator and ``AuthMiddlewareStack`` are exercised exactly as in production.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from engagement.asgi import application
from engagement.consumers import (
    CLOSE_MESSAGE_TOO_LARGE,
    CLOSE_UNAUTHENTICATED,
    MAX_MESSAGE_BYTES,
    notify_user,
)
from tests.live.support import session_cookie

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("in_memory_channel_layer"),
]

PATH = "/ws/notifications/"
SITE_ORIGIN = b"http://127.0.0.1:8000"
HELLO = {"event": "hello", "payload": {}}
PONG = {"event": "pong", "payload": {}}


def socket(cookie: str | None = None, origin: bytes | None = SITE_ORIGIN) -> WebsocketCommunicator:
    headers = [(b"host", b"127.0.0.1:8000")]
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie is not None:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, PATH, headers=headers)


async def connected(cookie: str) -> WebsocketCommunicator:
    """An open, greeted connection for the person the cookie belongs to."""
    communicator = socket(cookie)
    assert await communicator.connect() == (True, None)
    assert await communicator.receive_json_from() == HELLO
    return communicator


def test_a_signed_in_person_connects_and_is_greeted(resident):
    cookie = session_cookie(resident)

    async def scenario():
        communicator = socket(cookie)
        assert await communicator.connect() == (True, None)
        assert await communicator.receive_json_from() == HELLO
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_an_anonymous_connection_is_closed_as_unauthenticated():
    async def scenario():
        communicator = socket(cookie=None)
        assert await communicator.connect() == (False, CLOSE_UNAUTHENTICATED)

    async_to_sync(scenario)()


def test_a_session_that_is_not_signed_in_is_closed_as_unauthenticated(resident):
    cookie = session_cookie(resident).split("=")[0] + "=not-a-real-session-key"

    async def scenario():
        communicator = socket(cookie)
        assert await communicator.connect() == (False, CLOSE_UNAUTHENTICATED)

    async_to_sync(scenario)()


@pytest.mark.parametrize(
    "origin", [b"http://evil.example", b"http://127.0.0.1.evil.example:8000", None]
)
def test_a_foreign_or_missing_origin_is_refused_even_with_a_valid_session(resident, origin):
    cookie = session_cookie(resident)

    async def scenario():
        refused = socket(cookie, origin=origin)
        connected_, code = await refused.connect()
        assert connected_ is False
        assert code != CLOSE_UNAUTHENTICATED, "refused by the origin check, before authentication"

        # The same session from the site's own origin is accepted: the origin made the difference.
        accepted = await connected(cookie)
        await accepted.disconnect()

    async_to_sync(scenario)()


def test_a_notification_reaches_only_the_person_it_is_for(resident, other_resident):
    resident_cookie, other_cookie = session_cookie(resident), session_cookie(other_resident)

    async def scenario():
        mine = await connected(resident_cookie)
        second_tab = await connected(resident_cookie)
        theirs = await connected(other_cookie)

        await sync_to_async(notify_user)(resident.pk, "pin.reply", {"pin": 7})

        expected = {"event": "pin.reply", "payload": {"pin": 7}}
        assert await mine.receive_json_from() == expected
        assert await second_tab.receive_json_from() == expected
        assert await theirs.receive_nothing(timeout=0.2)
        for communicator in (mine, second_tab, theirs):
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_closed_connection_no_longer_receives_notifications(resident):
    cookie = session_cookie(resident)

    async def scenario():
        leaving = await connected(cookie)
        staying = await connected(cookie)
        await leaving.disconnect()

        await sync_to_async(notify_user)(resident.pk, "pin.reply", {"pin": 1})

        assert await staying.receive_json_from() == {"event": "pin.reply", "payload": {"pin": 1}}
        await staying.disconnect()

    async_to_sync(scenario)()


def test_a_ping_gets_a_pong_and_other_messages_are_ignored(resident):
    cookie = session_cookie(resident)

    async def scenario():
        communicator = await connected(cookie)
        await communicator.send_json_to({"type": "post", "body": "writes go over HTTP"})
        await communicator.send_json_to(["type", "ping"])
        assert await communicator.receive_nothing(timeout=0.1)
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from() == PONG
        await communicator.disconnect()

    async_to_sync(scenario)()


def padded_ping(size: int) -> str:
    """A ping message exactly ``size`` bytes long in UTF-8."""
    empty = json.dumps({"type": "ping", "pad": ""})
    return json.dumps({"type": "ping", "pad": "x" * (size - len(empty))})


def test_a_message_of_exactly_16_kib_is_still_accepted(resident):
    cookie = session_cookie(resident)

    async def scenario():
        communicator = await connected(cookie)
        message = padded_ping(MAX_MESSAGE_BYTES)
        assert len(message.encode()) == MAX_MESSAGE_BYTES == 16 * 1024
        await communicator.send_to(text_data=message)
        assert await communicator.receive_json_from() == PONG
        await communicator.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(padded_ping(16 * 1024 + 1), id="one-byte-over"),
        # 6,000 characters but 18,000 bytes: the cap counts bytes, not characters.
        pytest.param(
            json.dumps({"type": "ping", "pad": "€" * 6000}, ensure_ascii=False), id="multibyte"
        ),
    ],
)
def test_a_message_over_16_kib_closes_the_connection(resident, message):
    cookie = session_cookie(resident)

    async def scenario():
        communicator = await connected(cookie)
        await communicator.send_to(text_data=message)
        assert await communicator.receive_output() == {
            "type": "websocket.close",
            "code": CLOSE_MESSAGE_TOO_LARGE,
        }
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_binary_message_over_16_kib_closes_the_connection(resident):
    cookie = session_cookie(resident)

    async def scenario():
        communicator = await connected(cookie)
        await communicator.send_to(bytes_data=b"\0" * (MAX_MESSAGE_BYTES + 1))
        assert await communicator.receive_output() == {
            "type": "websocket.close",
            "code": CLOSE_MESSAGE_TOO_LARGE,
        }
        await communicator.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param({"text_data": "{not json"}, id="malformed-json"),
        pytest.param({"bytes_data": b'{"type": "ping"}'}, id="binary"),
    ],
)
def test_a_malformed_message_is_ignored_and_the_connection_keeps_working(resident, frame):
    cookie = session_cookie(resident)

    async def scenario():
        communicator = await connected(cookie)
        await communicator.send_to(**frame)
        assert await communicator.receive_nothing(timeout=0.1)
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from() == PONG
        await sync_to_async(notify_user)(resident.pk, "still.here", {})
        assert await communicator.receive_json_from() == {"event": "still.here", "payload": {}}
        await communicator.disconnect()

    async_to_sync(scenario)()
