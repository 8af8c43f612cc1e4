"""``/healthz`` reports each dependency, and the Redis cache degrades instead of failing."""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from engagement.cache import ResilientRedisCache
from tests.factories import PASSWORD

# Nothing listens on port 1, so connecting is refused at once.
DEAD_REDIS = "redis://127.0.0.1:1/0"
DEAD_CACHE = {
    "default": {
        "BACKEND": "engagement.cache.ResilientRedisCache",
        "LOCATION": DEAD_REDIS,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}
DEAD_CHANNEL_LAYER = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [DEAD_REDIS]},
    }
}

pytestmark = pytest.mark.django_db


def test_healthz_reports_every_check_ok_on_the_embedded_defaults(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "channel_layer": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_the_cache_is_down(client):
    with override_settings(CACHES=DEAD_CACHE):
        assert isinstance(caches["default"], ResilientRedisCache)
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "down", "channel_layer": "ok"},
    }


def test_healthz_is_503_when_the_channel_layer_is_down(client):
    configured_layer = type(get_channel_layer())
    with override_settings(CHANNEL_LAYERS=DEAD_CHANNEL_LAYER):
        # channels drops its cached layers when the setting changes.
        assert type(get_channel_layer()).__name__ == "RedisPubSubChannelLayer"
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "cache": "ok",
        "channel_layer": "down",
    }
    # Restoring the setting restores the configured layer (in-memory, or Redis in CI's second run).
    assert type(get_channel_layer()) is configured_layer


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_only_answers_get(client, method):
    assert getattr(client, method)("/healthz").status_code == 405


def test_healthz_answers_plain_http_when_everything_else_redirects_to_https(client, settings):
    """Load balancers and container health checks probe over plain HTTP."""
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    redirected = client.get("/places/")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/places/"


# --- The resilient cache --------------------------------------------------------------------------


@pytest.fixture
def dead_cache():
    cache = ResilientRedisCache(DEAD_REDIS, {"OPTIONS": {"socket_connect_timeout": 1}})
    yield cache
    cache.close()


def test_a_dead_redis_reads_as_a_miss(dead_cache):
    assert dead_cache.get("anything") is None
    assert dead_cache.get("anything", "fallback") == "fallback"
    assert dead_cache.get_many(["a", "b"]) == {}
    assert dead_cache.has_key("anything") is False


def test_a_dead_redis_drops_writes_quietly(dead_cache):
    dead_cache.set("key", "value", 10)
    dead_cache.set_many({"a": 1, "b": 2})
    dead_cache.delete("key")
    dead_cache.delete_many(["a", "b"])
    assert dead_cache.touch("key") is False


def test_a_dead_redis_treats_add_as_done(dead_cache):
    """Reads miss, so the key is absent and adding it succeeds; allauth takes its rate-limit
    lock and one-time-code markers with ``add``, and a False would lock everyone out."""
    assert dead_cache.add("key", "value") is True


def test_a_dead_redis_lets_rate_limit_counters_through(dead_cache):
    assert dead_cache.incr("hits") == 1


def test_a_dead_redis_counts_a_rate_limit_window_as_its_first_request(dead_cache):
    assert dead_cache.count("ratelimit:x", 60) == 1
    assert dead_cache.count("ratelimit:x", 60) == 1


def test_a_dead_redis_fails_the_ping_so_healthz_can_tell(dead_cache):
    with pytest.raises(RedisConnectionError):
        dead_cache.ping()


def test_signing_up_and_in_still_work_when_the_cache_is_down(client, resident, mailoutbox):
    with override_settings(CACHES=DEAD_CACHE):
        signed_in = client.post(
            reverse("account_login"), {"login": resident.email, "password": PASSWORD}
        )
        client.post(reverse("account_logout"))
        signed_up = client.post(
            reverse("account_signup"),
            {"email": "new@example.org", "password1": "a-long-new-password", "display_name": "N"},
        )

    assert signed_in.status_code == 302
    assert signed_in["Location"] == reverse("profile")
    assert signed_up.status_code == 302
    assert signed_up["Location"] == reverse("account_email_verification_sent")
    assert len(mailoutbox) == 1


def test_pages_still_render_when_the_cache_is_down(client, resident):
    client.force_login(resident)
    with override_settings(CACHES=DEAD_CACHE):
        response = client.get("/accounts/profile/")

    assert response.status_code == 200
