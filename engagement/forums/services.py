"""Forum writes that readers must see live.

Each function changes the data and writes a :class:`~engagement.forums.models.ThreadEvent` in one
transaction, then broadcasts the event to the thread's group after commit. If the channel layer is
away (Redis down), the broadcast is logged and dropped: the event is already stored, and every
reader gets it when their page reconnects and asks for what it missed.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.calendar.services import sync_forum_session
from engagement.forums.models import (
    CoDesignSession,
    Idea,
    IdeaVote,
    Post,
    PostFlag,
    Reaction,
    Thread,
    ThreadEvent,
)

log = logging.getLogger(__name__)

EVENT_TYPE = "forum.event"


def thread_group(thread_id: int) -> str:
    return f"forum-thread.{thread_id}"


def broadcast(event: ThreadEvent) -> None:
    """Send a stored event to every live reader of its thread, on any server process."""
    try:
        async_to_sync(get_channel_layer().group_send)(
            thread_group(event.thread_id),
            # Only the id travels through Redis, not the fragments: each server process reads
            # the stored event once for all its readers (forums.consumers.shared_event), instead
            # of Redis carrying a copy of the HTML per reader.
            {"type": EVENT_TYPE, "id": event.pk, "kind": event.kind, "target": event.target},
        )
    except Exception:  # the channel layer is away: readers catch up from the stored event
        log.warning("could not broadcast forum event %s", event.pk, exc_info=True)


def record(
    thread: Thread,
    kind: str,
    target: str,
    html: str,
    facilitator_html: str = "",
    announcement: str = "",
) -> ThreadEvent:
    """Store an event (inside the caller's transaction) and broadcast it once that commits.

    The thread's row is locked first, so a thread's events commit in the order of their ids: a
    reader who has seen id N has seen everything before it, and "after N" misses nothing.
    """
    Thread.objects.select_for_update().filter(pk=thread.pk).values_list("pk").first()
    event = ThreadEvent.objects.create(
        thread=thread,
        kind=kind,
        target=target,
        html=html,
        facilitator_html=facilitator_html,
        announcement=announcement,
    )
    transaction.on_commit(lambda: broadcast(event))
    return event


# --- Fragments ------------------------------------------------------------------------------------


def post_target(post: Post) -> str:
    return f"post-{post.pk}"


def render_post(post: Post, facilitator: bool) -> str:
    """The post as it appears in a thread, the same for every reader of that kind."""
    return render_to_string(
        "forums/_post.html", {"post": post, "facilitator": facilitator, "live": True}
    )


def record_post(post: Post, kind: str, announcement: str = "") -> ThreadEvent:
    post = Post.objects.select_related("author", "reply_to__author", "thread__forum").get(
        pk=post.pk
    )
    return record(
        post.thread,
        kind,
        post_target(post),
        render_post(post, facilitator=False),
        render_post(post, facilitator=True),
        announcement,
    )


def session_target(session: CoDesignSession) -> str:
    return f"session-{session.thread_id}"


def render_session(session: CoDesignSession, facilitator: bool) -> str:
    ideas = list(session.ideas.select_related("author")) if session.pk else []
    return render_to_string(
        "forums/_session.html",
        {"session": session, "ideas": ideas, "facilitator": facilitator, "live": True},
    )


def record_session(session: CoDesignSession, announcement: str = "") -> ThreadEvent:
    return record(
        session.thread,
        ThreadEvent.Kind.SESSION,
        session_target(session),
        render_session(session, facilitator=False),
        render_session(session, facilitator=True),
        announcement,
    )


# --- Threads and posts ----------------------------------------------------------------------------


def _lock_thread(thread: Thread) -> Thread:
    return Thread.objects.select_for_update().get(pk=thread.pk)


def start_thread(forum, author, title: str, body: str, idempotency_key=None) -> Thread:
    """A new thread with its opening post."""
    with transaction.atomic():
        thread = Thread.objects.create(forum=forum, author=author, title=title)
        opening = publish_post(thread, author, body, idempotency_key=idempotency_key)
        if opening.thread_id != thread.pk:  # a resent form: its thread exists already
            thread.delete()
            thread = opening.thread
    thread.refresh_from_db()
    return thread


def publish_post(
    thread: Thread,
    author,
    body: str,
    reply_to: Post | None = None,
    idempotency_key: uuid.UUID | None = None,
) -> Post:
    """Add a post (or a reply) to a thread. A resent form (same idempotency key) returns the post
    it already made instead of a second one."""
    if idempotency_key is not None:
        existing = Post.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            locked = _lock_thread(thread)
            now = timezone.now()
            post = Post.objects.create(
                thread=locked,
                author=author,
                body=body,
                reply_to=reply_to,
                idempotency_key=idempotency_key,
                created_at=now,
            )
            Thread.objects.filter(pk=locked.pk).update(
                post_count=F("post_count") + 1, last_post_at=now
            )
            record_post(
                post,
                ThreadEvent.Kind.POST,
                _("New post from %(name)s") % {"name": author.display_name if author else ""},
            )
    except IntegrityError:
        if idempotency_key is None:
            raise
        return Post.objects.get(idempotency_key=idempotency_key)
    return post


def edit_post(post: Post, body: str) -> Post:
    with transaction.atomic():
        Post.objects.filter(pk=post.pk).update(body=body, edited_at=timezone.now())
        post.refresh_from_db()
        record_post(post, ThreadEvent.Kind.EDIT)
    return post


REACTION_COUNTERS = {
    Reaction.Kind.AGREE: "agree_count",
    Reaction.Kind.IDEA: "idea_count",
    Reaction.Kind.QUESTION: "question_count",
}


def toggle_reaction(post: Post, user, kind: str) -> bool:
    """Add ``user``'s reaction of ``kind``, or take it back if they had it; True if added."""
    counter = REACTION_COUNTERS[kind]
    with transaction.atomic():
        Post.objects.select_for_update().filter(pk=post.pk).first()
        deleted, _rows = Reaction.objects.filter(post=post, user=user, kind=kind).delete()
        if deleted:
            Post.objects.filter(pk=post.pk).update(**{counter: F(counter) - 1})
        else:
            Reaction.objects.create(post=post, user=user, kind=kind)
            Post.objects.filter(pk=post.pk).update(**{counter: F(counter) + 1})
        record_post(post, ThreadEvent.Kind.REACT)
    post.refresh_from_db()
    return not deleted


def hide_post(post: Post, by, reason: str) -> bool:
    """Hide a post for everyone but its author (who sees ``reason``) and the facilitators."""
    from engagement.consumers import notify_user

    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        if locked.is_hidden:
            return False
        now = timezone.now()
        Post.objects.filter(pk=post.pk).update(
            moderation=Post.Moderation.HIDDEN,
            hidden_reason=reason,
            hidden_by=by,
            hidden_at=now,
            open_flags=0,
        )
        PostFlag.objects.filter(post=post, resolved_at__isnull=True).update(resolved_at=now)
        post.refresh_from_db()
        record_post(post, ThreadEvent.Kind.HIDE, _("A post was hidden by a facilitator"))
        _audit(post, "forums.post_hidden", by, reason=reason)
        if post.author_id:
            author_id, url = post.author_id, post.get_absolute_url()
            transaction.on_commit(
                lambda: _notify_safely(
                    notify_user,
                    author_id,
                    "forum_post_hidden",
                    {"url": url, "reason": reason},
                )
            )
    return True


def restore_post(post: Post, by) -> bool:
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        if not locked.is_hidden:
            return False
        Post.objects.filter(pk=post.pk).update(
            moderation=Post.Moderation.VISIBLE, hidden_reason="", hidden_by=None, hidden_at=None
        )
        post.refresh_from_db()
        record_post(post, ThreadEvent.Kind.RESTORE)
        _audit(post, "forums.post_restored", by)
    return True


def set_pinned(post: Post, by, pinned: bool) -> None:
    with transaction.atomic():
        Post.objects.filter(pk=post.pk).update(is_pinned=pinned)
        post.refresh_from_db()
        record_post(post, ThreadEvent.Kind.PIN)


def set_summary(post: Post, by, summary: bool) -> None:
    with transaction.atomic():
        Post.objects.filter(pk=post.pk).update(is_summary=summary)
        post.refresh_from_db()
        record_post(post, ThreadEvent.Kind.PIN)


def set_thread_state(thread: Thread, by, state: str) -> bool:
    with transaction.atomic():
        changed = Thread.objects.filter(pk=thread.pk).exclude(state=state).update(state=state)
        if not changed:
            return False
        thread.refresh_from_db()
        html = render_to_string("forums/_thread_state.html", {"thread": thread, "live": True})
        record(
            thread,
            ThreadEvent.Kind.THREAD,
            "thread-state",
            html,
            announcement=_("This thread is now %(state)s") % {"state": thread.get_state_display()},
        )
        _audit(thread, "forums.thread_state", by, state=state)
    return True


def flag_post(post: Post, user, reason: str, note: str = "") -> bool:
    """Report a post to the facilitators; False if this person already has."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                PostFlag.objects.create(post=post, user=user, reason=reason, note=note)
        except IntegrityError:
            return False
        Post.objects.filter(pk=post.pk).update(open_flags=F("open_flags") + 1)
    return True


# --- Live co-design sessions ----------------------------------------------------------------------


def open_session(thread: Thread, by, prompt: str, minutes: int) -> CoDesignSession:
    with transaction.atomic():
        now = timezone.now()
        session = CoDesignSession.objects.create(
            thread=thread,
            prompt=prompt,
            opened_by=by,
            opened_at=now,
            ends_at=now + timedelta(minutes=minutes),
        )
        record_session(
            session, _("A co-design session has started: %(prompt)s") % {"prompt": prompt}
        )
        sync_forum_session(session)
    return session


def add_idea(session: CoDesignSession, author, text: str) -> Idea:
    with transaction.atomic():
        CoDesignSession.objects.select_for_update().get(pk=session.pk)
        idea = Idea.objects.create(session=session, author=author, text=text)
        record_session(session, _("New idea: %(text)s") % {"text": text[:80]})
    return idea


def toggle_vote(idea: Idea, user) -> bool:
    """Vote for an idea, or take the vote back; True if added."""
    with transaction.atomic():
        CoDesignSession.objects.select_for_update().get(pk=idea.session_id)
        deleted, _rows = IdeaVote.objects.filter(idea=idea, user=user).delete()
        if deleted:
            Idea.objects.filter(pk=idea.pk).update(vote_count=F("vote_count") - 1)
        else:
            IdeaVote.objects.create(idea=idea, user=user)
            Idea.objects.filter(pk=idea.pk).update(vote_count=F("vote_count") + 1)
        record_session(idea.session)
    return not deleted


def close_session(session: CoDesignSession, by) -> Post | None:
    """Close the session and post its ideas, most votes first, to the thread as a summary."""
    with transaction.atomic():
        locked = CoDesignSession.objects.select_for_update().get(pk=session.pk)
        if not locked.is_open:
            return None
        ideas = list(locked.ideas.all())
        body = render_to_string(
            "forums/session_summary.txt", {"session": locked, "ideas": ideas}
        ).strip()
        summary = publish_post(locked.thread, by, body)
        Post.objects.filter(pk=summary.pk).update(is_summary=True)
        now = timezone.now()
        CoDesignSession.objects.filter(pk=locked.pk).update(
            state=CoDesignSession.State.CLOSED, closed_at=now, summary_post=summary
        )
        locked.refresh_from_db()
        sync_forum_session(locked)
        record_post(summary, ThreadEvent.Kind.PIN)
        record_session(locked, _("The co-design session has closed; its summary is posted"))
    session.refresh_from_db()
    return summary


# --- Helpers --------------------------------------------------------------------------------------


def _audit(instance, action: str, user, **data) -> None:
    from wagtail.log_actions import log

    log(instance=instance, action=action, user=user, data=data or None)


def _notify_safely(notify, *args) -> None:
    try:
        notify(*args)
    except Exception:
        log.warning("could not push a live notice", exc_info=True)
