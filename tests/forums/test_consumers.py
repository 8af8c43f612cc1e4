"""The live thread socket through the full ASGI stack: origin check, session auth, the consumer.

Every connection goes through ``engagement.asgi.application`` with a real session cookie. Events
are made by the real services (``services.publish_post`` and friends) in committed transactions,
so what a socket receives is exactly what a browser would.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.db import transaction

from engagement.asgi import application
from engagement.consumers import CLOSE_MESSAGE_TOO_LARGE, CLOSE_UNAUTHENTICATED, MAX_MESSAGE_BYTES
from engagement.forums import consumers, services
from engagement.forums.consumers import (
    CLOSE_FLOODING,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    disconnect_user,
)
from engagement.forums.models import Forum, ForumMember, Thread, ThreadEvent
from tests.live.support import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

SITE_ORIGIN = b"http://127.0.0.1:8000"
PONG = {"event": "pong"}


@pytest.fixture(autouse=True)
def live_settings(settings, monkeypatch):
    """An in-memory channel layer of this test's own, an empty cache (flood counters and presence
    live there) and presence broadcasts without the production pause."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    cache.clear()
    monkeypatch.setattr(consumers, "PRESENCE_DELAY_SECONDS", 0.01)
    yield
    cache.clear()


@pytest.fixture
def open_forum(council) -> Forum:
    forum = Forum.objects.create(title="Parks", slug="parks", summary="About parks")
    forum.organisations.add(council)
    return forum


@pytest.fixture
def panel(council, resident, moderator) -> Forum:
    """An invited-members forum: ``resident`` is a member; the council's moderator facilitates."""
    forum = Forum.objects.create(
        title="Youth panel", slug="youth-panel", summary="Co-design", access=Forum.Access.INVITED
    )
    forum.organisations.add(council)
    ForumMember.objects.create(forum=forum, user=resident)
    return forum


def new_thread(forum: Forum, author, title: str = "Benches", body: str = "Opening post") -> Thread:
    return services.start_thread(forum, author, title, body)


def path_for(thread_id: int) -> str:
    return f"/ws/forums/threads/{thread_id}/"


def socket(thread_id: int, cookie: str | None, origin: bytes | None = SITE_ORIGIN):
    headers = [(b"host", b"127.0.0.1:8000")]
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie is not None:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path_for(thread_id), headers=headers)


async def receive(communicator: WebsocketCommunicator, timeout: float = 2) -> dict:
    """The next message that is not a presence count (those arrive whenever people come and go)."""
    while True:
        message = await communicator.receive_json_from(timeout)
        if message["event"] != "presence":
            return message


async def nothing_but_presence(communicator: WebsocketCommunicator, timeout: float = 0.2) -> bool:
    while not await communicator.receive_nothing(timeout):
        message = await communicator.receive_json_from()
        if message["event"] != "presence":
            raise AssertionError(f"unexpected message {message}")
    return True


async def connected(thread_id: int, cookie: str, resume_after: int | None = None):
    """An open, greeted connection, resumed after ``resume_after`` if given (as a page does)."""
    communicator = socket(thread_id, cookie)
    assert await communicator.connect() == (True, None)
    hello = await communicator.receive_json_from()
    assert hello["event"] == "hello"
    if resume_after is not None:
        await communicator.send_json_to({"type": "resume", "after": resume_after})
    return communicator, hello


async def closed_with(communicator: WebsocketCommunicator) -> int:
    while True:
        output = await communicator.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            return output["code"]


def stored(thread: Thread, facilitator: bool = False) -> list[dict]:
    return [
        {"event": "forum", **event.message(facilitator)}
        for event in ThreadEvent.objects.filter(thread=thread).order_by("pk")
    ]


# --- Connecting ---------------------------------------------------------------------------------


def test_an_anonymous_connection_is_closed_as_unauthenticated(open_forum, resident):
    thread = new_thread(open_forum, resident)

    async def scenario():
        assert await socket(thread.pk, cookie=None).connect() == (False, CLOSE_UNAUTHENTICATED)

    async_to_sync(scenario)()


def test_a_non_member_of_an_invited_forum_is_refused(panel, resident, other_resident):
    thread = new_thread(panel, resident)
    cookie = session_cookie(other_resident)

    async def scenario():
        assert await socket(thread.pk, cookie).connect() == (False, CLOSE_FORBIDDEN)

    async_to_sync(scenario)()


@pytest.mark.parametrize("thread_id", [999_999, 2**70], ids=["missing", "beyond-bigint"])
def test_an_unknown_thread_is_closed_as_not_found(resident, thread_id):
    cookie = session_cookie(resident)

    async def scenario():
        assert await socket(thread_id, cookie).connect() == (False, CLOSE_NOT_FOUND)

    async_to_sync(scenario)()


def test_a_member_is_greeted_with_the_newest_event_and_who_is_here(panel, resident):
    thread = new_thread(panel, resident)
    newest = ThreadEvent.objects.filter(thread=thread).latest("pk").pk
    cookie = session_cookie(resident)

    async def scenario():
        communicator, hello = await connected(thread.pk, cookie)
        assert hello == {"event": "hello", "last": newest}
        assert await communicator.receive_json_from() == {"event": "presence", "count": 1}
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_foreign_origin_is_refused_before_authentication(open_forum, resident):
    thread = new_thread(open_forum, resident)
    cookie = session_cookie(resident)

    async def scenario():
        connected_, code = await socket(thread.pk, cookie, origin=b"http://evil.example").connect()
        assert connected_ is False
        assert code != CLOSE_UNAUTHENTICATED

    async_to_sync(scenario)()


# --- Live events ----------------------------------------------------------------------------------


def test_a_member_receives_a_post_once_it_is_committed(panel, resident, other_resident):
    thread = new_thread(panel, resident)
    ForumMember.objects.create(forum=panel, user=other_resident)
    cookie = session_cookie(other_resident)
    last = ThreadEvent.objects.latest("pk").pk

    async def scenario():
        communicator, _ = await connected(thread.pk, cookie, resume_after=last)

        def rolled_back():
            with transaction.atomic():
                services.publish_post(thread, resident, "Never committed")
                transaction.set_rollback(True)

        await sync_to_async(rolled_back)()
        assert await nothing_but_presence(communicator)

        post = await sync_to_async(services.publish_post)(thread, resident, "More benches please")
        message = await receive(communicator)
        event = await sync_to_async(ThreadEvent.objects.get)(target=f"post-{post.pk}")
        assert message == {
            "event": "forum",
            "id": event.pk,
            "kind": "post",
            "target": f"post-{post.pk}",
            "html": event.html,
            "announce": "New post from Rosa Resident",
        }
        assert "More benches please" in message["html"]
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_facilitator_receives_the_facilitators_fragment(panel, resident, moderator):
    thread = new_thread(panel, resident)
    resident_cookie, moderator_cookie = session_cookie(resident), session_cookie(moderator)
    last = ThreadEvent.objects.latest("pk").pk

    async def scenario():
        member, _ = await connected(thread.pk, resident_cookie, resume_after=last)
        facilitator, _ = await connected(thread.pk, moderator_cookie, resume_after=last)

        post = await sync_to_async(services.publish_post)(thread, resident, "A bench by the pond")
        event = await sync_to_async(ThreadEvent.objects.get)(target=f"post-{post.pk}")
        assert event.facilitator_html and event.facilitator_html != event.html

        assert (await receive(member))["html"] == event.html
        assert (await receive(facilitator))["html"] == event.facilitator_html
        for communicator in (member, facilitator):
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_reader_who_reconnects_gets_everything_missed_in_order(open_forum, resident, officer):
    thread = new_thread(open_forum, officer)
    cookie = session_cookie(resident)

    async def scenario():
        communicator, hello = await connected(thread.pk, cookie, resume_after=0)
        seen = [await receive(communicator)]  # the opening post
        assert seen[-1]["id"] == hello["last"]
        await communicator.disconnect()

        post = await sync_to_async(services.publish_post)(thread, officer, "While you were away")
        await sync_to_async(services.toggle_reaction)(post, officer, "agree")
        await sync_to_async(services.edit_post)(post, "While you were away (edited)")

        communicator, _ = await connected(thread.pk, cookie, resume_after=seen[-1]["id"])
        caught_up = [await receive(communicator) for _ in range(3)]
        assert [message["kind"] for message in caught_up] == ["post", "react", "edit"]
        assert await nothing_but_presence(communicator)
        everything = await sync_to_async(stored)(thread)
        assert seen + caught_up == everything
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_live_events_before_the_resume_are_sent_after_the_catch_up(open_forum, resident, officer):
    thread = new_thread(open_forum, officer)
    page_last = ThreadEvent.objects.latest("pk").pk
    services.publish_post(thread, officer, "Between page load and connect")
    cookie = session_cookie(resident)

    async def scenario():
        communicator, _ = await connected(thread.pk, cookie)  # no resume yet
        await sync_to_async(services.publish_post)(thread, officer, "Just after connecting")
        assert await nothing_but_presence(communicator), "held until the page resumes"

        await communicator.send_json_to({"type": "resume", "after": page_last})
        received = [await receive(communicator) for _ in range(2)]
        assert await nothing_but_presence(communicator), "nothing twice"
        everything = await sync_to_async(stored)(thread)
        assert received == [event for event in everything if event["id"] > page_last]
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_page_that_never_resumes_still_gets_live_events(monkeypatch, open_forum, resident):
    monkeypatch.setattr(consumers, "RESUME_WAIT_SECONDS", 0.1)
    thread = new_thread(open_forum, resident)
    cookie = session_cookie(resident)

    async def scenario():
        communicator, _ = await connected(thread.pk, cookie)
        post = await sync_to_async(services.publish_post)(thread, resident, "Anyone there?")
        message = await receive(communicator)
        assert message["target"] == f"post-{post.pk}"
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_long_absence_gets_the_newest_events_and_a_reload_notice(
    monkeypatch, open_forum, resident
):
    monkeypatch.setattr(consumers, "RESUME_LIMIT", 2)
    thread = new_thread(open_forum, resident)
    for number in range(3):
        services.publish_post(thread, resident, f"Post {number}")
    cookie = session_cookie(resident)

    async def scenario():
        communicator, _ = await connected(thread.pk, cookie, resume_after=0)
        first_two = [await receive(communicator) for _ in range(2)]
        assert await receive(communicator) == {"event": "gap"}
        assert first_two == (await sync_to_async(stored)(thread))[:2]
        await communicator.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("after", ["5", -1, 1.5, None, True, 2**70])
def test_a_resume_with_a_bad_id_is_ignored(open_forum, resident, after):
    thread = new_thread(open_forum, resident)
    cookie = session_cookie(resident)

    async def scenario():
        communicator, _ = await connected(thread.pk, cookie)
        await communicator.send_json_to({"type": "resume", "after": after})
        await communicator.send_json_to({"type": "ping"})
        assert await receive(communicator) == PONG
        await communicator.disconnect()

    async_to_sync(scenario)()


# --- Messages from the page ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param({"text_data": "{not json"}, id="malformed-json"),
        pytest.param({"bytes_data": b'{"type": "ping"}'}, id="binary"),
        pytest.param({"text_data": json.dumps(["type", "ping"])}, id="not-an-object"),
        pytest.param({"text_data": json.dumps({"type": "post", "body": "hi"})}, id="a-write"),
    ],
)
def test_unexpected_messages_are_ignored_and_ping_answers(open_forum, resident, frame):
    thread = new_thread(open_forum, resident)
    cookie = session_cookie(resident)

    async def scenario():
        communicator, _ = await connected(thread.pk, cookie)
        await communicator.send_to(**frame)
        assert await nothing_but_presence(communicator)
        await communicator.send_json_to({"type": "ping"})
        assert await receive(communicator) == PONG
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_message_over_16_kib_closes_the_connection(open_forum, resident):
    thread = new_thread(open_forum, resident)
    cookie = session_cookie(resident)
    empty = json.dumps({"type": "ping", "pad": ""})

    async def scenario():
        communicator, _ = await connected(thread.pk, cookie)
        exactly = json.dumps({"type": "ping", "pad": "x" * (MAX_MESSAGE_BYTES - len(empty))})
        await communicator.send_to(text_data=exactly)
        assert await receive(communicator) == PONG
        await communicator.send_to(text_data=exactly + " ")
        assert await closed_with(communicator) == CLOSE_MESSAGE_TOO_LARGE
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_flooding_one_connection_closes_it(open_forum, resident):
    thread = new_thread(open_forum, resident)
    cookie = session_cookie(resident)
    limit, _period = consumers.CONNECTION_FLOOD

    async def scenario():
        communicator, _ = await connected(thread.pk, cookie)
        for _ in range(limit):
            await communicator.send_json_to({"type": "ping"})
            assert await receive(communicator) == PONG
        await communicator.send_json_to({"type": "ping"})
        assert await closed_with(communicator) == CLOSE_FLOODING
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_flooding_across_connections_closes_them(monkeypatch, open_forum, resident):
    monkeypatch.setattr(consumers, "USER_FLOOD", (5, 60))
    thread = new_thread(open_forum, resident)
    cookie = session_cookie(resident)

    async def scenario():
        first, _ = await connected(thread.pk, cookie)
        second, _ = await connected(thread.pk, cookie)
        for communicator in (first, second, first, second, first):
            await communicator.send_json_to({"type": "ping"})
            assert await receive(communicator) == PONG
        await second.send_json_to({"type": "ping"})
        assert await closed_with(second) == CLOSE_FLOODING
        for communicator in (first, second):
            await communicator.disconnect()

    async_to_sync(scenario)()


# --- Losing access --------------------------------------------------------------------------------


def test_a_removed_member_is_disconnected_at_once(panel, resident, other_resident):
    thread = new_thread(panel, resident)
    ForumMember.objects.create(forum=panel, user=other_resident)
    leaving, staying = session_cookie(other_resident), session_cookie(resident)

    async def scenario():
        removed, _ = await connected(thread.pk, leaving, resume_after=0)
        kept, _ = await connected(thread.pk, staying, resume_after=0)
        await receive(removed), await receive(kept)  # the opening post

        @sync_to_async
        def remove_member():
            with transaction.atomic():
                ForumMember.objects.filter(forum=panel, user=other_resident).delete()
                disconnect_user(panel.pk, other_resident.pk)  # sent once this commits

        await remove_member()
        assert await closed_with(removed) == CLOSE_FORBIDDEN

        # The member who stays keeps receiving.
        await sync_to_async(services.publish_post)(thread, resident, "Still here")
        assert (await receive(kept))["kind"] == "post"
        for communicator in (removed, kept):
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_revocation_for_someone_still_allowed_keeps_them_connected(panel, resident):
    thread = new_thread(panel, resident)
    cookie = session_cookie(resident)

    async def scenario():
        communicator, _ = await connected(thread.pk, cookie)
        await sync_to_async(disconnect_user)(panel.pk, resident.pk)
        await communicator.send_json_to({"type": "ping"})
        assert await receive(communicator) == PONG
        await communicator.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("change", ["remove-member", "make-invited", "make-draft", "deactivate"])
def test_access_is_rechecked_on_the_next_message(
    panel, open_forum, resident, other_resident, change
):
    forum = panel if change == "remove-member" else open_forum
    if forum is panel:
        ForumMember.objects.create(forum=panel, user=other_resident)
    thread = new_thread(forum, resident)
    cookie = session_cookie(other_resident)

    @sync_to_async
    def take_access_away():
        if change == "remove-member":
            ForumMember.objects.filter(forum=panel, user=other_resident).delete()
        elif change == "make-invited":
            Forum.objects.filter(pk=forum.pk).update(access=Forum.Access.INVITED)
        elif change == "make-draft":
            Forum.objects.filter(pk=forum.pk).update(state=Forum.State.DRAFT)
        else:
            type(other_resident).objects.filter(pk=other_resident.pk).update(is_active=False)

    expected = CLOSE_UNAUTHENTICATED if change == "deactivate" else CLOSE_FORBIDDEN

    async def scenario():
        communicator, _ = await connected(thread.pk, cookie)
        await communicator.send_json_to({"type": "ping"})
        assert await receive(communicator) == PONG
        await take_access_away()
        await communicator.send_json_to({"type": "ping"})
        assert await closed_with(communicator) == expected
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_deleted_thread_closes_as_not_found_on_the_next_message(open_forum, resident):
    thread = new_thread(open_forum, resident)
    cookie = session_cookie(resident)

    async def scenario():
        communicator, _ = await connected(thread.pk, cookie)
        await sync_to_async(Thread.objects.filter(pk=thread.pk).delete)()
        await communicator.send_json_to({"type": "ping"})
        assert await closed_with(communicator) == CLOSE_NOT_FOUND
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_member_made_facilitator_gets_the_facilitators_fragment_after_a_recheck(
    panel, resident, other_resident
):
    thread = new_thread(panel, resident)
    ForumMember.objects.create(forum=panel, user=other_resident)
    cookie = session_cookie(other_resident)
    last = ThreadEvent.objects.latest("pk").pk

    async def scenario():
        communicator, _ = await connected(thread.pk, cookie, resume_after=last)
        await sync_to_async(ForumMember.objects.filter(user=other_resident).update)(
            role=ForumMember.Role.FACILITATOR
        )
        await sync_to_async(disconnect_user)(panel.pk, other_resident.pk)
        post = await sync_to_async(services.publish_post)(thread, resident, "Over to you")
        event = await sync_to_async(ThreadEvent.objects.get)(target=f"post-{post.pk}")
        assert (await receive(communicator))["html"] == event.facilitator_html
        await communicator.disconnect()

    async_to_sync(scenario)()


# --- Presence -------------------------------------------------------------------------------------


def test_presence_counts_go_up_and_down(open_forum, resident, other_resident, officer):
    thread = new_thread(open_forum, officer)
    first_cookie, second_cookie = session_cookie(resident), session_cookie(other_resident)

    async def counts(communicator, wanted: int) -> None:
        while True:
            message = await communicator.receive_json_from(timeout=2)
            if message["event"] == "presence" and message["count"] == wanted:
                return

    async def scenario():
        first, _ = await connected(thread.pk, first_cookie)
        await counts(first, 1)
        second, _ = await connected(thread.pk, second_cookie)
        await counts(second, 2)
        await counts(first, 2)
        third, _ = await connected(thread.pk, second_cookie)  # a second tab counts too
        await counts(first, 3)
        for leaving in (third, second):
            await leaving.disconnect()
        await counts(first, 1)
        await first.disconnect()
        assert await sync_to_async(consumers.presence.current)(thread.pk) == 0

    async_to_sync(scenario)()


def test_presence_never_counts_below_zero(open_forum, resident):
    thread = new_thread(open_forum, resident)
    presence = consumers.presence
    assert presence.leave(thread.pk) == 0
    assert presence.join(thread.pk) == 1
    assert presence.current(thread.pk) == 1
