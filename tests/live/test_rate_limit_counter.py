"""The rate-limit counter on a real Redis: one round trip, and a window that expires."""

from __future__ import annotations

from engagement.cache import ResilientRedisCache


def test_a_counter_counts_and_expires_with_its_first_count(own_redis):
    cache = ResilientRedisCache(own_redis.url, {})
    assert [cache.count("ratelimit:k", 30) for _ in range(3)] == [1, 2, 3]
    client = cache._cache.get_client(write=True)
    key = cache.make_and_validate_key("ratelimit:k")
    # Later counts do not push the window's end back.
    assert 0 < client.ttl(key) <= 30
    client.expire(key, 5)
    cache.count("ratelimit:k", 30)
    assert client.ttl(key) <= 5
