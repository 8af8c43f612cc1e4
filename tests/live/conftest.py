"""Fixtures for the live tests: a Redis the test owns, and settings that point at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live.support import RedisProcess
from tests.servers import free_port


@pytest.fixture
def own_redis() -> Iterator[RedisProcess]:
    """A redis-server child of this test alone (never $REDIS_URL), stoppable and restartable."""
    redis = RedisProcess(free_port())
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def in_memory_channel_layer(settings) -> None:
    """Consumer tests run on the in-memory layer, isolated from any shared Redis.

    Changing the setting makes Channels drop the layers it has cached.
    """
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
