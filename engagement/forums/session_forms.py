"""Forms for live co-design sessions: a facilitator opens one with a prompt and a length; people
add ideas to it."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from engagement.forums.models import IDEA_MAX_LENGTH, CoDesignSession

PROMPT_MAX_LENGTH = CoDesignSession._meta.get_field("prompt").max_length
MIN_MINUTES = 5
MAX_MINUTES = 240
DEFAULT_MINUTES = 30


class OpenSessionForm(forms.Form):
    """The ids (``session-prompt``, ``session-minutes``) are those the hand-written fields of
    ``forums/_session.html`` carry, so the error summary's links land on them."""

    prompt = forms.CharField(
        label=_("What should people bring ideas for?"),
        max_length=PROMPT_MAX_LENGTH,
        strip=True,
        help_text=_("For example “What would make the play area safer after dark?”"),
        error_messages={
            "required": _("Write the question people will bring ideas for"),
            "max_length": _("Keep the question to %(limit_value)d characters or fewer"),
        },
    )
    minutes = forms.IntegerField(
        label=_("How long should it run, in minutes?"),
        min_value=MIN_MINUTES,
        max_value=MAX_MINUTES,
        initial=DEFAULT_MINUTES,
        help_text=format_lazy(
            _("Between {minimum} and {maximum} minutes."), minimum=MIN_MINUTES, maximum=MAX_MINUTES
        ),
        error_messages={
            "required": _("Enter how many minutes the session should run"),
            "invalid": _("Enter the length as a whole number of minutes, like 30"),
            "min_value": _("A session runs for at least %(limit_value)d minutes"),
            "max_value": _("A session runs for at most %(limit_value)d minutes"),
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "session-%s")
        super().__init__(*args, **kwargs)


class IdeaForm(forms.Form):
    """An idea for a session; its field's id is ``idea-text``, as in ``forums/_session.html``."""

    text = forms.CharField(
        label=_("Your idea"),
        max_length=IDEA_MAX_LENGTH,
        strip=True,
        help_text=format_lazy(
            _("One idea, in {limit} characters or fewer."), limit=IDEA_MAX_LENGTH
        ),
        error_messages={
            "required": _("Write your idea"),
            "max_length": _("Keep your idea to %(limit_value)d characters or fewer"),
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "idea-%s")
        super().__init__(*args, **kwargs)

    def clean_text(self) -> str:
        # One line: the closing summary lists each idea as one numbered line.
        return " ".join(self.cleaned_data["text"].split())
