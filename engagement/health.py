"""Checks behind ``/healthz``: can this process reach the database, cache and channel layer?"""

from __future__ import annotations

import asyncio
import uuid

from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection

CHECK_TIMEOUT_SECONDS = 2.0


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    ping = getattr(cache, "ping", None)
    if ping is not None:
        ping()
        return
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, 10)
    if cache.get(key) != value:
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


async def check_channel_layer() -> None:
    """Send a message to a fresh channel and read it back through the layer, within the time
    limit (Redis pub/sub retries a lost connection instead of failing)."""
    await asyncio.wait_for(_round_trip(), CHECK_TIMEOUT_SECONDS)


async def _round_trip() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer is configured")
    # new_channel() subscribes before anything is sent: Redis pub/sub keeps nothing for a channel
    # nobody is listening on. The round trip goes out to Redis and back.
    channel = await layer.new_channel("healthz.")
    try:
        await layer.send(channel, {"type": "healthz.ping"})
        message = await layer.receive(channel)
    finally:
        # channels_redis's pub/sub layer has no delete_channel(): drop the subscription the way
        # its receive() does when a consumer goes away (the version is pinned in constraints.txt).
        inner = layer._get_layer() if hasattr(layer, "_get_layer") else None
        if inner is not None and inner.channels.pop(channel, None) is not None:
            await inner._get_shard(channel).unsubscribe(channel)
    if message.get("type") != "healthz.ping":
        raise RuntimeError("channel layer returned an unexpected message")
