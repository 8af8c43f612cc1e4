"""Who may do what with consultations in the Wagtail admin.

Officers publish consultations in the CMS, each scoped to the organisations they are an officer of.
Two pieces do it, and each does one thing:

1. **One Wagtail group opens the door.** The "Consultation officers" group holds a single page
   permission: *add* on the consultation hub. That is all Wagtail needs to give an officer the page
   explorer (rooted at the hub) and the "Add child page" button. Membership of the group mirrors
   officer memberships and is kept in step explicitly by :func:`sync_consultation_officers`, called
   by ``manage.py setup_site`` / ``seed_demo`` (through ``ensure_site_structure``) and by the
   membership admin whenever a role changes. There are no signals.

   The group deliberately holds neither *change* nor *publish*: Wagtail propagates group
   permissions to every page below, so they would give every officer every organisation's
   consultations (in Wagtail's own listings and reports as well as the editor), and the code would
   have to take them away again page by page.

2. **Ownership decides everything else, page by page.** ``ConsultationPage.permissions_for_user``
   returns a :class:`ConsultationPermissionTester`. Every page view of the Wagtail admin asks the
   page's tester — edit, preview, revisions and history, lock, copy, move, delete, unpublish,
   workflow actions and the listing buttons — so one rule holds in all of them. For a user who is
   not a superuser:

   * an officer of an owning or co-owning organisation may edit, lock and unlock it, submit it for
     review, unpublish it, cancel a scheduled publication, and delete or move it while it is not
     live and holds no responses (responses are statutory records and go with the page);
   * nobody publishes directly: a consultation is published when a *second* officer approves it in
     the "Consultation review" workflow (:mod:`consultations.workflow`). That approval is the only
     moment an officer's tester answers yes to "may publish", so the Publish button never bypasses
     review and Wagtail's own publishing code needs no special path;
   * everyone else gets nothing: officers of other organisations see the consultation in the
     explorer (it is public once live) but cannot open it. Other Wagtail groups are not consulted
     either: consultations belong to organisations, not to site editors.

   Ownership is read from the database (the page as last published, or as last saved while it has
   never been published), once per request, like Wagtail's own page-permission cache. A draft that
   changes the owners therefore changes who may edit only once it is published, after review.

``ConsultationPageForm`` limits the owner organisation to the editor's own organisations, and leaves
the owner and co-owners alone when a co-owner edits: the owner decides who shares it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.models import GroupPagePermission, Page, PagePermissionTester

from engagement.models import Membership, Organisation

OFFICERS_GROUP = "Consultation officers"
OFFICER = Membership.Role.OFFICER

# What an officer of an owning organisation may do to a consultation, in Wagtail's terms. Publishing
# is not among them: approval by a second officer publishes (see publishing_on_approval).
OWNER_ACTIONS = frozenset({"change", "lock", "unlock"})

_CACHE_ATTRIBUTE = "_consultations_run_cache"
# Set on a consultation (by the explorer's query, or on first asking): whether it holds responses.
HOLDS_RESPONSES = "_consultation_holds_responses"

# (user id, page id) while that user's approval publishes that consultation.
_approval_publishing: ContextVar[tuple[int, int] | None] = ContextVar(
    "consultation_approval_publishing", default=None
)


# --- Ownership -----------------------------------------------------------------------------------


def consultation_ids_run_by(user) -> frozenset[int]:
    """Ids of the consultations ``user`` is an officer of an owning or co-owning organisation of.

    One query, cached on the user object (a request's user lives for that request).
    """
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        from consultations.models import ConsultationPage

        organisation_ids = user.organisation_ids(OFFICER)
        cached = frozenset(
            ConsultationPage.objects.run_by(organisation_ids).values_list("pk", flat=True)
            if organisation_ids
            else ()
        )
        setattr(user, _CACHE_ATTRIBUTE, cached)
    return cached


def runs_consultation(user, page) -> bool:
    """Whether ``user`` is an officer of an organisation that owns or co-owns ``page``.

    The same rule as ``consultations.change_consultation`` for an officer, answered from the
    per-request cache so listings cost no query per row.
    """
    return page.pk is not None and page.pk in consultation_ids_run_by(user)


@contextmanager
def publishing_on_approval(user, page) -> Iterator[None]:
    """While ``user``'s approval of ``page`` in review runs, let it publish the page."""
    token = _approval_publishing.set((user.pk, page.pk))
    try:
        yield
    finally:
        _approval_publishing.reset(token)


# --- Permission testers --------------------------------------------------------------------------


class ConsultationPermissionTester(PagePermissionTester):
    """Wagtail's answers for one consultation, narrowed to the officers of its organisations."""

    def __init__(self, user, page):
        super().__init__(user, page)
        self.runs = user.is_active and runs_consultation(user, page)
        if user.is_active and not user.is_superuser:
            # Group permissions only let officers in (see the module docstring).
            self.permissions = set(OWNER_ACTIONS) if self.runs else set()

    @property
    def _superuser(self) -> bool:
        return self.user.is_active and self.user.is_superuser

    def can_publish(self):
        if self._superuser:
            return super().can_publish()
        return self.runs and _approval_publishing.get() == (self.user.pk, self.page.pk)

    def can_unpublish(self):
        if self._superuser:
            return super().can_unpublish()
        return self.runs and self.page.live and not self.page_locked()

    def can_unschedule(self):
        # Cancelling a scheduled go-live publishes nothing, so it needs no second officer.
        return self._superuser or self.runs

    def can_set_view_restrictions(self):
        return self._superuser and super().can_set_view_restrictions()

    def can_submit_for_moderation(self):
        return (self._superuser or self.runs) and super().can_submit_for_moderation()

    def can_delete(self, ignore_bulk=False):
        if self._superuser:
            return super().can_delete(ignore_bulk=ignore_bulk)
        # A consultation has no subpages, so Wagtail's rule for editors without publishing rights
        # ("nothing live below") is whether it is live. Responses go with the page: keep them.
        return self.runs and not self.page.live and not self._holds_responses()

    def _holds_responses(self) -> bool:
        # The explorer annotates its rows with this (see wagtail_hooks); elsewhere it is asked once
        # per page object (a listing asks for its delete button and again for move).
        held = getattr(self.page, HOLDS_RESPONSES, None)
        if held is None:
            held = self.page.responses.exists()
            setattr(self.page, HOLDS_RESPONSES, held)
        return held

    def can_view_results(self) -> bool:
        """``consultations.view_results`` for this page, from the per-request ownership cache."""
        return self._superuser or self.runs


class HubPermissionTester(PagePermissionTester):
    """The hub: only officers (and superusers) may add consultations under it."""

    def __init__(self, user, page):
        super().__init__(user, page)
        if user.is_active and not user.is_superuser and not user.organisation_ids(OFFICER):
            self.permissions.discard("add")


# --- The page editor -----------------------------------------------------------------------------


class ConsultationPageForm(WagtailAdminPageForm):
    """The consultation editor: an officer chooses an owner among their own organisations.

    A co-owner's officer edits the consultation but not who owns or shares it. Superusers choose
    freely. The choices are enforced server-side: a posted organisation outside them is refused.
    """

    OWNERSHIP_FIELDS = ("organisation", "co_owners")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if user is None or user.is_superuser or "organisation" not in self.fields:
            return
        own = user.organisation_ids(OFFICER)
        owner_id = self.instance.organisation_id
        if owner_id is not None and owner_id not in own:
            for name in self.OWNERSHIP_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _(
                        "Only an officer of the owner organisation can change this."
                    )
            return
        field = self.fields["organisation"]
        field.queryset = Organisation.objects.filter(pk__in=own)
        if owner_id is None and len(own) == 1:
            self.initial["organisation"] = next(iter(own))


# --- Keeping the group in step with officer memberships -----------------------------------------


def ensure_officer_group(hub: Page) -> Group:
    """Create (or find) the "Consultation officers" group with *add* on the hub, and fill it."""
    group, _created = Group.objects.get_or_create(name=OFFICERS_GROUP)
    add_page = Permission.objects.get(content_type__app_label="wagtailcore", codename="add_page")
    GroupPagePermission.objects.get_or_create(group=group, page=hub, permission=add_page)
    sync_consultation_officers()
    return group


def sync_consultation_officers(user_ids: Iterable[int] | None = None) -> None:
    """Make the group's members exactly the officers of any organisation.

    With ``user_ids``, only those people are brought in step (the membership admin passes the person
    whose role changed). Does nothing before ``ensure_officer_group`` has created the group.
    """
    group = Group.objects.filter(name=OFFICERS_GROUP).first()
    if group is None:
        return
    officers = Membership.objects.officers()
    members = group.user_set.all()
    if user_ids is not None:
        user_ids = list(user_ids)
        officers = officers.filter(user_id__in=user_ids)
        members = members.filter(pk__in=user_ids)
    officer_ids = set(officers.values_list("user_id", flat=True))
    member_ids = set(members.values_list("pk", flat=True))
    if officer_ids - member_ids:
        group.user_set.add(*(officer_ids - member_ids))
    if member_ids - officer_ids:
        group.user_set.remove(*(member_ids - officer_ids))
