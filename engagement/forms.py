"""Forms owned by the shared core."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from engagement.models import User


class SignupForm(forms.Form):
    """Extra fields for allauth's sign-up form (allauth calls :meth:`signup`)."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=80,
        help_text=_("Shown next to what you post. You can use your first name or a nickname."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )

    def signup(self, request, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"].strip()
        user.save(update_fields=["display_name"])


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name"]
        widgets = {"display_name": forms.TextInput(attrs={"autocomplete": "nickname"})}
        help_texts = {
            "display_name": _("Shown next to what you post. You can use a first name or nickname.")
        }

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter a display name"))
        return name
