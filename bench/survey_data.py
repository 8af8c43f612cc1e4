"""The consultations the benchmarks need, and the timing of results over 100,000 responses.

Runs in a child process under ``bench.settings`` against the benchmark's database:

    python -m bench.survey_data setup                  # prints JSON: URLs, form bodies, page ids
    python -m bench.survey_data results PAGE_ID        # prints JSON: timings and query counts

``setup`` creates (once, found again by slug) three open consultations under the hub:

- **thirty questions** in one section, the nine question types in turn: its page and its respond
  page are the "consultation page with 30 questions" rows;
- **five questions** in one section (anonymous responses allowed), the target of the submission
  load test; ``setup`` prints a few dozen valid form bodies for it;
- **results**: every question type, with 100,000 sent responses written straight into the tables
  with PostgreSQL's COPY (a few seconds). Each response's answers are drawn by a seeded
  ``random.Random`` and indexed with :func:`consultations.survey.answer_rows`, exactly as
  :func:`consultations.services.submit_response` indexes them, so the rows have the real shape.

``results`` times :func:`consultations.results.question_results`, ``totals`` and
``reach_by_ward`` on that consultation (and ``equality_summary``, reported apart), each run on a
freshly loaded page so the survey is read from the StreamField every time, as in a request.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from typing import Any

HUB = "/consultations/"
THIRTY_SLUG, FIVE_SLUG, RESULTS_SLUG = (
    "bench-thirty-questions",
    "bench-five-questions",
    "bench-results",
)
THIRTY_PAGE = f"{HUB}{THIRTY_SLUG}/"
THIRTY_RESPOND = f"{THIRTY_PAGE}respond/"
SUBMIT_PATH = f"{HUB}{FIVE_SLUG}/respond/"
RESULTS_RESPONSES = 100_000
FORM_VARIANTS = 40
NAMESPACE = uuid.UUID("0c5d1d7e-3f0e-4a51-8f56-1b9e6a2f4c10")

OPTIONS = ["Strongly support", "Support", "No view", "Oppose", "Strongly oppose"]
PLACES = ["Parks", "Libraries", "Leisure centres", "Bus services", "Street lighting", "Markets"]


def _question(kind: str, n: int, **extra) -> dict:
    text = f"Question {n}: what do you think about proposal {n}?"
    value: dict[str, Any] = {"question": text, "required": kind != "long_text", **extra}
    if kind in {"single_choice", "ranking"}:
        value.setdefault("options", OPTIONS if kind == "single_choice" else PLACES[:5])
    elif kind == "multiple_choice":
        value.setdefault("options", PLACES)
    elif kind == "rating":
        value.setdefault("scale", "10" if n % 2 else "5")
    elif kind == "number":
        value.update(minimum=0, maximum=1000, unit="minutes")
    return {"type": kind, "value": value, "id": str(uuid.uuid5(NAMESPACE, f"{kind}-{n}"))}


EVERY_TYPE = [
    "single_choice",
    "multiple_choice",
    "likert",
    "rating",
    "ranking",
    "number",
    "location",
    "short_text",
    "long_text",
]


def _section(title: str, questions: list[dict]) -> list[dict]:
    value = {"title": title, "introduction": "", "questions": questions}
    return [{"type": "section", "value": value, "id": str(uuid.uuid5(NAMESPACE, title))}]


def thirty_questions() -> list[dict]:
    kinds = [EVERY_TYPE[n % len(EVERY_TYPE)] for n in range(30)]
    return _section("Thirty questions", [_question(kind, n + 1) for n, kind in enumerate(kinds)])


def five_questions() -> list[dict]:
    kinds = ["single_choice", "multiple_choice", "likert", "rating", "long_text"]
    return _section("Five questions", [_question(kind, n + 1) for n, kind in enumerate(kinds)])


def every_question_type() -> list[dict]:
    questions = [
        _question(kind, n + 1, **({"allow_other": True} if kind == "multiple_choice" else {}))
        for n, kind in enumerate(EVERY_TYPE)
    ]
    return _section("Every question type", questions)


def _ensure(slug: str, title: str, questions: list[dict]):
    from django.utils import timezone

    from consultations.models import ConsultationIndexPage, ConsultationPage
    from engagement.models import Organisation

    page = ConsultationPage.objects.filter(slug=slug).first()
    if page is not None:
        return page
    now = timezone.now()
    page = ConsultationPage(
        title=title,
        slug=slug,
        organisation=Organisation.objects.order_by("pk").first(),
        summary=f"{title}: a consultation made by the benchmarks.",
        opens_at=now - timedelta(days=30),
        closes_at=now + timedelta(days=60),
        questions=questions,
        allow_anonymous=True,
    )
    ConsultationIndexPage.objects.get().add_child(instance=page)
    page.save_revision().publish()
    return page


def random_answer(question, rng: random.Random, ward_ids: list[int]) -> Any:
    """A valid answer value to ``question`` (see consultations.survey for the shapes)."""
    kind = question.type
    if kind in {"single_choice", "likert", "rating"}:
        value = rng.choice(question.choices())
        return int(value) if kind == "rating" else value
    if kind == "multiple_choice":
        chosen = rng.sample(question.options, rng.randint(1, 3))
        other = "Somewhere to sit" if question.allow_other and rng.random() < 0.05 else ""
        return {"options": chosen, "other": other} if question.allow_other else {"options": chosen}
    if kind == "ranking":
        return rng.sample(question.options, len(question.options))
    if kind == "number":
        return float(rng.randint(0, 120))
    if kind == "location":
        return {"ward": rng.choice(ward_ids), "description": "By the bus stop"}
    return rng.choice(["More buses", "Cleaner streets", "Keep the library open", "Safer paths"])


def form_bodies(page, count: int) -> list[dict[str, Any]]:
    """``count`` valid POST bodies for a one-section consultation (without the CSRF token and
    the idempotency key, which the load generator adds to every request)."""
    from consultations.survey import OTHER

    rng = random.Random(page.slug)  # noqa: S311 - benchmark data
    bodies = []
    for _ in range(count):
        body: dict[str, Any] = {"action": "submit"}
        for question in page.survey.questions:
            value = random_answer(question, rng, [])
            name = question.field_name
            if question.type == "multiple_choice":
                body[name] = value["options"] + ([OTHER] if value.get("other") else [])
                if value.get("other"):
                    body[f"{name}-other"] = value["other"]
            elif question.type == "long_text":
                if rng.random() < 0.4:
                    body[name] = value
            else:
                body[name] = str(value)
        bodies.append(body)
    return bodies


def fill_results(page, responses: int) -> int:
    """Write ``responses`` sent responses (with their Answer rows and, for some, equality answers)
    with COPY; returns how many were written (0 when the consultation already has them)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from consultations.equality import QUESTIONS as EQUALITY_QUESTIONS
    from consultations.models import Answer, EqualityAnswers, Response
    from consultations.survey import answer_rows
    from engagement.models import Area

    if Response.objects.filter(consultation=page).exists():
        return 0
    rng = random.Random(page.slug)  # noqa: S311 - benchmark data
    ward_ids = list(Area.objects.wards().values_list("pk", flat=True))
    questions = page.survey.questions
    start, span = page.opens_at, (timezone.now() - page.opens_at).total_seconds()

    def columns(model) -> list[str]:
        return [f.column for f in model._meta.concrete_fields]

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Response._meta.db_table, responses],
        )
        ids = [row[0] for row in cursor.fetchall()]
        raw = cursor.connection  # the psycopg connection, for COPY
        response_rows, answer_rows_out, equality_rows = [], [], []
        for response_id in ids:
            answers = {q.key: random_answer(q, rng, ward_ids) for q in questions}
            if rng.random() < 0.3:  # optional questions are often skipped
                answers.pop(questions[-1].key)
            submitted = start + timedelta(seconds=rng.random() * span)
            values = {
                "id": response_id,
                "consultation_id": page.pk,
                "user_id": None,
                "status": Response.Status.SUBMITTED,
                "idempotency_key": uuid.UUID(int=rng.getrandbits(128), version=4),
                "answers": json.dumps(answers),
                "draft_answers": "{}",
                "ward_id": rng.choice(ward_ids) if rng.random() < 0.85 else None,
                "notify_outcome": False,
                "created_at": submitted,
                "updated_at": submitted,
                "submitted_at": submitted,
            }
            response_rows.append(values)
            for question in questions:
                for row in answer_rows(question, answers.get(question.key)):
                    answer_rows_out.append(
                        {
                            "response_id": response_id,
                            "consultation_id": page.pk,
                            "question": question.key,
                            "option": row.get("option", ""),
                            "number": row.get("number"),
                            "text": row.get("text", "") or "",
                            "area_id": row.get("area_id"),
                            "lat": row.get("lat"),
                            "lon": row.get("lon"),
                        }
                    )
            if rng.random() < 0.4:
                equality = {"response_id": response_id, "consultation_id": page.pk}
                for name, _question, choices in EQUALITY_QUESTIONS:
                    equality[name] = rng.choice(choices.values) if rng.random() < 0.9 else ""
                equality_rows.append(equality)
        with _foreign_keys_checked_once(cursor, [Answer, EqualityAnswers]):
            _copy(raw, Response, columns(Response), response_rows)
            answer_columns = [c for c in columns(Answer) if c != "id"]
            _copy(raw, Answer, answer_columns, answer_rows_out)
            equality_columns = [c for c in columns(EqualityAnswers) if c != "id"]
            _copy(raw, EqualityAnswers, equality_columns, equality_rows)
    # What autovacuum would do after a bulk load: statistics for the planner, and the visibility
    # map that lets PostgreSQL answer from an index alone.
    with connection.cursor() as cursor:
        for model in (Response, Answer, EqualityAnswers):
            cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
    return len(ids)


@contextlib.contextmanager
def _foreign_keys_checked_once(cursor, models):
    """Drop the tables' foreign keys for a bulk load and add them back (same names, same
    definitions) afterwards, in the same transaction.

    Checked row by row, 1.4 million answer rows cost about four million index lookups at commit;
    adding a constraint back checks the whole table in one join. Nothing is left unchecked.
    """
    tables = [model._meta.db_table for model in models]
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
        [tables],
    )
    constraints = cursor.fetchall()
    for table, name, _definition in constraints:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    yield
    for table, name, definition in constraints:
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def _copy(raw, model, columns: list[str], rows: list[dict]) -> None:
    table = model._meta.db_table
    names = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row.get(c) for c in columns])


def post_queries(path: str, body: dict[str, Any]) -> list[str]:
    """The SQL of one anonymous submission through Django's test client (CSRF not enforced)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(path, {**body, "idempotency_key": str(uuid.uuid4())})
    if response.status_code != 302:
        raise RuntimeError(f"the benchmark's form body was refused: HTTP {response.status_code}")
    return [query["sql"] for query in captured.captured_queries]


def setup() -> dict[str, Any]:
    from consultations.models import Answer

    thirty = _ensure(THIRTY_SLUG, "Bench: thirty questions", thirty_questions())
    five = _ensure(FIVE_SLUG, "Bench: five questions", five_questions())
    results = _ensure(RESULTS_SLUG, "Bench: results", every_question_type())
    if (thirty.url, five.url + "respond/") != (THIRTY_PAGE, SUBMIT_PATH):
        raise RuntimeError(f"the bench consultations are not under {HUB}")
    bodies = form_bodies(five, FORM_VARIANTS)
    submission_sql = post_queries(SUBMIT_PATH, bodies[0])
    began = time.perf_counter()
    written = fill_results(results, RESULTS_RESPONSES)
    return {
        "thirty": {"page": THIRTY_PAGE, "respond": THIRTY_RESPOND},
        "submit": {
            "page_id": five.pk,
            "respond": SUBMIT_PATH,
            "questions": len(five.survey.questions),
            "bodies": bodies,
            "post_queries": len(submission_sql),
            "post_sql": submission_sql,
        },
        "results": {
            "page_id": results.pk,
            "written": written,
            "fill_s": time.perf_counter() - began,
            "answer_rows": Answer.objects.filter(consultation=results).count(),
        },
    }


def time_results(page_id: int, repeat: int) -> dict[str, Any]:
    """Each function's wall time and query count, ``repeat`` times, computed in the database every
    time (the cache switched off), then read back from the cache (Redis, as deployed).

    The first computed run is reported apart as "cold": the process's own caches are empty then.
    Each run gets a freshly loaded page, so reading the survey from the StreamField is included.
    """
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext

    from consultations import results
    from consultations.models import ConsultationPage, Response

    functions = {
        "question_results": results.question_results,
        "totals": results.totals,
        "reach_by_ward": results.reach_by_ward,
        "equality_summary": results.equality_summary,
    }

    def measure(runs: int) -> tuple[dict[str, list[float]], dict[str, list[str]]]:
        times: dict[str, list[float]] = {name: [] for name in functions}
        sql: dict[str, list[str]] = {}
        for _ in range(runs):
            for name, function in functions.items():
                page = ConsultationPage.objects.get(pk=page_id)
                with CaptureQueriesContext(connection) as captured:
                    began = time.perf_counter()
                    function(page)
                    times[name].append((time.perf_counter() - began) * 1000)
                sql[name] = [query["sql"] for query in captured.captured_queries]
        return times, sql

    no_cache = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(CACHES=no_cache):
        computed, computed_sql = measure(repeat)
    measure(1)  # fill the cache
    cached, cached_sql = measure(repeat)

    def summary(times: list[float], sql: list[str]) -> dict[str, Any]:
        warm = times[1:] or times
        return {
            "queries": len(sql),
            "cold_ms": times[0],
            "median_ms": statistics.median(warm),
            "min_ms": min(warm),
            "max_ms": max(warm),
            "runs_ms": times,
        }

    return {
        "responses": Response.objects.filter(consultation_id=page_id).count(),
        "repeat": repeat,
        "computed": {name: summary(computed[name], computed_sql[name]) for name in functions},
        "cached": {name: summary(cached[name], cached_sql[name]) for name in functions},
        "sql": computed_sql,
    }


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    if argv[:1] == ["setup"]:
        print(json.dumps(setup()))
    elif argv[:1] == ["results"] and len(argv) >= 2:
        repeat = int(argv[2]) if len(argv) > 2 else 9
        print(json.dumps(time_results(int(argv[1]), repeat)))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
