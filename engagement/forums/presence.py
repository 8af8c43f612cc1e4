"""How many live connections are on a thread, across every server process.

The count lives in the Django cache (Redis in production, so every process shares it; the
in-memory cache in development). It is a convenience: if the cache is away it reads 0 or 1 and
nothing else breaks. A server process that dies without closing its sockets leaves the count too
high until the key expires (an hour after the thread's last connect, disconnect or message).

Broadcasting the count on every connect would cost N messages per connection (N² while a crowd
arrives), so changes are coalesced: the first change claims a short-lived "due" key and schedules
one broadcast of the then-current count; changes while it is due ride along with it.
"""

from __future__ import annotations

from django.core.cache import cache

COUNT_TTL_SECONDS = 60 * 60
DUE_TTL_SECONDS = 30  # only matters if the process that claimed the broadcast dies first


def _count_key(thread_id: int) -> str:
    return f"forum-presence:{thread_id}"


def _due_key(thread_id: int) -> str:
    return f"forum-presence-due:{thread_id}"


def _change(thread_id: int, delta: int) -> int:
    key = _count_key(thread_id)
    cache.add(key, 0, timeout=COUNT_TTL_SECONDS)
    try:
        count = cache.incr(key, delta)
    except ValueError:  # expired between add and incr
        count = max(delta, 0)
        cache.set(key, count, timeout=COUNT_TTL_SECONDS)
        return count
    if count < 0:  # more leaves than joins (the key expired while people were here)
        cache.set(key, 0, timeout=COUNT_TTL_SECONDS)
        return 0
    cache.touch(key, COUNT_TTL_SECONDS)
    return count


def join(thread_id: int) -> int:
    """Count one more connection on the thread; return the new count."""
    return _change(thread_id, 1)


def leave(thread_id: int) -> int:
    """Count one connection fewer (never below 0); return the new count."""
    return _change(thread_id, -1)


def keep_alive(thread_id: int) -> None:
    """Keep the count from expiring while people are still here."""
    cache.touch(_count_key(thread_id), COUNT_TTL_SECONDS)


def current(thread_id: int) -> int:
    return max(int(cache.get(_count_key(thread_id)) or 0), 0)


def claim_broadcast(thread_id: int) -> bool:
    """True if the caller should schedule the thread's next presence broadcast (none is due)."""
    return bool(cache.add(_due_key(thread_id), 1, timeout=DUE_TTL_SECONDS))


def release_broadcast(thread_id: int) -> int:
    """End the due period and return the count to broadcast. The key goes first, so a change
    after this read claims a broadcast of its own and none is ever left unsent."""
    cache.delete(_due_key(thread_id))
    return current(thread_id)
