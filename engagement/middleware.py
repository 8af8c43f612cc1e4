"""Request middleware owned by the shared core."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

# Paths an officer or moderator without MFA may still reach: setting MFA up, signing out, and the
# static assets those pages need.
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/media/")


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
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and (user.is_superuser or user.is_staff_role)
            and not _has_mfa(user)
        ):
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.path}")
        return self.get_response(request)


def _has_mfa(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
