"""The public pages every installation has, and the friendly error pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse

from engagement import views
from tests.engagement._db import module_transaction

SECTIONS = ["/consultations/", "/places/", "/forums/", "/calendar/"]


@pytest.fixture(scope="module")
def site_structure(django_db_setup, django_db_blocker):
    """The shared fixture, built once for this module (and rolled back after it)."""
    from engagement.setup import ensure_site_structure

    with module_transaction(django_db_blocker):
        yield ensure_site_structure()


@pytest.fixture
def home_html(db, client, site_structure) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_home_page_links_to_every_section(home_html):
    for section in SECTIONS:
        assert f'href="{section}"' in home_html


def test_pages_declare_british_english(home_html):
    assert '<html lang="en-gb"' in home_html


def test_pages_start_with_a_skip_link_to_the_main_content(home_html):
    skip_link = home_html.index('href="#main-content"')
    assert skip_link < home_html.index("<header")
    assert re.search(r'<main [^>]*id="main-content"', home_html)


def test_the_footer_links_to_the_accessibility_statement_and_privacy_notice(client, home_html):
    footer = home_html[home_html.index("<footer") :]

    for path, heading in [("/accessibility/", "Accessibility statement"),
                          ("/privacy/", "Privacy notice")]:  # fmt: skip
        assert f'href="{path}"' in footer
        page = client.get(path)
        assert page.status_code == 200
        assert heading in page.content.decode()


def test_the_header_is_the_platforms_own_not_gov_uk(home_html):
    header = home_html[home_html.index("<header") : home_html.index("</header>")]

    assert "GOV.UK" not in home_html
    assert "govuk-header__logotype" not in header
    assert "govuk-logo" not in header
    assert "Common Ground" in header


@pytest.mark.parametrize("path", SECTIONS)
def test_every_section_has_a_page(db, client, site_structure, path):
    assert client.get(path).status_code == 200


def test_setting_up_the_site_twice_changes_nothing(db, site_structure):
    from wagtail.models import Page, Site

    from engagement.setup import ensure_site_structure

    pages_before = Page.objects.count()
    home = ensure_site_structure()

    assert home.pk == site_structure.pk
    assert Page.objects.count() == pages_before
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk


# --- Errors ---------------------------------------------------------------------------------------


def test_an_unknown_address_gets_the_friendly_404_page(db, client, site_structure):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'id="main-content"' in html, "the error page uses the site layout"


def test_a_form_without_its_csrf_token_gets_the_friendly_403_page(resident):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(resident)

    response = browser.post(reverse("profile"), {"display_name": "Forged"})

    assert response.status_code == 403
    assert "Your form has expired" in response.content.decode()
    resident.refresh_from_db()
    assert resident.display_name == "Rosa Resident"


@pytest.mark.django_db
def test_a_request_for_another_host_is_a_400_not_a_500(client):
    response = client.get("/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    assert "Sorry, there is a problem with your request" in response.content.decode()


@pytest.mark.django_db
def test_the_500_page_renders_in_the_site_layout():
    request = RequestFactory().get("/anything/")

    response = views.server_error(request)

    assert response.status_code == 500
    html = response.content.decode()
    assert "Sorry, there is a problem with the service" in html
    assert 'id="main-content"' in html


@pytest.mark.parametrize(
    ("status", "view"),
    [(400, views.bad_request), (403, views.permission_denied), (404, views.page_not_found),
     (500, views.server_error)],
)  # fmt: skip
def test_the_error_handlers_are_wired_to_the_root_urlconf(status, view):
    assert get_resolver().resolve_error_handler(status) is view
