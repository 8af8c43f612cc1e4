"""The survey engine: question definitions, per-page forms, conditions and answer values.

A consultation's ``questions`` StreamField is read once into plain :class:`Question` objects grouped
into :class:`Section` pages. Each section becomes an ordinary Django form, so validation, error
messages and the no-JavaScript journey are the framework's. Answers travel as plain JSON-able
values keyed by the question's stable block id:

=================  ==============================================================
short/long text    ``"text"``
single choice      ``"option"``
multiple choice    ``{"options": ["a", "b"], "other": "text"}``
agreement scale    ``"Agree"`` (one of :data:`LIKERT_SCALE`)
rating             ``4``
ranking            ``["first", "second", ...]`` (every option, best first)
number             ``12.5``
location           ``{"ward": 7, "lat": 52.1, "lon": -1.2, "description": "..."}``
=================  ==============================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.blocks import StreamValue

OTHER = "__other__"
LIKERT_SCALE = (
    _("Strongly agree"),
    _("Agree"),
    _("Neither agree nor disagree"),
    _("Disagree"),
    _("Strongly disagree"),
)
# Stored in English whatever the interface language, so results never split by locale.
LIKERT_VALUES = (
    "Strongly agree",
    "Agree",
    "Neither agree nor disagree",
    "Disagree",
    "Strongly disagree",
)
CHOICE_TYPES = {"single_choice", "multiple_choice", "likert", "rating"}
TEXT_TYPES = {"short_text", "long_text"}
DEFAULT_MAX_LENGTH = {"short_text": 200, "long_text": 5000}


@dataclass(frozen=True)
class Question:
    key: str
    type: str
    label: str
    hint: str = ""
    required: bool = True
    reference: str = ""
    options: tuple[str, ...] = ()
    allow_other: bool = False
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ""
    scale: int = 5
    # (key of an earlier question, the answer that shows this one)
    condition: tuple[str, str] | None = None
    # The wording of the question the condition depends on, for the "answer only if" note.
    condition_label: str = ""
    number: int = 0

    @property
    def field_name(self) -> str:
        return f"q-{self.key}"

    def choices(self) -> tuple[str, ...]:
        """The values an answer may take, for the question types that have a fixed set."""
        if self.type == "likert":
            return LIKERT_VALUES
        if self.type == "rating":
            return tuple(str(n) for n in range(1, self.scale + 1))
        return self.options

    def shown(self, answers: Mapping[str, Any]) -> bool:
        """Whether this question applies, given the answers so far."""
        if self.condition is None:
            return True
        key, expected = self.condition
        given = answers.get(key)
        if isinstance(given, dict):
            given = given.get("options", [])
        if isinstance(given, list):
            return expected in given
        return given is not None and str(given) == expected


@dataclass(frozen=True)
class Section:
    index: int
    title: str
    introduction: Any = ""
    questions: tuple[Question, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Survey:
    sections: tuple[Section, ...]

    @property
    def questions(self) -> list[Question]:
        return [q for section in self.sections for q in section.questions]

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    def __len__(self) -> int:
        return len(self.sections)

    def visible_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Answers to the questions that apply, in survey order; others are dropped.

        A resident who changes an earlier answer can hide a later question; its old answer must not
        be kept, so every save goes through this.
        """
        kept: dict[str, Any] = {}
        for question in self.questions:
            if question.key in answers and question.shown(kept):
                value = answers[question.key]
                if value not in (None, "", [], {}):
                    kept[question.key] = value
        return kept

    def missing(self, answers: Mapping[str, Any]) -> list[Question]:
        """Required questions that apply and have no answer: what stops a submission."""
        visible = self.visible_answers(answers)
        return [
            q for q in self.questions if q.required and q.shown(visible) and q.key not in visible
        ]


def _text(value: Any) -> str:
    return str(value or "").strip()


def build_survey(stream_value: StreamValue) -> Survey:
    """Read a ``questions`` StreamField value into a :class:`Survey`.

    It reads the stored JSON (``raw_data``) rather than the blocks, which Wagtail would build one
    by one for every question of every request: a thirty-question survey is read in a tenth of the
    time. References in conditions are resolved to the stable key of an *earlier* question; a
    condition naming an unknown or later reference is ignored here (page validation reports it to
    the editor).
    """
    sections = []
    by_reference: dict[str, str] = {}
    labels: dict[str, str] = {}
    number = 0
    for index, section_data in enumerate(stream_value.raw_data, start=1):
        value = section_data.get("value") or {}
        questions = []
        for block in value.get("questions") or ():
            number += 1
            kind = block["type"]
            data = block.get("value") or {}
            reference = _text(data.get("reference"))
            condition = None
            target = by_reference.get(_text(data.get("show_if_reference")))
            if target:
                condition = (target, _text(data.get("show_if_answer")))
            # A ListBlock stores {"type": "item", "value": ..., "id": ...} per item (plain values
            # in content saved before Wagtail 2.16).
            items = (
                o.get("value") if isinstance(o, dict) else o for o in data.get("options") or ()
            )
            options = tuple(text for text in map(_text, items) if text)
            question = Question(
                key=str(block.get("id")),
                type=kind,
                label=_text(data.get("question")),
                hint=_text(data.get("hint")),
                required=bool(data.get("required")),
                reference=reference,
                options=options,
                allow_other=bool(data.get("allow_other")),
                max_length=data.get("max_length") or DEFAULT_MAX_LENGTH.get(kind),
                minimum=data.get("minimum"),
                maximum=data.get("maximum"),
                unit=_text(data.get("unit")),
                scale=int(data.get("scale") or 5),
                condition=condition,
                condition_label=labels.get(target, "") if target else "",
                number=number,
            )
            questions.append(question)
            labels[question.key] = question.label
            if reference:
                by_reference[reference] = question.key
        sections.append(
            Section(
                index=index,
                title=_text(value.get("title")),
                introduction=value.get("introduction") or "",
                questions=tuple(questions),
            )
        )
    return Survey(sections=tuple(sections))


# --- Forms --------------------------------------------------------------------------------------


class RankingField(forms.MultiValueField):
    """One "position" select per option; every option ranked, each position used once."""

    def __init__(self, options: tuple[str, ...], **kwargs):
        self.options = options
        positions = [("", _("Choose a position"))] + [
            (str(n), str(n)) for n in range(1, len(options) + 1)
        ]
        fields = [forms.ChoiceField(choices=positions, required=False) for _option in options]
        widget = forms.MultiWidget([forms.Select(choices=positions) for _option in options])
        super().__init__(fields=fields, widget=widget, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list or not any(data_list):
            return []
        if not all(data_list):
            raise forms.ValidationError(_("Give every option a position."))
        if len(set(data_list)) != len(data_list):
            raise forms.ValidationError(_("Use each position only once."))
        order = sorted(zip(data_list, self.options, strict=True), key=lambda pair: int(pair[0]))
        return [option for _position, option in order]


def _field_for(question: Question, wards: list[tuple[int, str]]) -> dict[str, forms.Field]:
    """The form field(s) one question needs, by name."""
    common = {"label": question.label, "help_text": question.hint, "required": False}
    name = question.field_name
    if question.type in TEXT_TYPES:
        widget = forms.Textarea if question.type == "long_text" else forms.TextInput
        return {name: forms.CharField(max_length=question.max_length, widget=widget, **common)}
    if question.type in {"single_choice", "likert", "rating"}:
        choices = [(value, value) for value in question.choices()]
        if question.type == "likert":
            choices = list(zip(LIKERT_VALUES, LIKERT_SCALE, strict=True))
        return {name: forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)}
    if question.type == "multiple_choice":
        choices = [(o, o) for o in question.options]
        if question.allow_other:
            choices.append((OTHER, _("Other")))
        fields = {
            name: forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        }
        if question.allow_other:
            fields[f"{name}-other"] = forms.CharField(
                label=_("Tell us what else"), max_length=200, required=False
            )
        return fields
    if question.type == "ranking":
        return {name: RankingField(question.options, **common)}
    if question.type == "number":
        return {
            name: forms.FloatField(
                min_value=question.minimum,
                max_value=question.maximum,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                **common,
            )
        }
    if question.type == "location":
        ward_choices = [("", _("Choose a ward"))] + [(str(pk), label) for pk, label in wards]
        return {
            name: forms.TypedChoiceField(
                choices=ward_choices,
                coerce=int,
                empty_value=None,
                widget=forms.Select(attrs={"class": "govuk-select"}),
                **common,
            ),
            f"{name}-description": forms.CharField(
                label=_("Describe the spot (optional)"), max_length=300, required=False
            ),
            f"{name}-lat": forms.FloatField(
                label=_("Latitude (optional)"), min_value=-90, max_value=90, required=False
            ),
            f"{name}-lon": forms.FloatField(
                label=_("Longitude (optional)"), min_value=-180, max_value=180, required=False
            ),
        }
    raise ValueError(f"unknown question type {question.type!r}")


class SectionForm(forms.Form):
    """The questions of one survey page.

    ``earlier`` holds answers already given on earlier pages, so conditions that depend on them are
    decided on the server: a question whose condition is not met is not shown, not required and
    not kept. A condition on a question of the same page cannot be decided before the resident
    answers: the question is shown with its condition as a hint (JavaScript hides it until it
    applies) and is required only when its condition turns out to be met.
    """

    def __init__(
        self,
        section: Section,
        *args,
        earlier: Mapping[str, Any] | None = None,
        wards: list[tuple[int, str]] | None = None,
        answers: Mapping[str, Any] | None = None,
        **kwargs,
    ):
        self.section = section
        self.earlier = dict(earlier or {})
        keys_here = {q.key for q in section.questions}
        self.questions = [
            q
            for q in section.questions
            if q.condition is None or q.condition[0] in keys_here or q.shown(self.earlier)
        ]
        kwargs.setdefault("initial", initial_for(self.questions, answers or {}))
        super().__init__(*args, **kwargs)
        self.field_names: dict[str, list[str]] = {}
        for question in self.questions:
            fields = _field_for(question, wards or [])
            self.fields.update(fields)
            self.field_names[question.key] = list(fields)

    def bound_questions(self):
        """Each question with its bound fields, in order, and whether its condition depends on an
        answer on this same page (so the browser, not the server, decides whether to show it)."""
        keys_here = {q.key for q in self.section.questions}
        for question in self.questions:
            same_page = bool(question.condition and question.condition[0] in keys_here)
            yield question, [self[name] for name in self.field_names[question.key]], same_page

    def clean(self):
        cleaned = super().clean()
        answers = dict(self.earlier)
        for question in self.questions:
            if any(name.startswith(question.field_name) for name in self.errors):
                continue  # already has a specific error; an answer that failed is not an answer
            value = _value_from(question, cleaned)
            if value is not None and question.shown(answers):
                answers[question.key] = value
            elif (
                question.required
                and question.shown(answers)
                and question.field_name not in self.errors
            ):
                self.add_error(question.field_name, _required_message(question))
        self.answers = {q.key: answers[q.key] for q in self.questions if q.key in answers}
        return cleaned


def _required_message(question: Question) -> str:
    if question.type in {"single_choice", "likert", "rating", "location"}:
        return _("Select an answer to “%(question)s”.") % {"question": question.label}
    if question.type == "multiple_choice":
        return _("Select at least one answer to “%(question)s”.") % {"question": question.label}
    if question.type == "ranking":
        return _("Rank the options for “%(question)s”.") % {"question": question.label}
    return _("Answer “%(question)s”.") % {"question": question.label}


def _value_from(question: Question, cleaned: Mapping[str, Any]) -> Any:
    """The answer value in its stored shape, or None when unanswered."""
    raw = cleaned.get(question.field_name)
    if question.type in TEXT_TYPES:
        return _text(raw) or None
    if question.type == "rating":
        return int(raw) if raw else None
    if question.type in {"single_choice", "likert"}:
        return raw or None
    if question.type == "multiple_choice":
        options = [o for o in raw or [] if o != OTHER]
        other = _text(cleaned.get(f"{question.field_name}-other")) if OTHER in (raw or []) else ""
        if not options and not other:
            return None
        return (
            {"options": options, "other": other} if question.allow_other else {"options": options}
        )
    if question.type == "ranking":
        return list(raw or []) or None
    if question.type == "number":
        return raw
    if question.type == "location":
        if raw is None:
            return None
        value: dict[str, Any] = {"ward": raw}
        lat, lon = (
            cleaned.get(f"{question.field_name}-lat"),
            cleaned.get(f"{question.field_name}-lon"),
        )
        if lat is not None and lon is not None:
            value.update(lat=lat, lon=lon)
        description = _text(cleaned.get(f"{question.field_name}-description"))
        if description:
            value["description"] = description
        return value
    return raw


def initial_for(questions: Iterable[Question], answers: Mapping[str, Any]) -> dict[str, Any]:
    """Form initial data from stored answer values (for resuming or editing a response)."""
    initial: dict[str, Any] = {}
    for question in questions:
        value = answers.get(question.key)
        if value is None:
            continue
        name = question.field_name
        if question.type == "multiple_choice":
            chosen = list(value.get("options", []))
            if value.get("other"):
                chosen.append(OTHER)
                initial[f"{name}-other"] = value["other"]
            initial[name] = chosen
        elif question.type == "ranking":
            positions = {option: str(n) for n, option in enumerate(value, start=1)}
            initial[name] = [positions.get(option, "") for option in question.options]
        elif question.type == "location":
            initial[name] = value.get("ward")
            for part in ("lat", "lon", "description"):
                if part in value:
                    initial[f"{name}-{part}"] = value[part]
        elif question.type == "rating":
            initial[name] = str(value)
        else:
            initial[name] = value
    return initial


def display_value(
    question: Question, value: Any, ward_names: Mapping[int, str] | None = None
) -> str:
    """An answer as a resident reads it: for check-your-answers, the emailed copy and exports."""
    if value is None:
        return ""
    if question.type == "multiple_choice":
        parts = list(value.get("options", []))
        if value.get("other"):
            parts.append(f"{_('Other')}: {value['other']}")
        return "; ".join(parts)
    if question.type == "ranking":
        return "; ".join(f"{n}. {option}" for n, option in enumerate(value, start=1))
    if question.type == "location":
        parts = [(ward_names or {}).get(value.get("ward"), str(value.get("ward", "")))]
        if "lat" in value:
            parts.append(f"{value['lat']:.5f}, {value['lon']:.5f}")
        if value.get("description"):
            parts.append(value["description"])
        return "; ".join(p for p in parts if p)
    if question.type == "number" and float(value).is_integer():
        return f"{int(value)}"
    return str(value)


def answer_rows(question: Question, value: Any) -> list[dict[str, Any]]:
    """The rows that index one answer for aggregation in the database.

    One row per chosen option (so counting options is a GROUP BY), per ranked option with its
    position, and one row for text, numbers and locations.
    """
    if value is None:
        return []
    if question.type in TEXT_TYPES:
        return [{"text": value}]
    if question.type in {"single_choice", "likert"}:
        return [{"option": value}]
    if question.type == "rating":
        return [{"option": str(value), "number": value}]
    if question.type == "multiple_choice":
        rows = [{"option": option} for option in value.get("options", [])]
        if value.get("other"):
            rows.append({"option": OTHER, "text": value["other"]})
        return rows
    if question.type == "ranking":
        return [{"option": option, "number": n} for n, option in enumerate(value, start=1)]
    if question.type == "number":
        return [{"number": value}]
    if question.type == "location":
        return [
            {
                "area_id": value.get("ward"),
                "lat": value.get("lat"),
                "lon": value.get("lon"),
                "text": value.get("description", ""),
            }
        ]
    return []
