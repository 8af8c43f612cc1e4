"""Publishing the public results, and taking them down, is written to the Wagtail audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.log_actions import registry as log_registry
from wagtail.models import PageLogEntry

from tests.factories import consultation_page


@pytest.fixture
def closed(site_structure, council):
    now = timezone.now()
    return consultation_page(
        council, opens_at=now - timedelta(days=90), closes_at=now - timedelta(days=5)
    )


def _entries(page):
    return list(
        PageLogEntry.objects.filter(page=page, action__startswith="consultations.results_")
        .order_by("pk")
        .values_list("action", "user")
    )


def _post(client, page, action: str):
    return client.post(reverse("consultations:publish_results", args=[page.pk]), {"action": action})


def test_publishing_and_unpublishing_results_are_logged_with_the_officer(client, officer, closed):
    client.force_login(officer)

    assert _post(client, closed, "publish").status_code == 302
    assert _entries(closed) == [("consultations.results_published", officer.pk)]

    assert _post(client, closed, "unpublish").status_code == 302
    assert _entries(closed) == [
        ("consultations.results_published", officer.pk),
        ("consultations.results_unpublished", officer.pk),
    ]


def test_a_repeated_click_changes_nothing_and_logs_nothing(client, officer, closed):
    client.force_login(officer)
    _post(client, closed, "unpublish")  # never published
    _post(client, closed, "publish")
    _post(client, closed, "publish")
    assert _entries(closed) == [("consultations.results_published", officer.pk)]


def test_publishing_refused_before_close_logs_nothing(client, officer, consultation):
    client.force_login(officer)
    _post(client, consultation, "publish")
    assert _entries(consultation) == []


def test_the_results_log_actions_have_labels():
    assert log_registry.get_action_label("consultations.results_published") == "Results published"
    assert (
        log_registry.get_action_label("consultations.results_unpublished") == "Results unpublished"
    )
