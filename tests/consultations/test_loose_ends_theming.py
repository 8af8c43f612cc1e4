"""The way to the pages for reading and theming written answers, for whoever may theme them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.consultations.test_results import respond

LONG_TEXT = "What would make the high street better?"
TRAVEL = "How do you get there?"
PLACE = "Where is the spot that most needs work?"
VISIT_MORE = "What would make you visit more?"
# The questions of ``every_question_type()`` whose answers can carry words.
WRITTEN = [
    "What is your favourite local place?",
    LONG_TEXT,
    TRAVEL,
    PLACE,
    VISIT_MORE,
]


def text_url(consultation, wording: str) -> str:
    key = next(q.key for q in consultation.survey.questions if q.label == wording)
    return reverse("consultations:text_answers", args=[consultation.pk, key])


@pytest.fixture(autouse=True)
def _co_owned(co_owned):
    """Every consultation here is co-owned by the partner council."""


def test_results_page_links_each_question_with_written_answers_to_its_theming_page(
    client, officer, consultation
):
    respond(
        consultation,
        {LONG_TEXT: "More benches", TRAVEL: {"options": ["Walk"], "other": "Scooter"}},
    )
    client.force_login(officer)
    html = client.get(reverse("consultations:results", args=[consultation.pk])).content.decode()
    assert text_url(consultation, LONG_TEXT) in html
    assert text_url(consultation, TRAVEL) in html
    # Nobody described a place or was asked what would make them visit more.
    assert text_url(consultation, PLACE) not in html
    assert text_url(consultation, VISIT_MORE) not in html


@pytest.mark.parametrize("role", ["moderator", "co_owner_moderator", "officer", "superuser"])
def test_whoever_may_theme_finds_the_theming_pages_on_the_consultation_page(
    client, request, consultation, role
):
    client.force_login(request.getfixturevalue(role))
    html = client.get(consultation.url).content.decode()
    assert "Read and theme written answers" in html
    for wording in WRITTEN:
        assert text_url(consultation, wording) in html


@pytest.mark.parametrize("role", [None, "resident", "partner", "other_org_officer"])
def test_nobody_else_is_shown_the_theming_pages(client, request, consultation, role):
    if role:
        client.force_login(request.getfixturevalue(role))
    html = client.get(consultation.url).content.decode()
    assert "Read and theme written answers" not in html
    assert "/results/text/" not in html


def test_the_theming_page_leads_back_to_where_its_reader_came_from(
    client, moderator, officer, consultation
):
    url = text_url(consultation, LONG_TEXT)
    results = reverse("consultations:results", args=[consultation.pk])

    client.force_login(moderator)
    html = client.get(url).content.decode()
    assert f'href="{consultation.url}" class="govuk-back-link"' in html
    assert f'href="{results}' not in html

    client.force_login(officer)
    html = client.get(url).content.decode()
    assert f'href="{results}#result-' in html
