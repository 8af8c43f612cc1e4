"""Review by a second officer: the Wagtail workflow task consultations go through before publishing.

A Wagtail group-approval task would let any member of a group approve any consultation. Here the
reviewer must be an officer of an organisation that owns or co-owns the consultation, and must not
be the officer who submitted it for review: the "four eyes" rule councils apply to what they publish.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.models import Task, TaskState

from engagement.models import Membership


class SecondOfficerReviewTask(Task):
    """Approved by another officer of the consultation's owning or co-owning organisations."""

    def _owner_ids(self, obj) -> set[int]:
        specific = getattr(obj, "specific", obj)
        owner_ids = getattr(specific, "owner_ids", None)
        return owner_ids() if owner_ids else set()

    def _submitter_id(self, obj) -> int | None:
        workflow_state = (
            obj.current_workflow_state if hasattr(obj, "current_workflow_state") else None
        )
        return workflow_state.requested_by_id if workflow_state else None

    def can_review(self, obj, user) -> bool:
        """Whether ``user`` may approve or reject ``obj`` at this step."""
        if not user.is_authenticated or not user.is_active:
            return False
        if user.pk == self._submitter_id(obj):
            return False
        if user.is_superuser:
            return True
        return bool(self._owner_ids(obj) & user.organisation_ids(Membership.Role.OFFICER))

    def user_can_access_editor(self, obj, user):
        return self.can_review(obj, user)

    def locked_for_user(self, obj, user):
        # While under review, only a reviewer may change the text they are approving.
        return not self.can_review(obj, user)

    def user_can_lock(self, obj, user):
        return self.can_review(obj, user)

    def user_can_unlock(self, obj, user):
        return False

    def get_actions(self, obj, user):
        if self.can_review(obj, user):
            return [
                ("reject", _("Request changes"), True),
                ("approve", _("Approve"), False),
                ("approve", _("Approve with comment"), True),
            ]
        return []

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS).select_related(
            "workflow_state"
        )
        if user.is_superuser:
            return states.exclude(workflow_state__requested_by=user)
        reviewable = [
            state.pk
            for state in states
            if self.can_review(state.workflow_state.content_object, user)
        ]
        return self.task_states.filter(pk__in=reviewable)

    @classmethod
    def get_description(cls):
        return _(
            "Another officer of an organisation that owns the consultation approves it; "
            "the officer who submitted it cannot."
        )

    class Meta:
        verbose_name = _("review by a second officer")
        verbose_name_plural = _("reviews by a second officer")
