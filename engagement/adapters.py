"""django-allauth integration."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def populate_username(self, request, user):
        # Users have no username; allauth must not try to invent one.
        return None
