"""A Redis outage degrades the platform instead of breaking it, and it recovers on its own.

The test owns its redis-server (never the shared $REDIS_URL one, which it must not stop) and runs
the production cache and channel-layer configuration against it.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches

from tests.live.support import production_redis_settings

ALL_OK = {"database": "ok", "cache": "ok", "channel_layer": "ok"}
REDIS_DOWN = {"database": "ok", "cache": "down", "channel_layer": "down"}


@pytest.mark.django_db
def test_pages_survive_a_redis_outage_and_health_recovers_with_redis(
    client, settings, monkeypatch, site_structure, own_redis
):
    redis_settings = production_redis_settings(monkeypatch, own_redis.url)
    assert redis_settings["CACHES"]["default"]["BACKEND"] == "engagement.cache.ResilientRedisCache"
    assert "RedisPubSubChannelLayer" in redis_settings["CHANNEL_LAYERS"]["default"]["BACKEND"]
    # Changing these settings drops the cache clients and channel layers built for the old ones.
    settings.CACHES = redis_settings["CACHES"]
    settings.CHANNEL_LAYERS = redis_settings["CHANNEL_LAYERS"]

    up = client.get("/healthz")
    assert (up.status_code, up.json()) == (200, {"status": "ok", "checks": ALL_OK})
    assert client.get("/").status_code == 200
    caches["default"].set("greeting", "hello", 60)
    assert caches["default"].get("greeting") == "hello"

    own_redis.stop()

    home = client.get("/")
    assert home.status_code == 200
    assert site_structure.title in home.content.decode()
    assert caches["default"].get("greeting") is None, "a read during the outage misses"
    down = client.get("/healthz")
    assert (down.status_code, down.json()) == (503, {"status": "degraded", "checks": REDIS_DOWN})

    own_redis.start()  # same port, empty data

    back = client.get("/healthz")
    assert (back.status_code, back.json()) == (200, {"status": "ok", "checks": ALL_OK})
    assert client.get("/").status_code == 200
