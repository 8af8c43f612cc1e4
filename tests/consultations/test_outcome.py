"""Closing the loop: "We asked, you said, we did", and publishing the results."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from wagtail.models import PageLogEntry

from consultations.models import Outcome
from tests.consultations.test_results import respond
from tests.factories import UserFactory

OUTCOME = {
    "we_asked": "How to make the high street better.",
    "you_said": "More trees, fewer cars.",
    "we_did": "We will plant 40 trees by spring.",
    "done_by": "31/3/2027",
}
OUTCOME_TEXT = {k: v for k, v in OUTCOME.items() if k != "done_by"}
LONG = "What would make the high street better?"


@pytest.fixture
def after_close(consultation):
    with time_machine.travel(consultation.closes_at + timedelta(days=1), tick=False):
        yield


def outcome_url(consultation) -> str:
    return reverse("consultations:outcome", args=[consultation.pk])


def publish_url(consultation) -> str:
    return reverse("consultations:publish_results", args=[consultation.pk])


def results_url(consultation) -> str:
    return consultation.url + "results/"


# --- We asked, you said, we did -----------------------------------------------------------------


def test_an_officer_saves_a_draft_while_the_consultation_is_open(client, officer, consultation):
    client.force_login(officer)
    assert client.get(outcome_url(consultation)).status_code == 200
    response = client.post(outcome_url(consultation), {**OUTCOME, "we_did": "", "action": "save"})
    assert response.status_code == 302
    outcome = Outcome.objects.get(consultation=consultation)
    assert outcome.you_said == "More trees, fewer cars."
    assert outcome.done_by.isoformat() == "2027-03-31"
    assert not outcome.is_published
    assert b"We will plant" not in client.get(consultation.url).content


def test_the_outcome_cannot_be_published_before_the_consultation_closes(
    client, officer, consultation
):
    client.force_login(officer)
    response = client.post(outcome_url(consultation), {**OUTCOME, "action": "publish"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="govuk-error-summary"' in html
    assert "You can publish the outcome once the consultation has closed" in html
    assert not Outcome.objects.filter(
        consultation=consultation, published_at__isnull=False
    ).exists()


def test_publishing_needs_all_three_parts(client, officer, consultation, after_close):
    client.force_login(officer)
    response = client.post(
        outcome_url(consultation), {"we_asked": "Something", "done_by": "soon", "action": "publish"}
    )
    html = response.content.decode()
    for message in (
        "Enter what people said.",
        "Enter what you did or will do.",
        "Enter the date as day/month/year",
    ):
        assert message in html
    assert '<a href="#id_you_said">' in html
    assert not Outcome.objects.exists()


def test_publishing_the_outcome_emails_respondents_who_asked_once(
    client,
    officer,
    consultation,
    resident,
    other_resident,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    asked = UserFactory(email="asked@example.org")
    respond(consultation, user=asked, notify_outcome=True)
    respond(consultation, user=resident, notify_outcome=False)
    respond(consultation)  # anonymous: no address to write to
    with time_machine.travel(consultation.closes_at + timedelta(days=1), tick=False):
        client.force_login(officer)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(outcome_url(consultation), {**OUTCOME, "action": "publish"})
        assert response.status_code == 302
        outcome = Outcome.objects.get(consultation=consultation)
        assert outcome.is_published and outcome.published_by == officer
        assert [m.to for m in mailoutbox] == [["asked@example.org"]]
        assert PageLogEntry.objects.filter(
            page=consultation, action="consultations.outcome_published"
        ).exists()
        page = client.get(consultation.url).content.decode()
        assert "We will plant 40 trees by spring." in page
        # Changing it later publishes the change without emailing everyone again.
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                outcome_url(consultation), {**OUTCOME, "we_did": "Planted.", "action": "save"}
            )
        assert Outcome.objects.get(consultation=consultation).we_did == "Planted."
        assert len(mailoutbox) == 1


def test_an_unknown_action_is_a_bad_request(client, officer, consultation):
    client.force_login(officer)
    assert client.post(outcome_url(consultation), {**OUTCOME, "action": "x"}).status_code == 400


def test_a_moderator_cannot_write_the_outcome(client, moderator, consultation, after_close):
    client.force_login(moderator)
    response = client.post(outcome_url(consultation), {**OUTCOME, "action": "publish"})
    assert response.status_code == 403
    assert not Outcome.objects.exists()


def test_outcome_form_needs_the_csrf_token(officer, consultation, after_close):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(officer)
    response = csrf_client.post(outcome_url(consultation), {**OUTCOME, "action": "publish"})
    assert response.status_code == 403
    assert not Outcome.objects.exists()


# --- Public results -----------------------------------------------------------------------------


def test_public_results_are_not_found_until_published(client, officer, consultation):
    respond(consultation)
    with time_machine.travel(consultation.closes_at + timedelta(days=1), tick=False):
        assert client.get(results_url(consultation)).status_code == 404
        client.force_login(officer)
        response = client.post(publish_url(consultation), {"action": "publish"})
        assert response.status_code == 302
        assert Outcome.objects.get(consultation=consultation).results_published_at is not None
        client.logout()
        assert client.get(results_url(consultation)).status_code == 200
        client.force_login(officer)
        client.post(publish_url(consultation), {"action": "unpublish"})
        client.logout()
        assert client.get(results_url(consultation)).status_code == 404


def test_results_cannot_be_published_while_the_consultation_is_open(client, officer, consultation):
    client.force_login(officer)
    response = client.post(publish_url(consultation), {"action": "publish"}, follow=True)
    assert (
        "You can publish the results once the consultation has closed." in response.content.decode()
    )
    assert not Outcome.objects.filter(results_published_at__isnull=False).exists()


def test_publishing_results_is_post_only(client, officer, consultation, after_close):
    client.force_login(officer)
    assert client.get(publish_url(consultation)).status_code == 405
    assert client.post(publish_url(consultation), {"action": "x"}).status_code == 400
    assert not Outcome.objects.exists()


def test_public_results_show_charts_and_tables_but_never_words_or_equality(
    client, officer, consultation, after_close
):
    consultation.ask_about_you = True
    consultation.save()
    with time_machine.travel(consultation.opens_at + timedelta(days=1), tick=False):
        for n in range(6):
            respond(consultation, {LONG: f"Secret idea {n}"}, equality={"sex": "female"})
    outcome = Outcome.objects.create(
        consultation=consultation, results_published_at=consultation.closes_at, **OUTCOME_TEXT
    )
    html = client.get(results_url(consultation)).content.decode()
    assert "6 responses were sent" in html
    assert 'role="img"' in html and 'class="govuk-table"' in html
    assert "Secret idea" not in html
    assert "6 people wrote an answer" in html
    assert "equality" not in html.lower() and "Female" not in html
    assert "/manage/" not in html
    assert "style=" not in html
    # The outcome appears with the results once it is published, not while it is a draft.
    assert "We will plant" not in html
    outcome.published_at = consultation.closes_at
    outcome.save()
    assert "We will plant" in client.get(results_url(consultation)).content.decode()
