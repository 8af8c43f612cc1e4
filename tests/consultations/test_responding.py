"""Responding: open and close enforced by the server, save and resume, one response per resident,
idempotent submission, errors that save nothing, and the emailed copy."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError
from django.utils import timezone

from consultations.models import Answer, EqualityAnswers, Response
from tests.factories import consultation_page, question, section


def two_page_questions():
    return [
        section(
            "Getting about",
            question("single_choice", "Do you drive?", options=["Yes", "No"], reference="D"),
            question("short_text", "What stops you walking more?"),
        ),
        section(
            "Your priorities",
            question(
                "number", "How many miles a week?", show_if_reference="D", show_if_answer="Yes"
            ),
            question("likert", "Buses are reliable."),
        ),
    ]


@pytest.fixture
def two_page(site_structure, council, wards):
    return consultation_page(council, title="Getting about", questions=two_page_questions())


def names(page):
    return {q.label: q.field_name for q in page.survey.questions}


def respond_url(page, step=1):
    return f"{page.url}respond/{step}/" if step > 1 else f"{page.url}respond/"


def test_a_response_one_second_after_closing_is_refused_with_a_clear_page(client, two_page):
    q = names(two_page)
    with time_machine.travel(two_page.closes_at + timedelta(seconds=1)):
        response = client.post(
            respond_url(two_page), {q["Do you drive?"]: "No", "action": "continue"}
        )
    assert response.status_code == 403
    assert "This consultation has closed" in response.content.decode()
    assert not Response.objects.exists()


def test_the_last_second_before_closing_is_still_open(client, two_page):
    q = names(two_page)
    with time_machine.travel(two_page.closes_at - timedelta(seconds=1), tick=False):
        response = client.post(
            respond_url(two_page),
            {q["Do you drive?"]: "No", q["What stops you walking more?"]: "Hills"},
        )
    assert response.status_code == 302


def test_a_forthcoming_consultation_says_when_it_opens(client, site_structure, council):
    page = consultation_page(council, opens_at=timezone.now() + timedelta(days=3))
    response = client.get(respond_url(page))
    assert response.status_code == 200
    assert "not open yet" in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in_where_accounts_are_required(
    client, site_structure, council
):
    page = consultation_page(council, allow_anonymous=False)
    response = client.get(respond_url(page))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_invalid_input_shows_the_error_summary_and_saves_nothing(client, resident, two_page):
    client.force_login(resident)
    response = client.post(respond_url(two_page), {"action": "save"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html and "<title>Error:" in html
    assert "Select an answer to “Do you drive?”" in html
    assert not Response.objects.exists()


def test_a_signed_in_resident_saves_comes_back_and_finishes(
    client, resident, two_page, mailoutbox, django_capture_on_commit_callbacks
):
    q = names(two_page)
    client.force_login(resident)
    saved = client.post(
        respond_url(two_page),
        {q["Do you drive?"]: "Yes", q["What stops you walking more?"]: "Hills", "action": "save"},
    )
    assert saved.status_code == 302 and saved["Location"] == two_page.url
    draft = Response.objects.get()
    assert draft.status == Response.Status.DRAFT and draft.answers == {}
    assert not Answer.objects.exists()

    client.logout()
    client.force_login(resident)
    page = client.get(two_page.url).content.decode()
    assert "Continue your response" in page
    resumed = client.get(respond_url(two_page)).content.decode()
    assert 'value="Hills"' in resumed

    client.post(
        respond_url(two_page),
        {q["Do you drive?"]: "Yes", q["What stops you walking more?"]: "Hills"},
    )
    second = client.get(respond_url(two_page, 2)).content.decode()
    assert "How many miles a week?" in second
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            respond_url(two_page, 2),
            {
                q["How many miles a week?"]: "40",
                q["Buses are reliable."]: "Disagree",
                "action": "submit",
            },
        )
    assert done.status_code == 302 and "/confirmation/" in done["Location"]
    sent = Response.objects.get()
    assert sent.status == Response.Status.SUBMITTED and sent.submitted_at
    assert len(sent.answers) == 4 and sent.draft_answers == {}
    assert Answer.objects.filter(response=sent).count() == 4
    assert len(mailoutbox) == 1
    assert "Hills" in mailoutbox[0].body and "Disagree" in mailoutbox[0].body
    assert mailoutbox[0].to == [resident.email]


def test_a_resident_changes_their_response_until_close_and_it_stays_one_response(
    client, resident, two_page
):
    q = names(two_page)
    client.force_login(resident)
    client.post(
        respond_url(two_page),
        {q["Do you drive?"]: "Yes", q["What stops you walking more?"]: "Hills"},
    )
    client.post(
        respond_url(two_page, 2),
        {q["How many miles a week?"]: "40", q["Buses are reliable."]: "Agree", "action": "submit"},
    )
    # Changing "Do you drive?" to No hides the mileage question; its answer must go.
    client.post(
        respond_url(two_page),
        {q["Do you drive?"]: "No", q["What stops you walking more?"]: "Hills"},
    )
    unsent = Response.objects.get()
    assert (
        unsent.answers[two_page.survey.questions[0].key] == "Yes"
    )  # sent answers unchanged so far
    client.post(respond_url(two_page, 2), {q["Buses are reliable."]: "Agree", "action": "submit"})
    changed = Response.objects.get()
    labels = {two_page.survey.question(k).label: v for k, v in changed.answers.items()}
    assert labels == {
        "Do you drive?": "No",
        "What stops you walking more?": "Hills",
        "Buses are reliable.": "Agree",
    }
    assert set(Answer.objects.values_list("question", flat=True)) == set(changed.answers)
    with time_machine.travel(two_page.closes_at + timedelta(minutes=1)):
        late = client.post(
            respond_url(two_page, 2), {q["Buses are reliable."]: "Disagree", "action": "submit"}
        )
    assert late.status_code == 403
    assert Response.objects.get().answers == changed.answers


def test_the_database_allows_one_response_per_resident(resident, two_page):
    Response.objects.create(consultation=two_page, user=resident)
    with pytest.raises(IntegrityError):
        Response.objects.create(consultation=two_page, user=resident)


def single_page(site_structure, council, **fields):
    return consultation_page(
        council,
        title="Library hours",
        questions=[
            section(
                "Library hours",
                question("single_choice", "Open on Sundays?", options=["Yes", "No"]),
            )
        ],
        **fields,
    )


def test_a_double_submission_creates_one_response(client, site_structure, council, wards):
    page = single_page(site_structure, council)
    form = client.get(respond_url(page)).content.decode()
    key = form.split('name="idempotency_key" value="')[1].split('"')[0]
    data = {page.survey.questions[0].field_name: "Yes", "idempotency_key": key, "action": "submit"}
    first = client.post(respond_url(page), data)
    second = client.post(respond_url(page), data)
    assert first.status_code == second.status_code == 302
    assert "/confirmation/" in second["Location"]
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 1


def test_anonymous_multi_page_progress_lives_in_the_session_until_sent(client, two_page, wards):
    q = names(two_page)
    client.post(
        respond_url(two_page), {q["Do you drive?"]: "No", q["What stops you walking more?"]: "Rain"}
    )
    assert not Response.objects.exists()
    done = client.post(
        respond_url(two_page, 2),
        {q["Buses are reliable."]: "Agree", "ward": str(wards[2].pk), "action": "submit"},
    )
    assert done.status_code == 302
    sent = Response.objects.get()
    assert sent.user is None and sent.ward == wards[2] and len(sent.answers) == 3
    confirmation = client.get(done["Location"]).content.decode()
    assert str(sent.idempotency_key)[:8].upper() in confirmation


def test_sending_with_an_earlier_page_unanswered_lists_what_is_missing_and_sends_nothing(
    client, two_page
):
    q = names(two_page)
    response = client.post(
        respond_url(two_page, 2), {q["Buses are reliable."]: "Agree", "action": "submit"}
    )
    html = response.content.decode()
    assert "Some questions still need an answer" in html
    assert "Do you drive?" in html and f"#id_{q['Do you drive?']}" in html
    assert not Response.objects.filter(status=Response.Status.SUBMITTED).exists()


def test_equality_answers_are_stored_apart_from_the_response(
    client, site_structure, council, wards
):
    page = single_page(site_structure, council, ask_about_you=True)
    html = client.get(respond_url(page)).content.decode()
    assert "Prefer not to say" in html
    client.post(
        respond_url(page),
        {
            page.survey.questions[0].field_name: "No",
            "about-age_band": "35-44",
            "about-disability": "prefer-not",
            "action": "submit",
        },
    )
    sent = Response.objects.get()
    assert "35-44" not in str(sent.answers)
    equality = EqualityAnswers.objects.get(response=sent)
    assert (equality.age_band, equality.disability, equality.ethnicity) == (
        "35-44",
        "prefer-not",
        "",
    )


def test_an_equality_answer_outside_the_list_is_refused(client, site_structure, council):
    page = single_page(site_structure, council, ask_about_you=True)
    response = client.post(
        respond_url(page),
        {
            page.survey.questions[0].field_name: "No",
            "about-age_band": "ancient",
            "action": "submit",
        },
    )
    assert response.status_code == 200 and "govuk-error-summary" in response.content.decode()
    assert not Response.objects.exists()


@pytest.mark.parametrize("count", [1, 30])
def test_page_and_form_queries_do_not_grow_with_questions(
    client, site_structure, council, wards, count, django_assert_max_num_queries
):
    questions = [
        question("single_choice", f"Question {n}?", options=["Yes", "No"]) for n in range(count)
    ]
    page = consultation_page(
        council, title=f"Survey {count}", questions=[section("All", *questions)]
    )
    client.get(page.url)
    client.get(respond_url(page))
    with django_assert_max_num_queries(12):
        assert client.get(page.url).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(respond_url(page)).status_code == 200


def test_a_burst_of_responses_from_one_address_gets_a_clear_429(
    client, site_structure, council, settings
):
    settings.RATE_LIMITS = {"respond": {"ip": (3, 600)}}
    page = single_page(site_structure, council)
    data = {page.survey.questions[0].field_name: "Yes", "action": "submit"}
    statuses = [client.post(respond_url(page), data).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert Response.objects.count() == 3
    assert client.get(respond_url(page)).status_code == 200  # reading is never limited
