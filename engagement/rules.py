"""Shared predicates and the core's permissions.

Roles come from :class:`~engagement.models.Membership`: a user is an officer, moderator or partner
*of an organisation*. Other apps compose these predicates in their own ``rules.py``.
"""

from __future__ import annotations

import rules

from engagement.models import Membership, Organisation

OFFICER = Membership.Role.OFFICER
MODERATOR = Membership.Role.MODERATOR
PARTNER = Membership.Role.PARTNER


def _organisation_id(obj) -> int | None:
    """The organisation an object belongs to: the organisation itself or its ``organisation``."""
    if obj is None:
        return None
    if isinstance(obj, Organisation):
        return obj.pk
    return getattr(obj, "organisation_id", None)


def _holds_role_in(user, obj, *roles: str) -> bool:
    """Whether ``user`` holds one of ``roles`` in the organisation ``obj`` belongs to.

    Without an object (a model-level question such as "may this user change organisations?") the
    answer is whether they hold the role anywhere: the object-level check then decides which ones.
    """
    if not user.is_authenticated:
        return False
    if obj is None:
        return bool(user.organisation_ids(*roles))
    org_id = _organisation_id(obj)
    return org_id is not None and org_id in user.organisation_ids(*roles)


@rules.predicate
def is_officer_of(user, obj=None) -> bool:
    """An officer of the organisation, or of the organisation that owns ``obj``."""
    return _holds_role_in(user, obj, OFFICER)


@rules.predicate
def is_moderator_of(user, obj=None) -> bool:
    """A moderator of the organisation, or of the organisation that owns ``obj``."""
    return _holds_role_in(user, obj, MODERATOR)


@rules.predicate
def is_partner_of(user, obj=None) -> bool:
    """A partner member of the organisation, or of the organisation that owns ``obj``."""
    return _holds_role_in(user, obj, PARTNER)


@rules.predicate
def is_member_of(user, obj=None) -> bool:
    """Any role in the organisation, or in the organisation that owns ``obj``."""
    return _holds_role_in(user, obj)


@rules.predicate
def is_officer(user) -> bool:
    """An officer of any organisation."""
    return _holds_role_in(user, None, OFFICER)


@rules.predicate
def is_moderator(user) -> bool:
    """A moderator or facilitator of any organisation."""
    return _holds_role_in(user, None, MODERATOR)


@rules.predicate
def is_partner(user) -> bool:
    """A partner (member of a VCSE or other partner organisation) of any organisation."""
    return _holds_role_in(user, None, PARTNER)


is_superuser = rules.is_superuser
is_signed_in = rules.is_authenticated

# Permissions asked without an object mean "on at least one": an officer *may* change
# organisations (so the CMS shows the menu), and the object-level check decides which.

# Officers reach the Wagtail admin; what they see there is scoped to their organisations.
rules.add_perm("wagtailadmin.access_admin", is_superuser | is_officer)

rules.add_perm("engagement.view_organisation", rules.always_allow)
rules.add_perm("engagement.change_organisation", is_superuser | is_officer_of)
rules.add_perm("engagement.add_organisation", is_superuser)
rules.add_perm("engagement.delete_organisation", is_superuser)

# Officers decide who holds roles in their own organisation.
for _action in ("view", "add", "change", "delete"):
    rules.add_perm(f"engagement.{_action}_membership", is_superuser | is_officer_of)

rules.add_perm("engagement.view_profile", is_signed_in)
