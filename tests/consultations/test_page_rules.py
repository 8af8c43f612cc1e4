"""Good-practice checks on a consultation page: its period and its questions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from consultations.blocks import SurveyBlock
from consultations.models import ConsultationPage, spans_christmas, survey_problems
from tests.factories import question, section


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(2026, 11, 1), at(2026, 12, 20), False),
        (at(2026, 11, 1), at(2026, 12, 24, 1), True),
        (at(2026, 12, 31), at(2027, 2, 1), True),
        (at(2027, 1, 2, 1), at(2027, 3, 1), False),
        (at(2026, 1, 2, 1), at(2026, 12, 23, 23), False),
        (at(2025, 6, 1), at(2027, 6, 1), True),
    ],
)
def test_christmas_and_new_year_are_detected(start, end, expected):
    assert spans_christmas(start, end) is expected


@given(
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
    days=st.integers(min_value=1, max_value=800),
)
def test_any_period_of_a_year_or_more_spans_christmas(start, days):
    start = start.replace(tzinfo=UTC)
    end = start + timedelta(days=days)
    if days >= 366:
        assert spans_christmas(start, end)
    # Symmetric in the sense that a period inside [2 Jan, 23 Dec] of one year never spans it.
    inside = at(start.year, 1, 2, 12), at(start.year, 12, 23, 12)
    assert not spans_christmas(*inside)


def make(opens, closes, questions=()):
    return ConsultationPage(title="T", opens_at=opens, closes_at=closes, questions=list(questions))


@pytest.mark.django_db  # a Wagtail page looks up its content type when it is built
def test_officers_are_warned_of_short_periods_and_christmas():
    assert make(at(2026, 3, 1), at(2026, 4, 30)).period_warnings() == []
    short = make(at(2026, 3, 1), at(2026, 3, 20)).period_warnings()
    assert len(short) == 1 and "less than six weeks" in str(short[0])
    festive = make(at(2026, 11, 20), at(2027, 1, 31)).period_warnings()
    assert len(festive) == 1 and "24 December" in str(festive[0])


def problems(*sections):
    return [str(p) for p in survey_problems(SurveyBlock().to_python(list(sections)))]


def test_a_condition_must_name_an_earlier_choice_question_and_one_of_its_answers():
    assert (
        problems(
            section(
                "One",
                question("single_choice", "Drive?", options=["Yes", "No"], reference="D"),
                question("number", "Miles?", show_if_reference="D", show_if_answer="Yes"),
            )
        )
        == []
    )
    assert (
        "not an earlier question"
        in problems(
            section(
                "One", question("number", "Miles?", show_if_reference="D", show_if_answer="Yes")
            )
        )[0]
    )
    assert (
        "not one of the answers"
        in problems(
            section(
                "One",
                question("single_choice", "Drive?", options=["Yes", "No"], reference="D"),
                question("number", "Miles?", show_if_reference="D", show_if_answer="Maybe"),
            )
        )[0]
    )
    assert (
        "must be a choice"
        in problems(
            section(
                "One",
                question("short_text", "Name?", reference="N"),
                question("number", "Miles?", show_if_reference="N", show_if_answer="Bob"),
            )
        )[0]
    )


def test_the_same_question_is_never_asked_twice():
    found = problems(
        section("One", question("short_text", "Where do you live?")),
        section("Two", question("short_text", "Where do you  live?")),
    )
    assert len(found) == 1 and "asked twice" in found[0]


@pytest.mark.django_db
def test_closing_before_opening_is_refused():
    page = make(at(2026, 3, 1), at(2026, 2, 1))
    with pytest.raises(ValidationError) as error:
        page.clean()
    assert "closes_at" in error.value.message_dict
