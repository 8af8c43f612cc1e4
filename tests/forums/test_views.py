"""The forum pages and their writes, as a browser without JavaScript uses them."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from engagement.forums import services
from engagement.forums.models import (
    POST_MAX_LENGTH,
    Forum,
    PostFlag,
    Reaction,
    Thread,
    ThreadEvent,
)
from tests.forums.conftest import limited
from tests.forums.factories import ForumFactory, PostFactory, ThreadFactory


def thread_url(thread) -> str:
    return reverse("forums:thread", args=[thread.forum.slug, thread.pk])


def post_url(name: str, post) -> str:
    return reverse(f"forums:{name}", args=[post.thread.forum.slug, post.pk])


def create_url(thread) -> str:
    return reverse("forums:post_create", args=[thread.forum.slug, thread.pk])


# --- Lists and pages ------------------------------------------------------------------------------


def test_index_lists_readable_forums_with_their_facts(client, forum, panel, resident, thread):
    ForumFactory(title="Hidden draft", state=Forum.State.DRAFT)
    client.force_login(resident)
    page = client.get(reverse("forums:index")).content.decode()
    assert "Park Lane play area" in page
    assert "Test County Council, Test Food Network" in page
    assert "Open to all" in page
    assert "Youth services panel" not in page  # an invited panel they are not in
    assert "Hidden draft" not in page


def test_index_shows_an_invited_panel_to_its_member(client, panel, member):
    client.force_login(member)
    page = client.get(reverse("forums:index")).content.decode()
    assert "Youth services panel" in page
    assert "Invited panel" in page


@pytest.mark.parametrize("count", [1, 30])
def test_index_query_count_is_constant(
    client, resident, council, count, django_assert_max_num_queries
):
    for n in range(count):
        forum = ForumFactory(title=f"Forum {n}", organisations=[council])
        ThreadFactory(forum=forum)
    client.force_login(resident)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("forums:index"))
    assert response.status_code == 200
    assert f"Forum {count - 1}" in response.content.decode() or count > 20


def test_forum_page_shows_threads_newest_first_and_who_runs_it(client, forum, resident, thread):
    older = ThreadFactory(forum=forum, title="Older thread")
    Thread.objects.filter(pk=older.pk).update(last_post_at=thread.last_post_at.replace(year=2020))
    client.force_login(resident)
    page = client.get(forum.get_absolute_url()).content.decode()
    assert page.index(thread.title) < page.index("Older thread")
    assert "Fay Facilitator" in page
    assert "Start a thread" in page


def test_archived_forum_is_read_only(client, forum, resident, thread):
    Forum.objects.filter(pk=forum.pk).update(state=Forum.State.ARCHIVED)
    client.force_login(resident)
    page = client.get(forum.get_absolute_url()).content.decode()
    assert "This forum is archived" in page
    assert "Start a thread" not in page
    response = client.post(create_url(thread), {"body": "Late idea"})
    assert response.status_code == 403
    assert "This forum is archived" in response.content.decode()
    assert thread.posts.count() == 1


def test_thread_page_follows_the_live_contract(client, forum, resident, thread, opening):
    client.force_login(resident)
    page = client.get(thread_url(thread)).content.decode()
    last = ThreadEvent.objects.filter(thread=thread).latest("pk").pk
    assert 'id="thread-live" data-forum-live' in page
    assert f'data-ws-path="/ws/forums/threads/{thread.pk}/"' in page
    assert f'data-last-event="{last}"' in page
    assert f'data-user-id="{resident.pk}"' in page
    assert 'data-facilitator="false"' in page
    assert '<meta name="csrf-token"' in page
    assert 'id="live-announcer" class="govuk-visually-hidden" aria-live="polite"' in page
    assert '<ol id="posts" class="forum-posts">' in page
    assert f'id="post-{opening.pk}"' in page
    assert 'id="thread-state"' in page
    assert "Swings for older children." in page
    assert "Hide this post" not in page  # not a facilitator


def test_post_text_is_escaped_and_links_are_safe(client, forum, resident, thread):
    services.publish_post(
        thread, resident, "<script>alert(1)</script> see https://example.org/park\nthanks"
    )
    page = client.get(thread_url(thread)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="https://example.org/park" rel="nofollow ugc"' in page
    assert "/park</a><br>thanks" in page


def test_staff_and_facilitators_carry_a_badge(client, forum, thread, officer, partner, facilitator):
    services.publish_post(thread, officer, "The budget is 40,000 pounds.")
    services.publish_post(thread, partner, "We can run a taster session.")
    services.publish_post(thread, facilitator, "Thanks all, summary soon.")
    page = client.get(thread_url(thread)).content.decode()
    assert "Officer, Test County Council" in page
    assert "Partner, Test Food Network" in page
    assert ">Facilitator<" in page


def test_thread_page_query_count_is_constant(
    client, forum, resident, other_resident, officer, facilitator, django_assert_max_num_queries
):
    def queries_for(count: int) -> int:
        thread = ThreadFactory(forum=forum)
        authors = [resident, other_resident, officer, facilitator]
        posts = [PostFactory(thread=thread, author=authors[n % 4]) for n in range(count)]
        PostFactory(thread=thread, author=resident, reply_to=posts[0])
        Reaction.objects.create(post=posts[0], user=facilitator, kind="agree")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = client.get(thread_url(thread))
        assert response.status_code == 200
        assert response.content.decode().count('<li id="post-') == count + 1
        return len(captured)

    client.force_login(facilitator)
    assert queries_for(1) == queries_for(60)


# --- Posting --------------------------------------------------------------------------------------


def test_anonymous_is_asked_to_sign_in_to_post(client, thread):
    response = client.post(create_url(thread), {"body": "Hello"})
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert thread.posts.count() == 1


def test_a_resident_posts_and_a_reply_names_its_post(
    client, resident, other_resident, thread, opening
):
    client.force_login(other_resident)
    response = client.post(
        create_url(thread),
        {
            "body": "  Agreed, and a zip wire.  ",
            "reply_to": opening.pk,
            "idempotency_key": uuid.uuid4(),
        },
    )
    post = thread.posts.latest("pk")
    assert response.status_code == 302
    assert response["Location"].endswith(f"#post-{post.pk}")
    assert post.body == "Agreed, and a zip wire."
    assert post.reply_to == opening
    assert post.author == other_resident
    page = client.get(thread_url(thread)).content.decode()
    assert "In reply to" in page and f'href="#post-{opening.pk}"' in page


def test_the_reply_link_prefills_the_form(client, other_resident, thread, opening):
    client.force_login(other_resident)
    page = client.get(thread_url(thread) + f"?reply_to={opening.pk}").content.decode()
    assert "Replying to Rosa Resident" in page
    assert f'name="reply_to" value="{opening.pk}"' in page


@pytest.mark.parametrize(
    "body, message",
    [
        ("", "Write your post"),
        ("   \n\t  ", "Write your post"),
        ("x" * (POST_MAX_LENGTH + 1), f"Keep your post to {POST_MAX_LENGTH} characters or fewer"),
    ],
)
def test_bad_posts_are_refused_with_the_form_and_nothing_saved(
    client, resident, thread, body, message
):
    client.force_login(resident)
    events = ThreadEvent.objects.count()
    response = client.post(create_url(thread), {"body": body})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert thread.posts.count() == 1
    assert ThreadEvent.objects.count() == events


def test_a_reply_to_a_post_of_another_thread_is_refused(client, resident, forum, thread):
    other = services.start_thread(forum, resident, "Other", "Elsewhere")
    client.force_login(resident)
    response = client.post(create_url(thread), {"body": "Hi", "reply_to": other.posts.get().pk})
    assert response.status_code == 400
    assert "not in this thread" in response.content.decode()


def test_a_resent_post_makes_one_post(client, resident, thread):
    client.force_login(resident)
    data = {"body": "Double click", "idempotency_key": str(uuid.uuid4())}
    first = client.post(create_url(thread), data)
    second = client.post(create_url(thread), data)
    assert first["Location"] == second["Location"]
    assert thread.posts.filter(body="Double click").count() == 1


def test_closed_thread_refuses_a_post(client, resident, facilitator, thread):
    services.set_thread_state(thread, facilitator, Thread.State.CLOSED)
    client.force_login(resident)
    response = client.post(create_url(thread), {"body": "Too late"})
    assert response.status_code == 403
    assert "This thread is closed" in response.content.decode()
    assert thread.posts.count() == 1
    page = client.get(thread_url(thread)).content.decode()
    assert "This thread is closed to new posts" in page
    assert 'name="body"' not in page


def test_non_member_cannot_post_in_a_panel(client, resident, member, panel):
    thread = services.start_thread(panel, member, "Youth club hours", "Open on Saturdays?")
    client.force_login(resident)
    assert client.get(thread_url(thread)).status_code == 403
    assert client.post(create_url(thread), {"body": "Let me in"}).status_code == 403
    client.force_login(member)
    assert client.post(create_url(thread), {"body": "Saturdays please"}).status_code == 302


def test_thread_of_another_forum_is_not_found(client, resident, thread):
    other = ForumFactory(title="Elsewhere")
    url = reverse("forums:thread", args=[other.slug, thread.pk])
    assert client.get(url).status_code == 404


def test_start_a_thread(client, forum, resident):
    client.force_login(resident)
    url = reverse("forums:thread_new", args=[forum.slug])
    assert client.get(url).status_code == 200
    key = str(uuid.uuid4())
    data = {"title": "Toilets", "body": "Please open the toilets.", "idempotency_key": key}
    response = client.post(url, data)
    thread = Thread.objects.get(title="Toilets")
    assert response["Location"] == thread_url(thread)
    assert thread.post_count == 1
    resent = client.post(url, data)
    assert resent["Location"] == thread_url(thread)
    assert Thread.objects.filter(title="Toilets").count() == 1


def test_start_a_thread_needs_a_title_and_a_post(client, forum, resident):
    client.force_login(resident)
    response = client.post(reverse("forums:thread_new", args=[forum.slug]), {"title": " "})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give the thread a title" in page and "Write your post" in page
    assert not Thread.objects.exists()


# --- Editing, reacting, reporting -----------------------------------------------------------------


def test_the_author_edits_their_post(client, resident, thread, opening):
    client.force_login(resident)
    url = post_url("post_edit", opening)
    assert "Swings for older children." in client.get(url).content.decode()
    response = client.post(url, {"body": "Swings and a climbing frame."})
    assert response.status_code == 302
    opening.refresh_from_db()
    assert opening.body == "Swings and a climbing frame."
    assert opening.edited_at is not None
    assert ThreadEvent.objects.filter(thread=thread, kind="edit").count() == 1


def test_edit_refuses_blank_and_other_people(client, resident, other_resident, opening):
    client.force_login(resident)
    response = client.post(post_url("post_edit", opening), {"body": "  "})
    assert response.status_code == 400
    client.force_login(other_resident)
    assert client.get(post_url("post_edit", opening)).status_code == 403
    assert client.post(post_url("post_edit", opening), {"body": "Mine now"}).status_code == 403
    opening.refresh_from_db()
    assert opening.body == "Swings for older children."


def test_reactions_toggle_and_show_as_pressed(client, other_resident, thread, opening):
    client.force_login(other_resident)
    url = post_url("post_react", opening)
    assert client.post(url, {"kind": "agree"}).status_code == 302
    opening.refresh_from_db()
    assert opening.agree_count == 1
    page = client.get(thread_url(thread)).content.decode()
    assert 'aria-pressed="true">Agree <span class="forum-reaction__count">1</span>' in page
    client.post(url, {"kind": "agree"})
    opening.refresh_from_db()
    assert opening.agree_count == 0
    assert not Reaction.objects.exists()


@pytest.mark.parametrize("kind", ["", "love", "agree'"])
def test_an_unknown_reaction_is_a_bad_request(client, other_resident, opening, kind):
    client.force_login(other_resident)
    assert client.post(post_url("post_react", opening), {"kind": kind}).status_code == 400
    assert not Reaction.objects.exists()


def test_reacting_is_a_post_only(client, other_resident, opening):
    client.force_login(other_resident)
    assert client.get(post_url("post_react", opening) + "?kind=agree").status_code == 405
    assert not Reaction.objects.exists()


def test_report_a_post(client, other_resident, opening, facilitator):
    client.force_login(other_resident)
    url = post_url("post_flag", opening)
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 400
    response = client.post(url, {"reason": "off_topic", "note": "About parking"})
    assert response.status_code == 302
    assert PostFlag.objects.get().reason == "off_topic"
    client.post(url, {"reason": "spam"})
    assert PostFlag.objects.count() == 1
    client.force_login(facilitator)
    queue = client.get(reverse("forums:flagged", args=[opening.thread.forum.slug]))
    assert "It is off topic" in queue.content.decode()


def test_the_flagged_queue_is_for_facilitators(client, resident, forum):
    client.force_login(resident)
    assert client.get(reverse("forums:flagged", args=[forum.slug])).status_code == 403


# --- Facilitator tools ----------------------------------------------------------------------------


def moderate(client, post, **data):
    return client.post(post_url("post_moderate", post), data)


def test_hide_needs_a_reason_and_the_author_sees_it(
    client, facilitator, resident, other_resident, thread, opening
):
    client.force_login(facilitator)
    response = moderate(client, opening, action="hide", reason="  ")
    assert response.status_code == 400
    assert "Give the reason for hiding the post" in response.content.decode()
    assert moderate(client, opening, action="hide", reason="x" * 301).status_code == 400
    opening.refresh_from_db()
    assert not opening.is_hidden

    assert moderate(client, opening, action="hide", reason="Names a neighbour").status_code == 302
    opening.refresh_from_db()
    assert opening.is_hidden and opening.hidden_reason == "Names a neighbour"
    facilitator_page = client.get(thread_url(thread)).content.decode()
    assert (
        "Restore the post" in facilitator_page and "Swings for older children." in facilitator_page
    )

    client.force_login(other_resident)
    page = client.get(thread_url(thread)).content.decode()
    assert "This post was hidden by a facilitator." in page
    assert "Swings for older children." not in page
    assert "Names a neighbour" not in page
    assert client.post(post_url("post_react", opening), {"kind": "agree"}).status_code == 404
    assert client.get(post_url("post_flag", opening)).status_code == 404

    client.force_login(resident)
    page = client.get(thread_url(thread)).content.decode()
    assert "Reason: Names a neighbour" in page

    client.force_login(facilitator)
    assert moderate(client, opening, action="restore").status_code == 302
    opening.refresh_from_db()
    assert not opening.is_hidden


def test_pin_and_summary(client, facilitator, thread, opening):
    client.force_login(facilitator)
    moderate(client, opening, action="pin")
    moderate(client, opening, action="summary")
    opening.refresh_from_db()
    assert opening.is_pinned and opening.is_summary
    page = client.get(thread_url(thread)).content.decode()
    assert "Pinned and summary posts" in page and "Unpin" in page
    moderate(client, opening, action="unpin")
    moderate(client, opening, action="unsummary")
    opening.refresh_from_db()
    assert not opening.is_pinned and not opening.is_summary
    assert moderate(client, opening, action="explode").status_code == 400


def test_residents_cannot_use_facilitator_tools(client, other_resident, officer, thread, opening):
    for user in (other_resident, officer):  # an officer is not a facilitator
        client.force_login(user)
        assert moderate(client, opening, action="pin").status_code == 403
        assert moderate(client, opening, action="hide", reason="No").status_code == 403
        url = reverse("forums:thread_state", args=[thread.forum.slug, thread.pk])
        assert client.post(url, {"state": "closed"}).status_code == 403
    opening.refresh_from_db()
    thread.refresh_from_db()
    assert not opening.is_pinned and not opening.is_hidden and thread.is_open


def test_close_reopen_and_archive_a_thread(client, facilitator, thread):
    client.force_login(facilitator)
    url = reverse("forums:thread_state", args=[thread.forum.slug, thread.pk])
    assert client.post(url, {"state": "closed"}).status_code == 302
    thread.refresh_from_db()
    assert thread.state == "closed"
    assert client.post(url, {"state": "bogus"}).status_code == 400
    client.post(url, {"state": "open"})
    thread.refresh_from_db()
    assert thread.state == "open"
    client.post(url, {"state": "archived"})
    thread.refresh_from_db()
    assert thread.state == "archived"


def test_a_council_moderator_facilitates(client, moderator, opening):
    client.force_login(moderator)
    assert moderate(client, opening, action="pin").status_code == 302


def test_hidden_posts_of_other_forums_are_not_reachable(client, facilitator, resident):
    other = ForumFactory(title="Another forum")
    elsewhere = services.start_thread(other, resident, "Bins", "Collect them weekly").posts.get()
    client.force_login(facilitator)  # facilitates ``forum``, not ``other``
    url = reverse("forums:post_moderate", args=["park-lane-play-area", elsewhere.pk])
    assert client.post(url, {"action": "pin"}).status_code == 404


# --- Rate limits ----------------------------------------------------------------------------------


def test_a_burst_of_posts_is_refused_with_429(client, settings, mid_hour, resident, thread):
    limited(settings, "forum_post", user=(2, 600))
    client.force_login(resident)
    statuses = [
        client.post(create_url(thread), {"body": f"Post {n}"}).status_code for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert thread.posts.count() == 3


def test_a_burst_of_reactions_is_refused_with_429(
    client, settings, mid_hour, other_resident, opening
):
    limited(settings, "forum_react", user=(1, 600))
    client.force_login(other_resident)
    url = post_url("post_react", opening)
    assert client.post(url, {"kind": "agree"}).status_code == 302
    assert client.post(url, {"kind": "idea"}).status_code == 429
    assert Reaction.objects.count() == 1
