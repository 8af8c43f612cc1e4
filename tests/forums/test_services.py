"""Every forum write stores exactly one event and broadcasts it only once the transaction commits,
with the fragment the live page puts in place."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import async_to_sync

from engagement.forums import services
from engagement.forums.models import Post, Reaction, Thread, ThreadEvent


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


def run(capture, layer, thread, action):
    """Do ``action`` and check it stored one event, sent nothing before commit and sent that one
    event after; returns the event."""
    channel = listen(layer, thread)
    before = ThreadEvent.objects.count()
    with capture(execute=False) as callbacks:
        action()
    assert ThreadEvent.objects.count() == before + 1
    assert received(layer, channel) == []  # nothing before the commit
    event = ThreadEvent.objects.latest("pk")
    for callback in callbacks:
        callback()
    messages = received(layer, channel)
    assert [(m["type"], m["id"], m["target"]) for m in messages] == [
        ("forum.event", event.pk, event.target)
    ]
    return event


@pytest.fixture
def in_transaction(django_capture_on_commit_callbacks, channel_layer):
    return lambda thread, action: run(
        django_capture_on_commit_callbacks, channel_layer, thread, action
    )


def test_publish_post(in_transaction, thread, other_resident):
    event = in_transaction(thread, lambda: services.publish_post(thread, other_resident, "Hi"))
    post = thread.posts.latest("pk")
    assert event.kind == "post" and event.target == f"post-{post.pk}"
    assert event.announcement == "New post from Sam Neighbour"
    assert "data-csrf" in event.html and 'value="" data-csrf' in event.html
    assert f'data-author-id="{other_resident.pk}" hidden' in event.html
    assert "Hide this post" not in event.html and "Hide this post" in event.facilitator_html
    thread.refresh_from_db()
    assert thread.post_count == 2


def test_start_thread_stores_its_opening_post_event(
    django_capture_on_commit_callbacks, forum, resident
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        thread = services.start_thread(forum, resident, "Benches", "More benches")
    assert list(thread.events.values_list("kind", flat=True)) == ["post"]
    assert len(callbacks) == 1


def test_a_resent_thread_makes_one_thread(forum, resident):
    key = uuid.uuid4()
    first = services.start_thread(forum, resident, "Benches", "More benches", key)
    again = services.start_thread(forum, resident, "Benches", "More benches", key)
    assert again == first
    assert Thread.objects.count() == 1 and Post.objects.count() == 1


def test_edit_post(in_transaction, thread, opening):
    event = in_transaction(thread, lambda: services.edit_post(opening, "Swings and slides"))
    assert event.kind == "edit" and "Swings and slides" in event.html


def test_toggle_reaction(in_transaction, thread, opening, other_resident):
    event = in_transaction(
        thread, lambda: services.toggle_reaction(opening, other_resident, Reaction.Kind.IDEA)
    )
    assert event.kind == "react"
    assert 'Good idea <span class="forum-reaction__count">1</span>' in event.html
    in_transaction(
        thread, lambda: services.toggle_reaction(opening, other_resident, Reaction.Kind.IDEA)
    )
    opening.refresh_from_db()
    assert opening.idea_count == 0


def test_hide_and_restore(in_transaction, thread, opening, facilitator):
    event = in_transaction(thread, lambda: services.hide_post(opening, facilitator, "Off topic"))
    assert event.kind == "hide"
    assert "This post was hidden by a facilitator." in event.html
    assert "Swings for older children." not in event.html
    assert "Off topic" not in event.html  # only its author (on reload) and facilitators see why
    assert "Swings for older children." in event.facilitator_html
    assert "Off topic" in event.facilitator_html and "Restore the post" in event.facilitator_html
    event = in_transaction(thread, lambda: services.restore_post(opening, facilitator))
    assert event.kind == "restore" and "Swings for older children." in event.html


def test_pin_and_summary(in_transaction, thread, opening, facilitator):
    event = in_transaction(thread, lambda: services.set_pinned(opening, facilitator, True))
    assert event.kind == "pin" and ">Pinned<" in event.html
    event = in_transaction(thread, lambda: services.set_summary(opening, facilitator, True))
    assert ">Summary<" in event.html


def test_thread_state(in_transaction, thread, facilitator):
    event = in_transaction(
        thread, lambda: services.set_thread_state(thread, facilitator, Thread.State.CLOSED)
    )
    assert event.kind == "thread" and event.target == "thread-state"
    assert 'id="thread-state"' in event.html and "closed to new posts" in event.html


def test_flagging_is_not_broadcast(thread, opening, other_resident):
    before = ThreadEvent.objects.count()
    assert services.flag_post(opening, other_resident, "spam")
    assert not services.flag_post(opening, other_resident, "spam")
    opening.refresh_from_db()
    assert opening.open_flags == 1
    assert ThreadEvent.objects.count() == before


def test_a_live_post_fragment_is_the_same_for_every_reader(thread, opening):
    """Rendered once per event: no reader's token or name inside."""
    services.edit_post(opening, "Edited")
    event = ThreadEvent.objects.latest("pk")
    assert "csrfmiddlewaretoken" in event.html and 'value=""' in event.html
    assert "aria-pressed" not in event.html
