"""Who may do what on the shared calendar.

- **Add** an activity: officers and partners of any organisation (and superusers). The form only
  offers the organisations they belong to.
- **Change** an activity: officers and partners of one of its organisations, or a superuser.
- **Approve** (or reject) a pending activity: officers of a public body, or a superuser.
- **See clash reasons** and pending activities on the calendar: officers, or a superuser.

There is no "trusted organisation" flag yet: public bodies (councils, the NHS, fire, police) are
trusted and publish at once; everyone else (VCSE partners, businesses, universities) waits for an
officer's approval. See :func:`publishes_directly`.
"""

from __future__ import annotations

from collections.abc import Iterable

import rules

from engagement.models import Membership, Organisation
from engagement.rules import is_officer, is_partner, is_superuser

OFFICER = Membership.Role.OFFICER
PARTNER = Membership.Role.PARTNER
POSTING_ROLES = (OFFICER, PARTNER)


def publishes_directly(user, organisations: Iterable[Organisation]) -> bool:
    """Whether ``user`` posting an activity for these organisations publishes it without an
    officer's approval: when they post for a public body they belong to (or are a superuser)."""
    if user.is_superuser:
        return True
    mine = user.organisation_ids(*POSTING_ROLES)
    return any(
        org.kind in Organisation.PUBLIC_BODY_KINDS and org.pk in mine for org in organisations
    )


def public_body_officer(user) -> bool:
    """An officer of at least one public body: one query, kept on the user for the request."""
    if not user.is_authenticated:
        return False
    if "_public_body_officer" not in user.__dict__:
        user.__dict__["_public_body_officer"] = Organisation.objects.filter(
            pk__in=user.organisation_ids(OFFICER), kind__in=Organisation.PUBLIC_BODY_KINDS
        ).exists()
    return user.__dict__["_public_body_officer"]


@rules.predicate
def posts_for_an_organisation(user) -> bool:
    """An officer or partner of any organisation."""
    return is_officer(user) or is_partner(user)


@rules.predicate
def belongs_to_activity(user, activity=None) -> bool:
    """An officer or partner of one of the activity's organisations (without an activity: of any
    organisation, and the object-level check decides which)."""
    mine = user.organisation_ids(*POSTING_ROLES) if user.is_authenticated else set()
    if activity is None:
        return bool(mine)
    # .all() uses the prefetched organisations when the view has them.
    return any(org.pk in mine for org in activity.organisations.all())


@rules.predicate
def approves_activities(user) -> bool:
    """An officer of a public body."""
    return public_body_officer(user)


rules.add_perm("calendar.view_activity", rules.always_allow)
rules.add_perm("calendar.add_activity", is_superuser | posts_for_an_organisation)
rules.add_perm("calendar.change_activity", is_superuser | belongs_to_activity)
rules.add_perm("calendar.approve_activity", is_superuser | approves_activities)
rules.add_perm("calendar.view_clash_reasons", is_superuser | is_officer)
