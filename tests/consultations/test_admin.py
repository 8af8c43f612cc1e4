"""Consultations in the CMS: officers run their own organisations' consultations, nobody else's."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.test.utils.form_data import querydict_from_html

from consultations.models import ConsultationIndexPage, ConsultationPage, Response
from consultations.permissions import OFFICERS_GROUP, sync_consultation_officers
from engagement.models import Membership
from tests.factories import MembershipFactory, UserFactory, consultation_page

# Roles are chosen by name with request.getfixturevalue, which pytest-django cannot see.
pytestmark = pytest.mark.django_db

ADMIN = "/admin/"
LONDON = ZoneInfo("Europe/London")
SHORT_PERIOD = "This consultation runs for less than six weeks."
CHRISTMAS = "This consultation runs over 24 December to 1 January"


def _denied(response) -> bool:
    """Wagtail answers a refused admin request with a redirect to the dashboard (and a message);
    a refusal raised outside its views is a plain 403."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == ADMIN
    )


def _add_url(hub) -> str:
    return reverse("wagtailadmin_pages:add", args=["consultations", "consultationpage", hub.pk])


def _edit_url(page) -> str:
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def editor_data(client, url: str, **fields) -> dict:
    """The editor's form as the browser would post it, with ``fields`` changed.

    Stream fields are built by JavaScript in the browser; these pages have no body or questions.
    """
    response = client.get(url)
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    data.update({"body-count": "0", "questions-count": "0"})
    for name, value in fields.items():
        if isinstance(value, list):
            data.setlist(name, [str(v) for v in value])
        else:
            data[name] = str(value)
    return data


def new_consultation(**fields) -> dict:
    opens = datetime(2027, 2, 1, 9, 0, tzinfo=LONDON)
    data = {
        "title": "Bus lanes on the high street",
        "slug": "bus-lanes",
        "summary": "Where should the new bus lanes go?",
        "opens_at": f"{opens:%Y-%m-%d %H:%M}",
        "closes_at": f"{opens + timedelta(weeks=12):%Y-%m-%d %H:%M}",
    }
    return {**data, **fields}


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def hub(site_structure, officer, other_org_officer, co_owner_officer, moderator, partner):
    """The hub, with the cast's officers brought into the CMS group (as the membership admin
    and ``setup_site`` do)."""
    sync_consultation_officers()
    return ConsultationIndexPage.objects.get()


@pytest.fixture
def draft(hub, council, partner_council, officer) -> ConsultationPage:
    """A never-published consultation of the council, co-owned by the partner council."""
    page = consultation_page(council, title="Library opening hours", questions=[], live=False)
    page.owner = officer
    page.co_owners.add(partner_council)
    page.save()
    page.save_revision(user=officer)
    return page


@pytest.fixture
def live(hub, council) -> ConsultationPage:
    page = consultation_page(council, title="Park improvements", questions=[])
    page.save_revision().publish()
    return page


# --- Creating ------------------------------------------------------------------------------------


def test_an_officer_creates_a_draft_consultation_for_their_organisation(client, hub, officer):
    client.force_login(officer)
    url = _add_url(hub)

    response = client.post(url, editor_data(client, url, **new_consultation()))

    assert response.status_code == 302
    page = ConsultationPage.objects.get(slug="bus-lanes")
    assert not page.live
    assert page.organisation == officer.memberships.get().organisation
    assert page.owner == officer


def test_the_owner_choices_are_the_officers_own_organisations(
    client, hub, officer, council, other_council
):
    client.force_login(officer)

    response = client.get(_add_url(hub))

    form = response.context["form"]
    assert list(form.fields["organisation"].queryset) == [council]
    assert form["organisation"].value() == council.pk  # their only organisation, chosen for them


def test_an_officer_of_two_organisations_chooses_between_them(
    client, hub, officer, council, other_council
):
    MembershipFactory(user=officer, organisation=other_council, role=Membership.Role.OFFICER)
    client.force_login(officer)

    form = client.get(_add_url(hub)).context["form"]

    assert set(form.fields["organisation"].queryset) == {council, other_council}
    assert form["organisation"].value() is None


def test_a_superuser_chooses_any_organisation(client, hub, superuser, council, other_council):
    client.force_login(superuser)

    form = client.get(_add_url(hub)).context["form"]

    assert {council, other_council} <= set(form.fields["organisation"].queryset)


def test_an_officer_cannot_give_a_consultation_to_another_organisation(
    client, hub, officer, other_council
):
    client.force_login(officer)
    url = _add_url(hub)

    response = client.post(
        url, editor_data(client, url, **new_consultation(organisation=other_council.pk))
    )

    assert response.status_code == 200  # the editor again, with the error
    assert "organisation" in response.context["form"].errors
    assert not ConsultationPage.objects.filter(slug="bus-lanes").exists()


@pytest.mark.parametrize("role", ["resident", "partner", "moderator"])
def test_people_without_an_officer_role_cannot_add_consultations(request, client, hub, role):
    client.force_login(request.getfixturevalue(role))

    response = client.get(_add_url(hub))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_former_officer_left_in_the_group_cannot_add_consultations(client, hub, officer):
    officer.memberships.update(role=Membership.Role.PARTNER)  # changed behind the admin's back
    client.force_login(officer)

    assert client.get(_add_url(hub)).status_code in (302, 403)


# --- Editing -------------------------------------------------------------------------------------


def test_an_officer_edits_their_organisations_consultation(client, draft, officer):
    client.force_login(officer)
    url = _edit_url(draft)

    response = client.post(url, editor_data(client, url, title="Library opening hours 2027"))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.get_latest_revision_as_object().title == "Library opening hours 2027"


def test_a_co_owners_officer_edits_the_words_but_not_who_owns_it(
    client, draft, co_owner_officer, council, partner_council
):
    client.force_login(co_owner_officer)
    url = _edit_url(draft)
    data = editor_data(client, url, title="Longer library hours")
    data["organisation"] = str(partner_council.pk)
    data.setlist("co_owners", [])

    response = client.post(url, data)

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Longer library hours"
    assert draft.organisation == council
    assert list(draft.co_owners.all()) == [partner_council]


def test_officers_do_not_publish_directly(client, draft, officer):
    """Publishing goes through review by a second officer (see test_workflow)."""
    client.force_login(officer)
    url = _edit_url(draft)
    html = client.get(url).content.decode()

    assert 'name="action-publish"' not in html
    client.post(url, editor_data(client, url, **{"action-publish": "action-publish"}))

    draft.refresh_from_db()
    assert not draft.live


def test_the_editor_links_to_the_results(client, draft, officer):
    client.force_login(officer)

    html = client.get(_edit_url(draft)).content.decode()

    assert reverse("consultations:results", args=[draft.pk]) in html


# --- Another organisation's consultation ---------------------------------------------------------


PAGE_VIEWS = [
    ("edit", "get"),
    ("edit", "post"),
    ("view_draft", "get"),
    ("preview_on_edit", "post"),
    ("history", "get"),
    ("workflow_history", "get"),
    ("usage", "get"),
    ("delete", "get"),
    ("delete", "post"),
    ("unpublish", "get"),
    ("unpublish", "post"),
    ("move", "get"),
    ("copy", "get"),
    ("copy", "post"),
    ("lock", "post"),
    ("set_privacy", "get"),
]


@pytest.mark.parametrize(("view", "method"), PAGE_VIEWS)
def test_an_officer_of_another_organisation_cannot_touch_it(
    client, live, other_org_officer, view, method
):
    client.force_login(other_org_officer)
    url = reverse(f"wagtailadmin_pages:{view}", args=[live.pk])
    data = {"new_title": "Taken", "new_slug": "taken", "new_parent_page": live.get_parent().pk}

    response = client.post(url, data) if method == "post" else client.get(url)

    assert _denied(response), (response.status_code, response.get("Location"))
    live.refresh_from_db()
    assert live.live
    assert not live.locked
    assert ConsultationPage.objects.count() == 1


@pytest.mark.parametrize("view", ["revisions_view", "revisions_revert", "revisions_unschedule"])
def test_nor_its_revisions(client, live, other_org_officer, view):
    revision = live.get_latest_revision()
    client.force_login(other_org_officer)
    url = reverse(f"wagtailadmin_pages:{view}", args=[live.pk, revision.pk])

    assert _denied(client.get(url))


def test_nor_compare_its_revisions(client, live, other_org_officer):
    client.force_login(other_org_officer)
    url = reverse("wagtailadmin_pages:revisions_compare", args=[live.pk, "earliest", "latest"])

    assert _denied(client.get(url))


@pytest.mark.parametrize("action", ["delete", "unpublish"])
def test_bulk_actions_leave_another_organisations_consultation_alone(
    client, live, other_org_officer, action
):
    client.force_login(other_org_officer)
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", action])

    client.post(f"{url}?id={live.pk}", {})

    live.refresh_from_db()
    assert live.live


@pytest.mark.parametrize(("who", "published"), [("officer", False), ("superuser", True)])
def test_bulk_publishing_does_not_bypass_review(request, client, draft, who, published):
    client.force_login(request.getfixturevalue(who))
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])

    client.post(f"{url}?id={draft.pk}", {})

    draft.refresh_from_db()
    assert draft.live is published


def test_the_owner_bulk_deletes_a_draft(client, draft, officer):
    client.force_login(officer)
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "delete"])

    client.post(f"{url}?id={draft.pk}", {})

    assert not ConsultationPage.objects.filter(pk=draft.pk).exists()


def test_the_owner_copies_their_consultation_as_a_new_draft(client, hub, live, officer, council):
    client.force_login(officer)

    response = client.post(
        reverse("wagtailadmin_pages:copy", args=[live.pk]),
        {
            "new_title": "Park improvements 2028",
            "new_slug": "parks-2028",
            "new_parent_page": hub.pk,
        },
    )

    assert response.status_code == 302
    copy = ConsultationPage.objects.get(slug="parks-2028")
    assert not copy.live
    assert copy.organisation == council


@pytest.mark.parametrize(
    ("view", "page"),
    [("edit", "live"), ("history", "live"), ("unpublish", "live"), ("delete", "draft")],
)
def test_an_officer_of_the_owner_opens_the_same_views(request, client, officer, view, page):
    page = request.getfixturevalue(page)
    client.force_login(officer)

    response = client.get(reverse(f"wagtailadmin_pages:{view}", args=[page.pk]))

    assert response.status_code == 200


def test_the_hub_itself_is_not_for_officers_to_edit(client, hub, officer):
    client.force_login(officer)

    assert _denied(client.get(_edit_url(hub)))
    assert _denied(client.post(reverse("wagtailadmin_pages:delete", args=[hub.pk])))


# --- Withdrawing and deleting --------------------------------------------------------------------


def test_the_owner_unpublishes_their_consultation(client, live, officer):
    client.force_login(officer)

    response = client.post(reverse("wagtailadmin_pages:unpublish", args=[live.pk]))

    assert response.status_code == 302
    live.refresh_from_db()
    assert not live.live


def test_the_owner_deletes_a_draft(client, draft, officer):
    client.force_login(officer)

    response = client.post(reverse("wagtailadmin_pages:delete", args=[draft.pk]))

    assert response.status_code == 302
    assert not ConsultationPage.objects.filter(pk=draft.pk).exists()


def test_a_live_consultation_must_be_withdrawn_before_it_is_deleted(client, live, officer):
    client.force_login(officer)

    response = client.post(reverse("wagtailadmin_pages:delete", args=[live.pk]))

    assert _denied(response)
    assert ConsultationPage.objects.filter(pk=live.pk).exists()


def test_a_consultation_with_responses_is_never_deleted_by_an_officer(client, live, officer):
    Response.objects.create(consultation=live, status=Response.Status.DRAFT)
    live.unpublish()
    client.force_login(officer)

    response = client.post(reverse("wagtailadmin_pages:delete", args=[live.pk]))

    assert _denied(response)
    assert Response.objects.filter(consultation=live).exists()


# --- The explorer --------------------------------------------------------------------------------


def test_the_explorer_shows_officers_every_consultation_but_links_only_their_own(
    client, hub, live, other_council, officer
):
    theirs = consultation_page(other_council, title="Fire station move", questions=[])
    client.force_login(officer)

    html = client.get(reverse("wagtailadmin_explore", args=[hub.pk])).content.decode()

    assert live.title in html and theirs.title in html
    assert _edit_url(live) in html
    assert _edit_url(theirs) not in html
    assert reverse("consultations:results", args=[live.pk]) in html
    assert reverse("consultations:results", args=[theirs.pk]) not in html


def test_searching_the_hub_finds_consultations(client, hub, live, officer):
    client.force_login(officer)

    response = client.get(reverse("wagtailadmin_explore", args=[hub.pk]), {"q": "Park"})

    assert response.status_code == 200
    assert live.title in response.content.decode()


def test_the_explorer_costs_the_same_queries_for_1_or_12_consultations(
    client, hub, council, other_council, officer
):
    def queries() -> int:
        client.force_login(officer)
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse("wagtailadmin_explore", args=[hub.pk])).status_code == 200
        return len(context)

    consultation_page(council, title="Consultation 0", questions=[])
    queries()  # the first request fills caches that later ones share
    one = queries()
    for n in range(1, 12):
        page = consultation_page(council if n % 2 else other_council, title=f"Consultation {n}")
        if n % 3 == 0:  # withdrawn, with responses: may it be deleted?
            Response.objects.create(consultation=page)
            page.unpublish()

    assert queries() == one


# --- Warnings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opens", "weeks", "expected"),
    [
        (datetime(2027, 2, 1, 9, tzinfo=LONDON), 4, [SHORT_PERIOD]),
        (datetime(2026, 11, 2, 9, tzinfo=LONDON), 12, [CHRISTMAS]),
        (datetime(2026, 12, 7, 9, tzinfo=LONDON), 3, [SHORT_PERIOD, CHRISTMAS]),
        (datetime(2027, 2, 1, 9, tzinfo=LONDON), 12, []),
    ],
)
def test_saving_warns_about_short_and_christmas_periods(
    client, hub, officer, opens, weeks, expected
):
    client.force_login(officer)
    url = _add_url(hub)
    period = {
        "opens_at": f"{opens:%Y-%m-%d %H:%M}",
        "closes_at": f"{opens + timedelta(weeks=weeks):%Y-%m-%d %H:%M}",
    }

    response = client.post(url, editor_data(client, url, **new_consultation(**period)))

    assert response.status_code == 302
    warnings = [text for level, text in messages_of(response) if level == "warning"]
    assert [any(text.startswith(w) for text in warnings) for w in expected] == [True] * len(
        expected
    )
    assert len(warnings) == len(expected)


def test_autosave_queues_no_warnings(client, draft, officer):
    client.force_login(officer)
    url = _edit_url(draft)
    closes = draft.opens_at + timedelta(weeks=2)
    data = editor_data(client, url, closes_at=f"{closes:%Y-%m-%d %H:%M}")

    response = client.post(url, data, headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert response.json()["success"]
    assert messages_of(response) == []


def test_editing_warns_too(client, draft, officer):
    client.force_login(officer)
    url = _edit_url(draft)
    closes = draft.opens_at + timedelta(weeks=2)

    response = client.post(url, editor_data(client, url, closes_at=f"{closes:%Y-%m-%d %H:%M}"))

    assert any(SHORT_PERIOD in text for level, text in messages_of(response) if level == "warning")


# --- Keeping the CMS group in step with officer roles --------------------------------------------


def test_the_membership_admin_brings_new_officers_into_the_cms_group(client, hub, officer, council):
    newcomer = UserFactory()
    client.force_login(officer)

    client.post(
        reverse("memberships:add"),
        {"email": newcomer.email, "organisation": council.pk, "role": "officer"},
    )
    group = Group.objects.get(name=OFFICERS_GROUP)
    assert group.user_set.filter(pk=newcomer.pk).exists()

    membership = newcomer.memberships.get()
    client.post(reverse("memberships:delete", args=[membership.pk]))
    assert not group.user_set.filter(pk=newcomer.pk).exists()


def test_a_role_change_in_the_admin_takes_an_officer_out_of_the_group(
    client, hub, officer, council
):
    colleague = MembershipFactory(organisation=council, role=Membership.Role.OFFICER)
    sync_consultation_officers()
    client.force_login(officer)

    client.post(
        reverse("memberships:edit", args=[colleague.pk]),
        {"email": colleague.user.email, "organisation": council.pk, "role": "moderator"},
    )

    assert not Group.objects.get(name=OFFICERS_GROUP).user_set.filter(pk=colleague.user_id).exists()


def test_setup_site_brings_the_group_in_step(site_structure, officer, moderator):
    from engagement.setup import ensure_site_structure

    ensure_site_structure()

    members = set(Group.objects.get(name=OFFICERS_GROUP).user_set.all())
    assert officer in members
    assert moderator not in members
