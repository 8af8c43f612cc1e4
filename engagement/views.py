"""Views owned by the shared core: health, the resident's profile and friendly error pages."""

from __future__ import annotations

import logging

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from engagement import health
from engagement.forms import ProfileForm

logger = logging.getLogger(__name__)


@never_cache
@require_GET
async def healthz(request: HttpRequest) -> JsonResponse:
    """Report whether this process can reach the database, the cache and the channel layer."""
    checks = {
        "database": sync_to_async(health.check_database),
        "cache": sync_to_async(health.check_cache),
        "channel_layer": health.check_channel_layer,
    }
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await check()
            results[name] = "ok"
        except Exception as error:  # noqa: BLE001 - any failure means "down", reported not raised
            logger.warning("Health check %s failed: %s", name, error)
            results[name] = "down"
    healthy = all(state == "ok" for state in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": results},
        status=200 if healthy else 503,
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own details, memberships and security settings."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile has been updated."))
        return redirect("profile")
    memberships = request.user.memberships.select_related("organisation").order_by(
        "organisation__name"
    )
    return render(
        request,
        "engagement/profile.html",
        {"form": form, "memberships": memberships},
        status=400 if form.errors else 200,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "400.html", status=400)


def too_many_requests(request: HttpRequest, exception=None) -> HttpResponse:
    """A burst of attempts (sign-in, sign-up, password reset...) gets a clear page, not an error."""
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response
