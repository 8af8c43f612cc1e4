"""The demo place's consultations: what ``seed_demo`` builds, and that running it again changes
nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone
from wagtail.models import PageLogEntry, Revision

from consultations.demo import DEMOS
from consultations.models import (
    Answer,
    ClosingRecord,
    ConsultationPage,
    EqualityAnswers,
    Outcome,
    Response,
    Theme,
)
from engagement.models import Area, Organisation

EVERY_TYPE = {
    "short_text",
    "long_text",
    "single_choice",
    "multiple_choice",
    "likert",
    "rating",
    "ranking",
    "number",
    "location",
}


def snapshot() -> dict[str, object]:
    """Everything the consultation seed writes, counted."""
    return {
        "pages": ConsultationPage.objects.count(),
        "revisions": Revision.objects.count(),
        "responses": Response.objects.count(),
        "answers": Answer.objects.count(),
        "equality": EqualityAnswers.objects.count(),
        "themes": Theme.objects.count(),
        "tags": Answer.themes.through.objects.count(),
        "closing": list(ClosingRecord.objects.values_list("consultation__slug", "checksum")),
        "outcomes": Outcome.objects.count(),
        "log": PageLogEntry.objects.filter(action__startswith="consultations.").count(),
    }


@pytest.fixture(scope="module")
def demo_place(django_db_setup, django_db_blocker):
    """The demo place, seeded once for this module and rolled back after it (each test runs in a
    savepoint inside this transaction)."""
    fast_hashing = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    with django_db_blocker.unblock(), fast_hashing, transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(demo_place, db) -> dict[str, ConsultationPage]:
    return {page.slug: page for page in ConsultationPage.objects.all()}


def test_demo_place_has_open_forthcoming_and_closed_consultations(seeded):
    now = timezone.now()
    statuses = sorted(page.status(now) for page in seeded.values())
    assert statuses == ["closed", "closed", "forthcoming", "open", "open"]
    assert all(page.live and page.revisions.exists() for page in seeded.values())
    for page in seeded.values():
        page.full_clean()  # the questions pass the editor's checks


def test_county_wide_consultation_shows_off_the_survey_engine(seeded):
    page = seeded["living-well-in-marlshire"]
    assert page.organisation.kind == Organisation.Kind.COUNTY_COUNCIL
    co_owner_kinds = set(page.co_owners.values_list("kind", flat=True))
    assert co_owner_kinds == {Organisation.Kind.DISTRICT_COUNCIL, Organisation.Kind.NHS}
    assert not page.areas.exists()
    assert page.ask_about_you
    survey = page.survey
    assert len(survey) == 3
    assert {question.type for question in survey.questions} == EVERY_TYPE
    conditional = [q for q in survey.questions if q.condition]
    assert conditional, "one question depends on an earlier answer"
    # The condition is decided on an earlier page, so the server decides it.
    section_of = {q.key: s.index for s in survey.sections for q in s.questions}
    assert all(section_of[q.condition[0]] < section_of[q.key] for q in conditional)


def test_ward_consultation_is_short_and_open_to_anyone(seeded):
    page = seeded["riverside-park-play-area"]
    assert page.organisation.kind == Organisation.Kind.DISTRICT_COUNCIL
    assert page.allow_anonymous
    assert list(page.areas.values_list("kind", flat=True)) == [Area.Kind.WARD]
    assert len(page.survey) == 1


def test_responses_are_complete_spread_unevenly_and_partly_themed(seeded):
    responses = Response.objects.submitted()
    assert 300 <= responses.count() <= 400
    assert not Response.objects.filter(status=Response.Status.DRAFT).exists()
    for page in seeded.values():
        for response in responses.filter(consultation=page):
            assert page.opens_at <= response.submitted_at < page.closes_at
            assert page.survey.missing(response.answers) == []
    county = seeded["living-well-in-marlshire"]
    reach = dict(
        responses.filter(consultation=county, ward__isnull=False)
        .values_list("ward__name")
        .annotate(n=Count("pk"))
    )
    wards = set(Area.objects.wards().values_list("name", flat=True))
    assert wards - set(reach), "some wards have not responded: reach by ward shows the gap"
    assert max(reach.values()) >= 3 * min(reach.values())
    assert EqualityAnswers.objects.filter(consultation=county).exists()
    assert Theme.objects.filter(consultation=county).exists()
    assert Answer.themes.through.objects.filter(theme__consultation=county).exists()


def test_closed_consultations_are_frozen_and_one_has_its_outcome(seeded):
    closed = [page for page in seeded.values() if page.is_closed()]
    for page in closed:
        record = page.closing_record
        assert record.response_count == page.responses.count() > 0
    with_outcome = [page for page in closed if Outcome.objects.filter(consultation=page).exists()]
    assert len(with_outcome) == 1
    outcome = with_outcome[0].outcome
    assert outcome.is_published and outcome.results_published_at
    assert outcome.published_at > with_outcome[0].closes_at
    assert f"{with_outcome[0].responses.count()} people responded" in outcome.you_said
    assert "{" not in outcome.you_said + outcome.we_did + outcome.we_asked


def test_seeding_again_changes_nothing(seeded):
    before = snapshot()
    call_command("seed_demo", stdout=io.StringIO())
    assert snapshot() == before
    assert len(DEMOS) == before["pages"]
