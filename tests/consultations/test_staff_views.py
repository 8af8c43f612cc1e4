"""Officers' pages: who may see them, the results page, and reading and theming written answers."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consultations import services
from consultations.models import Answer, Theme
from tests.consultations.test_results import _fill_in, _many_questions, respond
from tests.factories import consultation_page

LONG_TEXT = "What would make the high street better?"
SINGLE = "How often do you visit the high street?"
TRAVEL = "How do you get there?"


@pytest.fixture(autouse=True)
def _co_owned(co_owned):
    """Every consultation here is co-owned by the partner council."""


def key_of(consultation, wording: str) -> str:
    return next(q.key for q in consultation.survey.questions if q.label == wording)


def text_url(consultation, wording: str = LONG_TEXT) -> str:
    return reverse(
        "consultations:text_answers", args=[consultation.pk, key_of(consultation, wording)]
    )


# --- Who may see what ---------------------------------------------------------------------------

OFFICERS_ONLY = {"officer", "co_owner_officer", "superuser"}
THEMERS = OFFICERS_ONLY | {"moderator"}
EVERYONE = ["resident", "partner", "officer", "co_owner_officer", "other_org_officer", "moderator"]


def _request(client, consultation, view: str):
    if view == "text_answers":
        return client.get(text_url(consultation))
    url = reverse(f"consultations:{view}", args=[consultation.pk])
    if view == "publish_results":
        return client.post(url, {"action": "unpublish"})
    return client.get(url)


STAFF_VIEWS = [
    ("results", OFFICERS_ONLY),
    ("export_csv", OFFICERS_ONLY),
    ("export_json", OFFICERS_ONLY),
    ("outcome", OFFICERS_ONLY),
    ("publish_results", OFFICERS_ONLY),
    ("text_answers", THEMERS),
]


@pytest.mark.parametrize(("view", "allowed"), STAFF_VIEWS)
@pytest.mark.parametrize("role", [*EVERYONE, "superuser"])
def test_permission_matrix(client, request, consultation, co_owner_officer, view, allowed, role):
    client.force_login(request.getfixturevalue(role))
    response = _request(client, consultation, view)
    if role in allowed:
        assert response.status_code in {200, 302}
        if response.status_code == 302:
            assert "/accounts/login/" not in response["Location"]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(("view", "allowed"), STAFF_VIEWS)
def test_anonymous_visitors_are_sent_to_sign_in(client, consultation, view, allowed):
    response = _request(client, consultation, view)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


@pytest.mark.parametrize("view", ["results", "export_csv", "export_json", "outcome"])
def test_an_id_that_is_not_a_consultation_is_not_found(client, superuser, consultation, view):
    client.force_login(superuser)
    for pk in (consultation.pk + 1000, consultation.get_parent().pk):
        assert client.get(reverse(f"consultations:{view}", args=[pk])).status_code == 404


def test_the_results_of_another_organisations_consultation_are_forbidden(
    client, other_org_officer, other_council, consultation
):
    theirs = consultation_page(other_council, title="Their consultation")
    client.force_login(other_org_officer)
    assert client.get(reverse("consultations:results", args=[theirs.pk])).status_code == 200
    assert client.get(reverse("consultations:results", args=[consultation.pk])).status_code == 403


def test_pages_for_officers_are_never_cached(client, officer, consultation):
    client.force_login(officer)
    response = client.get(reverse("consultations:results", args=[consultation.pk]))
    assert "no-store" in response["Cache-Control"]


# --- The results page ---------------------------------------------------------------------------


def test_results_page_shows_totals_charts_tables_and_reach(client, officer, consultation, wards):
    respond(
        consultation, {SINGLE: "Rarely", LONG_TEXT: "<b>Bins</b> & benches"}, ward_id=wards[0].pk
    )
    respond(consultation, {SINGLE: "Every day"})
    client.force_login(officer)
    response = client.get(reverse("consultations:results", args=[consultation.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'id="response-total">\s*2\s*<', html)
    assert html.count('role="img"') >= 6
    assert "<title id=" in html
    assert 'class="govuk-table"' in html
    assert "Ward 3" in html and "Responses per 1,000 residents, by ward" in html
    # Written answers are escaped, and there is a way to read and theme them all.
    assert "&lt;b&gt;Bins&lt;/b&gt; &amp; benches" in html
    assert "<b>Bins</b>" not in html
    assert text_url(consultation) in html
    # Downloads and publishing are offered to an officer.
    assert reverse("consultations:export_csv", args=[consultation.pk]) in html
    assert reverse("consultations:outcome", args=[consultation.pk]) in html
    # The Content-Security-Policy blocks inline styles: the charts use none.
    assert "style=" not in html


def test_results_page_shows_equality_only_in_aggregate(client, officer, consultation):
    consultation.ask_about_you = True
    consultation.save()
    for sex in ["female"] * 6 + ["male"] * 2:
        respond(consultation, {LONG_TEXT: f"A view from {sex}"}, equality={"sex": sex})
    client.force_login(officer)
    html = client.get(reverse("consultations:results", args=[consultation.pk])).content.decode()
    assert "About the respondents (equality monitoring)" in html
    assert "any count under 5 is not shown" in html
    assert "Not shown (small number)" in html


def test_results_page_shows_the_frozen_checksum(client, officer, consultation):
    respond(consultation)
    with time_machine.travel(consultation.closes_at, tick=False):
        record = services.freeze_responses(consultation)
        client.force_login(officer)
        html = client.get(reverse("consultations:results", args=[consultation.pk])).content.decode()
    assert record.checksum in html
    assert "1 response frozen at" in html


def test_a_moderator_is_not_offered_results_but_may_theme(client, moderator, officer, consultation):
    client.force_login(moderator)
    response = client.get(text_url(consultation))
    assert response.status_code == 200
    assert b"Back to the results" not in response.content
    client.force_login(officer)
    assert b"Back to the results" in client.get(text_url(consultation)).content


def _results_queries(client, page) -> int:
    url = reverse("consultations:results", args=[page.pk])
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_results_page_queries_do_not_grow_with_responses(client, officer, consultation, wards):
    where = "Where is the spot that most needs work?"
    respond(consultation, {LONG_TEXT: "First", where: {"ward": wards[0].pk}}, ward_id=wards[0].pk)
    client.force_login(officer)
    _results_queries(client, consultation)  # warm the per-process caches (site root, content types)
    one = _results_queries(client, consultation)
    for n in range(199):
        respond(
            consultation,
            {LONG_TEXT: f"Idea {n}", where: {"ward": wards[n % 3].pk, "description": "x"}},
            ward_id=wards[n % 3].pk,
        )
    assert _results_queries(client, consultation) == one


def test_results_page_queries_do_not_grow_with_questions(
    client, officer, council, site_structure, wards
):
    small = consultation_page(council, title="Nine questions", questions=_many_questions(9))
    large = consultation_page(council, title="Thirty questions", questions=_many_questions(30))
    for page in (small, large):
        _fill_in(page, wards)
    client.force_login(officer)
    _results_queries(client, small)  # warm the per-process caches (site root, content types)
    assert _results_queries(client, large) == _results_queries(client, small)


# --- Reading and theming written answers --------------------------------------------------------


def _answer(consultation, wording: str = LONG_TEXT, text: str | None = None) -> Answer:
    return Answer.objects.filter(
        consultation=consultation, question=key_of(consultation, wording)
    ).get(**({"text": text} if text else {}))


def test_written_answers_are_listed_escaped_newest_first(client, moderator, consultation):
    respond(consultation, {LONG_TEXT: "<script>alert(1)</script>"})
    respond(consultation, {LONG_TEXT: "More trees"})
    respond(consultation)  # no written answer
    client.force_login(moderator)
    html = client.get(text_url(consultation)).content.decode()
    assert "2 answers" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert html.index("More trees") < html.index("&lt;script&gt;")


def test_written_answers_are_paged_keeping_the_search(client, officer, consultation):
    for n in range(30):
        respond(consultation, {LONG_TEXT: f"Bench number {n}"})
    client.force_login(officer)
    first = client.get(text_url(consultation), {"q": "bench"}).content.decode()
    assert "30 answers" in first and "Bench number 29" in first and "Bench number 4<" not in first
    assert "?q=bench&amp;page=2" in first
    second = client.get(text_url(consultation), {"q": "bench", "page": 2}).content.decode()
    assert "Bench number 4<" in second and "Bench number 29" not in second
    assert client.get(text_url(consultation), {"page": "999"}).status_code == 200


def test_many_pages_of_answers_link_to_the_nearby_pages_only(
    client, officer, consultation, monkeypatch
):
    """Thousands of answers must not make thousands of page links: the first and last pages, two
    either side of the current one, and an ellipsis for each gap."""
    from consultations import staff

    monkeypatch.setattr(staff, "ANSWERS_PER_PAGE", 1)
    for n in range(12):
        respond(consultation, {LONG_TEXT: f"Bench number {n}"})
    client.force_login(officer)
    html = client.get(text_url(consultation), {"q": "bench", "page": 6}).content.decode()
    assert 'aria-label="Pages of results"' in html
    linked = [int(n) for n in re.findall(r"page=(\d+)\" aria-label=", html)]
    assert linked == [1, 4, 5, 6, 7, 8, 12]
    assert html.count("govuk-pagination__item--ellipses") == 2
    assert 'aria-current="page">6<' in html


def test_written_answers_can_be_searched(client, officer, consultation):
    for text in ("Parking is hard", "More trees", "parking at night"):
        respond(consultation, {LONG_TEXT: text})
    client.force_login(officer)
    html = client.get(text_url(consultation), {"q": "PARKING"}).content.decode()
    assert "Parking is hard" in html and "parking at night" in html
    assert "More trees" not in html


def test_other_answers_to_a_multiple_choice_question_can_be_read(client, officer, consultation):
    respond(consultation, {TRAVEL: {"options": ["Walk"], "other": "Scooter"}})
    client.force_login(officer)
    html = client.get(text_url(consultation, TRAVEL)).content.decode()
    assert "Scooter" in html and "1 answer" in html


def test_questions_without_written_answers_are_not_found(client, officer, consultation):
    client.force_login(officer)
    url = reverse(
        "consultations:text_answers", args=[consultation.pk, key_of(consultation, SINGLE)]
    )
    assert client.get(url).status_code == 404
    url = reverse("consultations:text_answers", args=[consultation.pk, "no-such-question"])
    assert client.get(url).status_code == 404


def test_an_officer_creates_a_theme(client, officer, consultation):
    client.force_login(officer)
    response = client.post(
        text_url(consultation), {"action": "create-theme", "theme-name": "  Parking  "}
    )
    assert response.status_code == 302
    assert list(consultation.themes.values_list("name", flat=True)) == ["Parking"]


@pytest.mark.parametrize(
    ("name", "error"),
    [("", "Enter a name for the theme."), ("parking", "There is already a theme called")],
)
def test_a_bad_theme_name_is_explained_in_the_error_summary(
    client, officer, consultation, name, error
):
    Theme.objects.create(consultation=consultation, name="Parking")
    client.force_login(officer)
    response = client.post(text_url(consultation), {"action": "create-theme", "theme-name": name})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="govuk-error-summary"' in html
    assert error in html
    assert '<a href="#id_theme-name">' in html
    assert consultation.themes.count() == 1


def test_a_moderator_tags_an_answer_and_takes_the_tag_off(client, moderator, consultation):
    respond(consultation, {LONG_TEXT: "Too many cars"})
    answer = _answer(consultation)
    theme = Theme.objects.create(consultation=consultation, name="Traffic")
    client.force_login(moderator)
    url = text_url(consultation) + "?q=cars"
    response = client.post(url, {"action": "add-theme", "answer": answer.pk, "theme": theme.pk})
    assert response.status_code == 302
    assert response["Location"] == f"{url}#answer-{answer.pk}"
    assert list(answer.themes.all()) == [theme]
    tagged = client.get(text_url(consultation), {"theme": theme.pk}).content.decode()
    assert "Too many cars" in tagged
    untagged = client.get(text_url(consultation), {"theme": "none"}).content.decode()
    assert "Too many cars" not in untagged
    client.post(url, {"action": "remove-theme", "answer": answer.pk, "theme": theme.pk})
    assert answer.themes.count() == 0


def test_tagging_without_choosing_a_theme_is_an_error_on_that_answer(client, officer, consultation):
    respond(consultation, {LONG_TEXT: "Too many cars"})
    answer = _answer(consultation)
    Theme.objects.create(consultation=consultation, name="Traffic")
    client.force_login(officer)
    response = client.post(
        text_url(consultation), {"action": "add-theme", "answer": answer.pk, "theme": ""}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a href="#theme-for-{answer.pk}">Choose a theme to add to this answer.</a>' in html
    assert f'id="theme-for-{answer.pk}-error"' in html
    assert html.startswith("<!DOCTYPE html>") and "<title>Error:" in html


def test_bad_ids_when_tagging_are_not_found(client, officer, consultation, council):
    respond(consultation, {LONG_TEXT: "Too many cars", TRAVEL: {"options": [], "other": "Bike"}})
    answer = _answer(consultation)
    theme = Theme.objects.create(consultation=consultation, name="Traffic")
    other = consultation_page(council, title="Another consultation")
    respond(other, {LONG_TEXT: "Elsewhere"})
    foreign_answer = _answer(other)
    foreign_theme = Theme.objects.create(consultation=other, name="Traffic")
    other_question_answer = _answer(consultation, TRAVEL)
    client.force_login(officer)
    url = text_url(consultation)
    for answer_id, theme_id in [
        (foreign_answer.pk, theme.pk),
        (other_question_answer.pk, theme.pk),
        (answer.pk, foreign_theme.pk),
        ("abc", theme.pk),
        (answer.pk, "abc"),
        ("", theme.pk),
        (answer.pk + 1000, theme.pk),
    ]:
        response = client.post(url, {"action": "add-theme", "answer": answer_id, "theme": theme_id})
        assert response.status_code == 404, (answer_id, theme_id)
    assert answer.themes.count() == foreign_answer.themes.count() == 0
    assert client.post(url, {"action": "delete-everything"}).status_code == 400
    assert client.get(url, {"theme": foreign_theme.pk}).status_code == 404
    assert client.get(url, {"theme": "abc"}).status_code == 404


def test_theming_needs_the_csrf_token(consultation, officer):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(officer)
    response = csrf_client.post(
        text_url(consultation), {"action": "create-theme", "theme-name": "X"}
    )
    assert response.status_code == 403
    assert not consultation.themes.exists()


def test_answers_list_queries_do_not_grow_with_answers(
    client, officer, consultation, django_assert_max_num_queries
):
    themes = [Theme.objects.create(consultation=consultation, name=f"Theme {n}") for n in range(3)]
    respond(consultation, {LONG_TEXT: "First"})
    client.force_login(officer)
    with CaptureQueriesContext(connection) as one:
        client.get(text_url(consultation))
    for n in range(199):
        response = respond(consultation, {LONG_TEXT: f"Idea {n}"})
        answer = Answer.objects.get(response=response, question=key_of(consultation, LONG_TEXT))
        answer.themes.add(*themes[: n % 4])
    with django_assert_max_num_queries(len(one)):
        html = client.get(text_url(consultation)).content.decode()
    assert "200 answers" in html
