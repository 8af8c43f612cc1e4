"""A survey page's blank questions come from the cache, and never stand in for answers, errors or
changed questions."""

from __future__ import annotations

import re

import pytest

from consultations import views
from consultations.models import ConsultationPage
from tests.consultations.test_responding import names, respond_url, two_page_questions
from tests.factories import consultation_page, question, section


@pytest.fixture
def page(site_structure, council, wards):
    return consultation_page(council, title="Getting about", questions=two_page_questions())


def form_of(html: str) -> str:
    """The survey form without its CSRF token, which differs on every render."""
    form = html[html.index("<form") : html.index("</form>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", form)


def test_the_second_blank_render_is_the_cached_one_and_reads_the_same(client, page, monkeypatch):
    first = client.get(respond_url(page)).content.decode()

    def not_again(*args, **kwargs):
        raise AssertionError("the blank questions were rendered again")

    monkeypatch.setattr(views, "render_to_string", not_again)
    second = client.get(respond_url(page)).content.decode()
    assert form_of(first) == form_of(second)
    assert "Do you drive?" in second


def test_changed_questions_show_at_once(client, page):
    client.get(respond_url(page))
    page = ConsultationPage.objects.get(pk=page.pk)
    page.questions = [section("Getting about", question("short_text", "Do you cycle?"))]
    page.save_revision().publish()
    html = client.get(respond_url(page)).content.decode()
    assert "Do you cycle?" in html and "Do you drive?" not in html


def test_answers_already_given_are_shown_not_the_blank_form(client, page, resident):
    client.get(respond_url(page))  # the blank form is cached
    client.force_login(resident)
    q = names(page)
    client.post(
        respond_url(page),
        {q["Do you drive?"]: "Yes", q["What stops you walking more?"]: "Hills", "action": "save"},
    )
    html = client.get(respond_url(page)).content.decode()
    assert 'value="Yes" checked' in html
    assert "Hills" in html


def test_errors_are_shown_on_the_form_that_was_sent(client, page):
    client.get(respond_url(page))
    q = names(page)
    html = client.post(
        respond_url(page), {q["What stops you walking more?"]: "x" * 5000, "action": "continue"}
    ).content.decode()
    assert "govuk-error-summary" in html
    assert "govuk-form-group--error" in form_of(html)
