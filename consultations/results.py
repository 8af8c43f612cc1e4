"""What a consultation heard, counted in the database.

Every figure is a GROUP BY over indexed rows: :class:`~consultations.models.Answer` for the
questions, :class:`~consultations.models.Response` for totals and reach, and
:class:`~consultations.models.EqualityAnswers` for the "About you" questions. Each kind of figure
is one query for the whole consultation (all option counts at once, all numeric summaries at once,
and so on), so the number of queries does not grow with responses or questions. Python only shapes
the grouped rows, a handful per option, into what the templates show.

Figures are cached for as long as the response set they counted stands (see :func:`_cached`), so
a results page read many times, or a public results page read by everyone, counts once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from django.core.cache import cache
from django.db import connections
from django.db.models import Aggregate, Avg, Count, F, FloatField, Max, Min, Q, Window
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from consultations.equality import QUESTIONS as EQUALITY_QUESTIONS
from consultations.equality import suppress_small
from consultations.models import Answer, ConsultationPage, EqualityAnswers, Response
from consultations.survey import LIKERT_SCALE, LIKERT_VALUES, OTHER, TEXT_TYPES, Question
from engagement.models import Area

# How many of the latest written answers the results page shows under each text question.
TEXT_SAMPLE = 3
# Up to this many days the responses-over-time chart counts days; longer periods count weeks.
DAILY_UP_TO_DAYS = 42
# How long computed figures are kept (seconds): see _cached.
CACHE_WHILE_OPEN = 60
CACHE_WHEN_CLOSED = 60 * 60

T = TypeVar("T")


def _percent(count: int, of: int) -> float | None:
    return count * 100 / of if of else None


def _figure(count: int, percent: float | None) -> str:
    """ "1,234 (56%)": a count with its share, as printed beside a bar."""
    if percent is None:
        return f"{count:,}"
    return _("%(count)s (%(percent)s%%)") % {"count": f"{count:,}", "percent": f"{percent:.0f}"}


def _cached(page: ConsultationPage, name: str, compute: Callable[[], T]) -> T:
    """``compute()``, kept in the cache for as long as the response set it counted stands.

    While the consultation is open the key carries the time of the latest response sent (read
    from the end of the ``(consultation, status, submitted_at)`` index: one row, however many
    responses), so a new response is counted at once; a response changed or removed shows within
    :data:`CACHE_WHILE_OPEN` seconds. Once it has closed nothing can be sent or changed, and the
    figures are kept for :data:`CACHE_WHEN_CLOSED` seconds (a retention purge shows within that).
    """
    if page.is_closed():
        state, timeout = "closed", CACHE_WHEN_CLOSED
    else:
        latest = (
            Response.objects.submitted()
            .filter(consultation=page)
            .aggregate(latest=Max("submitted_at"))["latest"]
        )
        state, timeout = (latest.timestamp() if latest else "none"), CACHE_WHILE_OPEN
    key = (
        f"consultations:results:v1:{page.pk}:{page.latest_revision_id}:{get_language()}:"
        f"{name}:{state}"
    )
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: what it stands for, its length and the figure printed with it."""

    label: str
    value: float
    text: str


# --- Totals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A day or a week of the consultation and the responses sent in it."""

    start: date
    label: str
    count: int


@dataclass(frozen=True)
class Totals:
    responses: int
    periods: list[Period]
    by_week: bool
    counted_at: datetime

    @property
    def bars(self) -> list[Bar]:
        return [Bar(p.label, p.count, f"{p.count:,}") for p in self.periods]


def totals(page: ConsultationPage) -> Totals:
    """How many responses were sent, and how many on each day (or week) of the consultation
    (cached: see :func:`_cached`)."""
    return _cached(page, "totals", lambda: _totals(page))


def _totals(page: ConsultationPage) -> Totals:
    """How many responses were sent, and how many on each day (or week) of the consultation.

    One query: submitted responses grouped by their day in UK time, over the
    ``(consultation, status, submitted_at)`` index. Days without responses are filled in here.
    """
    tz = timezone.get_default_timezone()
    per_day = dict(
        Response.objects.submitted()
        .filter(consultation=page)
        .annotate(day=TruncDate("submitted_at", tzinfo=tz))
        .values_list("day")
        .annotate(n=Count("*"))
        .order_by()
    )
    responses = sum(per_day.values())
    start = timezone.localtime(page.opens_at, tz).date()
    end = min(timezone.localdate(timezone=tz), timezone.localtime(page.closes_at, tz).date())
    if per_day:
        start, end = min(start, *per_day), max(end, *per_day)
    if end < start:
        return Totals(responses, [], by_week=False, counted_at=timezone.now())
    by_week = (end - start).days >= DAILY_UP_TO_DAYS
    counts: dict[date, int] = defaultdict(int)
    for day, n in per_day.items():
        counts[day - timedelta(days=day.weekday()) if by_week else day] += n
    first = start - timedelta(days=start.weekday()) if by_week else start
    step = timedelta(days=7 if by_week else 1)
    periods = []
    moment = first
    while moment <= end:
        label = date_format(moment, "j M")
        if by_week:
            label = _("w/c %(date)s") % {"date": label}
        periods.append(Period(moment, label, counts.get(moment, 0)))
        moment += step
    return Totals(responses, periods, by_week=by_week, counted_at=timezone.now())


# --- Questions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """How many respondents gave one answer, and their share of those who answered the question."""

    label: str
    count: int
    percent: float | None


@dataclass(frozen=True)
class RankedOption:
    """One option of a ranking question: its average position and its Borda points (with ``k``
    options, a first place earns ``k`` points and a last place 1)."""

    label: str
    mean_position: float | None
    points: int
    first_choices: int


@dataclass(frozen=True)
class NumberSummary:
    count: int
    minimum: float | None
    maximum: float | None
    mean: float | None
    median: float | None


@dataclass
class QuestionResult:
    """The summary of one question, shaped for its type."""

    question: Question
    respondents: int = 0
    shares: list[Share] = field(default_factory=list)
    # Rating: the mean score. Agreement scale: the share who agree and who disagree.
    mean: float | None = None
    agree: float | None = None
    disagree: float | None = None
    ranking: list[RankedOption] = field(default_factory=list)
    number: NumberSummary | None = None
    # Answers with words in them (free text, "Other" answers, descriptions of a place)...
    text_count: int = 0
    # ...and the latest few, when asked for.
    texts: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.question.type

    @property
    def bars(self) -> list[Bar]:
        if self.ranking:
            return [
                Bar(o.label, o.points, _("%(points)s points") % {"points": f"{o.points:,}"})
                for o in self.ranking
            ]
        return [Bar(s.label, s.count, _figure(s.count, s.percent)) for s in self.shares]


def has_written_answers(question: Question) -> bool:
    """Whether a question's answers can carry words for officers to read and theme: free text,
    "Other" answers to a multiple-choice question, and descriptions of a place."""
    return (
        question.type in TEXT_TYPES
        or question.type == "location"
        or (question.type == "multiple_choice" and question.allow_other)
    )


def question_results(page: ConsultationPage, include_text: bool = True) -> list[QuestionResult]:
    """A summary of every question, in survey order (cached: see :func:`_cached`).

    With ``include_text`` the latest few written answers to each text question come too; without
    it (the public page) only their number does.
    """
    return _cached(
        page, f"questions:{int(include_text)}", lambda: _question_results(page, include_text)
    )


def _question_results(page: ConsultationPage, include_text: bool) -> list[QuestionResult]:
    """Up to nine queries, each for every question that needs it and none per question or per
    response: option counts; respondents to multiple-choice questions; the position matrix of
    ranking questions; the numeric summaries; mentions of each ward, how many were described and
    the wards' names; and the latest written answers."""
    questions = page.survey.questions
    keys: dict[str, list[str]] = defaultdict(list)
    for q in questions:
        keys[q.type].append(q.key)
    answers = Answer.objects.filter(consultation=page)
    text_keys = keys["short_text"] + keys["long_text"]
    choice_keys = keys["single_choice"] + keys["multiple_choice"] + keys["likert"] + keys["rating"]

    counts = _option_counts(answers, choice_keys + text_keys)
    chose = _respondents(page, keys["multiple_choice"])
    positions = _positions(answers, keys["ranking"])
    numbers = _number_summaries(answers, keys["number"])
    places, described, ward_names = _ward_mentions(answers, keys["location"])
    samples = _latest_texts(answers, text_keys) if include_text else {}

    results = []
    for q in questions:
        result = QuestionResult(question=q)
        given = counts.get(q.key, {})
        if q.type in {"single_choice", "likert", "rating"}:
            result.respondents = sum(given.values())
            result.shares = _shares(q, given, result.respondents)
            if q.type == "likert" and result.respondents:
                agreeing = sum(given.get(v, 0) for v in LIKERT_VALUES[:2])
                disagreeing = sum(given.get(v, 0) for v in LIKERT_VALUES[3:])
                result.agree = _percent(agreeing, result.respondents)
                result.disagree = _percent(disagreeing, result.respondents)
            scored = [(int(o), n) for o, n in given.items() if o.isdigit()]
            if q.type == "rating" and scored:
                result.mean = sum(o * n for o, n in scored) / sum(n for _o, n in scored)
        elif q.type == "multiple_choice":
            result.respondents = chose.get(q.key, 0)
            result.shares = _shares(q, given, result.respondents)
            result.text_count = given.get(OTHER, 0)
        elif q.type == "ranking":
            matrix = positions.get(q.key, {})
            result.ranking = _ranking(q, matrix)
            # Everyone who ranks puts exactly one option first.
            result.respondents = sum(by_position.get(1, 0) for by_position in matrix.values())
        elif q.type == "number":
            result.number = numbers.get(q.key, NumberSummary(0, None, None, None, None))
            result.respondents = result.number.count
        elif q.type == "location":
            mentions = sorted(
                places.get(q.key, []), key=lambda row: (-row[1], ward_names.get(row[0], ""))
            )
            result.respondents = sum(n for _area, n in mentions)
            result.shares = [
                Share(
                    ward_names.get(area_id) or _("Ward not known"),
                    n,
                    _percent(n, result.respondents),
                )
                for area_id, n in mentions
            ]
            result.text_count = described.get(q.key, 0)
        elif q.type in TEXT_TYPES:
            result.respondents = result.text_count = sum(given.values())
            result.texts = samples.get(q.key, [])
        results.append(result)
    return results


def _option_counts(answers, keys: list[str]) -> dict[str, dict[str, int]]:
    """Rows per (question, option), read from the (consultation, question, option) index alone.

    Text answers have no option, so for them this is the number of answers.
    """
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    if keys:
        rows = answers.filter(question__in=keys).values_list("question", "option")
        for key, option, n in rows.annotate(n=Count("*")).order_by():
            counts[key][option] = n
    return counts


def _respondents(page: ConsultationPage, keys: list[str]) -> dict[str, int]:
    """How many sent responses answered each of these questions, in one pass over the responses.

    A multiple-choice answer has a row per chosen option, so counting distinct responses among the
    rows would sort them all (over a second for 100,000 responses); each response's answers say
    directly which questions it answered.
    """
    if not keys:
        return {}
    figures = (
        Response.objects.submitted()
        .filter(consultation=page)
        .aggregate(
            **{f"q{i}": Count("pk", filter=Q(answers__has_key=key)) for i, key in enumerate(keys)}
        )
    )
    return {key: figures[f"q{i}"] for i, key in enumerate(keys)}


def _positions(answers, keys: list[str]) -> dict[str, dict[str, dict[int, int]]]:
    """For each ranking question, how often each option was put in each position."""
    positions: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    if keys:
        matrix = answers.filter(question__in=keys).values_list("question", "option", "number")
        for key, option, position, n in matrix.annotate(n=Count("*")).order_by():
            positions[key][option][int(position)] = n
    return positions


def _ward_mentions(answers, keys: list[str]):
    """For each location question, the (ward, mentions) pairs, how many mentions came with a
    description, and the names of the wards mentioned."""
    places: dict[str, list[tuple[int | None, int]]] = defaultdict(list)
    described: dict[str, int] = defaultdict(int)
    if not keys:
        return places, described, {}
    # Two index-only counts: mentions by ward, and (from the index of written answers) how many
    # came with words.
    mentions = (
        answers.filter(question__in=keys).values_list("question", "area_id").annotate(n=Count("*"))
    )
    for key, area_id, n in mentions.order_by():
        places[key].append((area_id, n))
    with_words = answers.filter(question__in=keys).exclude(text="").values_list("question")
    described.update(with_words.annotate(n=Count("*")).order_by())
    area_ids = {area_id for rows in places.values() for area_id, _n in rows if area_id}
    names = dict(Area.objects.filter(pk__in=area_ids).values_list("pk", "name")) if area_ids else {}
    return places, described, names


def _latest_texts(answers, keys: list[str]) -> dict[str, list[str]]:
    """Up to :data:`TEXT_SAMPLE` of the latest written answers to each question.

    Read newest first along the primary key and stopped after a few rows per question, so it
    costs the same for 10 or 100,000 answers; a question answered rarely may show fewer.
    """
    samples: dict[str, list[str]] = defaultdict(list)
    if not keys:
        return samples
    latest = (
        answers.filter(question__in=keys)
        .exclude(text="")
        .order_by("-pk")
        .values_list("question", "text")[: TEXT_SAMPLE * len(keys) * 4]
    )
    for key, text in latest:
        if len(samples[key]) < TEXT_SAMPLE:
            samples[key].append(text)
    return samples


def _shares(question: Question, given: dict[str, int], respondents: int) -> list[Share]:
    """Every offered answer (chosen or not) in the question's order, then "Other", then answers
    no longer offered (an option renamed after responses came in)."""
    labels = (
        dict(zip(LIKERT_VALUES, LIKERT_SCALE, strict=True)) if question.type == "likert" else {}
    )
    offered = list(question.choices())
    if question.type == "multiple_choice" and (question.allow_other or OTHER in given):
        offered.append(OTHER)
    labels[OTHER] = _("Other")
    offered += sorted(option for option in given if option not in offered and option)
    return [
        Share(
            str(labels.get(option, option)),
            given.get(option, 0),
            _percent(given.get(option, 0), respondents),
        )
        for option in offered
    ]


def _ranking(question: Question, matrix: dict[str, dict[int, int]]) -> list[RankedOption]:
    """Average position and Borda points per option, best first."""
    places = max([len(question.options), *(p for row in matrix.values() for p in row)])
    options = list(question.options) + sorted(o for o in matrix if o not in question.options)
    ranked = []
    for option in options:
        by_position = matrix.get(option, {})
        rankings = sum(by_position.values())
        ranked.append(
            RankedOption(
                label=option,
                mean_position=(
                    sum(p * n for p, n in by_position.items()) / rankings if rankings else None
                ),
                points=sum((places + 1 - p) * n for p, n in by_position.items()),
                first_choices=by_position.get(1, 0),
            )
        )
    return sorted(ranked, key=lambda o: -o.points)


class Median(Aggregate):
    """The median of a column: PostgreSQL's ``percentile_cont(0.5)``."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _number_summaries(answers, keys: list[str]) -> dict[str, NumberSummary]:
    """Count, lowest, highest, mean and median of each number question, in one query."""
    if not keys:
        return {}
    rows = answers.filter(question__in=keys, number__isnull=False)
    if connections[rows.db].vendor == "postgresql":
        stats = (
            rows.values_list("question")
            .annotate(
                size=Count("*"),
                lowest=Min("number"),
                highest=Max("number"),
                mean=Avg("number"),
                median=Median("number"),
            )
            .order_by()
        )
        return {key: NumberSummary(*figures) for key, *figures in stats}
    return _number_summaries_by_window(rows)


def _number_summaries_by_window(rows) -> dict[str, NumberSummary]:
    """The same without ``percentile_cont`` (SQLite): window functions number each question's
    answers in order and carry its totals on every row, and only the middle row (or the middle
    two) of each question comes back."""
    by_question = {"partition_by": [F("question")]}
    middle_rows = (
        rows.annotate(
            position=Window(RowNumber(), order_by=F("number").asc(), **by_question),
            size=Window(Count("*"), **by_question),
            lowest=Window(Min("number"), **by_question),
            highest=Window(Max("number"), **by_question),
            mean=Window(Avg("number"), **by_question),
        )
        .filter(position__gte=(F("size") + 1) / 2, position__lte=(F("size") + 2) / 2)
        .values_list("question", "number", "size", "lowest", "highest", "mean")
    )
    middles: dict[str, list[float]] = defaultdict(list)
    summaries = {}
    for key, number, size, lowest, highest, mean in middle_rows:
        middles[key].append(number)
        median = sum(middles[key]) / len(middles[key])
        summaries[key] = NumberSummary(size, lowest, highest, mean, median)
    return summaries


# --- Reach --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WardReach:
    ward_id: int
    name: str
    population: int
    responses: int

    @property
    def per_thousand(self) -> float | None:
        """Responses per 1,000 residents; None when the ward's population is not known."""
        return self.responses * 1000 / self.population if self.population else None


@dataclass(frozen=True)
class Reach:
    wards: list[WardReach]
    responses: int
    ward_not_given: int

    @property
    def bars(self) -> list[Bar]:
        return [
            Bar(w.name, w.per_thousand, f"{w.per_thousand:.2f}")
            for w in self.wards
            if w.per_thousand is not None
        ]


def reach_by_ward(page: ConsultationPage) -> Reach:
    """Responses per 1,000 residents of every ward, least heard first (cached: see
    :func:`_cached`)."""
    return _cached(page, "reach", lambda: _reach_by_ward(page))


def _reach_by_ward(page: ConsultationPage) -> Reach:
    """Responses per 1,000 residents of every ward, least heard first.

    Every ward of the consultation's areas is listed (every ward of the place when it has none),
    with wards that sent nothing at the top; a ward outside those areas appears when someone
    living there responded. Wards with no known population come last. Three queries: responses
    grouped by ward, the consultation's areas, and the wards.
    """
    by_ward = dict(
        Response.objects.submitted()
        .filter(consultation=page)
        .values_list("ward_id")
        .annotate(n=Count("*"))
        .order_by()
    )
    not_given = by_ward.pop(None, 0)
    area_ids = list(page.areas.values_list("pk", flat=True))
    wards = Area.objects.wards()
    if area_ids:
        wards = wards.filter(
            Q(pk__in=area_ids)
            | Q(parent_id__in=area_ids)
            | Q(parent__parent_id__in=area_ids)
            | Q(pk__in=list(by_ward))
        )
    reach = [
        WardReach(pk, name, population, by_ward.get(pk, 0))
        for pk, name, population in wards.values_list("pk", "name", "population")
    ]
    reach.sort(key=lambda w: (w.per_thousand is None, w.per_thousand or 0, w.responses, w.name))
    return Reach(wards=reach, responses=sum(by_ward.values()) + not_given, ward_not_given=not_given)


# --- Equality monitoring ------------------------------------------------------------------------


@dataclass(frozen=True)
class EqualityRow:
    """One answer to an equality question: its count, or None when suppressed as too small."""

    label: str
    count: int | None
    percent: float | None


@dataclass(frozen=True)
class EqualityResult:
    field: str
    label: str
    rows: list[EqualityRow]

    @property
    def suppressed(self) -> bool:
        return any(row.count is None for row in self.rows)


@dataclass(frozen=True)
class EqualitySummary:
    respondents: int
    questions: list[EqualityResult]


def equality_summary(page: ConsultationPage) -> EqualitySummary:
    """The "About you" answers in aggregate only, small counts suppressed (cached: see
    :func:`_cached`; only the suppressed aggregate is ever kept)."""
    return _cached(page, "equality", lambda: _equality_summary(page))


def _equality_summary(page: ConsultationPage) -> EqualitySummary:
    """The "About you" answers in aggregate only, small counts suppressed.

    One query counts every answer to every question (conditional counts over the consultation's
    rows). Each question's counts, "Not answered" included, go through
    :func:`~consultations.equality.suppress_small`, so no count under five is shown or can be
    worked out from the total.
    """
    aggregates = {"respondents": Count("*")}
    for i, (name, _question, choices) in enumerate(EQUALITY_QUESTIONS):
        for j, value in enumerate(choices.values):
            aggregates[f"c{i}_{j}"] = Count("pk", filter=Q(**{name: value}))
        aggregates[f"c{i}_blank"] = Count("pk", filter=Q(**{name: ""}))
    figures = EqualityAnswers.objects.filter(consultation=page).aggregate(**aggregates)
    respondents = figures["respondents"]
    questions = []
    for i, (name, question, choices) in enumerate(EQUALITY_QUESTIONS):
        counts = {value: figures[f"c{i}_{j}"] for j, value in enumerate(choices.values)}
        counts[""] = figures[f"c{i}_blank"]
        shown = suppress_small(counts)
        labels = dict(choices.choices)
        labels[""] = _("Not answered")
        rows = [
            EqualityRow(
                str(labels[value]),
                shown[value],
                _percent(shown[value], respondents) if shown[value] is not None else None,
            )
            for value in counts
        ]
        questions.append(EqualityResult(field=name, label=str(question), rows=rows))
    return EqualitySummary(respondents=respondents, questions=questions)
