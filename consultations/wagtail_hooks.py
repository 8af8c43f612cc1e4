"""Consultations in the Wagtail admin: editor warnings, the audit trail and a way to the results.

Who may edit, review and publish a consultation is decided by ``consultations.permissions`` and
``consultations.workflow``; the hooks here add what officers see around the editor:

* good-practice warnings on saving a consultation that runs under six weeks or over Christmas;
* readable page-history entries for the consultation's own audit events (responses frozen at close
  with their checksum, outcome published, results published or taken down, outcome overdue);
* a "Results" link in the page listing and page header for those who may see the results;
* the explorer's listing of the hub fetches, in its own query, what the delete and move buttons
  need to know (whether a consultation holds responses).
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.log_actions import LogFormatter

from consultations.models import ConsultationIndexPage, ConsultationPage, Response
from consultations.permissions import HOLDS_RESPONSES

# --- Editor warnings ------------------------------------------------------------------------------


def _warn_about_period(request, page) -> None:
    # Autosave posts expect JSON; a warning queued by one would pile up for the next page shown.
    if not isinstance(page, ConsultationPage) or not request.accepts("text/html"):
        return
    for warning in page.period_warnings():
        messages.warning(request, warning)


@hooks.register("after_create_page")
def warn_about_period_on_create(request, page):
    _warn_about_period(request, page)


@hooks.register("after_edit_page")
def warn_about_period_on_edit(request, page):
    _warn_about_period(request, page)


# --- The audit trail ------------------------------------------------------------------------------


class ResponsesFrozenFormatter(LogFormatter):
    label = _("Responses frozen")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        if "responses" not in data or "sha256" not in data:
            return _("Responses frozen at close")
        return ngettext(
            "Closed with %(count)d response, frozen with SHA-256 checksum %(sha256)s",
            "Closed with %(count)d responses, frozen with SHA-256 checksum %(sha256)s",
            data["responses"],
        ) % {"count": data["responses"], "sha256": data["sha256"]}


@hooks.register("register_log_actions")
def register_consultation_log_actions(actions):
    actions.register_action("consultations.responses_frozen")(ResponsesFrozenFormatter)
    actions.register_action(
        "consultations.outcome_published",
        _("Outcome published"),
        _("Published the outcome: we asked, you said, we did"),
    )
    actions.register_action(
        "consultations.results_published",
        _("Results published"),
        _("Published the results on the consultation page"),
    )
    actions.register_action(
        "consultations.results_unpublished",
        _("Results unpublished"),
        _("Took the published results down from the consultation page"),
    )
    actions.register_action(
        "consultations.outcome_overdue",
        _("Outcome overdue"),
        _("Flagged: closed twelve weeks ago without a published outcome"),
    )


# --- The explorer --------------------------------------------------------------------------------


@hooks.register("construct_explorer_page_queryset")
def annotate_responses(parent_page, pages, request):
    """Whether each consultation holds responses, for its delete and move buttons, in the listing's
    own query rather than one query per row."""
    if parent_page.specific_class is not ConsultationIndexPage:
        return pages
    held = Response.objects.filter(consultation_id=OuterRef("pk"))
    return pages.annotate(**{HOLDS_RESPONSES: Exists(held)})


# --- Results --------------------------------------------------------------------------------------


class ResultsMenuItem(PageMenuItem):
    """A link to the officers' results page of a consultation."""

    label = _("Results")
    icon_name = "table"
    url_name = "consultations:results"

    def is_shown(self, user):
        if self.page.specific_class is not ConsultationPage:
            return False
        # The page's permission tester answers consultations.view_results from per-request
        # caches, so a listing of many consultations costs no query per row.
        return self.page.permissions_for_user(user).can_view_results()


@hooks.register("register_page_listing_more_buttons")
def results_listing_button(page, user, next_url=None):
    yield ResultsMenuItem(page=page, priority=45)


@hooks.register("register_page_header_buttons")
def results_header_button(page, user, view_name, next_url=None):
    yield ResultsMenuItem(page=page, priority=62)
