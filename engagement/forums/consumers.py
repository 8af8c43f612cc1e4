"""The live thread page: a WebSocket that pushes a thread's events to its readers.

Writes never arrive here (they are ordinary POSTs); the socket only pushes what
``forums.services`` stored and broadcast, and answers a page that asks for what it missed.

- **Connect**: signed in (else 4401), the thread exists (else 4404), the person may read its forum
  (else 4403). The connection joins the thread's group and the forum's group (for revocations), is
  greeted with ``{"event": "hello", "last": <newest event id>}`` and told how many are here.
- **Every client message** is size-capped (4413), flood-controlled per connection and per person
  across connections and processes (4429), and re-checks access afresh (4403/4404), so a removed
  member is cut off by their next ping at the latest, and at once by :func:`disconnect_user`.
- **Catch-up**: ``{"type": "resume", "after": N}`` sends every stored event after N in id order.
  Live events that reach a new connection before its resume are held back and sent after the
  catch-up, so a page always receives a thread's events in order, none missing.
- **Broadcasts** carry only the event's id; each process reads the stored event once for all its
  readers (:func:`shared_event`), and whether a connection sees the facilitators' variant is
  decided at connect and at each re-check, so a broadcast costs no database work per reader.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import OrderedDict, deque
from dataclasses import dataclass

from asgiref.sync import async_to_sync, sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.db import transaction

from engagement.consumers import (
    CLOSE_MESSAGE_TOO_LARGE,
    CLOSE_TRY_AGAIN_LATER,
    CLOSE_UNAUTHENTICATED,
    MAX_MESSAGE_BYTES,
    LayerGuard,
)
from engagement.forums import presence
from engagement.forums import rules as forum_rules
from engagement.forums.models import Thread, ThreadEvent
from engagement.forums.services import thread_group
from engagement.ratelimit import _within

log = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_FLOODING = 4429

CONNECTION_FLOOD = (20, 10)  # at most 20 messages in any 10 seconds on one connection
USER_FLOOD = (60, 10)  # at most 60 messages per 10-second window per person, all connections
RESUME_LIMIT = 500  # events sent per resume; beyond that the page is told to reload
HOLD_LIMIT = 1000  # live events held for a connection that has not resumed yet
RESUME_WAIT_SECONDS = 5.0  # a connection that never resumes gets its held events after this
PRESENCE_DELAY_SECONDS = 1.0  # presence changes within this are broadcast together
GROUP_JOIN_SECONDS = 3.0  # a connection that cannot join its groups is refused (1013)

MAX_ID = 2**63 - 1  # ids beyond a bigint cannot exist (and would overflow the query)


def forum_group(forum_id: int) -> str:
    return f"forum.{forum_id}"


def disconnect_user(forum_id: int, user_id: int) -> None:
    """Make ``user_id``'s live connections to ``forum_id`` re-check their access now, and close
    the ones no longer allowed (4403). Call it after removing a member or changing their role.

    Inside a transaction it waits for the commit (the re-check must see the change). It never
    raises: if the channel layer is away, the connections are cut at their next message instead.
    """

    def send() -> None:
        try:
            async_to_sync(get_channel_layer().group_send)(
                forum_group(forum_id), {"type": "forum.revoke", "user_id": user_id}
            )
        except Exception:
            log.warning("could not ask live connections of user %s to re-check", user_id)

    transaction.on_commit(send)


# --- Database and cache work (run in a thread) ----------------------------------------------------


@dataclass(frozen=True)
class Access:
    refusal: int | None  # a close code, or None when allowed
    forum_id: int | None = None
    facilitator: bool = False


def check_access(user_id: int, thread_id: int) -> Access:
    """Whether this person may read this thread now, looked up afresh (never from a cache)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:  # deleted or deactivated since the page connected
        return Access(CLOSE_UNAUTHENTICATED)
    thread = Thread.objects.select_related("forum").filter(pk=thread_id).first()
    if thread is None:
        return Access(CLOSE_NOT_FOUND)
    forum = thread.forum
    if not forum_rules.may_read(user, forum, fresh=True):
        return Access(CLOSE_FORBIDDEN, forum.pk)
    return Access(None, forum.pk, forum_rules.may_facilitate(user, forum))


def newest_event_id(thread_id: int) -> int:
    newest = ThreadEvent.objects.filter(thread_id=thread_id).order_by("-pk").values("pk").first()
    return newest["pk"] if newest else 0


def open_connection(user_id: int, thread_id: int) -> tuple[Access, int]:
    access = check_access(user_id, thread_id)
    return access, (newest_event_id(thread_id) if access.refusal is None else 0)


def check_message(user_id: int, thread_id: int) -> Access:
    """Count a message against the person's flood limit, then re-check their access."""
    if not _within(f"forum_socket:user:{user_id}", *USER_FLOOD):
        return Access(CLOSE_FLOODING)
    presence.keep_alive(thread_id)
    return check_access(user_id, thread_id)


def load_event(event_id: int) -> dict | None:
    event = ThreadEvent.objects.filter(pk=event_id).first()
    if event is None:
        return None
    return {
        "id": event.pk,
        "thread_id": event.thread_id,
        "kind": event.kind,
        "target": event.target,
        "html": event.html,
        "facilitator_html": event.facilitator_html,
        "announce": event.announcement,
    }


# Events being read or recently read by this process, shared by all its readers: a broadcast to
# 250 readers on one process costs one query, not 250. Bounded; old ids fall out first.
# (Kept per event loop: a future belongs to the loop that made it.)
_shared_by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
SHARED_EVENTS = 256


async def shared_event(event_id: int) -> dict | None:
    """The stored event ``event_id``, read once per process however many readers ask."""
    loop = asyncio.get_running_loop()
    _shared = _shared_by_loop.setdefault(loop, OrderedDict())
    future = _shared.get(event_id)
    if future is None:
        future = loop.create_future()
        _shared[event_id] = future
        while len(_shared) > SHARED_EVENTS:
            _shared.popitem(last=False)
        try:
            future.set_result(await database_sync_to_async(load_event)(event_id))
        except Exception as error:
            _shared.pop(event_id, None)
            future.set_exception(error)
            future.exception()  # mark it retrieved: the readers waiting get it below
    return await asyncio.shield(future)


def events_after(thread_id: int, after: int, facilitator: bool) -> tuple[list[dict], bool]:
    """The thread's stored events after id ``after``, oldest first (at most RESUME_LIMIT), and
    whether more remain."""
    events = list(
        ThreadEvent.objects.filter(thread_id=thread_id, pk__gt=after).order_by("pk")[
            : RESUME_LIMIT + 1
        ]
    )
    messages = [{"event": "forum", **event.message(facilitator)} for event in events]
    return messages[:RESUME_LIMIT], len(events) > RESUME_LIMIT


def joined(thread_id: int) -> tuple[int, bool]:
    return presence.join(thread_id), presence.claim_broadcast(thread_id)


def left(thread_id: int) -> bool:
    presence.leave(thread_id)
    return presence.claim_broadcast(thread_id)


# --- Presence broadcasts --------------------------------------------------------------------------

_background: set[asyncio.Task] = set()


def schedule_presence(layer, thread_id: int) -> None:
    task = asyncio.create_task(broadcast_presence(layer, thread_id))
    _background.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_background.discard)


async def broadcast_presence(layer, thread_id: int) -> None:
    """After a short pause, send the thread's current count to everyone on it (once for all the
    joins and leaves in the pause, across processes)."""
    await asyncio.sleep(PRESENCE_DELAY_SECONDS)
    try:
        count = await sync_to_async(presence.release_broadcast, thread_sensitive=False)(thread_id)
        await layer.group_send(thread_group(thread_id), {"type": "forum.presence", "count": count})
    except Exception:  # the cache or channel layer is away: presence just stops
        log.info("could not broadcast presence for thread %s", thread_id, exc_info=True)


# --- The consumer ---------------------------------------------------------------------------------


class ThreadConsumer(LayerGuard, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        self.present = False
        self.held: list[dict] | None = []  # live events waiting for the page's first resume
        self.release_task: asyncio.Task | None = None
        self.recent: deque[float] = deque(maxlen=CONNECTION_FLOOD[0] + 1)
        self.facilitator = False

        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        self.thread_id = self.scope["url_route"]["kwargs"]["thread_id"]
        if self.thread_id > MAX_ID:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        access, last = await database_sync_to_async(open_connection)(self.user_id, self.thread_id)
        if access.refusal is not None:
            await self.close(code=access.refusal)
            return
        self.facilitator = access.facilitator
        try:
            for group in (thread_group(self.thread_id), forum_group(access.forum_id)):
                # Redis pub/sub retries a lost connection rather than failing: do not wait on it.
                await asyncio.wait_for(
                    self.channel_layer.group_add(group, self.channel_name), GROUP_JOIN_SECONDS
                )
                self.groups_joined.append(group)
        except Exception:
            log.warning("channel layer unavailable; refusing a live thread connection")
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        await self.accept()
        await self.send_json({"event": "hello", "last": last})
        self.release_task = asyncio.create_task(self.release_later())
        await self.join_presence()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "release_task", None) is not None:
            self.release_task.cancel()
        for group in getattr(self, "groups_joined", []):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                log.info("could not leave group %s", group, exc_info=True)
        if getattr(self, "present", False):
            self.present = False
            try:
                if await sync_to_async(left, thread_sensitive=False)(self.thread_id):
                    schedule_presence(self.channel_layer, self.thread_id)
            except Exception:
                log.info("could not count a reader leaving", exc_info=True)

    async def dispatch(self, message: dict) -> None:
        # Channels' default dispatch hops to a thread to tidy database connections before every
        # message: one hop per reader per broadcast. Every database call here goes through
        # database_sync_to_async, which tidies them itself, so broadcasts stay on the event loop.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- From the page --------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > MAX_MESSAGE_BYTES:
            await self.close(code=CLOSE_MESSAGE_TOO_LARGE)
            return
        now = time.monotonic()
        self.recent.append(now)
        limit, period = CONNECTION_FLOOD
        if len(self.recent) > limit and now - self.recent[0] < period:
            await self.close(code=CLOSE_FLOODING)
            return
        access = await database_sync_to_async(check_message)(self.user_id, self.thread_id)
        if not await self.apply_access(access):
            return
        # Binary frames and malformed JSON are ignored like any other unexpected message.
        if not text_data:
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"event": "pong"})
        elif kind == "resume":
            after = content.get("after")
            if type(after) is int and 0 <= after <= MAX_ID:
                await self.resume(after)

    async def resume(self, after: int) -> None:
        messages, gap = await database_sync_to_async(events_after)(
            self.thread_id, after, self.facilitator
        )
        for message in messages:
            await self.send_json(message)
        if gap:
            await self.send_json({"event": "gap"})
        await self.release_held(after=messages[-1]["id"] if messages else after)

    async def apply_access(self, access: Access) -> bool:
        """Close the connection if access was refused; otherwise note the role. True if open."""
        if access.refusal is not None:
            await self.close(code=access.refusal)
            return False
        self.facilitator = access.facilitator
        return True

    # --- From the channel layer -----------------------------------------------------------------

    async def forum_event(self, message: dict) -> None:
        try:
            stored = await shared_event(message["id"])
        except Exception:  # the database is away: tell the page it may have missed something
            log.warning("could not read forum event %s", message["id"], exc_info=True)
            await self.send_json({"event": "gap"})
            return
        if stored is None or stored["thread_id"] != self.thread_id:
            return
        event = {
            "event": "forum",
            "id": stored["id"],
            "kind": stored["kind"],
            "target": stored["target"],
            "html": (
                stored["facilitator_html"]
                if self.facilitator and stored["facilitator_html"]
                else stored["html"]
            ),
            "announce": stored["announce"],
        }
        if self.held is not None:
            if len(self.held) < HOLD_LIMIT:
                self.held.append(event)
            return
        await self.send_json(event)

    async def forum_presence(self, message: dict) -> None:
        await self.send_json({"event": "presence", "count": message["count"]})

    async def forum_revoke(self, message: dict) -> None:
        if message.get("user_id") != self.user_id:
            return
        access = await database_sync_to_async(check_access)(self.user_id, self.thread_id)
        await self.apply_access(access)

    async def forum_release(self, message: dict) -> None:
        await self.release_held(after=0)

    # --- Helpers --------------------------------------------------------------------------------

    async def release_held(self, after: int) -> None:
        """Stop holding live events back, sending the held ones the page has not been sent."""
        held, self.held = self.held, None
        if self.release_task is not None:
            self.release_task.cancel()
            self.release_task = None
        for event in held or ():
            if event["id"] > after:
                await self.send_json(event)

    async def release_later(self) -> None:
        """For a page that never resumes: release held events through the consumer's own queue,
        so they stay in order with live events handled meanwhile."""
        await asyncio.sleep(RESUME_WAIT_SECONDS)
        try:
            await self.channel_layer.send(self.channel_name, {"type": "forum.release"})
        except Exception:
            log.info("could not release held events", exc_info=True)

    async def join_presence(self) -> None:
        try:
            count, due = await sync_to_async(joined, thread_sensitive=False)(self.thread_id)
        except Exception:
            log.info("could not count a reader joining", exc_info=True)
            return
        self.present = True
        await self.send_json({"event": "presence", "count": count})
        if due:
            schedule_presence(self.channel_layer, self.thread_id)
