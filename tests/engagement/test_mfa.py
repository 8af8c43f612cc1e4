"""Officers and moderators must use two-factor authentication; residents and demo accounts
need not."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.urls import reverse

from engagement.models import Membership
from tests.factories import PASSWORD, MembershipFactory, UserFactory

# Roles are chosen by name with request.getfixturevalue, which pytest-django cannot see.
pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/", "/admin/", "/accounts/profile/", "/places/", "/forums/"]
ALWAYS_REACHABLE = [
    "/accounts/2fa/",
    "/accounts/email/",
    "/accounts/logout/",
    "/healthz",
]


def _clock_stopped():
    """allauth accepts only the current 30-second window's code, so time stands still (at the
    real time, so sessions made meanwhile have not expired when it starts again)."""
    return time_machine.travel(time.time(), tick=False)


def _code(secret: str, windows_ago: int = 0) -> str:
    """The code an authenticator app shows now (or ``windows_ago`` 30-second windows ago)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 - windows_ago))


def _wrong_code(secret: str) -> str:
    return f"{(int(_code(secret)) + 1) % 1_000_000:06d}"


def _sign_in(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def _activation_redirect(path: str) -> str:
    return f"{reverse('mfa_activate_totp')}?{urlencode({'next': path})}"


@pytest.fixture
def moderator_without_mfa(council):
    return MembershipFactory(organisation=council, role=Membership.Role.MODERATOR).user


@pytest.fixture
def superuser_without_mfa(db):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def officer_with_totp(officer_without_mfa):
    secret = generate_totp_secret()
    TOTP.activate(officer_without_mfa, secret)
    officer_without_mfa.totp_secret = secret
    return officer_without_mfa


@pytest.mark.parametrize(
    "role", ["officer_without_mfa", "moderator_without_mfa", "superuser_without_mfa"]
)
@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_without_an_authenticator_are_sent_to_set_one_up(request, client, role, path):
    client.force_login(request.getfixturevalue(role))

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == _activation_redirect(path)


@pytest.mark.parametrize("path", ALWAYS_REACHABLE)
def test_staff_without_an_authenticator_can_still_manage_their_account(
    client, officer_without_mfa, path
):
    client.force_login(officer_without_mfa)

    response = client.get(path)

    assert response.status_code == 200


def test_static_files_are_served_to_staff_without_an_authenticator(client, officer_without_mfa):
    client.force_login(officer_without_mfa)

    response = client.get("/static/img/favicon.svg")

    assert response.status_code == 200
    assert b"<svg" in b"".join(response.streaming_content)
    response.close()


def test_the_way_to_set_up_an_authenticator_does_not_go_round_in_circles(
    client, officer_without_mfa
):
    _sign_in(client, officer_without_mfa)

    response = client.get("/", follow=True)

    # allauth asks for the password again before adding an authenticator; that page must show.
    assert response.status_code == 200
    assert [url.split("?")[0] for url, _ in response.redirect_chain] == [
        reverse("mfa_activate_totp"),
        reverse("account_reauthenticate"),
    ]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_with_an_authenticator_are_let_through(request, client, officer_with_totp, path):
    if path == "/":
        request.getfixturevalue("site_structure")  # the home page
    client.force_login(officer_with_totp)

    response = client.get(path)

    assert response.status_code == 200


@pytest.mark.parametrize("role", ["resident", "partner", "officer", "moderator"])
@pytest.mark.parametrize("path", ["/places/", "/accounts/profile/"])
def test_residents_partners_and_demo_staff_are_never_asked(request, client, role, path):
    """``officer`` and ``moderator`` from the shared cast are demo-style ``mfa_exempt`` accounts."""
    user = request.getfixturevalue(role)
    assert user.mfa_exempt or not user.is_staff_role, "a staff role here must be a demo account"
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == 200


def test_the_requirement_can_be_switched_off(client, settings, officer_without_mfa):
    settings.COMMON_GROUND_REQUIRE_STAFF_MFA = False
    client.force_login(officer_without_mfa)

    assert client.get("/places/").status_code == 200


# --- Enrolling and signing in with a code ---------------------------------------------------------


def test_an_officer_enrols_an_authenticator_app_and_is_then_let_in(
    client, site_structure, officer_without_mfa
):
    with _clock_stopped():
        signed_in = _sign_in(client, officer_without_mfa)
        # The first page after signing in is the profile, which sends them to set up MFA.
        assert client.get(signed_in["Location"])["Location"].startswith(
            reverse("mfa_activate_totp")
        )

        reauthenticated = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        assert reauthenticated.status_code == 302
        assert client.get(reverse("mfa_activate_totp")).status_code == 200
        secret = client.session[SECRET_SESSION_KEY]
        wrong = client.post(reverse("mfa_activate_totp"), {"code": _wrong_code(secret)})
        assert wrong.status_code == 200
        assert not Authenticator.objects.filter(user=officer_without_mfa).exists()

        enrolled = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})

    assert enrolled.status_code == 302
    assert Authenticator.objects.filter(
        user=officer_without_mfa, type=Authenticator.Type.TOTP
    ).exists()
    assert client.get("/").status_code == 200


def test_signing_in_with_an_authenticator_asks_for_the_code(client, officer_with_totp):
    with _clock_stopped():
        password_step = _sign_in(client, officer_with_totp)

        assert password_step.status_code == 302
        assert password_step["Location"] == reverse("mfa_authenticate")
        assert "_auth_user_id" not in client.session

        code_step = client.post(
            reverse("mfa_authenticate"), {"code": _code(officer_with_totp.totp_secret)}
        )

    assert code_step.status_code == 302
    assert code_step["Location"] == reverse("profile")
    assert int(client.session["_auth_user_id"]) == officer_with_totp.pk
    assert client.get(reverse("profile")).status_code == 200


def test_a_wrong_code_does_not_sign_in(client, officer_with_totp):
    with _clock_stopped():
        _sign_in(client, officer_with_totp)
        response = client.post(
            reverse("mfa_authenticate"), {"code": _wrong_code(officer_with_totp.totp_secret)}
        )

    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("profile"))["Location"].startswith(reverse("account_login"))


def test_a_code_from_another_time_window_is_refused(client, officer_with_totp):
    with _clock_stopped():
        _sign_in(client, officer_with_totp)
        stale = _code(officer_with_totp.totp_secret, windows_ago=2)

        response = client.post(reverse("mfa_authenticate"), {"code": stale})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_code_cannot_be_used_twice(client, officer_with_totp):
    with _clock_stopped():
        _sign_in(client, officer_with_totp)
        code = _code(officer_with_totp.totp_secret)
        client.post(reverse("mfa_authenticate"), {"code": code})
        client.post(reverse("account_logout"))

        _sign_in(client, officer_with_totp)
        replayed = client.post(reverse("mfa_authenticate"), {"code": code})

    assert replayed.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_page_asked_for_is_kept_whole_for_after_set_up(client, officer_without_mfa):
    client.force_login(officer_without_mfa)

    response = client.get("/admin/pages/?q=a&b=c")

    assert response["Location"] == _activation_redirect("/admin/pages/?q=a&b=c")
