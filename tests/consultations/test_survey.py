"""The survey engine: each question type's valid and invalid input, conditions and pages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consultations.blocks import SurveyBlock
from consultations.survey import (
    OTHER,
    SectionForm,
    answer_rows,
    build_survey,
    display_value,
    initial_for,
)
from tests.factories import every_question_type, question, section

WARDS = [(11, "Abbey"), (12, "Brook")]


def survey_of(raw):
    return build_survey(SurveyBlock().to_python(raw))


@pytest.fixture
def survey():
    return survey_of(every_question_type())


def by_label(survey, label):
    return next(q for q in survey.questions if q.label == label)


def valid_data(survey) -> dict:
    q = {question.label: question.field_name for question in survey.questions}
    return {
        q["What is your favourite local place?"]: "  The park  ",
        q["How often do you visit the high street?"]: "Every week",
        q["How do you get there?"]: ["Walk", "Bus"],
        q["The high street feels safe after dark."]: "Disagree",
        q["Rate the street cleaning."]: "3",
        q["Rank these priorities."] + "_0": "3",
        q["Rank these priorities."] + "_1": "1",
        q["Rank these priorities."] + "_2": "2",
        q["How many minutes does it take you?"]: "12.5",
    }


def form_for(survey, data, earlier=None):
    form = SectionForm(survey.sections[0], data, wards=WARDS, earlier=earlier or {})
    form.is_valid()
    return form


def test_every_type_accepts_a_valid_answer_and_stores_its_shape(survey):
    form = form_for(survey, valid_data(survey))
    assert form.is_valid(), form.errors
    answers = {survey.question(k).label: v for k, v in form.answers.items()}
    assert answers == {
        "What is your favourite local place?": "The park",
        "How often do you visit the high street?": "Every week",
        "How do you get there?": {"options": ["Walk", "Bus"], "other": ""},
        "The high street feels safe after dark.": "Disagree",
        "Rate the street cleaning.": 3,
        "Rank these priorities.": ["Trees", "Toilets", "Seating"],
        "How many minutes does it take you?": 12.5,
    }


@pytest.mark.parametrize(
    ("label", "suffix", "bad", "message"),
    [
        ("What is your favourite local place?", "", "x" * 101, "at most 100 characters"),
        ("How often do you visit the high street?", "", "Hourly", "Select a valid choice"),
        ("How do you get there?", "", ["Teleport"], "Select a valid choice"),
        ("The high street feels safe after dark.", "", "Maybe", "Select a valid choice"),
        ("Rate the street cleaning.", "", "6", "Select a valid choice"),
        ("How many minutes does it take you?", "", "lots", "Enter a number"),
        ("How many minutes does it take you?", "", "-1", "greater than or equal to 0"),
        ("How many minutes does it take you?", "", "601", "less than or equal to 600"),
        ("Where is the spot that most needs work?", "", "999", "Select a valid choice"),
    ],
)
def test_each_type_rejects_invalid_input_with_a_specific_message(
    survey, label, suffix, bad, message
):
    data = valid_data(survey)
    data[by_label(survey, label).field_name + suffix] = bad
    form = form_for(survey, data)
    assert not form.is_valid()
    errors = " ".join(form.errors[by_label(survey, label).field_name])
    assert message in errors


@pytest.mark.parametrize(
    ("positions", "message"),
    [(["1", "1", "2"], "only once"), (["1", "", "2"], "every option a position")],
)
def test_ranking_needs_every_option_in_a_different_position(survey, positions, message):
    data = valid_data(survey)
    name = by_label(survey, "Rank these priorities.").field_name
    for index, position in enumerate(positions):
        data[f"{name}_{index}"] = position
    form = form_for(survey, data)
    assert message in " ".join(form.errors[name])


def test_required_questions_name_themselves_when_unanswered(survey):
    form = form_for(survey, {})
    assert not form.is_valid()
    required = [q for q in survey.questions if q.required and q.condition is None]
    assert set(form.errors) == {q.field_name for q in required}
    assert "How often do you visit the high street?" in form.errors[required[1].field_name][0]


def test_optional_questions_may_be_left_blank(survey):
    form = form_for(survey, valid_data(survey))
    assert form.is_valid()
    assert by_label(survey, "What would make the high street better?").key not in form.answers


def test_other_keeps_its_text_and_drops_it_when_other_is_not_ticked(survey):
    name = by_label(survey, "How do you get there?").field_name
    data = valid_data(survey) | {name: [OTHER], f"{name}-other": "Scooter"}
    assert form_for(survey, data).answers[by_label(survey, "How do you get there?").key] == {
        "options": [],
        "other": "Scooter",
    }
    data = valid_data(survey) | {name: ["Walk"], f"{name}-other": "Scooter"}
    assert form_for(survey, data).answers[by_label(survey, "How do you get there?").key] == {
        "options": ["Walk"],
        "other": "",
    }


def test_location_by_ward_alone_or_with_a_point_and_description(survey):
    location = by_label(survey, "Where is the spot that most needs work?")
    name = location.field_name
    data = valid_data(survey) | {name: "12"}
    assert form_for(survey, data).answers[location.key] == {"ward": 12}
    data |= {f"{name}-lat": "52.2", f"{name}-lon": "-1.5", f"{name}-description": "By the bridge"}
    assert form_for(survey, data).answers[location.key] == {
        "ward": 12,
        "lat": 52.2,
        "lon": -1.5,
        "description": "By the bridge",
    }
    data[f"{name}-lat"] = "91"
    assert "less than or equal to 90" in " ".join(form_for(survey, data).errors[f"{name}-lat"])


def test_a_conditional_question_on_the_same_page_counts_only_when_its_condition_is_met(survey):
    follow_up = by_label(survey, "What would make you visit more?")
    data = valid_data(survey) | {follow_up.field_name: "More shops"}
    # "Every week" does not meet the condition ("Rarely"): the answer is dropped, not stored.
    assert follow_up.key not in form_for(survey, data).answers
    data[by_label(survey, "How often do you visit the high street?").field_name] = "Rarely"
    assert form_for(survey, data).answers[follow_up.key] == "More shops"


def test_a_required_conditional_question_is_required_only_when_shown():
    raw = [
        section(
            "One",
            question("single_choice", "Do you drive?", options=["Yes", "No"], reference="D"),
            question(
                "number", "How many miles a week?", show_if_reference="D", show_if_answer="Yes"
            ),
        )
    ]
    survey = survey_of(raw)
    drive, miles = survey.questions
    assert form_for(survey, {drive.field_name: "No"}).is_valid()
    form = form_for(survey, {drive.field_name: "Yes"})
    assert not form.is_valid() and miles.field_name in form.errors


def test_a_condition_on_an_earlier_page_is_decided_on_the_server():
    raw = [
        section(
            "One", question("single_choice", "Do you cycle?", options=["Yes", "No"], reference="C")
        ),
        section(
            "Two",
            question(
                "long_text",
                "What would help you cycle more?",
                show_if_reference="C",
                show_if_answer="No",
            ),
            question("short_text", "Anything else?", required=False),
        ),
    ]
    survey = survey_of(raw)
    cycle, help_more, _anything = survey.questions
    hidden = SectionForm(survey.sections[1], wards=WARDS, earlier={cycle.key: "Yes"})
    assert [q.label for q in hidden.questions] == ["Anything else?"]
    shown = SectionForm(survey.sections[1], {}, wards=WARDS, earlier={cycle.key: "No"})
    assert not shown.is_valid() and help_more.field_name in shown.errors


def test_changing_an_earlier_answer_drops_answers_that_no_longer_apply():
    raw = [
        section(
            "One",
            question("single_choice", "Do you drive?", options=["Yes", "No"], reference="D"),
            question(
                "number", "How many miles a week?", show_if_reference="D", show_if_answer="Yes"
            ),
        )
    ]
    survey = survey_of(raw)
    drive, miles = survey.questions
    assert survey.visible_answers({drive.key: "No", miles.key: 30}) == {drive.key: "No"}
    assert survey.missing({drive.key: "Yes"}) == [miles]


def test_sections_are_pages_and_questions_are_numbered_across_them():
    raw = [
        section("One", question("short_text", "A?"), question("short_text", "B?")),
        section("Two", question("short_text", "C?")),
    ]
    survey = survey_of(raw)
    assert len(survey) == 2
    assert [(q.label, q.number) for q in survey.questions] == [("A?", 1), ("B?", 2), ("C?", 3)]


def test_resuming_fills_the_form_with_the_saved_answers(survey):
    form = form_for(survey, valid_data(survey))
    initial = initial_for(survey.questions, form.answers)
    rebuilt = form_for(survey, {**valid_data(survey)})
    resumed = SectionForm(survey.sections[0], wards=WARDS, answers=form.answers)
    assert resumed.initial == initial
    ranking = by_label(survey, "Rank these priorities.")
    assert initial[ranking.field_name] == ["3", "1", "2"]
    assert rebuilt.answers == form.answers


def test_answers_display_as_a_resident_reads_them(survey):
    ranking = by_label(survey, "Rank these priorities.")
    assert display_value(ranking, ["Trees", "Seating"]) == "1. Trees; 2. Seating"
    choice = by_label(survey, "How do you get there?")
    assert (
        display_value(choice, {"options": ["Walk"], "other": "Scooter"}) == "Walk; Other: Scooter"
    )
    location = by_label(survey, "Where is the spot that most needs work?")
    assert display_value(location, {"ward": 11}, dict(WARDS)) == "Abbey"


@given(order=st.permutations(["Seating", "Trees", "Toilets"]))
def test_ranking_rows_keep_each_option_once_with_its_position(order):
    survey = survey_of(every_question_type())
    ranking = by_label(survey, "Rank these priorities.")
    rows = answer_rows(ranking, list(order))
    assert sorted(row["option"] for row in rows) == ["Seating", "Toilets", "Trees"]
    assert [row["number"] for row in rows] == [1, 2, 3]
