"""Downloads of a consultation's submitted responses, as CSV and as JSON.

Both are streamed: rows come from a server-side cursor a chunk at a time and leave as soon as they
are written, so 100,000 responses never sit in memory. They hold what was sent and nothing about
who sent it: no names, no email addresses and never the equality-monitoring answers.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from consultations.models import ClosingRecord, ConsultationPage, Response
from consultations.survey import display_value
from engagement.models import Area

# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and carriage
# return, may strip them and then read one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number ("-3", "-2.5") cannot be a formula and stays a number.
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
ROWS_PER_CHUNK = 500
FETCH_SIZE = 2000


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: a leading ``'`` stops it running as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


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


def _chunked(lines: Iterable[str]) -> Iterator[str]:
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


class _Line:
    """A file-like object whose ``write`` hands back what the csv writer wrote."""

    def write(self, value: str) -> str:
        return value


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
    writer = csv.writer(_Line())
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

    yield from _chunked(rows())


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

    yield from _chunked(items())
    yield "]}"


async def _async_chunks(chunks: Iterator[str]) -> AsyncIterator[str]:
    """Pull a synchronous export a chunk at a time in Django's thread for database work.

    Under ASGI Django would otherwise read a synchronous iterator to the end before sending
    anything: the whole export in memory.
    """
    pull = sync_to_async(next, thread_sensitive=True)
    try:
        while (chunk := await pull(chunks, None)) is not None:
            yield chunk
    finally:
        await sync_to_async(chunks.close, thread_sensitive=True)()


def download(
    request: HttpRequest, chunks: Iterator[str], *, content_type: str, filename: str
) -> StreamingHttpResponse:
    """A streamed attachment, read lazily under both WSGI and ASGI."""
    content = _async_chunks(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
