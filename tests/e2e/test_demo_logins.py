"""Every demo account seed_demo publishes can sign in through the form, without an MFA prompt.

Demo staff accounts are ``mfa_exempt`` so a newcomer can look around; officers (and the site
administrator) then reach the Wagtail admin. The admin runs under the same strict Content Security
Policy as the site, so its console errors are collected and printed for the record.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, expect

from engagement.management.commands.seed_demo import DEMO_ACCOUNTS
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("email", "name", "organisation", "role", "superuser"),
    DEMO_ACCOUNTS,
    ids=[account[0].split("@")[0] for account in DEMO_ACCOUNTS],
)
def test_demo_account_signs_in(page, email, name, organisation, role, superuser):
    log_in(page, email)
    # Straight to the profile: no "set up two-factor authentication" detour for demo accounts.
    assert "/2fa/" not in page.url and "/mfa/" not in page.url, page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    expect(page.get_by_label("Display name")).to_have_value(name)
    if organisation:
        expect(page.get_by_text(f"at {organisation}")).to_be_visible()

    can_manage = superuser or role == "officer"
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name="Manage content")).to_have_count(int(can_manage))
    if not can_manage:
        return

    csp_errors: list[str] = []

    def record_csp_error(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            csp_errors.append(message.text)

    page.on("console", record_csp_error)
    response = page.goto("/admin/")
    assert response is not None and response.status == 200
    expect(page).to_have_title(re.compile("Dashboard"))
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    if csp_errors:
        # Recorded, not failed: whether the admin gets its own policy is the lead's decision.
        print(f"\n{len(csp_errors)} CSP console error(s) on /admin/ for {email}:")
        for text in sorted(set(csp_errors)):
            print(f"  {text[:300]}")
