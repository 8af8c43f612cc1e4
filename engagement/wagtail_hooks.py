"""The core's place in the Wagtail admin: organisations and their members, scoped per officer.

Officers see and edit only their own organisations and decide who holds roles in them; superusers
see everything. Every answer comes from django-rules (``engagement/rules.py``), so the admin and the
rest of the site cannot disagree about who may do what.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views.generic import DeleteView, EditView, IndexView
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from consultations.permissions import sync_consultation_officers
from engagement.models import Area, Audience, Membership, Organisation, ServiceCategory, User


class RulesPermissionPolicy(BasePermissionPolicy):
    """Answers Wagtail's permission questions with ``user.has_perm("<app>.<action>_<model>")``.

    Without an instance the rule answers "may do it to at least one" (see engagement/rules.py);
    with an instance it decides for that object. ``instances_user_has_permission_for`` uses the
    model's ``managed_by(user)`` queryset.
    """

    def _perm(self, action: str) -> str:
        return f"{self.model._meta.app_label}.{action}_{self.model._meta.model_name}"

    def user_has_permission(self, user, action: str) -> bool:
        return user.has_perm(self._perm(action))

    def user_has_permission_for_instance(self, user, action: str, instance) -> bool:
        return user.has_perm(self._perm(action), instance)

    def instances_user_has_permission_for(self, user, action: str):
        return self.model.objects.managed_by(user)


register_permission_policy(Organisation, RulesPermissionPolicy(Organisation))
register_permission_policy(Membership, RulesPermissionPolicy(Membership))


class ScopedIndexView(IndexView):
    """Lists only the objects the signed-in user administers."""

    # Foreign keys shown in the listing, loaded with it rather than one query per row.
    list_select_related: tuple[str, ...] = ()

    def get_base_queryset(self):
        queryset = super().get_base_queryset() & self.model.objects.managed_by(self.request.user)
        if self.list_select_related:  # select_related() with no names would follow every key
            queryset = queryset.select_related(*self.list_select_related)
        return queryset


class MembershipIndexView(ScopedIndexView):
    list_select_related = ("user", "organisation")


class _InstancePermissionMixin:
    instance_action = "change"

    # Edit and delete views take a queryset argument; history and usage views take none.
    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if not self.user_has_permission_for_instance(self.instance_action, obj):
            raise PermissionDenied
        return obj


class ScopedEditView(_InstancePermissionMixin, EditView):
    instance_action = "change"


class ScopedDeleteView(_InstancePermissionMixin, DeleteView):
    instance_action = "delete"


# Wagtail checks history and usage only against the model ("may change at least one"), which
# would show an officer the audit trail of any organisation or membership by its id.
class ScopedHistoryView(_InstancePermissionMixin, HistoryView):
    instance_action = "change"


class ScopedUsageView(_InstancePermissionMixin, UsageView):
    instance_action = "change"


class ScopedViewSet(ModelViewSet):
    """A model administered per officer: every view checks the object, listings are scoped."""

    add_to_admin_menu = True
    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView


class OrganisationViewSet(ScopedViewSet):
    model = Organisation
    icon = "group"
    menu_label = _("Organisations")
    menu_order = 250
    list_display = ["name", "kind", "website"]
    list_filter = ["kind"]
    search_fields = ["name"]
    form_fields = ["name", "slug", "kind", "description", "website", "contact_email", "areas"]


LAST_OFFICER_MESSAGE = _(
    "This is the organisation's only officer. Add another officer before removing or changing "
    "this role."
)


class MembershipForm(WagtailAdminModelForm):
    """Add someone to an organisation by the email address they signed up with."""

    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("The person must already have a verified account on the platform."),
    )

    class Meta:
        model = Membership
        fields = ["organisation", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.managed_by(self.for_user)
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email
            self.fields["email"].disabled = True

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if self.instance.pk:
            return self.instance.user.email
        user = User.objects.filter(
            email__iexact=email, emailaddress__verified=True, is_active=True
        ).first()
        if user is None:
            raise forms.ValidationError(
                _("There is no verified account with this email address. Ask them to sign up.")
            )
        self.instance.user = user
        return email

    def clean(self):
        cleaned = super().clean()
        organisation = cleaned.get("organisation")
        duplicate = (
            organisation is not None
            and not self.instance.pk
            and self.instance.user_id is not None
            and Membership.objects.filter(
                user_id=self.instance.user_id, organisation=organisation
            ).exists()
        )
        if duplicate:
            self.add_error("email", _("This person already has a role in this organisation."))
        if (
            self.instance.pk
            and cleaned.get("role") != Membership.Role.OFFICER
            and self.instance.is_last_officer()
        ):
            self.add_error("role", LAST_OFFICER_MESSAGE)
        return cleaned

    def save(self, commit: bool = True):
        membership = super().save(commit=commit)
        if commit:
            # Officers publish consultations through a Wagtail group: keep it in step.
            sync_consultation_officers([membership.user_id])
        return membership


class MembershipDeleteView(ScopedDeleteView):
    """Refuses to remove an organisation's last officer: nobody could administer it after."""

    def post(self, request, *args, **kwargs):
        if self.object.is_last_officer():
            messages.error(request, LAST_OFFICER_MESSAGE)
            return redirect(self.get_success_url())
        return super().post(request, *args, **kwargs)

    def delete_action(self):
        super().delete_action()
        sync_consultation_officers([self.object.user_id])


class MembershipViewSet(ScopedViewSet):
    model = Membership
    icon = "user"
    menu_label = _("Members and roles")
    menu_order = 260
    index_view_class = MembershipIndexView
    delete_view_class = MembershipDeleteView
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role", "organisation"]
    search_fields = ["user__email", "user__display_name", "organisation__name"]
    ordering = ["organisation__name", "user__display_name"]

    def get_form_class(self, for_update: bool = False):
        return MembershipForm


@hooks.register("register_admin_viewset")
def register_organisation_viewset():
    return OrganisationViewSet("organisations")


@hooks.register("register_admin_viewset")
def register_membership_viewset():
    return MembershipViewSet("memberships")


# --- The place and its vocabularies: administrators only (Wagtail's default model permissions) ---


class AreaViewSet(ModelViewSet):
    model = Area
    icon = "site"
    menu_label = _("Areas")
    list_display = ["name", "kind", "parent", "population", "code"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    form_fields = [
        "name", "slug", "code", "kind", "parent", "population", "boundary", "pins_premoderated",
    ]  # fmt: skip


class TaxonomyViewSet(ModelViewSet):
    list_display = ["name", "sort_order"]
    form_fields = ["name", "slug", "sort_order"]


class AudienceViewSet(TaxonomyViewSet):
    model = Audience
    icon = "group"
    menu_label = _("Audiences")


class ServiceCategoryViewSet(TaxonomyViewSet):
    model = ServiceCategory
    icon = "tag"
    menu_label = _("Service categories")


class PlaceViewSetGroup(ModelViewSetGroup):
    menu_label = _("The place")
    menu_icon = "site"
    menu_order = 270
    items = (
        AreaViewSet("areas"),
        AudienceViewSet("audiences"),
        ServiceCategoryViewSet("categories"),
    )


@hooks.register("register_admin_viewset")
def register_place_viewsets():
    return PlaceViewSetGroup()
