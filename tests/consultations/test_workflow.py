"""Review by a second officer: a draft is submitted, another officer of the owners approves it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import (
    GroupPagePermission,
    PageLogEntry,
    TaskState,
    Workflow,
    WorkflowPage,
    WorkflowState,
)

from consultations.models import ConsultationIndexPage, ConsultationPage
from consultations.permissions import OFFICERS_GROUP, sync_consultation_officers
from consultations.workflow import SecondOfficerReviewTask
from engagement.models import Membership, User
from tests.consultations.test_admin import editor_data, new_consultation
from tests.factories import MembershipFactory

# Roles are chosen by name with request.getfixturevalue, which pytest-django cannot see.
pytestmark = pytest.mark.django_db

ADMIN = "/admin/"


def _denied(response) -> bool:
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == ADMIN
    )


@pytest.fixture
def colleague(council):
    """A second officer of the council."""
    return MembershipFactory(
        organisation=council, role=Membership.Role.OFFICER, user__mfa_exempt=True
    ).user


@pytest.fixture
def hub(site_structure, officer, colleague, co_owner_officer, other_org_officer):
    sync_consultation_officers()
    return ConsultationIndexPage.objects.get()


def _fresh(user) -> User:
    """The user as the next request would load them (no cached memberships or ownership)."""
    return User.objects.get(pk=user.pk)


def create(client, hub, user, partner_council=None, **fields) -> ConsultationPage:
    """``user`` writes a consultation in the editor and submits it for review."""
    client.force_login(user)
    url = reverse("wagtailadmin_pages:add", args=["consultations", "consultationpage", hub.pk])
    data = editor_data(client, url, **new_consultation(**fields), **{"action-submit": "1"})
    if partner_council is not None:
        data.setlist("co_owners", [str(partner_council.pk)])
    response = client.post(url, data)
    assert response.status_code == 302
    return ConsultationPage.objects.get(slug="bus-lanes")


def act(client, page, user, action: str = "approve"):
    """``user`` takes a workflow action from the dashboard's review panel."""
    client.force_login(user)
    task_state = page.current_workflow_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, action, task_state.pk])
    return client.post(url, {"comment": ""})


@pytest.fixture
def submitted(client, hub, officer, partner_council) -> ConsultationPage:
    return create(client, hub, officer, partner_council)


# --- Setting up ----------------------------------------------------------------------------------


def test_setup_site_attaches_one_review_workflow_to_the_hub(site_structure):
    from engagement.setup import ensure_site_structure

    ensure_site_structure()  # and again: nothing is duplicated

    hub = ConsultationIndexPage.objects.get()
    workflow = WorkflowPage.objects.get(page=hub).workflow
    assert workflow.name == "Consultation review"
    assert [type(task.specific) for task in workflow.tasks] == [SecondOfficerReviewTask]
    assert Workflow.objects.filter(name="Consultation review").count() == 1
    assert SecondOfficerReviewTask.objects.count() == 1
    group = Group.objects.get(name=OFFICERS_GROUP)
    granted = GroupPagePermission.objects.filter(group=group)
    assert [(p.page_id, p.permission.codename) for p in granted] == [(hub.pk, "add_page")]


def test_a_consultation_written_in_the_editor_is_submitted_for_review(submitted, officer):
    state = submitted.current_workflow_state

    assert not submitted.live
    assert state.workflow.name == "Consultation review"
    assert state.requested_by == officer
    assert isinstance(submitted.current_workflow_task, SecondOfficerReviewTask)


# --- Who may approve -----------------------------------------------------------------------------


@pytest.mark.parametrize("reviewer", ["colleague", "co_owner_officer", "superuser"])
def test_a_second_officer_of_the_owners_approves_and_it_is_published(
    request, client, submitted, reviewer
):
    reviewer = request.getfixturevalue(reviewer)

    response = act(client, submitted, reviewer)

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.live
    assert submitted.workflow_states.get().status == WorkflowState.STATUS_APPROVED
    published = PageLogEntry.objects.get(page=submitted, action="wagtail.publish")
    assert published.user == reviewer


@pytest.mark.parametrize("who", ["officer", "other_org_officer"])
def test_the_submitter_and_other_organisations_cannot_approve(request, client, submitted, who):
    user = request.getfixturevalue(who)

    assert submitted.current_workflow_task.get_actions(submitted, _fresh(user)) == []
    response = act(client, submitted, user)

    assert _denied(response)
    submitted.refresh_from_db()
    assert not submitted.live
    assert submitted.current_workflow_state.status == WorkflowState.STATUS_IN_PROGRESS


def test_the_submitter_cannot_approve_through_the_editor_either(client, submitted, officer):
    client.force_login(officer)
    url = reverse("wagtailadmin_pages:edit", args=[submitted.pk])
    data = editor_data(
        client, url, **{"action-workflow-action": "1", "workflow-action-name": "approve"}
    )

    client.post(url, data)

    submitted.refresh_from_db()
    assert not submitted.live


def test_an_approval_outside_the_admin_is_held_to_the_same_rule(submitted, officer):
    task_state = submitted.current_workflow_task_state

    with pytest.raises(PermissionDenied):
        task_state.task.specific.on_action(task_state, _fresh(officer), "approve")


def test_the_page_is_locked_for_the_submitter_while_in_review(submitted, officer, colleague):
    task = submitted.current_workflow_task

    assert task.locked_for_user(submitted, _fresh(officer))
    assert not task.locked_for_user(submitted, _fresh(colleague))


@pytest.mark.parametrize(
    ("who", "waiting"),
    [
        ("officer", False),
        ("colleague", True),
        ("co_owner_officer", True),
        ("other_org_officer", False),
        ("superuser", True),
    ],
)
def test_the_dashboard_lists_the_reviews_waiting_for_each_officer(request, submitted, who, waiting):
    user = _fresh(request.getfixturevalue(who))

    reviewable = TaskState.objects.reviewable_by(user)

    assert reviewable.filter(workflow_state__object_id=str(submitted.pk)).exists() is waiting


def test_the_dashboard_shows_the_reviewer_what_awaits_them(client, submitted, colleague):
    client.force_login(colleague)

    html = client.get(ADMIN).content.decode()

    assert submitted.title in html


# --- Changes requested ---------------------------------------------------------------------------


def test_requested_changes_go_back_to_the_submitter_to_resubmit(
    client, submitted, officer, colleague
):
    act(client, submitted, colleague, "reject")
    assert submitted.current_workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES

    client.force_login(officer)
    url = reverse("wagtailadmin_pages:edit", args=[submitted.pk])
    client.post(url, editor_data(client, url, summary="Clearer summary", **{"action-submit": "1"}))

    state = submitted.current_workflow_state
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    act(client, submitted, colleague)
    submitted.refresh_from_db()
    assert submitted.live
    assert submitted.summary == "Clearer summary"


# --- Locks and scheduled publishing --------------------------------------------------------------


def test_submitting_releases_the_submitters_lock_so_a_reviewer_can_act(
    client, hub, officer, colleague
):
    client.force_login(officer)
    url = reverse("wagtailadmin_pages:add", args=["consultations", "consultationpage", hub.pk])
    client.post(url, editor_data(client, url, **new_consultation()))
    page = ConsultationPage.objects.get(slug="bus-lanes")
    client.post(reverse("wagtailadmin_pages:lock", args=[page.pk]))
    page.refresh_from_db()
    assert page.locked_by == officer

    edit = reverse("wagtailadmin_pages:edit", args=[page.pk])
    client.post(edit, editor_data(client, edit, **{"action-submit": "1"}))
    page.refresh_from_db()

    assert not page.locked
    act(client, page, colleague)
    page.refresh_from_db()
    assert page.live


def test_an_approved_consultation_with_a_go_live_date_is_published_by_the_scheduler(
    client, hub, officer, colleague
):
    go_live = timezone.localtime() + timedelta(days=2)
    page = create(client, hub, officer, go_live_at=f"{go_live:%Y-%m-%d %H:%M}")

    act(client, page, colleague)
    page.refresh_from_db()
    assert not page.live
    assert page.get_latest_revision().approved_go_live_at is not None

    call_command("publish_scheduled")
    page.refresh_from_db()
    assert not page.live  # not yet

    with time_machine.travel(go_live + timedelta(minutes=1)):
        call_command("publish_scheduled")
    page.refresh_from_db()
    assert page.live
    assert PageLogEntry.objects.filter(page=page, action="wagtail.publish.scheduled").exists()


def test_the_owner_can_cancel_a_scheduled_publication(client, hub, officer, colleague):
    go_live = timezone.localtime() + timedelta(days=2)
    page = create(client, hub, officer, go_live_at=f"{go_live:%Y-%m-%d %H:%M}")
    act(client, page, colleague)
    revision = page.get_latest_revision()
    client.force_login(officer)

    response = client.post(
        reverse("wagtailadmin_pages:revisions_unschedule", args=[page.pk, revision.pk])
    )

    assert response.status_code == 302
    revision.refresh_from_db()
    assert revision.approved_go_live_at is None
