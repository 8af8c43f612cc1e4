"""Closing the loop: the response set frozen at close with its checksum in the audit log, and an
outcome overdue twelve weeks after close flagged to the owners' officers once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from wagtail.log_actions import registry as log_registry
from wagtail.models import PageLogEntry

from consultations.models import ClosingRecord, Outcome, Response
from consultations.permissions import sync_consultation_officers
from consultations.services import response_set_checksum
from tests.factories import consultation_page

CLOSES = datetime(2027, 3, 1, 12, 0, tzinfo=ZoneInfo("Europe/London"))
TWELVE_WEEKS = timedelta(weeks=12)


def housekeeping(at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        call_command("consultation_housekeeping")


def frozen_entries(page):
    return PageLogEntry.objects.filter(page=page, action="consultations.responses_frozen")


@pytest.fixture
def closing(site_structure, council, partner_council):
    """A consultation closing at CLOSES with two sent responses and one never sent."""
    with time_machine.travel(CLOSES - timedelta(weeks=8), tick=False):
        page = consultation_page(council, title="Waste collection", questions=[], closes_at=CLOSES)
        page.co_owners.add(partner_council)
        page.save()
    for n, answer in enumerate(["Weekly", "Fortnightly"]):
        Response.objects.create(
            consultation=page,
            status=Response.Status.SUBMITTED,
            submitted_at=CLOSES - timedelta(days=n + 1),
            answers={"frequency": answer},
        )
    Response.objects.create(consultation=page, draft_answers={"frequency": "Monthly"})
    return page


# --- Freezing at close ---------------------------------------------------------------------------


def test_nothing_is_frozen_while_the_consultation_is_open(closing):
    housekeeping(CLOSES - timedelta(seconds=1))

    assert not ClosingRecord.objects.exists()
    assert not frozen_entries(closing).exists()


def test_at_close_the_response_set_is_frozen_with_its_checksum_in_the_audit_log(closing):
    housekeeping(CLOSES + timedelta(minutes=1))

    record = ClosingRecord.objects.get(consultation=closing)
    assert record.response_count == 2
    assert record.checksum == response_set_checksum(closing)[1]
    assert len(record.checksum) == 64
    assert not Response.objects.filter(status=Response.Status.DRAFT).exists()
    entry = frozen_entries(closing).get()
    assert entry.data == {
        "responses": 2,
        "sha256": record.checksum,
        "closed_at": CLOSES.isoformat(),
    }


def test_freezing_happens_once_and_the_checksum_is_stable(closing):
    housekeeping(CLOSES + timedelta(minutes=1))
    record = ClosingRecord.objects.get()

    housekeeping(CLOSES + timedelta(days=3))

    assert ClosingRecord.objects.get() == record
    assert ClosingRecord.objects.get().frozen_at == record.frozen_at
    assert frozen_entries(closing).count() == 1
    assert response_set_checksum(closing) == (2, record.checksum)


def test_the_checksum_shows_a_response_changed_after_close(closing):
    housekeeping(CLOSES + timedelta(minutes=1))
    record = ClosingRecord.objects.get()

    Response.objects.filter(answers__frequency="Weekly").update(answers={"frequency": "Daily"})

    assert response_set_checksum(closing)[1] != record.checksum


def test_the_page_history_shows_the_frozen_response_set(client, closing, officer):
    housekeeping(CLOSES + timedelta(minutes=1))
    checksum = ClosingRecord.objects.get().checksum
    sync_consultation_officers()
    client.force_login(officer)

    html = client.get(reverse("wagtailadmin_pages:history", args=[closing.pk])).content.decode()

    assert f"Closed with 2 responses, frozen with SHA-256 checksum {checksum}" in html


def test_the_consultation_log_actions_have_labels():
    labels = {
        action: log_registry.get_action_label(action)
        for action in (
            "consultations.responses_frozen",
            "consultations.outcome_published",
            "consultations.outcome_overdue",
        )
    }

    assert labels == {
        "consultations.responses_frozen": "Responses frozen",
        "consultations.outcome_published": "Outcome published",
        "consultations.outcome_overdue": "Outcome overdue",
    }


# --- Overdue outcomes ----------------------------------------------------------------------------


@pytest.fixture
def frozen(closing):
    housekeeping(CLOSES + timedelta(minutes=1))
    return closing


def test_an_outcome_missing_twelve_weeks_after_close_is_flagged_to_the_owners_officers_once(
    frozen,
    officer,
    co_owner_officer,
    moderator,
    other_org_officer,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        housekeeping(CLOSES + TWELVE_WEEKS - timedelta(minutes=1))
    assert mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        housekeeping(CLOSES + TWELVE_WEEKS + timedelta(minutes=1))
        housekeeping(CLOSES + TWELVE_WEEKS + timedelta(days=1))

    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [officer.email, co_owner_officer.email]
    )
    assert all("Waste collection" in message.subject for message in mailoutbox)
    assert ClosingRecord.objects.get().outcome_overdue_flagged_at is not None
    assert (
        PageLogEntry.objects.filter(page=frozen, action="consultations.outcome_overdue").count()
        == 1
    )


def test_a_published_outcome_is_never_flagged(
    frozen, officer, mailoutbox, django_capture_on_commit_callbacks
):
    Outcome.objects.create(consultation=frozen, published_at=CLOSES + timedelta(weeks=10))

    with django_capture_on_commit_callbacks(execute=True):
        housekeeping(CLOSES + TWELVE_WEEKS + timedelta(minutes=1))

    assert mailoutbox == []
    assert ClosingRecord.objects.get().outcome_overdue_flagged_at is None
