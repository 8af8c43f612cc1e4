"""Per-user and per-IP rate limits for writes (responses, pins, posts, activities).

Fixed windows counted in the cache (Redis in production, so every server process shares the
counts). Limits are ``(requests, seconds)`` per scope in ``settings.RATE_LIMITS[action]``; a burst
gets the friendly 429 page. If Redis is down the cache degrades to allowing the write: losing a
resident's response would be worse than a burst getting through.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind the proxy, daphne's --proxy-headers has already put the
    address nginx vouches for into REMOTE_ADDR; nothing here trusts a client-sent header."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _within(key: str, limit: int, period: int) -> bool:
    window = int(time.time() // period)
    bucket = f"ratelimit:{key}:{window}"
    if hasattr(cache, "count"):  # Redis (engagement.cache): one round trip
        return cache.count(bucket, period + 1) <= limit
    cache.add(bucket, 0, timeout=period + 1)
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.add(bucket, 1, timeout=period + 1)
        count = 1
    return count <= limit


def allow(request: HttpRequest, action: str) -> bool:
    """Count one write of ``action`` by this request's user and address; False once over a limit."""
    limits = getattr(settings, "RATE_LIMITS", {}).get(action, {})
    allowed = True
    if (user_limit := limits.get("user")) and request.user.is_authenticated:
        allowed &= _within(f"{action}:user:{request.user.pk}", *user_limit)
    if ip_limit := limits.get("ip"):
        allowed &= _within(f"{action}:ip:{client_ip(request)}", *ip_limit)
    return allowed


def limit_writes(action: str) -> Callable:
    """Decorate a view so its POSTs are rate limited under ``action``; GETs are not counted."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST" and not allow(request, action):
                from engagement.views import too_many_requests

                return too_many_requests(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
