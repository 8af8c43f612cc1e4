"""Work that spans models or has side effects: saving progress, submitting, freezing, outcomes."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail.models import PageLogEntry

from consultations.equality import FIELDS as EQUALITY_FIELDS
from consultations.models import (
    Answer,
    ClosingRecord,
    ConsultationPage,
    EqualityAnswers,
    Outcome,
    Response,
)
from consultations.survey import answer_rows


class NotOpen(Exception):
    """The consultation is not taking responses now."""


class Incomplete(Exception):
    """Required questions are unanswered; nothing was saved."""

    def __init__(self, missing):
        super().__init__(f"{len(missing)} required questions unanswered")
        self.missing = missing


def response_for(consultation: ConsultationPage, user) -> Response | None:
    """A signed-in resident's response (sent or in progress), if they have one."""
    if not user.is_authenticated:
        return None
    return Response.objects.filter(consultation=consultation, user=user).first()


def progress_of(response: Response | None) -> dict[str, Any]:
    """The answers a resident is working on: unsent changes first, else what they sent."""
    if response is None:
        return {}
    return dict(response.draft_answers or response.answers)


@transaction.atomic
def save_progress(
    consultation: ConsultationPage, user, answers: Mapping[str, Any], **extras
) -> Response:
    """Keep a signed-in resident's answers so far, without sending them (save and come back later).

    A sent response keeps its sent answers until the resident sends the changes.
    """
    response, _created = _lock_response(consultation, user)
    response.draft_answers = consultation.survey.visible_answers(answers)
    for name, value in extras.items():
        setattr(response, name, value)
    response.save()
    return response


def _lock_response(consultation, user) -> tuple[Response, bool]:
    try:
        with transaction.atomic():
            return Response.objects.select_for_update().get_or_create(
                consultation=consultation, user=user
            )
    except IntegrityError:
        # Two requests raced to create it; the other one won.
        return Response.objects.select_for_update().get(consultation=consultation, user=user), False


def submit_response(
    consultation: ConsultationPage,
    *,
    answers: Mapping[str, Any],
    user=None,
    idempotency_key: uuid.UUID | None = None,
    ward_id: int | None = None,
    notify_outcome: bool = False,
    equality: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> tuple[Response, bool]:
    """Send a response; returns it and whether this call created or changed it.

    The server decides whether the consultation is open. A signed-in resident has one response
    (a database constraint), which they can change until close; an anonymous response is found again
    by its idempotency key, so a double click or a resend after a timeout stores it once.
    """
    now = now or timezone.now()
    if not consultation.is_open(now):
        raise NotOpen
    survey = consultation.survey
    answers = survey.visible_answers(answers)
    missing = survey.missing(answers)
    if missing:
        raise Incomplete(missing)
    try:
        with transaction.atomic():
            if user is not None and user.is_authenticated:
                response, _created = _lock_response(consultation, user)
                previous = response.answers if response.status == Response.Status.SUBMITTED else {}
            else:
                response = Response(
                    consultation=consultation, idempotency_key=idempotency_key or uuid.uuid4()
                )
                previous = {}
            response.answers = answers
            response.draft_answers = {}
            response.ward_id = ward_id
            response.notify_outcome = notify_outcome and response.user_id is not None
            if response.status != Response.Status.SUBMITTED:
                response.status = Response.Status.SUBMITTED
                response.submitted_at = now
            response.save()
            _index_answers(response, previous, answers)
            if equality or previous or response.user_id:
                _store_equality(response, equality or {})
    except IntegrityError:
        existing = Response.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing, False
    if response.user_id:
        from consultations.tasks import send_response_copy

        transaction.on_commit(lambda: send_response_copy.enqueue(response.pk))
    return response, True


def _index_answers(
    response: Response, previous: Mapping[str, Any], answers: Mapping[str, Any]
) -> None:
    """Rewrite the aggregation rows of the questions whose answers changed (keeping theme tags on
    the unchanged ones)."""
    survey = response.consultation.survey
    changed = [key for key in set(previous) | set(answers) if previous.get(key) != answers.get(key)]
    if previous and changed:
        Answer.objects.filter(response=response, question__in=changed).delete()
    rows = []
    for key in changed:
        question = survey.question(key)
        if question is None:
            continue
        for row in answer_rows(question, answers.get(key)):
            rows.append(
                Answer(
                    response=response, consultation_id=response.consultation_id, question=key, **row
                )
            )
    Answer.objects.bulk_create(rows)


def _store_equality(response: Response, equality: Mapping[str, str]) -> None:
    values = {name: equality.get(name, "") for name in EQUALITY_FIELDS}
    if any(values.values()):
        EqualityAnswers.objects.update_or_create(
            response=response, defaults={"consultation_id": response.consultation_id, **values}
        )
    else:
        EqualityAnswers.objects.filter(response=response).delete()


# --- Closing the loop ---------------------------------------------------------------------------


def response_set_checksum(consultation: ConsultationPage) -> tuple[int, str]:
    """SHA-256 over every sent response (id, time, answers, ward) in id order, streamed."""
    digest = hashlib.sha256()
    count = 0
    rows = (
        Response.objects.submitted()
        .filter(consultation=consultation)
        .order_by("pk")
        .values_list("pk", "submitted_at", "answers", "ward_id")
    )
    for pk, submitted_at, answers, ward_id in rows.iterator(chunk_size=2000):
        count += 1
        line = json.dumps([pk, submitted_at.isoformat(), answers, ward_id], sort_keys=True)
        digest.update(line.encode())
        digest.update(b"\n")
    return count, digest.hexdigest()


@transaction.atomic
def freeze_responses(consultation: ConsultationPage, now: datetime | None = None) -> ClosingRecord:
    """Record the closed consultation's response set and its checksum in the audit log (once)."""
    now = now or timezone.now()
    if not consultation.is_closed(now):
        raise ValueError("a consultation is frozen only after it closes")
    existing = ClosingRecord.objects.select_for_update().filter(consultation=consultation).first()
    if existing:
        return existing
    # Drafts never sent by close are not responses: they go, with the personal data they hold.
    Response.objects.filter(consultation=consultation, status=Response.Status.DRAFT).delete()
    count, checksum = response_set_checksum(consultation)
    record = ClosingRecord.objects.create(
        consultation=consultation, frozen_at=now, response_count=count, checksum=checksum
    )
    PageLogEntry.objects.log_action(
        instance=consultation,
        action="consultations.responses_frozen",
        data={
            "responses": count,
            "sha256": checksum,
            "closed_at": consultation.closes_at.isoformat(),
        },
        timestamp=now,
    )
    return record


@transaction.atomic
def publish_outcome(outcome: Outcome, *, by, now: datetime | None = None) -> bool:
    """Publish "We asked, you said, we did"; respondents who asked are emailed the first time."""
    now = now or timezone.now()
    first_time = outcome.published_at is None
    outcome.published_at = outcome.published_at or now
    outcome.published_by = by
    outcome.save()
    PageLogEntry.objects.log_action(
        instance=outcome.consultation,
        action="consultations.outcome_published",
        user=by,
        timestamp=now,
    )
    if first_time:
        from consultations.tasks import notify_outcome

        consultation_id = outcome.consultation_id
        transaction.on_commit(lambda: notify_outcome.enqueue(consultation_id))
    return first_time


def freeze_closed(now: datetime | None = None) -> int:
    """Freeze every live consultation that has closed and is not frozen yet."""
    now = now or timezone.now()
    due = ConsultationPage.objects.live().closed_at(now).filter(closing_record__isnull=True)
    frozen = 0
    for consultation in due:
        freeze_responses(consultation, now)
        frozen += 1
    return frozen


def flag_overdue_outcomes(now: datetime | None = None) -> int:
    """Flag overdue outcomes (closed 12 weeks, none published) to their officers, once."""
    from django.core.mail import send_mass_mail
    from django.template.loader import render_to_string
    from django.utils.translation import gettext as _

    from consultations.models import OUTCOME_OVERDUE_AFTER
    from engagement.models import Membership

    now = now or timezone.now()
    overdue = (
        ConsultationPage.objects.live()
        .closed_at(now - OUTCOME_OVERDUE_AFTER)
        .filter(closing_record__outcome_overdue_flagged_at__isnull=True)
        .exclude(outcome__published_at__isnull=False)
    )
    flagged = 0
    for consultation in overdue:
        with transaction.atomic():
            record = ClosingRecord.objects.select_for_update().get(consultation=consultation)
            if record.outcome_overdue_flagged_at:
                continue
            record.outcome_overdue_flagged_at = now
            record.save(update_fields=["outcome_overdue_flagged_at"])
            PageLogEntry.objects.log_action(
                instance=consultation, action="consultations.outcome_overdue", timestamp=now
            )
            emails = set(
                Membership.objects.officers()
                .filter(organisation_id__in=consultation.owner_ids())
                .values_list("user__email", flat=True)
            )
            subject = _("Outcome overdue: %(title)s") % {"title": consultation.title}
            body = render_to_string(
                "consultations/email/outcome_overdue.txt", {"consultation": consultation}
            )
            messages = [(subject, body, None, [email]) for email in sorted(emails)]
            transaction.on_commit(lambda messages=messages: send_mass_mail(messages))
        flagged += 1
    return flagged
