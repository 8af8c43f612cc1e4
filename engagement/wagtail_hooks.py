"""The core's place in the Wagtail admin: organisations, scoped to the officer's own."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.views.generic import EditView, IndexView
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from engagement.models import Organisation
from engagement.rules import is_officer


class OrganisationPermissionPolicy(BasePermissionPolicy):
    """Answers Wagtail's permission questions about organisations from django-rules.

    Without an instance, "change" means "may change some organisation" (any officer), so the admin
    shows the menu; with an instance the rule decides, so an officer edits only their own.
    """

    def user_has_permission(self, user, action: str) -> bool:
        if action == "change":
            return user.is_superuser or is_officer(user)
        return user.has_perm(f"engagement.{action}_organisation")

    def user_has_permission_for_instance(self, user, action: str, instance) -> bool:
        return user.has_perm(f"engagement.{action}_organisation", instance)

    def instances_user_has_permission_for(self, user, action: str):
        if user.is_superuser:
            return Organisation.objects.all()
        return Organisation.objects.filter(pk__in=user.organisation_ids("officer"))


register_permission_policy(Organisation, OrganisationPermissionPolicy(Organisation))


class OrganisationIndexView(IndexView):
    def get_base_queryset(self):
        queryset = super().get_base_queryset()
        user = self.request.user
        if user.is_superuser:
            return queryset
        return queryset.filter(pk__in=user.organisation_ids("officer"))


class OrganisationEditView(EditView):
    def get_object(self, queryset=None):
        organisation = super().get_object(queryset)
        if not self.request.user.has_perm("engagement.change_organisation", organisation):
            raise PermissionDenied
        return organisation


class OrganisationViewSet(ModelViewSet):
    model = Organisation
    icon = "group"
    menu_label = _("Organisations")
    menu_order = 250
    add_to_admin_menu = True
    index_view_class = OrganisationIndexView
    edit_view_class = OrganisationEditView
    list_display = ["name", "kind", "website"]
    list_filter = ["kind"]
    search_fields = ["name"]
    form_fields = ["name", "slug", "kind", "description", "website", "contact_email", "areas"]


@hooks.register("register_admin_viewset")
def register_organisation_viewset():
    return OrganisationViewSet("organisations")
