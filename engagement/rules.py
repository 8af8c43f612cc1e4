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


@rules.predicate
def is_officer(user) -> bool:
    """An officer of any organisation."""
    return user.is_authenticated and bool(user.organisation_ids(OFFICER))


@rules.predicate
def is_moderator(user) -> bool:
    """A moderator or facilitator of any organisation."""
    return user.is_authenticated and bool(user.organisation_ids(MODERATOR))


@rules.predicate
def is_partner(user) -> bool:
    """A partner (member of a VCSE or other partner organisation) of any organisation."""
    return user.is_authenticated and bool(user.organisation_ids(PARTNER))


@rules.predicate
def is_officer_of(user, obj) -> bool:
    """An officer of the organisation, or of the organisation that owns ``obj``."""
    org_id = _organisation_id(obj)
    return user.is_authenticated and org_id is not None and org_id in user.organisation_ids(OFFICER)


@rules.predicate
def is_moderator_of(user, obj) -> bool:
    """A moderator of the organisation, or of the organisation that owns ``obj``."""
    org_id = _organisation_id(obj)
    return (
        user.is_authenticated and org_id is not None and org_id in user.organisation_ids(MODERATOR)
    )


@rules.predicate
def is_partner_of(user, obj) -> bool:
    """A partner member of the organisation, or of the organisation that owns ``obj``."""
    org_id = _organisation_id(obj)
    return user.is_authenticated and org_id is not None and org_id in user.organisation_ids(PARTNER)


@rules.predicate
def is_member_of(user, obj) -> bool:
    """Any role in the organisation, or in the organisation that owns ``obj``."""
    org_id = _organisation_id(obj)
    return user.is_authenticated and org_id is not None and org_id in user.organisation_ids()


is_superuser = rules.is_superuser
is_signed_in = rules.is_authenticated

# Officers reach the Wagtail admin; what they see there is scoped to their organisations.
rules.add_perm("wagtailadmin.access_admin", is_superuser | is_officer)

rules.add_perm("engagement.view_organisation", rules.always_allow)
rules.add_perm("engagement.change_organisation", is_superuser | is_officer_of)
rules.add_perm("engagement.add_organisation", is_superuser)
rules.add_perm("engagement.delete_organisation", is_superuser)
rules.add_perm("engagement.view_membership", is_superuser | is_officer_of)
rules.add_perm("engagement.manage_membership", is_superuser | is_officer_of)
rules.add_perm("engagement.view_profile", is_signed_in)
