"""Forms owned by the shared core."""

from __future__ import annotations

from allauth.account import forms as allauth_forms
from django import forms
from django.utils.translation import gettext_lazy as _

from engagement.models import User

DISPLAY_NAME_HINT = _("Shown next to what you post. You can use your first name or a nickname.")


class SignupForm(allauth_forms.SignupForm):
    """allauth's sign-up with a display name and GOV.UK wording (ACCOUNT_FORMS["signup"])."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=80,
        help_text=DISPLAY_NAME_HINT,
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
        error_messages={"required": _("Enter a display name")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Email address")
        self.fields["email"].help_text = _("We will send you a link to confirm it.")
        self.fields["email"].error_messages["required"] = _("Enter your email address")
        self.fields["password1"].label = _("Create a password")
        self.fields["password1"].error_messages["required"] = _("Enter a password")
        self.order_fields(["email", "display_name", "password1"])

    def clean_display_name(self) -> str:
        return self.cleaned_data["display_name"].strip()


class LoginForm(allauth_forms.LoginForm):
    """allauth's sign-in with GOV.UK wording (ACCOUNT_FORMS["login"]).

    The "Forgot your password?" link is shown after the form instead of inside the password hint,
    where screen readers would read it as the field's description.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("Email address")
        self.fields["login"].error_messages["required"] = _("Enter your email address")
        self.fields["password"].help_text = ""
        self.fields["password"].error_messages["required"] = _("Enter your password")
        if "remember" in self.fields:
            self.fields["remember"].label = _("Keep me signed in on this device")


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name"]
        widgets = {"display_name": forms.TextInput(attrs={"autocomplete": "nickname"})}
        help_texts = {"display_name": DISPLAY_NAME_HINT}
        # The field strips spaces, so a blank name fails "required" before clean_display_name.
        error_messages = {"display_name": {"required": _("Enter a display name")}}

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter a display name"))
        return name
