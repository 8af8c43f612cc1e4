"""Results counted in the database: each question type, totals over time, reach and equality."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from consultations import services
from consultations.results import (
    Bar,
    equality_summary,
    question_results,
    reach_by_ward,
    totals,
)
from consultations.templatetags.charts import bar_chart, column_chart
from engagement.models import Area
from tests.factories import AreaFactory, consultation_page, question, section

LONDON = ZoneInfo("Europe/London")

# A complete answer to every required question of ``every_question_type()``, by question wording.
BASE = {
    "What is your favourite local place?": "The park",
    "How often do you visit the high street?": "Every day",
    "How do you get there?": {"options": ["Walk"]},
    "The high street feels safe after dark.": "Agree",
    "Rate the street cleaning.": 4,
    "Rank these priorities.": ["Seating", "Trees", "Toilets"],
    "How many minutes does it take you?": 15,
}


def respond(consultation, changes: dict | None = None, **kwargs):
    """Send a response to ``consultation``: BASE with ``changes`` (by wording; None removes)."""
    keys = {q.label: q.key for q in consultation.survey.questions}
    values = {**BASE, **(changes or {})}
    answers = {keys[label]: value for label, value in values.items() if value is not None}
    response, _changed = services.submit_response(consultation, answers=answers, **kwargs)
    return response


def result_for(results, wording: str):
    return next(r for r in results if r.question.label == wording)


def shares(result) -> dict[str, tuple[int, float | None]]:
    return {
        s.label: (s.count, None if s.percent is None else round(s.percent, 2))
        for s in result.shares
    }


# --- Questions ----------------------------------------------------------------------------------


def test_single_choice_counts_every_option_with_its_share(consultation):
    for often in ("Every day", "Every day", "Rarely", "Every day"):
        respond(consultation, {"How often do you visit the high street?": often})
    result = result_for(question_results(consultation), "How often do you visit the high street?")
    assert result.respondents == 4
    assert shares(result) == {"Every day": (3, 75.0), "Every week": (0, 0.0), "Rarely": (1, 25.0)}
    assert [bar.text for bar in result.bars] == ["3 (75%)", "0 (0%)", "1 (25%)"]


def test_multiple_choice_shares_are_of_respondents_and_count_other(consultation):
    for chosen in (
        {"options": ["Walk", "Bus"]},
        {"options": ["Walk"], "other": "Scooter"},
        {"options": [], "other": "Horse"},
        {"options": ["Car"]},
    ):
        respond(consultation, {"How do you get there?": chosen})
    result = result_for(question_results(consultation), "How do you get there?")
    assert result.respondents == 4
    assert shares(result) == {
        "Walk": (2, 50.0),
        "Bus": (1, 25.0),
        "Car": (1, 25.0),
        "Other": (2, 50.0),
    }
    assert result.text_count == 2


def test_agreement_scale_distribution_in_scale_order_with_agree_and_disagree(consultation):
    for view in ("Agree", "Strongly agree", "Disagree", "Agree", "Neither agree nor disagree"):
        respond(consultation, {"The high street feels safe after dark.": view})
    result = result_for(question_results(consultation), "The high street feels safe after dark.")
    assert [s.label for s in result.shares] == [
        "Strongly agree",
        "Agree",
        "Neither agree nor disagree",
        "Disagree",
        "Strongly disagree",
    ]
    assert [s.count for s in result.shares] == [1, 2, 1, 1, 0]
    assert result.agree == pytest.approx(60.0)
    assert result.disagree == pytest.approx(20.0)


def test_rating_distribution_and_mean(consultation):
    for score in (4, 4, 2, 5):
        respond(consultation, {"Rate the street cleaning.": score})
    result = result_for(question_results(consultation), "Rate the street cleaning.")
    assert shares(result) == {
        "1": (0, 0.0),
        "2": (1, 25.0),
        "3": (0, 0.0),
        "4": (2, 50.0),
        "5": (1, 25.0),
    }
    assert result.mean == pytest.approx(3.75)


def test_ranking_mean_position_and_borda_points_best_first(consultation):
    for order in (
        ["Seating", "Trees", "Toilets"],
        ["Trees", "Seating", "Toilets"],
        ["Trees", "Toilets", "Seating"],
        ["Trees", "Seating", "Toilets"],
    ):
        respond(consultation, {"Rank these priorities.": order})
    result = result_for(question_results(consultation), "Rank these priorities.")
    assert result.respondents == 4
    summary = [(o.label, o.points, o.mean_position, o.first_choices) for o in result.ranking]
    assert summary == [
        ("Trees", 11, 1.25, 3),
        ("Seating", 8, 2.0, 1),
        ("Toilets", 5, 2.75, 0),
    ]
    assert [bar.value for bar in result.bars] == [11, 8, 5]


@pytest.mark.parametrize(
    ("minutes", "median"),
    [((10, 20, 30, 45), 25.0), ((45, 10, 30), 30.0), ((7,), 7.0)],
)
def test_number_count_min_max_mean_median(consultation, minutes, median):
    for n in minutes:
        respond(consultation, {"How many minutes does it take you?": n})
    result = result_for(question_results(consultation), "How many minutes does it take you?")
    summary = result.number
    assert summary.count == result.respondents == len(minutes)
    assert (summary.minimum, summary.maximum) == (min(minutes), max(minutes))
    assert summary.mean == pytest.approx(sum(minutes) / len(minutes))
    assert summary.median == pytest.approx(median)


def test_location_counts_mentions_per_ward_most_first(consultation, wards):
    where = "Where is the spot that most needs work?"
    respond(consultation, {where: {"ward": wards[1].pk}})
    respond(consultation, {where: {"ward": wards[0].pk, "description": "By the bus stop"}})
    respond(consultation, {where: {"ward": wards[1].pk, "lat": 52.1, "lon": -1.2}})
    respond(consultation)
    result = result_for(question_results(consultation), where)
    assert result.respondents == 3
    assert shares(result) == {"Ward 2": (2, 66.67), "Ward 1": (1, 33.33)}
    assert result.text_count == 1


def test_text_answers_are_counted_and_the_latest_shown_only_when_asked(consultation):
    wording = "What would make the high street better?"
    for text in ("More trees", "", "Fewer cars", "Benches", "A market"):
        respond(consultation, {wording: text or None})
    result = result_for(question_results(consultation), wording)
    assert result.respondents == result.text_count == 4
    assert result.texts == ["A market", "Benches", "Fewer cars"]
    quiet = result_for(question_results(consultation, include_text=False), wording)
    assert quiet.text_count == 4
    assert quiet.texts == []


def test_a_changed_response_is_counted_once_with_its_new_answers(consultation, resident):
    respond(consultation, {"How often do you visit the high street?": "Rarely"}, user=resident)
    respond(consultation, {"How often do you visit the high street?": "Every week"}, user=resident)
    result = result_for(question_results(consultation), "How often do you visit the high street?")
    assert shares(result)["Every week"] == (1, 100.0)
    assert shares(result)["Rarely"] == (0, 0.0)
    assert totals(consultation).responses == 1


def test_results_of_one_consultation_never_include_another(consultation, council):
    other = consultation_page(council, title="Another consultation")
    respond(other, {"How often do you visit the high street?": "Rarely"})
    respond(consultation)
    result = result_for(question_results(consultation), "How often do you visit the high street?")
    assert shares(result)["Rarely"] == (0, 0.0)
    assert totals(consultation).responses == 1


def test_a_consultation_without_responses_has_empty_results(consultation):
    results = question_results(consultation)
    assert len(results) == len(consultation.survey.questions)
    for result in results:
        assert result.respondents == 0
        assert all(s.count == 0 and s.percent is None for s in result.shares)
    assert reach_by_ward(consultation).responses == 0
    assert equality_summary(consultation).respondents == 0


# --- Totals over time ---------------------------------------------------------------------------


def test_responses_over_time_count_uk_days_and_fill_quiet_days(site_structure, council, wards):
    with time_machine.travel(datetime(2026, 6, 15, 12, tzinfo=LONDON), tick=False):
        page = consultation_page(
            council,
            title="Summer consultation",
            opens_at=datetime(2026, 6, 10, 9, tzinfo=LONDON),
            closes_at=datetime(2026, 8, 1, tzinfo=LONDON),
        )
        respond(page, now=datetime(2026, 6, 10, 10, tzinfo=LONDON))
        # 23:30 UTC on the 12th is 00:30 on the 13th in London (BST).
        respond(page, now=datetime(2026, 6, 12, 23, 30, tzinfo=ZoneInfo("UTC")))
        respond(page, now=datetime(2026, 6, 13, 18, tzinfo=LONDON))
        result = totals(page)
    assert result.responses == 3
    assert not result.by_week
    assert [(p.start.day, p.count) for p in result.periods] == [
        (10, 1),
        (11, 0),
        (12, 0),
        (13, 2),
        (14, 0),
        (15, 0),
    ]


def test_a_long_consultation_counts_weeks_from_monday(site_structure, council, wards):
    with time_machine.travel(datetime(2026, 3, 20, 12, tzinfo=LONDON), tick=False):
        page = consultation_page(
            council,
            title="Long consultation",
            opens_at=datetime(2026, 1, 7, 9, tzinfo=LONDON),  # a Wednesday
            closes_at=datetime(2026, 4, 30, tzinfo=LONDON),
        )
        respond(page, now=datetime(2026, 1, 7, 10, tzinfo=LONDON))
        respond(page, now=datetime(2026, 1, 11, 10, tzinfo=LONDON))  # the Sunday after
        respond(page, now=datetime(2026, 1, 12, 10, tzinfo=LONDON))  # the next Monday
        result = totals(page)
    assert result.by_week
    assert result.periods[0].start.isoformat() == "2026-01-05"
    assert [p.count for p in result.periods[:3]] == [2, 1, 0]
    assert result.periods[-1].start.isoformat() == "2026-03-16"
    assert result.periods[0].label == "w/c 5 Jan"


# --- Reach --------------------------------------------------------------------------------------


def test_reach_is_responses_per_thousand_residents_least_heard_first(consultation, wards):
    # Populations: Ward 1 5,000; Ward 2 10,000; Ward 3 15,000.
    unknown = AreaFactory(name="Ward 0", kind=Area.Kind.WARD, parent=wards[0].parent, population=0)
    respond(consultation, ward_id=wards[0].pk)
    respond(consultation, ward_id=wards[0].pk)
    respond(consultation, ward_id=wards[1].pk)
    respond(consultation, ward_id=unknown.pk)
    respond(consultation)
    reach = reach_by_ward(consultation)
    rows = [(w.name, w.responses, w.per_thousand) for w in reach.wards]
    assert rows == [
        ("Ward 3", 0, 0.0),
        ("Ward 2", 1, 0.1),
        ("Ward 1", 2, 0.4),
        ("Ward 0", 1, None),
    ]
    assert reach.ward_not_given == 1
    assert reach.responses == 5
    assert [bar.label for bar in reach.bars] == ["Ward 3", "Ward 2", "Ward 1"]


def test_reach_lists_the_wards_of_the_consultations_areas_and_any_heard_from(consultation, wards):
    other_district = AreaFactory(
        name="South District", kind=Area.Kind.DISTRICT, parent=wards[0].parent.parent
    )
    south = AreaFactory(name="Ward 9", kind=Area.Kind.WARD, parent=other_district, population=900)
    consultation.areas.set([other_district])
    consultation.save()
    respond(consultation, ward_id=wards[2].pk)
    names = [w.name for w in reach_by_ward(consultation).wards]
    assert names == [south.name, "Ward 3"]


# --- Equality -----------------------------------------------------------------------------------


def test_equality_counts_are_aggregate_with_small_counts_suppressed(consultation):
    sexes = ["female"] * 5 + ["male"] * 3 + ["prefer-not"]
    for sex in sexes:
        respond(consultation, equality={"sex": sex, "age_band": "25-34"})
    respond(consultation, equality={"carer": "yes"})
    summary = equality_summary(consultation)
    assert summary.respondents == 10
    sex = next(q for q in summary.questions if q.field == "sex")
    assert [(r.label, r.count) for r in sex.rows] == [
        ("Female", 5),
        ("Male", None),
        ("Prefer not to say", None),
        ("Not answered", None),
    ]
    assert sex.suppressed
    assert sex.rows[0].percent == pytest.approx(50.0)
    age = next(q for q in summary.questions if q.field == "age_band")
    counts = {r.label: r.count for r in age.rows}
    # One small count ("Not answered": 1) would be given away by the total: the next is hidden too.
    assert counts["25 to 34"] is None and counts["Not answered"] is None
    assert counts["18 to 24"] == 0


def test_equality_answers_of_other_consultations_are_not_counted(consultation, council):
    other = consultation_page(council, title="Another consultation")
    for _n in range(6):
        respond(other, equality={"sex": "female"})
    assert equality_summary(consultation).respondents == 0


# --- Queries ------------------------------------------------------------------------------------


# Cold, while open: four "has the response set changed?" checks, then totals 1, questions 8
# (options, multiple-choice respondents, ranking positions, numbers, ward mentions, described
# places and ward names, latest texts), reach 3 and equality 1.
MOST_QUERIES = 17


def _queries(function, *args) -> int:
    """Queries to compute from scratch (the cache emptied first)."""
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        function(*args)
    return len(captured)


def _all_figures(page):
    totals(page)
    question_results(page)
    reach_by_ward(page)
    equality_summary(page)


def test_query_count_does_not_grow_with_responses(consultation, wards):
    respond(
        consultation,
        {
            "What would make the high street better?": "Trees",
            "Where is the spot that most needs work?": {"ward": wards[0].pk},
        },
        ward_id=wards[0].pk,
    )
    one = _queries(_all_figures, consultation)
    for n in range(199):
        respond(
            consultation,
            {
                "What would make the high street better?": f"Idea {n}",
                "How do you get there?": {"options": ["Bus"], "other": f"Way {n}"},
                "Where is the spot that most needs work?": {"ward": wards[n % 3].pk},
            },
            ward_id=wards[n % 3].pk,
            equality={"sex": "female"},
        )
    assert totals(consultation).responses == 200
    assert _queries(_all_figures, consultation) == one
    assert one <= MOST_QUERIES


def _many_questions(count: int) -> list[dict]:
    kinds = [
        ("short_text", {}),
        ("long_text", {}),
        ("single_choice", {"options": ["Yes", "No"]}),
        ("multiple_choice", {"options": ["A", "B"], "allow_other": True}),
        ("likert", {}),
        ("rating", {"scale": "5"}),
        ("ranking", {"options": ["X", "Y"]}),
        ("number", {}),
        ("location", {}),
    ]
    blocks = []
    for n in range(count):
        kind, options = kinds[n % len(kinds)]
        blocks.append(question(kind, f"Question {n} ({kind})?", required=False, **options))
    return [section("Everything", *blocks)]


def _fill_in(page, wards):
    answers = {}
    for q in page.survey.questions:
        answers[q.key] = {
            "short_text": "Words",
            "long_text": "More words",
            "single_choice": "Yes",
            "multiple_choice": {"options": ["A"], "other": "C"},
            "likert": "Agree",
            "rating": 3,
            "ranking": ["Y", "X"],
            "number": 4,
            "location": {"ward": wards[0].pk, "description": "Here"},
        }[q.type]
    services.submit_response(page, answers=answers)


def test_query_count_does_not_grow_with_questions(site_structure, council, wards):
    # The smallest survey that still has one question of every type, against thirty questions.
    small = consultation_page(council, title="Nine questions", questions=_many_questions(9))
    large = consultation_page(council, title="Thirty questions", questions=_many_questions(30))
    for page in (small, large):
        _fill_in(page, wards)
    assert len(large.survey.questions) == 30
    assert _queries(_all_figures, large) == _queries(_all_figures, small)


def test_one_question_needs_no_more_queries_than_thirty(site_structure, council, wards):
    one = consultation_page(
        council,
        title="One question",
        questions=[section("One", question("single_choice", "Yes?", options=["Yes", "No"]))],
    )
    large = consultation_page(council, title="Thirty questions", questions=_many_questions(30))
    services.submit_response(one, answers={one.survey.questions[0].key: "Yes"})
    _fill_in(large, wards)
    assert _queries(_all_figures, one) <= _queries(_all_figures, large) <= MOST_QUERIES


# --- Caching ------------------------------------------------------------------------------------


def test_a_new_response_is_counted_at_once(consultation):
    respond(consultation)
    assert totals(consultation).responses == 1
    respond(consultation, {"How often do you visit the high street?": "Rarely"})
    assert totals(consultation).responses == 2
    result = result_for(question_results(consultation), "How often do you visit the high street?")
    assert shares(result)["Rarely"] == (1, 50.0)


def test_figures_are_computed_once_for_each_response_set(consultation):
    respond(consultation)
    cache.clear()
    _all_figures(consultation)
    with CaptureQueriesContext(connection) as open_again:
        _all_figures(consultation)
    # While open, each figure asks only whether the response set changed.
    assert len(open_again) == 4
    with time_machine.travel(consultation.closes_at, tick=False):
        _all_figures(consultation)
        with CaptureQueriesContext(connection) as closed_again:
            _all_figures(consultation)
    assert len(closed_again) == 0


# --- Charts -------------------------------------------------------------------------------------


def test_bar_chart_scales_bars_to_the_largest_and_escapes_labels():
    bars = [
        Bar("<script>x</script>", 5, "5 (50%)"),
        Bar("Nobody", 0, "0 (0%)"),
        Bar("Half", 2.5, ""),
    ]
    context = bar_chart(bars, title="How? <b>", chart_id="chart-1")
    assert [row["width"] for row in context["rows"]] == ["100", "0", "50"]
    svg = render_to_string("consultations/_chart_bars.html", context)
    assert 'role="img"' in svg and 'aria-labelledby="chart-1-title"' in svg
    assert '<title id="chart-1-title">How? &lt;b&gt;.' in svg
    assert "&lt;script&gt;x&lt;/script&gt;: 5 (50%)" in svg
    assert "<script>" not in svg and "style=" not in svg
    assert not render_to_string(
        "consultations/_chart_bars.html", bar_chart([], "Empty", "c")
    ).strip()


def test_column_chart_draws_one_column_per_period_on_a_shared_scale():
    bars = [Bar("1 Jun", 0, "0"), Bar("2 Jun", 4, "4"), Bar("3 Jun", 2, "2"), Bar("4 Jun", 1, "1")]
    context = column_chart(bars, title="Responses each day", chart_id="over-time")
    heights = [float(c["height"]) for c in context["columns"]]
    assert heights == [0, 120, 60, 30]
    assert [c["x"] for c in context["columns"]] == ["2.5", "27.5", "52.5", "77.5"]
    assert (context["first"], context["last"], context["largest"]) == ("1 Jun", "4 Jun", 4)
    svg = render_to_string("consultations/_chart_columns.html", context)
    assert svg.count("<rect ") == 4 and "Highest: 4" in svg
