"""Officers' forms: themes for free-text answers and "We asked, you said, we did"."""

from __future__ import annotations

from django import forms
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consultations.models import ConsultationPage, Outcome, Theme


class ThemeForm(forms.Form):
    """A new theme for a consultation's free-text answers."""

    prefix = "theme"

    name = forms.CharField(
        label=gettext_lazy("New theme"),
        help_text=gettext_lazy("A short name, for example “Parking” or “Safety at night”."),
        max_length=80,
        error_messages={"required": gettext_lazy("Enter a name for the theme.")},
    )

    def __init__(self, *args, consultation: ConsultationPage, **kwargs):
        self.consultation = consultation
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if Theme.objects.filter(consultation=self.consultation, name__iexact=name).exists():
            raise forms.ValidationError(
                _("There is already a theme called “%(name)s”.") % {"name": name}
            )
        return name

    def save(self) -> Theme:
        """Create the theme (or return the one another officer created a moment ago)."""
        name = self.cleaned_data["name"]
        try:
            with transaction.atomic():
                return Theme.objects.create(consultation=self.consultation, name=name)
        except IntegrityError:
            return Theme.objects.get(consultation=self.consultation, name=name)


class TagForm(forms.Form):
    """Add a theme to, or take one off, one answer. The ids are resolved (or refused with a 404)
    by the view; this form only says whether they were given."""

    answer = forms.CharField(widget=forms.HiddenInput)
    theme = forms.CharField(
        error_messages={"required": gettext_lazy("Choose a theme to add to this answer.")}
    )


class OutcomeForm(forms.ModelForm):
    """ "We asked, you said, we did". A draft may be saved at any time; publishing needs all three
    parts and a consultation that has closed."""

    class Meta:
        model = Outcome
        fields = ["we_asked", "you_said", "we_did", "done_by"]
        labels = {
            "we_asked": gettext_lazy("We asked"),
            "you_said": gettext_lazy("You said"),
            "we_did": gettext_lazy("We did (or will do)"),
            "done_by": gettext_lazy("When it will be done (optional)"),
        }
        help_texts = {
            "we_asked": gettext_lazy("What the consultation asked, in a sentence or two."),
            "you_said": gettext_lazy("What people told you: the main themes and figures."),
            "we_did": gettext_lazy("What you decided or will do because of it, and why."),
            "done_by": gettext_lazy("For example, 31/3/2027"),
        }
        widgets = {
            "we_asked": forms.Textarea,
            "you_said": forms.Textarea,
            "we_did": forms.Textarea,
            "done_by": forms.DateInput(attrs={"inputmode": "numeric"}),
        }

    REQUIRED_TO_PUBLISH = {
        "we_asked": gettext_lazy("Enter what you asked."),
        "you_said": gettext_lazy("Enter what people said."),
        "we_did": gettext_lazy("Enter what you did or will do."),
    }

    def __init__(self, *args, publishing: bool = False, **kwargs):
        self.publishing = publishing
        super().__init__(*args, **kwargs)
        self.fields["done_by"].input_formats = ["%d/%m/%Y", "%d %m %Y", "%Y-%m-%d"]
        self.fields["done_by"].error_messages["invalid"] = _(
            "Enter the date as day/month/year, for example 31/3/2027."
        )

    def clean(self):
        cleaned = super().clean()
        if self.publishing:
            consultation = self.instance.consultation
            if not consultation.is_closed():
                raise forms.ValidationError(
                    _(
                        "You can publish the outcome once the consultation has closed, on "
                        "%(closes)s. You can save a draft until then."
                    )
                    % {
                        "closes": date_format(
                            timezone.localtime(consultation.closes_at), "j F Y, H:i"
                        )
                    }
                )
            for name, message in self.REQUIRED_TO_PUBLISH.items():
                if not (cleaned.get(name) or "").strip() and name not in self.errors:
                    self.add_error(name, message)
        return cleaned
