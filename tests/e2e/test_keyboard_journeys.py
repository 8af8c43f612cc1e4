"""Journeys a person completes with the keyboard alone, and without JavaScript.

Keyboard tests press Tab, Shift+Tab and Enter and type into whatever has focus: no clicks and no
filling of elements picked out by selector. Following the link in an email is the only ``goto``
after the first page, as a person would paste it into the address bar.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, RESIDENT_EMAIL, axe, focused, read_emails

pytestmark = pytest.mark.e2e

MAX_TABS = 40


def tab_to(page: Page, *, id: str = "", text: str = "", backwards: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until the focused element has ``id`` or its text is ``text``."""
    key = "Shift+Tab" if backwards else "Tab"
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        element = focused(page)
        seen.append(element["id"] or element["text"] or element["tag"])
        if (id and element["id"] == id) or (text and element["text"] == text):
            return element
    pytest.fail(f"{key} never reached {id or text!r} on {page.url}; focus went {seen}")


def type_into(page: Page, field_id: str, value: str) -> None:
    tab_to(page, id=field_id)
    page.keyboard.type(value)


def activate(page: Page, text: str, *, backwards: bool = False) -> None:
    """Tab to the link or button with text ``text``; press Enter and wait for the next page."""
    tab_to(page, text=text, backwards=backwards)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["href"] == "#main-content" and skip["text"] == "Skip to main content", skip
    expect(page.get_by_role("link", name="Skip to main content")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main-content"
    # The next Tab continues from the start of the main content, not from the header.
    page.keyboard.press("Tab")
    assert page.evaluate(
        "() => document.getElementById('main-content').contains(document.activeElement)"
    )


def test_sign_up_verify_sign_out_and_sign_in_by_keyboard(page, server):
    email = f"keyboard-{uuid.uuid4().hex[:12]}@example.org"
    password = "a-long-keyboard-password-42"
    page.goto("/")

    # Create an account from the header.
    activate(page, "Create an account")
    assert page.url.endswith("/accounts/signup/")
    type_into(page, "id_email", email)
    type_into(page, "id_display_name", "Kim Keyboard")
    type_into(page, "id_password1", password)
    activate(page, "Create account")
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("verify", re.I))
    axe(page)  # the pages on the way are checked too

    # Follow the link in the verification email and confirm by keyboard.
    messages = [m for m in read_emails(server.mail_dir) if m["To"] == email]
    assert len(messages) == 1, f"expected one email to {email}, found {len(messages)}"
    body = messages[0].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", body)
    assert link, body
    page.goto(link.group(0))
    axe(page)
    activate(page, "Confirm")

    # Confirming signs the new resident in.
    header = page.get_by_role("banner")
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()
    expect(header.get_by_role("link", name="Your profile")).to_be_visible()
    expect(page.locator("#id_display_name")).to_have_value("Kim Keyboard")

    # Sign out from the header (a form button) and back in via "Sign in".
    activate(page, "Sign out")
    expect(header.get_by_role("link", name="Sign in")).to_be_visible()
    activate(page, "Sign in")
    type_into(page, "id_login", email)
    type_into(page, "id_password", password)
    activate(page, "Sign in")
    expect(header.get_by_role("link", name="Your profile")).to_be_visible()
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()


def test_password_can_be_shown_by_keyboard(page):
    """The GOV.UK password input's Show button is reachable and reveals what was typed."""
    page.goto("/accounts/login/")
    type_into(page, "id_password", "not-a-real-password")
    show = tab_to(page, text="Show")
    assert show["tag"] == "button"
    page.keyboard.press("Enter")
    expect(page.locator("#id_password")).to_have_attribute("type", "text")
    expect(page.get_by_role("button", name="Hide password")).to_be_focused()


def test_resident_can_sign_in_and_see_their_profile_without_javascript(new_page):
    page = new_page(javascript=False)
    page.goto("/accounts/login/")
    page.get_by_label("Email address", exact=True).fill(RESIDENT_EMAIL)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    # Without JavaScript the password input's Show button stays hidden.
    expect(page.get_by_role("button", name=re.compile("show", re.I))).to_have_count(0)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/accounts/profile/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    expect(page.get_by_text(RESIDENT_EMAIL)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
