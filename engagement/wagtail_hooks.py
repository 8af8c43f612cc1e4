"""The core's place in the Wagtail admin: organisations and their members, scoped per officer.

Officers see and edit only their own organisations and decide who holds roles in them; superusers
see everything. Every answer comes from django-rules (``engagement/rules.py``), so the admin and the
rest of the site cannot disagree about who may do what.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views.generic import DeleteView, EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from engagement.models import Membership, Organisation, User


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

    def get_base_queryset(self):
        return super().get_base_queryset() & self.model.objects.managed_by(self.request.user)


class _InstancePermissionMixin:
    instance_action = "change"

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not self.user_has_permission_for_instance(self.instance_action, obj):
            raise PermissionDenied
        return obj


class ScopedEditView(_InstancePermissionMixin, EditView):
    instance_action = "change"


class ScopedDeleteView(_InstancePermissionMixin, DeleteView):
    instance_action = "delete"


class OrganisationViewSet(ModelViewSet):
    model = Organisation
    icon = "group"
    menu_label = _("Organisations")
    menu_order = 250
    add_to_admin_menu = True
    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    list_display = ["name", "kind", "website"]
    list_filter = ["kind"]
    search_fields = ["name"]
    form_fields = ["name", "slug", "kind", "description", "website", "contact_email", "areas"]


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
        return cleaned


class MembershipViewSet(ModelViewSet):
    model = Membership
    icon = "user"
    menu_label = _("Members and roles")
    menu_order = 260
    add_to_admin_menu = True
    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
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
