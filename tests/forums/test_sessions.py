"""Live co-design sessions over HTTP: a facilitator opens a timed session on a thread, people add
ideas and vote, and closing it posts the ranked ideas as a summary. Every step works as a plain
form POST and stores (then, after commit, broadcasts) a session event for live readers."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from django.db import IntegrityError
from django.template.loader import render_to_string
from django.urls import reverse

from engagement.forums import services, session_views
from engagement.forums.models import (
    IDEA_MAX_LENGTH,
    CoDesignSession,
    Forum,
    ForumMember,
    Idea,
    IdeaVote,
    Post,
    Thread,
    ThreadEvent,
)
from engagement.forums.session_forms import MAX_MINUTES, MIN_MINUTES
from tests.factories import UserFactory

# 13:00 in London (British Summer Time) on a Friday.
NOON_UTC = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOON_UTC, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def static_files_found_on_demand(settings) -> None:
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture
def layer(settings):
    """A fresh in-memory channel layer, to listen to a thread's group."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield channel_layers["default"]
    channel_layers.backends.clear()


@pytest.fixture
def host(db):
    """A named facilitator of the forum."""
    return UserFactory(display_name="Fay Facilitator", mfa_exempt=True)


@pytest.fixture
def park(council, host) -> Forum:
    forum = Forum.objects.create(
        title="Park Lane play area", slug="park-lane", summary="The new play area."
    )
    forum.organisations.set([council])
    ForumMember.objects.create(forum=forum, user=host, role=ForumMember.Role.FACILITATOR)
    return forum


@pytest.fixture
def panel(council, host, other_resident) -> Forum:
    forum = Forum.objects.create(
        title="Youth panel", slug="youth-panel", summary="Invited.", access=Forum.Access.INVITED
    )
    forum.organisations.set([council])
    ForumMember.objects.create(forum=forum, user=host, role=ForumMember.Role.FACILITATOR)
    ForumMember.objects.create(forum=forum, user=other_resident)
    return forum


def make_thread(forum: Forum, author) -> Thread:
    thread = Thread.objects.create(forum=forum, author=author, title="What should it have?")
    Post.objects.create(thread=thread, author=author, body="Swings for older children.")
    return thread


@pytest.fixture
def topic(park, resident) -> Thread:
    return make_thread(park, resident)


@pytest.fixture
def panel_topic(panel, other_resident) -> Thread:
    return make_thread(panel, other_resident)


def open_session(thread: Thread, by, prompt="What would make it safer?", minutes=30):
    return services.open_session(thread, by, prompt, minutes)


@pytest.fixture
def running(topic, host) -> CoDesignSession:
    return open_session(topic, host)


def url(name: str, thread: Thread, *ids) -> str:
    return reverse(f"forums:{name}", args=[thread.forum.slug, thread.pk, *ids])


def thread_page(client, thread: Thread) -> str:
    response = client.get(reverse("forums:thread", args=[thread.forum.slug, thread.pk]))
    assert response.status_code == 200
    return response.content.decode()


def add(session: CoDesignSession, author, text: str, votes: list | None = None) -> Idea:
    idea = services.add_idea(session, author, text)
    for voter in votes or []:
        services.toggle_vote(idea, voter)
    return idea


# --- Broadcasting ---------------------------------------------------------------------------------


def listen(layer, thread) -> str:
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(services.thread_group(thread.pk), channel)
    return channel


def received(layer, channel) -> list[dict]:
    async def drain():
        messages = []
        while True:
            try:
                messages.append(await asyncio.wait_for(layer.receive(channel), 0.05))
            except TimeoutError:
                return messages

    return async_to_sync(drain)()


@pytest.fixture
def broadcast_after_commit(django_capture_on_commit_callbacks, layer):
    """Do ``action`` and check it stored a session event for the thread, broadcast nothing before
    the commit and the stored events after it; returns the session events stored."""

    def check(thread: Thread, action) -> list[ThreadEvent]:
        channel = listen(layer, thread)
        before = ThreadEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            action()
        events = list(thread.events.filter(pk__gt=before).order_by("pk"))
        sessions = [e for e in events if e.kind == ThreadEvent.Kind.SESSION]
        assert sessions, "no session event stored"
        assert all(e.target == f"session-{thread.pk}" for e in sessions)
        assert received(layer, channel) == []  # nothing before the commit
        for callback in callbacks:
            callback()
        sent = received(layer, channel)
        assert [(m["type"], m["id"], m["kind"]) for m in sent] == [
            ("forum.event", e.pk, e.kind) for e in events
        ]
        return sessions

    return check


# --- Opening a session ----------------------------------------------------------------------------


def test_a_facilitator_opens_a_timed_session(client, topic, host, broadcast_after_commit):
    client.force_login(host)

    def post():
        response = client.post(
            url("session_open", topic), {"prompt": "  What would make it safer?  ", "minutes": "45"}
        )
        assert response.status_code == 302
        assert response["Location"] == f"{topic.get_absolute_url()}#session-{topic.pk}"

    [event] = broadcast_after_commit(topic, post)
    session = CoDesignSession.objects.get()
    assert session.thread == topic and session.opened_by == host and session.is_open
    assert session.prompt == "What would make it safer?"
    assert session.ends_at == NOON_UTC + dt.timedelta(minutes=45)
    assert event.announcement == "A co-design session has started: What would make it safer?"
    assert "What would make it safer?" in event.html
    assert "Close the session" not in event.html
    assert "Close the session" in event.facilitator_html


def test_a_moderator_of_the_forums_organisation_may_open_one(client, topic, moderator):
    client.force_login(moderator)
    response = client.post(url("session_open", topic), {"prompt": "Benches?", "minutes": "30"})
    assert response.status_code == 302
    assert CoDesignSession.objects.filter(thread=topic, opened_by=moderator).exists()


def test_only_facilitators_open_sessions(client, topic, resident, other_org_officer, officer):
    data = {"prompt": "Benches?", "minutes": "30"}
    response = client.post(url("session_open", topic), data)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for person in (resident, other_org_officer, officer):
        client.force_login(person)
        assert client.post(url("session_open", topic), data).status_code == 403
    assert not CoDesignSession.objects.exists()


def test_a_second_session_is_refused_while_one_is_open(client, topic, host, running):
    client.force_login(host)
    response = client.post(url("session_open", topic), {"prompt": "Another", "minutes": "30"})
    assert response.status_code == 400
    assert "A co-design session is already running" in response.content.decode()
    assert CoDesignSession.objects.count() == 1


def test_two_facilitators_opening_at_once_get_one_session(
    client, topic, host, moderator, monkeypatch
):
    """The one-open-session constraint decides a race the view's own check cannot see."""
    real_open = services.open_session

    def raced(thread, by, prompt, minutes):
        real_open(thread, moderator, "The other facilitator's session", 20)
        return real_open(thread, by, prompt, minutes)

    monkeypatch.setattr(session_views.services, "open_session", raced)
    client.force_login(host)
    response = client.post(url("session_open", topic), {"prompt": "Mine", "minutes": "30"})
    assert response.status_code == 400
    assert "already running" in response.content.decode()
    assert list(CoDesignSession.objects.values_list("prompt", flat=True)) == [
        "The other facilitator's session"
    ]
    with pytest.raises(IntegrityError):  # the constraint itself, not only the view's check
        real_open(topic, host, "Again", 30)


def test_a_new_session_may_open_once_the_last_is_closed(client, topic, host, running):
    services.close_session(running, host)
    client.force_login(host)
    page = thread_page(client, topic)
    assert "Open another co-design session" in page
    response = client.post(url("session_open", topic), {"prompt": "Round two", "minutes": "10"})
    assert response.status_code == 302
    assert CoDesignSession.objects.filter(state="open").get().prompt == "Round two"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"prompt": "", "minutes": "30"}, "Write the question people will bring ideas for"),
        ({"prompt": "   ", "minutes": "30"}, "Write the question people will bring ideas for"),
        ({"prompt": "x" * 301, "minutes": "30"}, "Keep the question to 300 characters or fewer"),
        ({"prompt": "Benches?", "minutes": "4"}, "A session runs for at least 5 minutes"),
        ({"prompt": "Benches?", "minutes": "241"}, "A session runs for at most 240 minutes"),
        ({"prompt": "Benches?", "minutes": "half an hour"}, "Enter the length as a whole number"),
        ({"prompt": "Benches?", "minutes": ""}, "Enter how many minutes the session should run"),
        ({"prompt": "Benches?"}, "Enter how many minutes the session should run"),
    ],
)
def test_a_bad_prompt_or_length_is_refused_with_the_form_again(client, topic, host, data, message):
    client.force_login(host)
    response = client.post(url("session_open", topic), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert 'id="session-prompt"' in page and 'id="session-minutes"' in page
    assert not CoDesignSession.objects.exists()


def test_a_refused_form_keeps_what_was_typed(client, topic, host):
    client.force_login(host)
    page = client.post(
        url("session_open", topic), {"prompt": "Benches <b>?</b>", "minutes": "4"}
    ).content.decode()
    assert 'value="Benches &lt;b&gt;?&lt;/b&gt;"' in page
    assert 'value="4"' in page
    assert 'aria-describedby="session-minutes-hint session-minutes-error"' in page
    assert '<a href="#session-minutes">' in page  # the error summary links to the field


@pytest.mark.parametrize("state", [Thread.State.CLOSED, Thread.State.ARCHIVED])
def test_no_session_opens_on_a_thread_that_is_not_open(client, topic, host, state):
    Thread.objects.filter(pk=topic.pk).update(state=state)
    client.force_login(host)
    response = client.post(url("session_open", topic), {"prompt": "Benches?", "minutes": "30"})
    assert response.status_code == 403
    assert "This thread is" in response.content.decode()
    assert not CoDesignSession.objects.exists()


def test_session_writes_refuse_get(client, topic, host, running):
    client.force_login(host)
    idea = add(running, host, "Lights")
    for address in (
        url("session_open", topic),
        url("session_idea", topic, running.pk),
        url("session_vote", topic, running.pk, idea.pk),
        url("session_close", topic, running.pk),
    ):
        assert client.get(address).status_code == 405
    running.refresh_from_db()
    assert running.is_open and running.ideas.count() == 1


# --- Ideas ----------------------------------------------------------------------------------------


def test_a_participant_adds_an_idea(
    client, topic, running, other_org_officer, broadcast_after_commit
):
    client.force_login(other_org_officer)  # anyone signed in may take part in an open forum

    def post():
        response = client.post(
            url("session_idea", topic, running.pk), {"text": "  Brighter\n  lights  "}
        )
        assert response.status_code == 302

    [event] = broadcast_after_commit(topic, post)
    idea = Idea.objects.get()
    assert idea.text == "Brighter lights" and idea.author == other_org_officer
    assert event.announcement == "New idea: Brighter lights"
    assert "Brighter lights" in event.html


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write your idea"),
        ("  \n ", "Write your idea"),
        ("x" * (IDEA_MAX_LENGTH + 1), f"Keep your idea to {IDEA_MAX_LENGTH} characters or fewer"),
    ],
)
def test_a_blank_or_long_idea_is_refused(client, topic, running, resident, text, message):
    client.force_login(resident)
    response = client.post(url("session_idea", topic, running.pk), {"text": text})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and '<a href="#idea-text">' in page
    assert 'aria-describedby="idea-text-hint idea-text-error"' in page
    assert not Idea.objects.exists()


def test_a_closed_session_takes_no_ideas(client, topic, host, running, resident):
    services.close_session(running, host)
    client.force_login(resident)
    response = client.post(url("session_idea", topic, running.pk), {"text": "Late idea"})
    assert response.status_code == 400
    assert "This co-design session is closed" in response.content.decode()
    assert not Idea.objects.exists()


def test_a_session_past_its_time_takes_no_ideas_until_closed(
    client, topic, host, running, resident, frozen
):
    frozen.move_to(running.ends_at)
    client.force_login(resident)
    response = client.post(url("session_idea", topic, running.pk), {"text": "Late idea"})
    assert response.status_code == 400
    assert "Time is up for new ideas" in response.content.decode()
    assert not Idea.objects.exists()
    running.refresh_from_db()
    assert running.is_open  # the facilitator still closes it


def test_a_second_before_the_end_an_idea_is_taken(client, topic, running, resident, frozen):
    frozen.move_to(running.ends_at - dt.timedelta(seconds=1))
    client.force_login(resident)
    assert (
        client.post(url("session_idea", topic, running.pk), {"text": "Just in time"}).status_code
        == 302
    )
    assert Idea.objects.get().text == "Just in time"


def test_ideas_need_a_signed_in_participant(client, panel_topic, host, resident, other_org_officer):
    session = open_session(panel_topic, host)
    address = url("session_idea", panel_topic, session.pk)
    response = client.post(address, {"text": "Idea"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for outsider in (resident, other_org_officer):  # not on the invited panel
        client.force_login(outsider)
        assert client.post(address, {"text": "Idea"}).status_code == 403
    assert not Idea.objects.exists()


def test_a_panel_member_adds_ideas(client, panel_topic, host, other_resident):
    session = open_session(panel_topic, host)
    client.force_login(other_resident)
    response = client.post(url("session_idea", panel_topic, session.pk), {"text": "Youth club"})
    assert response.status_code == 302
    assert Idea.objects.get().author == other_resident


def test_a_closed_thread_takes_no_ideas(client, topic, running, resident):
    Thread.objects.filter(pk=topic.pk).update(state=Thread.State.CLOSED)
    client.force_login(resident)
    response = client.post(url("session_idea", topic, running.pk), {"text": "Idea"})
    assert response.status_code == 403
    assert "This thread is closed" in response.content.decode()
    assert not Idea.objects.exists()


def test_an_archived_forum_takes_no_ideas(client, park, topic, running, resident):
    Forum.objects.filter(pk=park.pk).update(state=Forum.State.ARCHIVED)
    client.force_login(resident)
    response = client.post(url("session_idea", topic, running.pk), {"text": "Idea"})
    assert response.status_code == 403
    assert "This forum is archived" in response.content.decode()


def test_a_session_of_another_thread_is_not_found(client, park, topic, host, resident):
    elsewhere = make_thread(park, resident)
    session = open_session(elsewhere, host)
    idea = add(session, resident, "Lights")
    client.force_login(resident)
    assert client.post(url("session_idea", topic, session.pk), {"text": "x"}).status_code == 404
    assert client.post(url("session_vote", topic, session.pk, idea.pk)).status_code == 404
    client.force_login(host)
    assert client.post(url("session_close", topic, session.pk)).status_code == 404
    session.refresh_from_db()
    assert session.is_open and session.ideas.count() == 1


def test_the_idea_limit_gets_429(client, topic, running, resident, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "forum_idea": {"user": (2, 600)}}
    client.force_login(resident)
    statuses = [
        client.post(url("session_idea", topic, running.pk), {"text": f"Idea {n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert Idea.objects.count() == 2


# --- Votes ----------------------------------------------------------------------------------------


def test_a_vote_toggles_and_counts(client, topic, running, resident, broadcast_after_commit):
    idea = add(running, resident, "Lights")
    client.force_login(resident)
    address = url("session_vote", topic, running.pk, idea.pk)

    broadcast_after_commit(topic, lambda: client.post(address))
    idea.refresh_from_db()
    assert idea.vote_count == 1
    assert IdeaVote.objects.filter(idea=idea, user=resident).exists()

    response = client.post(address, follow=True)
    assert "You took back your vote for “Lights”." in response.content.decode()
    idea.refresh_from_db()
    assert idea.vote_count == 0 and not IdeaVote.objects.exists()


def test_people_vote_for_several_ideas_once_each(client, topic, running, resident, other_resident):
    lights, benches = add(running, resident, "Lights"), add(running, resident, "Benches")
    for person in (resident, other_resident):
        client.force_login(person)
        client.post(url("session_vote", topic, running.pk, lights.pk))
    client.force_login(resident)
    client.post(url("session_vote", topic, running.pk, benches.pk))
    assert {i.text: i.vote_count for i in Idea.objects.all()} == {"Lights": 2, "Benches": 1}
    assert IdeaVote.objects.filter(user=resident).count() == 2
    with pytest.raises(IntegrityError):  # one vote per idea per person, by the database
        IdeaVote.objects.create(idea=lights, user=resident)


def test_votes_count_after_time_is_up_until_the_facilitator_closes(
    client, topic, host, running, resident, frozen
):
    idea = add(running, resident, "Lights")
    frozen.move_to(running.ends_at + dt.timedelta(minutes=5))
    client.force_login(resident)
    assert client.post(url("session_vote", topic, running.pk, idea.pk)).status_code == 302
    services.close_session(running, host)
    response = client.post(url("session_vote", topic, running.pk, idea.pk))
    assert response.status_code == 400
    assert "This co-design session is closed" in response.content.decode()
    idea.refresh_from_db()
    assert idea.vote_count == 1


def test_votes_need_a_participant(client, panel_topic, host, other_resident, resident):
    session = open_session(panel_topic, host)
    idea = add(session, other_resident, "Youth club")
    address = url("session_vote", panel_topic, session.pk, idea.pk)
    assert "/accounts/login/" in client.post(address)["Location"]
    client.force_login(resident)
    assert client.post(address).status_code == 403
    assert not IdeaVote.objects.exists()


def test_the_vote_limit_gets_429(client, topic, running, resident, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "forum_vote": {"user": (1, 600)}}
    idea = add(running, resident, "Lights")
    client.force_login(resident)
    address = url("session_vote", topic, running.pk, idea.pk)
    assert [client.post(address).status_code for _ in range(2)] == [302, 429]
    idea.refresh_from_db()
    assert idea.vote_count == 1


# --- Closing --------------------------------------------------------------------------------------


def test_closing_posts_the_ranked_ideas_as_a_summary(
    client, topic, host, running, resident, other_resident, officer, broadcast_after_commit
):
    add(running, resident, "Benches", votes=[resident])
    add(running, resident, "Brighter lights", votes=[resident, other_resident, officer])
    add(running, other_resident, "A zebra crossing", votes=[])
    add(running, other_resident, "Bins & <b>recycling</b>", votes=[officer])
    client.force_login(host)

    responses = []
    [event] = broadcast_after_commit(
        topic, lambda: responses.append(client.post(url("session_close", topic, running.pk)))
    )

    running.refresh_from_db()
    summary = running.summary_post
    assert not running.is_open and running.closed_at == NOON_UTC
    assert responses[0].status_code == 302
    assert responses[0]["Location"] == summary.get_absolute_url()
    assert summary.is_summary and summary.author == host and summary.thread == topic
    assert summary.body == (
        "Co-design session: What would make it safer?\n"
        "\n"
        "Ideas, most votes first:\n"
        "1. Brighter lights (3 votes)\n"
        "2. Benches (1 vote)\n"
        "3. Bins & <b>recycling</b> (1 vote)\n"
        "4. A zebra crossing (0 votes)"
    )
    assert event.announcement == "The co-design session has closed; its summary is posted"
    assert "Closed" in event.html and f'href="#post-{summary.pk}"' in event.html


def test_closing_a_session_without_ideas_says_so(client, topic, host, running):
    client.force_login(host)
    client.post(url("session_close", topic, running.pk))
    running.refresh_from_db()
    assert running.summary_post.body == (
        "Co-design session: What would make it safer?\n\nNo ideas were added."
    )


def test_closing_twice_posts_one_summary(client, topic, host, running):
    client.force_login(host)
    client.post(url("session_close", topic, running.pk))
    response = client.post(url("session_close", topic, running.pk), follow=True)
    assert "The co-design session was already closed." in response.content.decode()
    assert Post.objects.filter(is_summary=True).count() == 1


def test_only_facilitators_close_sessions(client, topic, running, resident, other_org_officer):
    address = url("session_close", topic, running.pk)
    assert "/accounts/login/" in client.post(address)["Location"]
    for person in (resident, other_org_officer):
        client.force_login(person)
        assert client.post(address).status_code == 403
    running.refresh_from_db()
    assert running.is_open and not Post.objects.filter(is_summary=True).exists()


def test_a_facilitator_closes_a_session_whose_time_is_up(client, topic, host, running, frozen):
    frozen.move_to(running.ends_at + dt.timedelta(hours=2))
    client.force_login(host)
    assert client.post(url("session_close", topic, running.pk)).status_code == 302
    running.refresh_from_db()
    assert not running.is_open


def test_the_facilitate_limit_gets_429(client, topic, host, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "forum_facilitate": {"user": (1, 600)}}
    client.force_login(host)
    data = {"prompt": "Benches?", "minutes": "30"}
    assert client.post(url("session_open", topic), data).status_code == 302
    session = CoDesignSession.objects.get()
    assert client.post(url("session_close", topic, session.pk)).status_code == 429
    session.refresh_from_db()
    assert session.is_open


# --- The panel on the thread page -----------------------------------------------------------------


def test_a_facilitator_sees_the_form_to_open_a_session(client, topic, host, resident):
    client.force_login(host)
    page = thread_page(client, topic)
    assert f'id="session-{topic.pk}"' in page
    assert "Open a co-design session" in page
    assert f'action="{url("session_open", topic)}"' in page
    assert 'name="minutes" type="text" inputmode="numeric"' in page and 'value="30"' in page
    assert f"Between {MIN_MINUTES} and {MAX_MINUTES} minutes." in page
    client.force_login(resident)
    page = thread_page(client, topic)
    assert f'id="session-{topic.pk}"' in page  # where a session opened live appears
    assert "Open a co-design session" not in page


def test_no_session_form_on_a_closed_thread(client, topic, host):
    Thread.objects.filter(pk=topic.pk).update(state=Thread.State.CLOSED)
    client.force_login(host)
    assert "Open a co-design session" not in thread_page(client, topic)


def test_the_thread_page_shows_the_running_session(
    client, topic, running, resident, other_resident
):
    add(running, resident, "Benches", votes=[resident])
    add(running, resident, "Brighter lights", votes=[resident, other_resident])
    client.force_login(resident)
    page = thread_page(client, topic)
    assert "What would make it safer?" in page
    # 12:30 UTC is 13:30 in London in May.
    assert "Ends at" in page and ">13:30</time>" in page
    assert 'datetime="2026-05-01T13:30:00+01:00"' in page
    assert page.index("Brighter lights") < page.index("Benches")
    assert "2 votes" in page and "1 vote<" in page
    assert "Add an idea" in page and f"{IDEA_MAX_LENGTH} characters or fewer" in page
    assert f'action="{url("session_idea", topic, running.pk)}"' in page
    assert "Close the session" not in page
    # A normal page load carries the real CSRF token, not the live fragment's empty one.
    panel = page[page.index(f'id="session-{topic.pk}"') :]
    assert 'value="" data-csrf' not in panel
    assert 'name="csrfmiddlewaretoken" value="' in panel


def test_the_facilitator_sees_the_close_button(client, topic, host, running):
    client.force_login(host)
    page = thread_page(client, topic)
    assert "Close the session and post the ranked ideas" in page
    assert "Open a co-design session" not in page


def test_anonymous_readers_see_the_ideas_without_forms(client, topic, running, resident):
    add(running, resident, "Benches")
    page = thread_page(client, topic)
    assert "Benches" in page
    assert "Add an idea" not in page
    assert f'action="{url("session_vote", topic, running.pk, running.ideas.get().pk)}"' not in page


def test_time_is_up_is_shown_to_everyone(client, topic, host, running, resident, frozen):
    add(running, resident, "Benches")
    frozen.move_to(running.ends_at)
    for person in (resident, host):
        client.force_login(person)
        page = thread_page(client, topic)
        assert "Time is up" in page
        assert "Add an idea" not in page
    assert "Close the session" in page  # the facilitator's page


def test_a_closed_session_links_to_its_summary(client, topic, host, running, resident):
    summary = services.close_session(running, host)
    client.force_login(resident)
    page = thread_page(client, topic)
    assert "Closed" in page and f'href="#post-{summary.pk}"' in page
    assert "Add an idea" not in page


def test_the_live_fragment_is_the_same_for_every_reader(topic, running, resident):
    idea = add(running, resident, "Benches", votes=[resident])
    html = services.render_session(running, facilitator=False)
    assert html.strip().startswith(f'<div id="session-{topic.pk}"')
    assert 'name="csrfmiddlewaretoken" value="" data-csrf' in html
    assert f'action="{url("session_vote", topic, running.pk, idea.pk)}"' in html
    assert "aria-pressed" not in html  # whose vote it is is not known to a shared fragment
    assert "Close the session" not in html
    assert "Close the session" in services.render_session(running, facilitator=True)


@pytest.mark.parametrize("count", [1, 25])
def test_the_session_panel_costs_no_query_per_idea(
    client, topic, running, resident, count, django_assert_max_num_queries
):
    for n in range(count):
        add(running, resident, f"Idea {n}", votes=[resident])
    client.force_login(resident)
    thread_page(client, topic)  # warm up the session and the caches
    with django_assert_max_num_queries(16):
        page = thread_page(client, topic)
    assert page.count('class="forum-idea"') == count
    # The reader's own votes are read once for the page: each idea offers to take theirs back.
    assert page.count("Remove vote<") == count


def test_a_page_that_knows_the_readers_votes_offers_to_remove_them(rf, topic, running, resident):
    voted, other = (
        add(running, resident, "Benches", votes=[resident]),
        add(running, resident, "Bins"),
    )
    request = rf.get(topic.get_absolute_url())
    request.user = resident
    html = render_to_string(
        "forums/_session.html",
        {
            "session": running,
            "ideas": [voted, other],
            "facilitator": False,
            "live": False,
            "may_post": True,
            "my_votes": {voted.pk},
        },
        request=request,
    )
    benches, bins = html.index("Benches"), html.index("Bins")
    assert "Remove vote" in html[benches:bins] and "Remove vote" not in html[bins:]
    assert ">Vote<" in html[bins:]
