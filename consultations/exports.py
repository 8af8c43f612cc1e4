"""Downloads of a consultation's submitted responses, as CSV and as JSON.

Both are streamed: rows come from a server-side cursor a chunk at a time and leave as soon as they
are written, so 100,000 responses never sit in memory. They hold what was sent and nothing about
who sent it: no names, no email addresses and never the equality-monitoring answers.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _

from consultations.models import ClosingRecord, ConsultationPage, Response
from consultations.survey import display_value
from engagement.exports import Line, chunked, download, safe_cell  # noqa: F401
from engagement.models import Area

FETCH_SIZE = 2000


def reference(idempotency_key) -> str:
    """The reference a respondent was shown on the confirmation page."""
    return str(idempotency_key)[:8].upper()


def _submitted(page: ConsultationPage):
    return (
        Response.objects.submitted()
        .filter(consultation=page)
        .order_by("submitted_at", "pk")
        .values_list("idempotency_key", "submitted_at", "ward_id", "answers")
        .iterator(chunk_size=FETCH_SIZE)
    )


def _ward_names() -> dict[int, str]:
    return dict(Area.objects.wards().values_list("pk", "name"))


def csv_header(page: ConsultationPage) -> list[str]:
    """The columns, stable for a survey: reference, time, ward, then each question in order."""
    return [
        _("Reference"),
        _("Submitted at"),
        _("Ward lived in"),
        *(f"{q.number}. {q.label}" for q in page.survey.questions),
    ]


def csv_chunks(page: ConsultationPage) -> Iterator[str]:
    """The CSV export: a byte-order mark (so spreadsheets read UTF-8), the header, then one row per
    submitted response in the order they were sent, every cell formula-safe."""
    questions = page.survey.questions
    ward_names = _ward_names()
    uk = timezone.get_current_timezone()
    writer = csv.writer(Line())
    yield "\ufeff" + writer.writerow([safe_cell(h) for h in csv_header(page)])

    def rows() -> Iterator[str]:
        for key, submitted_at, ward_id, answers in _submitted(page):
            cells = [
                reference(key),
                submitted_at.astimezone(uk).isoformat(),
                ward_names.get(ward_id, ""),
                *(display_value(q, answers.get(q.key), ward_names) for q in questions),
            ]
            yield writer.writerow([safe_cell(cell) for cell in cells])

    yield from chunked(rows())


def json_chunks(page: ConsultationPage) -> Iterator[str]:
    """The JSON export: the consultation, its questions, the wards that answers refer to by id, and
    every submitted response with its answers keyed by question, as they were sent."""
    record = ClosingRecord.objects.filter(consultation=page).first()
    head = {
        "consultation": {
            "id": page.pk,
            "title": page.title,
            "opens_at": page.opens_at.isoformat(),
            "closes_at": page.closes_at.isoformat(),
            "exported_at": timezone.now().isoformat(),
            "frozen": (
                {
                    "at": record.frozen_at.isoformat(),
                    "responses": record.response_count,
                    "sha256": record.checksum,
                }
                if record
                else None
            ),
        },
        "questions": [
            {
                "key": q.key,
                "number": q.number,
                "type": q.type,
                "question": q.label,
                "options": list(q.choices()),
                "allow_other": q.allow_other,
                "unit": q.unit,
            }
            for q in page.survey.questions
        ],
        "wards": {str(pk): name for pk, name in _ward_names().items()},
    }
    opening = json.dumps(head, ensure_ascii=False)
    yield opening[:-1] + ', "responses": ['

    def items() -> Iterator[str]:
        separator = ""
        for key, submitted_at, ward_id, answers in _submitted(page):
            item = {
                "reference": reference(key),
                "submitted_at": submitted_at.isoformat(),
                "ward": ward_id,
                "answers": answers,
            }
            yield separator + json.dumps(item, ensure_ascii=False)
            separator = ","

    yield from chunked(items())
    yield "]}"
