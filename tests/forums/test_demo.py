"""The demo forums ``seed_demo`` builds: realistic, made through the services, and seeded once."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from engagement.forums.demo import FORUM_SLUG, PANEL_SLUG, seed_forums
from engagement.forums.models import Forum, ForumMember, Post, Reaction, ThreadEvent
from engagement.management.commands.seed_demo import Command as SeedDemo
from engagement.models import User


@pytest.fixture
def demo_accounts(db):
    command = SeedDemo(stdout=io.StringIO())
    command.seed_accounts(command.seed_organisations(command.seed_areas()))


def counts() -> tuple[int, ...]:
    return (
        Forum.objects.count(),
        Post.objects.count(),
        Reaction.objects.count(),
        ThreadEvent.objects.count(),
        ForumMember.objects.count(),
    )


def test_seeding_twice_is_idempotent(demo_accounts):
    out = io.StringIO()
    added = seed_forums(stdout=out)
    first = counts()
    assert added >= 20
    assert seed_forums(stdout=out) == 0
    assert counts() == first
    assert "already there" in out.getvalue()


def test_the_demo_forum_is_lively_and_facilitated(demo_accounts):
    seed_forums()
    forum = Forum.objects.get(slug=FORUM_SLUG)
    assert forum.access == Forum.Access.OPEN and forum.state == Forum.State.OPEN
    assert sorted(forum.organisations.values_list("name", flat=True)) == [
        "Eastbrook Food Network",
        "Marlshire County Council",
    ]
    assert forum.members.get(role="facilitator").user.email == "moderator@demo.commonground.test"
    posts = Post.objects.filter(thread__forum=forum)
    assert 3 <= forum.threads.count() <= 4
    assert 18 <= posts.count() <= 25
    authors = set(posts.values_list("author__email", flat=True))
    assert {
        "resident@demo.commonground.test",
        "officer@demo.commonground.test",
        "partner@demo.commonground.test",
        "moderator@demo.commonground.test",
    } <= authors
    assert posts.filter(is_pinned=True).count() == 1
    assert posts.filter(is_summary=True).count() == 1
    assert posts.filter(reply_to__isnull=False).exists()
    assert Reaction.objects.filter(post__thread__forum=forum).count() >= 10
    # Every post went through the services: one "post" event each.
    assert ThreadEvent.objects.filter(thread__forum=forum, kind="post").count() == posts.count()
    for thread in forum.threads.all():
        assert thread.post_count == thread.posts.count()


def test_the_invited_panel_has_a_couple_of_members(client, demo_accounts):
    seed_forums()
    panel = Forum.objects.get(slug=PANEL_SLUG)
    assert panel.access == Forum.Access.INVITED
    assert panel.members.filter(role="member").count() == 2
    client.force_login(User.objects.get(email="resident@demo.commonground.test"))
    assert client.get(panel.get_absolute_url()).status_code == 403
    client.force_login(User.objects.get(email="resident2@demo.commonground.test"))
    assert client.get(panel.get_absolute_url()).status_code == 200


def test_the_demo_pages_render(client, demo_accounts):
    seed_forums()
    forum = Forum.objects.get(slug=FORUM_SLUG)
    client.force_login(User.objects.get(email="moderator@demo.commonground.test"))
    assert client.get(reverse("forums:index")).status_code == 200
    assert client.get(forum.get_absolute_url()).status_code == 200
    for thread in forum.threads.all():
        assert client.get(thread.get_absolute_url()).status_code == 200
    queue = client.get(reverse("forums:flagged", args=[forum.slug])).content.decode()
    assert "Who looks after them in August" in queue
