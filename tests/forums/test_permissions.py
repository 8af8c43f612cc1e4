"""Who may do what in a forum: every role × forum state × access, for every permission, and the
same answers over HTTP (anonymous → sign in, no permission → 403, a draft → 404)."""

from __future__ import annotations

import pytest
import rules
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from engagement.forums.models import Forum, ForumMember, Thread
from tests.factories import UserFactory
from tests.forums.factories import ForumFactory, ForumMemberFactory, ThreadFactory

ROLES = [
    "anonymous",
    "resident",
    "member",
    "facilitator",
    "moderator",
    "officer",
    "other_org_officer",
    "superuser",
]
STATES = [Forum.State.DRAFT, Forum.State.OPEN, Forum.State.ARCHIVED]
ACCESS = [Forum.Access.OPEN, Forum.Access.INVITED]

SIGNED_IN = set(ROLES) - {"anonymous"}
INSIDERS = {"member", "facilitator", "moderator", "officer", "superuser"}  # of an invited panel
FACILITATORS = {"facilitator", "moderator", "superuser"}


def expected(permission: str, state: str, access: str) -> set[str]:
    """The roles that hold ``permission``, written out from the rules as the brief states them."""
    if permission == "facilitate":
        return FACILITATORS
    if permission == "view":
        if state == Forum.State.DRAFT:
            return FACILITATORS
        return set(ROLES) if access == Forum.Access.OPEN else INSIDERS
    # Taking part: start a thread, post in an open thread, react.
    if state != Forum.State.OPEN:
        return set()
    return SIGNED_IN if access == Forum.Access.OPEN else INSIDERS


PERMISSIONS = {
    "view": ("forums.view_forum", "forum"),
    "add_thread": ("forums.add_thread", "forum"),
    "add_post": ("forums.add_post", "thread"),
    "react": ("forums.react_post", "forum"),
    "facilitate": ("forums.facilitate_forum", "forum"),
}


@pytest.fixture
def cast(council, officer, other_org_officer, moderator, resident):
    def make(state: str, access: str) -> tuple[Forum, Thread, dict]:
        forum = ForumFactory(state=state, access=access, organisations=[council])
        facilitator = UserFactory(display_name="Fay")
        member = UserFactory(display_name="Mia")
        ForumMemberFactory(forum=forum, user=facilitator, role=ForumMember.Role.FACILITATOR)
        ForumMemberFactory(forum=forum, user=member)
        thread = ThreadFactory(forum=forum)
        people = {
            "anonymous": AnonymousUser(),
            "resident": resident,
            "member": member,
            "facilitator": facilitator,
            "moderator": moderator,
            "officer": officer,
            "other_org_officer": other_org_officer,
            "superuser": UserFactory(is_superuser=True, is_staff=True, mfa_exempt=True),
        }
        return forum, thread, people

    return make


@pytest.mark.parametrize("access", ACCESS)
@pytest.mark.parametrize("state", STATES)
def test_permission_matrix(cast, state, access):
    forum, thread, people = cast(state, access)
    objects = {"forum": forum, "thread": thread}
    wrong = []
    for name, (permission, target) in PERMISSIONS.items():
        allowed = expected(name, state, access)
        for role, user in people.items():
            answer = rules.has_perm(permission, user, objects[target])
            if answer != (role in allowed):
                wrong.append(f"{role} {name}: {answer}")
    assert wrong == []


@pytest.mark.parametrize("thread_state", [Thread.State.CLOSED, Thread.State.ARCHIVED])
def test_nobody_posts_in_a_closed_or_archived_thread(cast, thread_state):
    forum, thread, people = cast(Forum.State.OPEN, Forum.Access.OPEN)
    thread.state = thread_state
    for role, user in people.items():
        assert not rules.has_perm("forums.add_post", user, thread), role


@pytest.mark.parametrize("access", ACCESS)
@pytest.mark.parametrize("state", STATES)
def test_reading_over_http(client, cast, state, access):
    forum, thread, people = cast(state, access)
    allowed = expected("view", state, access)
    for role, user in people.items():
        client.logout()
        if role != "anonymous":
            client.force_login(user)
        for url in (forum.get_absolute_url(), thread.get_absolute_url()):
            status = client.get(url).status_code
            if role in allowed:
                want = 200
            elif state == Forum.State.DRAFT:
                want = 404
            elif role == "anonymous":
                want = 302
            else:
                want = 403
            assert status == want, (role, url, status)


@pytest.mark.parametrize("access", ACCESS)
def test_posting_over_http(client, cast, access):
    forum, thread, people = cast(Forum.State.OPEN, access)
    allowed = expected("add_post", Forum.State.OPEN, access)
    url = reverse("forums:post_create", args=[forum.slug, thread.pk])
    for role, user in people.items():
        client.logout()
        if role != "anonymous":
            client.force_login(user)
        status = client.post(url, {"body": f"From {role}"}).status_code
        want = 302 if role in allowed or role == "anonymous" else 403
        assert status == want, (role, status)
        assert thread.posts.filter(body=f"From {role}").exists() == (role in allowed)


def test_facilitating_over_http(client, cast):
    forum, thread, people = cast(Forum.State.OPEN, Forum.Access.OPEN)
    url = reverse("forums:thread_state", args=[forum.slug, thread.pk])
    for role, user in people.items():
        client.logout()
        if role != "anonymous":
            client.force_login(user)
        status = client.post(url, {"state": "closed"}).status_code
        if role in FACILITATORS:
            assert status == 302, role
            Thread.objects.filter(pk=thread.pk).update(state=Thread.State.OPEN)
        else:
            assert status == (302 if role == "anonymous" else 403), role
            assert Thread.objects.get(pk=thread.pk).state == Thread.State.OPEN


# --- The admin: officers set up the forums of their own organisations -----------------------------


def _denied(response) -> bool:
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == "/admin/"
    )


def test_officers_administer_only_their_own_organisations_forums(
    client, officer, council, other_council
):
    ours = ForumFactory(title="Our forum", organisations=[council])
    theirs = ForumFactory(title="Their forum", organisations=[other_council])
    client.force_login(officer)
    listing = client.get(reverse("forum_admin:index")).content.decode()
    assert "Our forum" in listing and "Their forum" not in listing
    assert client.get(reverse("forum_admin:edit", args=[ours.pk])).status_code == 200
    data = {
        "title": "Taken over",
        "slug": theirs.slug,
        "summary": "x",
        "organisations": [council.pk],
        "access": "open",
        "state": "open",
    }
    assert _denied(client.post(reverse("forum_admin:edit", args=[theirs.pk]), data))
    theirs.refresh_from_db()
    assert theirs.title == "Their forum"


def test_an_officer_creates_a_forum_for_their_organisation(client, officer, council, other_council):
    client.force_login(officer)
    data = {
        "title": "Bus routes",
        "slug": "bus-routes",
        "summary": "Redesigning the town's bus routes.",
        "access": "invited",
        "state": "open",
    }
    refused = client.post(reverse("forum_admin:add"), {**data, "organisations": [other_council.pk]})
    assert refused.status_code == 200 and not Forum.objects.exists()
    client.post(reverse("forum_admin:add"), {**data, "organisations": [council.pk]})
    forum = Forum.objects.get(slug="bus-routes")
    assert list(forum.organisations.all()) == [council]


def test_an_officer_adds_a_member_only_to_their_forums(
    client, officer, council, other_council, resident
):
    ours = ForumFactory(title="Our panel", organisations=[council], access=Forum.Access.INVITED)
    theirs = ForumFactory(title="Their panel", organisations=[other_council])
    client.force_login(officer)
    url = reverse("forum_member_admin:add")
    client.post(url, {"forum": theirs.pk, "email": resident.email, "role": "member"})
    assert not ForumMember.objects.exists()
    client.post(url, {"forum": ours.pk, "email": resident.email, "role": "member"})
    assert ForumMember.objects.get().forum == ours
    assert may_read_panel(resident, ours)


def may_read_panel(user, forum) -> bool:
    return rules.has_perm("forums.view_forum", user, forum)
