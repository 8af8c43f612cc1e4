"""Signing up, verifying, signing in and out, resetting a password and the profile page."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from engagement.models import User
from tests.engagement._html import visible_form_controls
from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "correct horse battery staple"


def _link_in(message) -> str:
    """The path of the first link to this site in an email."""
    return re.search(r"https?://testserver(/\S+)", message.body).group(1)


def _sign_up(client, **overrides):
    data = {"email": "New.Person@Example.org", "password1": NEW_PASSWORD, "display_name": "Newbie"}
    return client.post(reverse("account_signup"), {**data, **overrides})


def _log_in(client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


# --- Sign-up and verification ---------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_up_page_labels_every_field(client):
    response = client.get(reverse("account_signup"))

    assert response.status_code == 200
    page = visible_form_controls(response.content.decode())
    assert set(page.controls.values()) == {"email", "display_name", "password1"}
    assert not page.unnamed
    assert set(page.controls) <= page.label_targets


@pytest.mark.django_db
def test_sign_up_creates_an_unverified_account_and_sends_a_verification_email(client, mailoutbox):
    response = _sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.email == "new.person@example.org"
    assert user.display_name == "Newbie"
    assert user.check_password(NEW_PASSWORD)
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new.person@example.org"]
    assert "/accounts/confirm-email/" in mailoutbox[0].body


@pytest.mark.django_db
def test_an_unverified_account_cannot_sign_in_until_the_link_is_followed(client, mailoutbox):
    _sign_up(client)
    client.logout()

    refused = _log_in(client, "new.person@example.org", NEW_PASSWORD)

    assert refused.status_code == 302
    assert refused["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    confirm_path = _link_in(mailoutbox[0])
    confirm_page = client.get(confirm_path)
    assert confirm_page.status_code == 200
    assert not EmailAddress.objects.get().verified, "a GET must not confirm (link scanners)"

    client.post(confirm_path)
    assert EmailAddress.objects.get().verified

    client.logout()
    signed_in = _log_in(client, "new.person@example.org", NEW_PASSWORD)
    assert signed_in.status_code == 302
    assert signed_in["Location"] == reverse("profile")
    assert int(client.session["_auth_user_id"]) == User.objects.get().pk


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"password1": "short1"}, "password1", "This password is too short."),
        ({"password1": "password123"}, "password1", "This password is too common."),
        ({"password1": "4815162342987"}, "password1", "This password is entirely numeric."),
        ({"display_name": "  "}, "display_name", "Enter a display name"),
    ],
    ids=["bad-email", "short-password", "common-password", "numeric-password", "no-display-name"],
)
@pytest.mark.django_db
def test_invalid_sign_up_shows_an_error_summary_and_creates_nothing(
    client, mailoutbox, overrides, field, message
):
    response = _sign_up(client, **overrides)

    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert f'<a href="#id_{field}">{message}' in html, "the summary links to the field in error"
    assert f'id="id_{field}-error"' in html
    assert not User.objects.exists()
    assert not mailoutbox


@pytest.mark.django_db
def test_signing_up_with_a_taken_email_does_not_reveal_the_account(client, resident, mailoutbox):
    response = _sign_up(client, email=resident.email.upper())

    # Same answer as a fresh sign-up, so the page cannot be used to find out who has an account.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email__iexact=resident.email).count() == 1


# --- Signing in and out ---------------------------------------------------------------------------


def test_a_verified_resident_signs_in_and_lands_on_their_profile(client, resident):
    response = _log_in(client, resident.email.upper())

    assert response.status_code == 302
    assert response["Location"] == reverse("profile")
    assert int(client.session["_auth_user_id"]) == resident.pk


def test_a_wrong_password_shows_an_error_and_does_not_sign_in(client, resident):
    response = _log_in(client, resident.email, "not-the-password")

    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signing_out_needs_a_post(client, resident):
    client.force_login(resident)

    confirmation = client.get(reverse("account_logout"))
    assert confirmation.status_code == 200
    assert "_auth_user_id" in client.session

    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_to_the_account_holder(client, resident, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": resident.email})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [resident.email]
    assert "/accounts/password/reset/key/" in _link_in(mailoutbox[0])


def test_the_cms_login_is_the_site_login(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code in (301, 302)
    assert response["Location"] == f"{reverse('account_login')}?next=/admin/"


# --- Profile --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_profile_needs_a_signed_in_person(client):
    response = client.get(reverse("profile"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={reverse('profile')}"


def test_the_profile_lists_the_persons_roles(client, officer, vcse):
    officer.memberships.create(organisation=vcse, role="partner")
    client.force_login(officer)

    html = client.get(reverse("profile")).content.decode()

    assert "Officer at Test County Council" in html
    assert "Partner at Test Food Network" in html


def test_a_resident_profile_explains_they_have_no_organisation(client, resident):
    client.force_login(resident)

    response = client.get(reverse("profile"))

    assert response.status_code == 200
    assert resident.email in response.content.decode()
    assert "You take part as a resident" in response.content.decode()


@pytest.mark.parametrize("blank", ["", "   "])
def test_an_empty_display_name_is_refused_and_nothing_saved(client, resident, blank):
    client.force_login(resident)

    response = client.post(reverse("profile"), {"display_name": blank})

    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert "Enter a display name" in html
    resident.refresh_from_db()
    assert resident.display_name == "Rosa Resident"


def test_a_new_display_name_is_saved(client, resident):
    client.force_login(resident)

    response = client.post(reverse("profile"), {"display_name": "  Rosa R  "}, follow=True)

    assert response.redirect_chain == [(reverse("profile"), 302)]
    assert "Your profile has been updated." in response.content.decode()
    resident.refresh_from_db()
    assert resident.display_name == "Rosa R"


@pytest.mark.django_db
def test_an_unverified_account_made_by_hand_cannot_sign_in(client):
    person = UserFactory(verified_email=False)

    response = _log_in(client, person.email)

    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
