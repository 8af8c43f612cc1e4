"""WCAG 2.2 AA in a real browser: axe-core finds nothing, at 1280 px and at 320 px wide.

At 320 px (WCAG 1.4.10 reflow) nothing may push the page sideways.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    NARROW,
    RESIDENT_EMAIL,
    WIDE,
    assert_no_horizontal_scroll,
    axe,
    focused,
    log_in,
)

pytestmark = pytest.mark.e2e

WIDTHS = [pytest.param(WIDE, id="1280px"), pytest.param(NARROW, id="320px")]

PUBLIC_PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accessibility/",
    "/privacy/",
    "/consultations/",
    "/places/",
    "/forums/",
    "/calendar/",
    "/accounts/password/reset/",
]

SIGNED_IN_PAGES = [
    "/accounts/profile/",
    "/accounts/email/",
    "/accounts/2fa/",
    "/places/pins/new/",
    "/places/mine/",
]


def check_page(page, path: str, width: int, expected_status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None and response.status == expected_status, (
        f"{path} answered {response and response.status}"
    )
    # axe on an unstyled page proves little: the stylesheet and the JavaScript module must both
    # have loaded under the Content Security Policy.
    assert page.evaluate("() => document.body.classList.contains('govuk-frontend-supported')")
    expect(page.locator(".cg-header")).to_have_css("background-color", "rgb(29, 77, 58)")
    axe(page)
    if width == NARROW:
        assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_is_accessible(new_page, path, width):
    check_page(new_page(width), path, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_not_found_page_is_accessible(new_page, production_server, width):
    """The friendly 404 page (only shown with DEBUG off; DEBUG shows Django's technical page)."""
    page = new_page(width, base_url=production_server.url)
    check_page(page, "/no-such-page/", width, expected_status=404)
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")


@pytest.fixture(scope="module")
def resident_session(browser, server) -> dict:
    """The demo resident's cookies, from one sign-in through the login form."""
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    log_in(page, RESIDENT_EMAIL)
    state = context.storage_state()
    context.close()
    return state


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_in_page_is_accessible(new_page, resident_session, path, width):
    page = new_page(width, storage_state=resident_session)
    check_page(page, path, width)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


EMPTY_FORMS = [
    pytest.param(
        "/accounts/signup/",
        "Create account",
        ["id_email", "id_display_name", "id_password1"],
        id="sign-up",
    ),
    pytest.param("/accounts/login/", "Sign in", ["id_login", "id_password"], id="sign-in"),
]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("path", "button", "fields"), EMPTY_FORMS)
def test_form_errors_are_accessible(new_page, path, button, fields, width):
    """An empty form comes back with a focused GOV.UK error summary linking to each field."""
    page = new_page(width)
    page.goto(path)
    page.get_by_role("button", name=button).click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    links = summary.get_by_role("link")
    assert [link.get_attribute("href") for link in links.all()] == [f"#{field}" for field in fields]
    # Each entry says what to fix for its field: never Django's bare "This field is required."
    for link in links.all():
        assert link.inner_text().strip() not in {"", "This field is required."}, link.inner_text()
    assert page.title().startswith("Error:"), page.title()
    axe(page)
    if width == NARROW:
        assert_no_horizontal_scroll(page)
    # Following an error link puts the cursor in its field.
    links.first.press("Enter")
    assert focused(page)["id"] == fields[0]
