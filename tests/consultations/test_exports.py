"""Downloads of the responses: stable columns, safe cells, JSON, streaming, no personal data."""

from __future__ import annotations

import csv
import io
import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.urls import reverse

from consultations import services
from consultations.exports import safe_cell
from consultations.models import Response
from tests.consultations.test_results import respond

SHORT = "What is your favourite local place?"
LONG = "What would make the high street better?"
TRAVEL = "How do you get there?"
WHERE = "Where is the spot that most needs work?"


def download(client, consultation, kind: str):
    response = client.get(reverse(f"consultations:export_{kind}", args=[consultation.pk]))
    assert response.status_code == 200
    assert response.streaming
    return response, b"".join(response.streaming_content).decode("utf-8")


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff"), "a byte-order mark, so spreadsheets read UTF-8"
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+44 1234", "'+44 1234"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-5", "-5"),
        ("-2.5", "-2.5"),
        ("Nice park = good", "Nice park = good"),
        (12, "12"),
        (None, ""),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_neutralised(value, expected):
    assert safe_cell(value) == expected


def test_csv_has_one_row_per_sent_response_with_stable_columns(
    client, officer, consultation, resident, wards
):
    first = respond(
        consultation,
        {
            SHORT: "=1+1",
            TRAVEL: {"options": ["Walk", "Bus"], "other": "@scooter"},
            WHERE: {"ward": wards[2].pk, "description": "By the bank"},
        },
        ward_id=wards[0].pk,
    )
    respond(consultation, {SHORT: "The library", LONG: "-More trees"})
    services.save_progress(consultation, resident, {})  # a draft: never exported
    client.force_login(officer)
    response, text = download(client, consultation, "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="high-street-consultation'
    )
    rows = read_csv(text)
    header = rows[0]
    assert header[:3] == ["Reference", "Submitted at", "Ward lived in"]
    assert header[3:] == [f"{q.number}. {q.label}" for q in consultation.survey.questions]
    assert len(rows) == 3
    row = dict(zip(header, rows[1], strict=True))
    assert row["Reference"] == str(first.idempotency_key)[:8].upper()
    assert row["Submitted at"].startswith(first.submitted_at.date().isoformat())
    assert "+00:00" in row["Submitted at"] or "+01:00" in row["Submitted at"]
    assert row["Ward lived in"] == "Ward 1"
    assert row[f"1. {SHORT}"] == "'=1+1"
    assert row[f"4. {TRAVEL}"] == "Walk; Bus; Other: @scooter"
    assert row[f"9. {WHERE}"] == "Ward 3; By the bank"
    assert row["7. Rank these priorities."] == "1. Seating; 2. Trees; 3. Toilets"
    assert row["8. How many minutes does it take you?"] == "15"
    second = dict(zip(header, rows[2], strict=True))
    assert second[f"2. {LONG}"] == "'-More trees"
    assert second["Ward lived in"] == ""


def test_an_empty_consultation_exports_just_the_header(client, officer, consultation):
    client.force_login(officer)
    _response, text = download(client, consultation, "csv")
    assert len(read_csv(text)) == 1


def test_exports_hold_no_names_emails_or_equality_answers(client, officer, consultation, resident):
    respond(
        consultation,
        {SHORT: "The park"},
        user=resident,
        notify_outcome=True,
        equality={"ethnicity": "mixed", "religion": "buddhist", "sexual_orientation": "bisexual"},
    )
    client.force_login(officer)
    for kind in ("csv", "json"):
        _response, text = download(client, consultation, kind)
        for personal in (resident.email, resident.display_name, "buddhist", "bisexual", "mixed"):
            assert personal not in text, (kind, personal)
        assert "The park" in text


def test_json_has_the_questions_and_every_response_keyed_by_question(
    client, officer, consultation, wards
):
    sent = respond(consultation, {WHERE: {"ward": wards[1].pk}}, ward_id=wards[0].pk)
    respond(consultation, {SHORT: 'Quotes " and \\ backslashes'})
    client.force_login(officer)
    response, text = download(client, consultation, "json")
    assert response["Content-Type"] == "application/json"
    data = json.loads(text)
    assert data["consultation"]["title"] == "High street consultation"
    assert data["consultation"]["frozen"] is None
    questions = consultation.survey.questions
    assert [q["key"] for q in data["questions"]] == [q.key for q in questions]
    assert data["questions"][4]["options"][0] == "Strongly agree"
    assert data["wards"][str(wards[1].pk)] == "Ward 2"
    assert len(data["responses"]) == 2
    first = data["responses"][0]
    assert first["reference"] == str(sent.idempotency_key)[:8].upper()
    assert first["ward"] == wards[0].pk
    assert first["answers"] == Response.objects.get(pk=sent.pk).answers
    assert data["responses"][1]["answers"][questions[0].key] == 'Quotes " and \\ backslashes'


def test_json_of_an_empty_consultation_is_valid(client, officer, consultation):
    client.force_login(officer)
    _response, text = download(client, consultation, "json")
    assert json.loads(text)["responses"] == []


def test_exports_stream_in_chunks_without_reading_everything_first(
    client, officer, consultation, django_assert_max_num_queries
):
    for n in range(3):
        respond(consultation, {SHORT: f"Place {n}"})
    client.force_login(officer)
    response = client.get(reverse("consultations:export_csv", args=[consultation.pk]))
    # Nothing has been read yet: the rows are fetched as the body is sent.
    assert not isinstance(response.streaming_content, list | tuple)
    with django_assert_max_num_queries(3):
        body = b"".join(response.streaming_content)
    assert body.count(b"Place ") == 3


def test_under_asgi_the_export_is_an_asynchronous_stream(officer, consultation):
    respond(consultation, {SHORT: "The market"})

    async def fetch():
        client = AsyncClient()
        await client.aforce_login(officer)
        response = await client.get(reverse("consultations:export_json", args=[consultation.pk]))
        assert response.streaming
        assert hasattr(response.streaming_content, "__aiter__")
        return response.status_code, b"".join([part async for part in response.streaming_content])

    status, body = async_to_sync(fetch)()
    assert status == 200
    assert json.loads(body)["responses"][0]["answers"]
