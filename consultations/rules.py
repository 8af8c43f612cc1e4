"""Who may do what with consultations.

Owning and co-owning organisations run a consultation together: their officers edit it, see its
results and publish its outcome; their moderators read and theme free-text answers. Residents
respond while it is published and open. In the CMS the same ownership rule scopes Wagtail's page
permissions (see ``consultations.permissions``).
"""

from __future__ import annotations

import rules

from engagement.models import Membership
from engagement.rules import is_superuser

OFFICER = Membership.Role.OFFICER
MODERATOR = Membership.Role.MODERATOR


def _runs(user, consultation, *roles: str) -> bool:
    if not user.is_authenticated:
        return False
    held = user.organisation_ids(*roles)
    if consultation is None:
        return bool(held)
    return bool(held & consultation.owner_ids())


@rules.predicate
def is_officer_of_consultation(user, consultation=None) -> bool:
    """An officer of an organisation that owns or co-owns the consultation."""
    return _runs(user, consultation, OFFICER)


@rules.predicate
def is_moderator_of_consultation(user, consultation=None) -> bool:
    """A moderator of an organisation that owns or co-owns the consultation."""
    return _runs(user, consultation, MODERATOR)


@rules.predicate
def is_published(user, consultation) -> bool:
    """The consultation is live on the site (a draft or withdrawn one takes no responses)."""
    return consultation is not None and consultation.live


@rules.predicate
def is_open(user, consultation) -> bool:
    """The consultation is taking responses now (server time)."""
    return consultation is not None and consultation.is_open()


@rules.predicate
def accepts_this_respondent(user, consultation) -> bool:
    """Anyone may respond where anonymous responses are allowed; otherwise only the signed in."""
    return consultation is not None and (consultation.allow_anonymous or user.is_authenticated)


runs_it = is_superuser | is_officer_of_consultation

rules.add_perm(
    "consultations.respond_consultation", is_published & is_open & accepts_this_respondent
)
rules.add_perm("consultations.change_consultation", runs_it)
rules.add_perm("consultations.view_results", runs_it)
rules.add_perm("consultations.export_results", runs_it)
rules.add_perm("consultations.publish_outcome", runs_it)
rules.add_perm("consultations.theme_answers", runs_it | is_moderator_of_consultation)
