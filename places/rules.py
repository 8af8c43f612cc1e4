"""Who may do what with pins.

Residents pin and add "me too" when signed in (anonymously too where the deployment allows it,
and then always checked by a moderator first). Anyone may flag. Moderators of a public body that
serves a pin's ward (the ward itself, its district or the whole county) hide and restore it;
officers of such a body, or of the body a pin was passed to, answer it. Officers of any public
body see the epicentres and export pins.
"""

from __future__ import annotations

import rules
from django.conf import settings
from django.db.models import Q

from engagement.models import Area, Membership, Organisation
from engagement.rules import is_moderator, is_officer, is_superuser

OFFICER = Membership.Role.OFFICER
MODERATOR = Membership.Role.MODERATOR


def served_ward_ids(user, role: str) -> frozenset[int]:
    """Wards served by the public bodies in which ``user`` holds ``role``: one query, cached on
    the user for the rest of the request."""
    if not user.is_authenticated:
        return frozenset()
    cache = user.__dict__.setdefault("_served_wards", {})
    if role not in cache:
        organisations = Organisation.objects.filter(
            pk__in=user.organisation_ids(role), kind__in=Organisation.PUBLIC_BODY_KINDS
        )
        cache[role] = frozenset(
            Area.objects.wards()
            .filter(
                Q(organisations__in=organisations)
                | Q(parent__organisations__in=organisations)
                | Q(parent__parent__organisations__in=organisations)
            )
            .values_list("pk", flat=True)
            .distinct()
        )
    return cache[role]


def responding_organisations(user, pin):
    """The organisations ``user`` may answer ``pin`` for (as an officer)."""
    officer_of = user.organisation_ids(OFFICER)
    bodies = Organisation.objects.filter(pk__in=officer_of)
    if user.is_superuser:
        bodies = Organisation.objects.all()
    ward = pin.ward
    chain = [ward.pk, ward.parent_id, ward.parent.parent_id if ward.parent_id else None]
    serving = Q(kind__in=Organisation.PUBLIC_BODY_KINDS, areas__in=[a for a in chain if a])
    if pin.responsible_organisation_id:
        serving |= Q(pk=pin.responsible_organisation_id)
    return bodies.filter(serving).distinct().order_by("name")


@rules.predicate
def may_pin(user) -> bool:
    return user.is_authenticated or settings.PLACES_ALLOW_ANONYMOUS_PINS


@rules.predicate
def moderates_pin(user, pin=None) -> bool:
    if pin is None:
        return bool(served_ward_ids(user, MODERATOR))
    return pin.ward_id in served_ward_ids(user, MODERATOR)


@rules.predicate
def answers_pin(user, pin=None) -> bool:
    if pin is None:
        return bool(served_ward_ids(user, OFFICER))
    return pin.ward_id in served_ward_ids(user, OFFICER) or (
        pin.responsible_organisation_id is not None
        and pin.responsible_organisation_id in user.organisation_ids(OFFICER)
    )


rules.add_perm("places.add_pin", may_pin)
rules.add_perm("places.moderate_pin", is_superuser | moderates_pin)
rules.add_perm("places.respond_pin", is_superuser | answers_pin)
rules.add_perm("places.view_epicentres", is_superuser | is_officer)
rules.add_perm("places.export_pins", is_superuser | is_officer)
rules.add_perm("places.view_moderation_queue", is_superuser | is_moderator)
