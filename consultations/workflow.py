"""Review by a second officer: the Wagtail workflow every consultation goes through to be published.

A draft consultation is submitted for review; another officer of an organisation that owns or
co-owns it approves it (which publishes it, or schedules it when a go-live date is set) or requests
changes. The officer who submitted it cannot approve it: the "four eyes" rule councils apply to what
they publish. A Wagtail group-approval task would let any member of a group approve any
consultation, whoever runs it, so this task asks the consultation instead.

``ensure_review_workflow`` (run by ``manage.py setup_site``) creates the "Consultation review"
workflow with this one task and attaches it to the hub, so it applies to every consultation.

Wagtail calls the task's methods with ``obj`` = the page being moderated (in the editor, the latest
revision as a page object; in the dashboard and the action views, the page itself): only its ``pk``
and workflow state are read here, so both behave the same. Ownership comes from
:func:`consultations.permissions.runs_consultation`, the rule the page permission tester uses.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page, Task, TaskState, Workflow, WorkflowPage, WorkflowTask

from consultations.permissions import (
    consultation_ids_run_by,
    publishing_on_approval,
    runs_consultation,
)


class SecondOfficerReviewTask(Task):
    """Approved by another officer of the consultation's owning or co-owning organisations."""

    def _submitter_id(self, obj) -> int | None:
        workflow_state = obj.current_workflow_state
        return workflow_state.requested_by_id if workflow_state else None

    def can_review(self, obj, user) -> bool:
        """Whether ``user`` may approve or reject ``obj`` at this step."""
        if not user.is_authenticated or not user.is_active:
            return False
        if user.pk == self._submitter_id(obj):
            return False
        return user.is_superuser or runs_consultation(user, obj)

    def start(self, workflow_state, user=None):
        # A lock the submitter took while drafting would keep the reviewers out: release it, as
        # Wagtail's group-approval task does for a lock held by someone outside its groups.
        page = workflow_state.content_object
        if page.locked and page.locked_by and not self.can_review(page, page.locked_by):
            page.locked, page.locked_by, page.locked_at = False, None, None
            page.save(update_fields=["locked", "locked_by", "locked_at"])
        return super().start(workflow_state, user=user)

    @transaction.atomic
    def on_action(self, task_state, user, action_name, **kwargs):
        page = task_state.workflow_state.content_object
        # Wagtail's views offer only the actions get_actions returned; a direct call is held to
        # the same rule.
        if not self.can_review(page, user):
            raise PermissionDenied
        if action_name == "approve":
            # Approving the last task publishes the latest revision as the approving officer.
            with publishing_on_approval(user, page):
                return super().on_action(task_state, user, action_name, **kwargs)
        return super().on_action(task_state, user, action_name, **kwargs)

    def user_can_access_editor(self, obj, user):
        return self.can_review(obj, user)

    def locked_for_user(self, obj, user):
        # While under review only a reviewer may change the text they are approving.
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
        """The reviews waiting for ``user`` (the dashboard's "awaiting your review"): one query."""
        if not user.is_authenticated or not user.is_active:
            return TaskState.objects.none()
        states = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS).exclude(
            workflow_state__requested_by=user
        )
        if user.is_superuser:
            return states
        return states.filter(
            workflow_state__base_content_type=ContentType.objects.get_for_model(Page),
            workflow_state__object_id__in=[str(pk) for pk in consultation_ids_run_by(user)],
        )

    @classmethod
    def get_description(cls):
        return _(
            "Another officer of an organisation that owns the consultation approves it; "
            "the officer who submitted it cannot."
        )

    class Meta:
        verbose_name = _("review by a second officer")
        verbose_name_plural = _("reviews by a second officer")


@transaction.atomic
def ensure_review_workflow(hub: Page) -> Workflow:
    """Create (or find) the "Consultation review" workflow and attach it to the hub.

    Idempotent. A workflow an administrator has since attached to the hub instead is left alone.
    """
    attached = WorkflowPage.objects.filter(page=hub).select_related("workflow").first()
    if attached is not None:
        return attached.workflow
    task = SecondOfficerReviewTask.objects.filter(active=True).first()
    if task is None:
        task = SecondOfficerReviewTask.objects.create(name=gettext("Review by a second officer"))
    name = gettext("Consultation review")
    workflow = Workflow.objects.filter(name=name).first() or Workflow.objects.create(name=name)
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    WorkflowPage.objects.create(page=hub, workflow=workflow)
    return workflow
