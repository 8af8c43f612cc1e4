"""Request middleware owned by the shared core."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

# Paths an officer or moderator without MFA may still reach: setting MFA up, signing out, and the
# static assets those pages need. The profile lives under /accounts/ but is ours, not allauth's:
# it is the landing page after sign-in, so it is where staff are first sent to set MFA up.
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/media/")
_GUARDED_PREFIXES = ("/accounts/profile/",)


class RequireStaffMFAMiddleware:
    """Officers and moderators must set up two-factor authentication before anything else.

    Demo accounts (``mfa_exempt``) are allowed through so a newcomer can look around.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.COMMON_GROUND_REQUIRE_STAFF_MFA
            and user is not None
            and user.is_authenticated
            and not user.mfa_exempt
            and not _reachable_without_mfa(request.path)
            and (user.is_superuser or user.is_staff_role)
            and not _has_mfa(user)
        ):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('mfa_activate_totp')}?{query}")
        return self.get_response(request)


def _reachable_without_mfa(path: str) -> bool:
    return path.startswith(_ALLOWED_PREFIXES) and not path.startswith(_GUARDED_PREFIXES)


def _has_mfa(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class AdminStylePolicyMiddleware:
    """Let the CMS use inline styles; the resident-facing site keeps the strict policy.

    Wagtail's admin sets ``style`` attributes and ``<style>`` elements that a strict
    ``style-src 'self'`` blocks. django-csp (whose middleware runs after this one on the way out)
    merges ``response._csp_update`` into the policy for this response only.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(settings.CSP_ADMIN_PATH_PREFIX):
            response._csp_update = {"style-src": ["'unsafe-inline'"]}
        return response
