"""django-allauth integration."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def populate_username(self, request, user):
        # Users have no username; allauth must not try to invent one.
        return None

    def save_user(self, request, user, form, commit=True):
        # The display name is part of the sign-up form, so the account is complete when created.
        user.display_name = form.cleaned_data.get("display_name", "")
        return super().save_user(request, user, form, commit=commit)
