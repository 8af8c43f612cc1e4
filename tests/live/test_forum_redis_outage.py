"""A Redis outage does not lose a forum post, and live readers catch up when Redis returns.

The test owns its redis-server (never the shared $REDIS_URL one, which it must not stop) and runs
the production cache and channel-layer configuration against it. Posting goes through the real
service; the live side through the full ASGI stack with a real session.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from engagement.asgi import application
from engagement.forums import services
from engagement.forums.models import Forum, Post, ThreadEvent
from tests.live.support import production_redis_settings, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def socket(thread_id: int, cookie: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application,
        f"/ws/forums/threads/{thread_id}/",
        headers=[
            (b"host", b"127.0.0.1:8000"),
            (b"origin", b"http://127.0.0.1:8000"),
            (b"cookie", cookie.encode()),
        ],
    )


async def forum_event(communicator: WebsocketCommunicator) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=5)
        if message["event"] == "forum":
            return message


def test_a_post_made_while_redis_is_down_is_kept_and_delivered_on_resume(
    settings, monkeypatch, own_redis, council, resident, officer
):
    redis_settings = production_redis_settings(monkeypatch, own_redis.url)
    settings.CACHES = redis_settings["CACHES"]
    settings.CHANNEL_LAYERS = redis_settings["CHANNEL_LAYERS"]
    forum = Forum.objects.create(title="Parks", slug="parks", summary="About parks")
    forum.organisations.add(council)
    thread = services.start_thread(forum, officer, "Benches", "Where should benches go?")
    seen = ThreadEvent.objects.filter(thread=thread).latest("pk").pk
    cookie = session_cookie(resident)

    own_redis.stop()

    # Posting works: the post and its event are stored; only the broadcast is dropped.
    post = services.publish_post(thread, officer, "Posted during the outage")
    assert Post.objects.filter(pk=post.pk, body="Posted during the outage").exists()
    event = ThreadEvent.objects.get(target=f"post-{post.pk}")

    async def connect_during_outage():
        communicator = socket(thread.pk, cookie)
        connected, _code = await communicator.connect(timeout=10)
        assert connected is False, "refused (the page retries later), never a crashed server"

    async_to_sync(connect_during_outage)()

    own_redis.start()  # same port, empty data

    async def resume_after_recovery():
        communicator = socket(thread.pk, cookie)
        assert await communicator.connect(timeout=10) == (True, None)
        assert (await communicator.receive_json_from(timeout=5))["event"] == "hello"
        await communicator.send_json_to({"type": "resume", "after": seen})
        caught_up = await forum_event(communicator)
        assert caught_up == {"event": "forum", **event.message()}

        # And live delivery works again through the restarted Redis.
        later = await sync_to_async(services.publish_post)(thread, officer, "Back to normal")
        live = await forum_event(communicator)
        assert live["target"] == f"post-{later.pk}"
        await communicator.disconnect()

    async_to_sync(resume_after_recovery)()
