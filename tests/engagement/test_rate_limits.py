"""A burst of sign-up or sign-in attempts gets HTTP 429 with a clear page, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from engagement.models import User
from tests.factories import PASSWORD


@pytest.mark.django_db
def test_a_burst_of_sign_ups_from_one_address_is_refused_with_a_clear_page(client):
    statuses = []
    for n in range(25):
        response = client.post(
            reverse("account_signup"),
            {
                "email": f"burst{n}@example.org",
                "password1": "a-long-test-password-1",
                "display_name": f"Burst {n}",
            },
        )
        statuses.append(response.status_code)
    assert 429 in statuses
    refused = statuses.index(429)
    assert all(status == 429 for status in statuses[refused:])
    assert response["Retry-After"] == "60"
    assert "Too many attempts" in response.content.decode()
    # Everything accepted before the limit was saved; nothing after it was.
    assert User.objects.filter(email__startswith="burst").count() == refused


@pytest.mark.django_db
def test_after_repeated_failed_sign_ins_even_the_right_password_is_refused_for_a_while(
    client, resident
):
    for _ in range(5):
        response = client.post(
            reverse("account_login"), {"login": resident.email, "password": "wrong-password"}
        )
        assert response.status_code == 200
    response = client.post(
        reverse("account_login"), {"login": resident.email, "password": PASSWORD}
    )
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
