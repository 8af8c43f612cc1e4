"""Forums in the Wagtail admin: officers set up and edit the forums of their own organisations and
decide who is on them (members of an invited panel, facilitators). Facilitators' decisions go in
the same audit trail as everything else."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSetGroup
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from engagement.forums.models import Forum, ForumMember
from engagement.models import Membership, Organisation, User
from engagement.wagtail_hooks import ScopedDeleteView, ScopedViewSet


@hooks.register("register_log_actions")
def register_forum_log_actions(actions):
    actions.register_action("forums.post_hidden", _("Post hidden"), _("Hid a forum post"))
    actions.register_action("forums.post_restored", _("Post restored"), _("Restored a forum post"))
    actions.register_action(
        "forums.thread_state", _("Thread state changed"), _("Closed, archived or reopened a thread")
    )


def _officer_organisations(user) -> set[int]:
    return user.organisation_ids(Membership.Role.OFFICER)


def managed_forums(user):
    """Forums ``user`` administers: all for a superuser, else those of their organisations."""
    if user.is_active and user.is_superuser:
        return Forum.objects.all()
    return Forum.objects.filter(
        pk__in=Forum.objects.filter(organisations__in=_officer_organisations(user)).values("pk")
    )


class ForumPermissionPolicy(BasePermissionPolicy):
    """Officers add forums and change or delete those of their own organisations; superusers
    administer all. (Taking part and facilitating are ``engagement/forums/rules.py``'s.)"""

    def user_has_permission(self, user, action: str) -> bool:
        if not user.is_active:
            return False
        return user.is_superuser or bool(_officer_organisations(user))

    def user_has_permission_for_instance(self, user, action: str, instance) -> bool:
        if not user.is_active:
            return False
        if user.is_superuser:
            return True
        return instance.organisations.filter(pk__in=_officer_organisations(user)).exists()

    def instances_user_has_permission_for(self, user, action: str):
        return managed_forums(user)


class ForumMemberPermissionPolicy(BasePermissionPolicy):
    def user_has_permission(self, user, action: str) -> bool:
        return user.is_active and (user.is_superuser or bool(_officer_organisations(user)))

    def user_has_permission_for_instance(self, user, action: str, instance) -> bool:
        return user.is_active and managed_forums(user).filter(pk=instance.forum_id).exists()

    def instances_user_has_permission_for(self, user, action: str):
        return ForumMember.objects.filter(forum__in=managed_forums(user))


register_permission_policy(Forum, ForumPermissionPolicy(Forum))
register_permission_policy(ForumMember, ForumMemberPermissionPolicy(ForumMember))


class ForumForm(WagtailAdminModelForm):
    class Meta:
        model = Forum
        fields = ["title", "slug", "summary", "organisations", "consultation", "access", "state"]
        widgets = {"organisations": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if not user.is_superuser:
            # Their own organisations, plus any partner already on the forum (kept, not offered).
            own = _officer_organisations(user)
            current = (
                set(self.instance.organisations.values_list("pk", flat=True))
                if (self.instance.pk)
                else set()
            )
            self.fields["organisations"].queryset = Organisation.objects.filter(
                pk__in=own | current
            ).order_by("name")

    def clean_organisations(self):
        chosen = self.cleaned_data["organisations"]
        user = self.for_user
        if not user.is_superuser and not {o.pk for o in chosen} & _officer_organisations(user):
            raise forms.ValidationError(
                _("Include at least one of your own organisations, or you could not manage it.")
            )
        return chosen


class ForumMemberForm(WagtailAdminModelForm):
    """Add someone to a forum by the email address they signed up with."""

    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("The person must already have a verified account on the platform."),
    )

    class Meta:
        model = ForumMember
        fields = ["forum", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = managed_forums(self.for_user).order_by("title")
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email
            self.fields["email"].disabled = True

    def clean_email(self) -> str:
        if self.instance.pk:
            return self.instance.user.email
        email = self.cleaned_data["email"].strip().lower()
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
        forum = cleaned.get("forum")
        if (
            forum is not None
            and not self.instance.pk
            and self.instance.user_id is not None
            and ForumMember.objects.filter(forum=forum, user_id=self.instance.user_id).exists()
        ):
            self.add_error("email", _("This person is already on this forum."))
        return cleaned

    def save(self, commit: bool = True):
        member = super().save(commit=commit)
        if commit:  # a changed role takes effect on live connections at once
            _recheck_live(member)
        return member


def _recheck_live(member: ForumMember) -> None:
    from engagement.forums.consumers import disconnect_user

    disconnect_user(member.forum_id, member.user_id)


class ForumMemberDeleteView(ScopedDeleteView):
    """Removing someone from a forum closes their live connections to it."""

    def delete_action(self):
        super().delete_action()
        _recheck_live(self.object)


class ForumIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset() & managed_forums(self.request.user)


class ForumMemberIndexView(IndexView):
    def get_base_queryset(self):
        return (
            super().get_base_queryset().filter(forum__in=managed_forums(self.request.user))
        ).select_related("user", "forum")


class ForumViewSet(ScopedViewSet):
    model = Forum
    icon = "comment"
    menu_label = _("Forums")
    add_to_admin_menu = False
    index_view_class = ForumIndexView
    list_display = ["title", "access", "state", "created_at"]
    list_filter = ["access", "state"]
    search_fields = ["title", "summary"]

    def get_form_class(self, for_update: bool = False):
        return ForumForm


class ForumMemberViewSet(ScopedViewSet):
    model = ForumMember
    icon = "user"
    menu_label = _("Forum members and facilitators")
    add_to_admin_menu = False
    index_view_class = ForumMemberIndexView
    delete_view_class = ForumMemberDeleteView
    list_display = ["user", "forum", "role", "added_at"]
    list_filter = ["role", "forum"]
    search_fields = ["user__email", "user__display_name", "forum__title"]

    def get_form_class(self, for_update: bool = False):
        return ForumMemberForm


class ForumViewSetGroup(ModelViewSetGroup):
    menu_label = _("Forums")
    menu_icon = "comment"
    menu_order = 265
    # Namespaced apart from the site's "forums" URLs (the admin's are /admin/forums/...).
    items = (
        ForumViewSet("forum_admin", url_prefix="forums"),
        ForumMemberViewSet("forum_member_admin", url_prefix="forum-members"),
    )


@hooks.register("register_admin_viewset")
def register_forum_viewsets():
    return ForumViewSetGroup()
