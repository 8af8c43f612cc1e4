"""The optional "About you" equality-monitoring questions.

Special category data under UK GDPR: every question is optional and offers "Prefer not to say";
answers are stored in their own table (:class:`consultations.models.EqualityAnswers`), never in the
response, never in exports, and are read only as aggregates with counts under
:data:`SUPPRESS_BELOW` suppressed. The categories follow the 2021 Census for England.
"""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

PREFER_NOT = "prefer-not"
SUPPRESS_BELOW = 5


class AgeBand(models.TextChoices):
    UNDER_18 = "under-18", _("Under 18")
    A18_24 = "18-24", _("18 to 24")
    A25_34 = "25-34", _("25 to 34")
    A35_44 = "35-44", _("35 to 44")
    A45_54 = "45-54", _("45 to 54")
    A55_64 = "55-64", _("55 to 64")
    A65_74 = "65-74", _("65 to 74")
    A75 = "75-plus", _("75 or over")
    PREFER_NOT = PREFER_NOT, _("Prefer not to say")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    PREFER_NOT = PREFER_NOT, _("Prefer not to say")


class YesNo(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    PREFER_NOT = PREFER_NOT, _("Prefer not to say")


class Ethnicity(models.TextChoices):
    ASIAN = "asian", _("Asian or Asian British")
    BLACK = "black", _("Black, Black British, Caribbean or African")
    MIXED = "mixed", _("Mixed or multiple ethnic groups")
    WHITE = "white", _("White")
    OTHER = "other", _("Another ethnic group")
    PREFER_NOT = PREFER_NOT, _("Prefer not to say")


class Religion(models.TextChoices):
    NONE = "none", _("No religion")
    BUDDHIST = "buddhist", _("Buddhist")
    CHRISTIAN = "christian", _("Christian")
    HINDU = "hindu", _("Hindu")
    JEWISH = "jewish", _("Jewish")
    MUSLIM = "muslim", _("Muslim")
    SIKH = "sikh", _("Sikh")
    OTHER = "other", _("Any other religion")
    PREFER_NOT = PREFER_NOT, _("Prefer not to say")


class SexualOrientation(models.TextChoices):
    STRAIGHT = "straight", _("Straight or heterosexual")
    GAY_LESBIAN = "gay-lesbian", _("Gay or lesbian")
    BISEXUAL = "bisexual", _("Bisexual")
    OTHER = "other", _("Another sexual orientation")
    PREFER_NOT = PREFER_NOT, _("Prefer not to say")


# (field name, question, choices) in the order they are asked.
QUESTIONS: tuple[tuple[str, str, type[models.TextChoices]], ...] = (
    ("age_band", _("What is your age?"), AgeBand),
    ("sex", _("What is your sex?"), Sex),
    (
        "gender_same_as_sex",
        _("Is the gender you identify with the same as your sex registered at birth?"),
        YesNo,
    ),
    (
        "disability",
        _(
            "Do you have any physical or mental health conditions or illnesses lasting or "
            "expected to last 12 months or more that reduce your ability to carry out day-to-day "
            "activities?"
        ),
        YesNo,
    ),
    ("ethnicity", _("What is your ethnic group?"), Ethnicity),
    ("religion", _("What is your religion?"), Religion),
    (
        "sexual_orientation",
        _("Which of the following best describes your sexual orientation?"),
        SexualOrientation,
    ),
    (
        "carer",
        _(
            "Do you look after, or give any help or support to, anyone because of their "
            "health or age?"
        ),
        YesNo,
    ),
)
FIELDS = tuple(name for name, _question, _choices in QUESTIONS)


class EqualityForm(forms.Form):
    """Every question optional, every question with "Prefer not to say"."""

    prefix = "about"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, question, choices in QUESTIONS:
            self.fields[name] = forms.ChoiceField(
                label=question,
                choices=choices.choices,
                widget=forms.RadioSelect,
                required=False,
            )

    def answers(self) -> dict[str, str]:
        return {name: value for name, value in self.cleaned_data.items() if value}


def suppress_small(counts: dict[str, int]) -> dict[str, int | None]:
    """Counts under :data:`SUPPRESS_BELOW` become None ("fewer than 5"), and so does any other count
    that would let a suppressed one be worked out from a published total."""
    suppressed = {key: (None if 0 < n < SUPPRESS_BELOW else n) for key, n in counts.items()}
    hidden = [key for key, n in suppressed.items() if n is None]
    if len(hidden) == 1:
        # One hidden cell beside a known total is no secret: hide the next smallest as well.
        candidates = sorted((n, key) for key, n in suppressed.items() if n is not None and n > 0)
        if candidates:
            suppressed[candidates[0][1]] = None
    return suppressed
