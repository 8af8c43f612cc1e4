"""A Redis cache that degrades instead of failing when Redis is unreachable.

The cache only ever speeds things up or counts rate limits, so an outage must not turn pages into
errors: reads miss, writes are dropped, and a warning is logged (at most once a minute).
``ping`` is the one call that does raise, so ``/healthz`` can report the outage.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class ResilientRedisCache(RedisCache):
    _last_warning = 0.0

    def _degraded(self, operation: str, error: Exception, fallback):
        now = time.monotonic()
        if now - ResilientRedisCache._last_warning > 60:
            ResilientRedisCache._last_warning = now
            logger.warning("Redis cache unavailable during %s: %s", operation, error)
        return fallback

    def ping(self) -> bool:
        return bool(self._cache.get_client(write=True).ping())

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        try:
            return super().add(key, value, timeout, version)
        except RedisError as error:
            # Reads miss, so the key counts as absent and the add as done. Answering False would
            # read as "already held": allauth's rate-limit lock would never be acquired and every
            # sign-in, sign-up and TOTP code would be refused while Redis is down.
            return self._degraded("add", error, True)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as error:
            return self._degraded("get", error, default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, **kwargs):
        try:
            return super().set(key, value, timeout, version)
        except RedisError as error:
            return self._degraded("set", error, None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError as error:
            return self._degraded("touch", error, False)

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError as error:
            return self._degraded("delete", error, False)

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError as error:
            return self._degraded("get_many", error, {})

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError as error:
            return self._degraded("has_key", error, False)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            return self._degraded("incr", error, delta)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError as error:
            return self._degraded("set_many", error, list(data))

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except RedisError as error:
            return self._degraded("delete_many", error, None)

    def clear(self):
        try:
            return super().clear()
        except RedisError as error:
            return self._degraded("clear", error, False)

    def count(self, key: str, timeout: int) -> int:
        """Add one to a counter that expires ``timeout`` seconds after it was first counted, and
        return its new value: one round trip (INCR and EXPIRE NX in a pipeline) where
        ``add`` then ``incr`` take two. Counts 1 while Redis is unreachable."""
        try:
            key = self.make_and_validate_key(key)
            client = self._cache.get_client(key, write=True)
            pipe = client.pipeline(transaction=False)
            pipe.incr(key)
            pipe.expire(key, timeout, nx=True)
            return int(pipe.execute()[0])
        except RedisError as error:
            return self._degraded("count", error, 1)
