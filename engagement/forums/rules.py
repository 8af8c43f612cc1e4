"""Who may do what in a forum.

- **Read**: a listed (not draft) forum open to all, by anyone; an invited-members forum, by its
  members, its facilitators and the staff of its organisations.
- **Take part** (start threads, post, reply, react, add and vote on ideas): signed-in people who
  may read it, while the forum is not archived; posting also needs the thread to be open.
- **Facilitate** (pin, mark a summary, close or archive a thread, hide and restore posts, run
  co-design sessions): the forum's facilitators, moderators of its organisations, superusers.
- **Edit** a post: its author, while it is visible and the thread open.
- **Flag**: anyone signed in who may read it.

Everything a page asks is answered from one :class:`Standing` per (user, forum), worked out with
one query and kept on the user object for the rest of the request (or WebSocket message).
"""

from __future__ import annotations

from dataclasses import dataclass

import rules

from engagement.forums.models import Forum, ForumMember, Post, Thread
from engagement.models import Membership


@dataclass(frozen=True)
class Standing:
    """What one person is to one forum."""

    member: bool = False  # an invited member or a facilitator
    facilitator: bool = False  # a named facilitator, or a moderator of the forum's organisations
    staff: bool = False  # any role in one of the forum's organisations
    superuser: bool = False

    @property
    def reads_invited(self) -> bool:
        return self.member or self.facilitator or self.staff or self.superuser


def standing(user, forum: Forum, fresh: bool = False) -> Standing:
    """``user``'s standing in ``forum``. ``fresh`` skips the cache (a live connection re-checks
    on every message, so a removed member is noticed at once)."""
    if not user.is_authenticated:
        return Standing()
    cache = user.__dict__.setdefault("_forum_standing", {})
    if not fresh and forum.pk in cache:
        return cache[forum.pk]
    roles = set(ForumMember.objects.filter(forum=forum, user=user).values_list("role", flat=True))
    memberships = set(
        Membership.objects.filter(
            user=user, organisation__in=forum.organisations.values("pk")
        ).values_list("role", flat=True)
    )
    result = Standing(
        member=bool(roles),
        facilitator=ForumMember.Role.FACILITATOR in roles
        or Membership.Role.MODERATOR in memberships,
        staff=bool(memberships),
        superuser=user.is_superuser and user.is_active,
    )
    cache[forum.pk] = result
    return result


def _forum_of(obj) -> Forum | None:
    if obj is None or isinstance(obj, Forum):
        return obj
    if isinstance(obj, Thread):
        return obj.forum
    if isinstance(obj, Post):
        return obj.thread.forum
    return getattr(obj, "forum", None)


def may_read(user, forum: Forum, fresh: bool = False) -> bool:
    if forum.state == Forum.State.DRAFT:
        return standing(user, forum, fresh).facilitator or user.is_superuser
    if forum.access == Forum.Access.OPEN:
        return True
    return standing(user, forum, fresh).reads_invited


def may_take_part(user, forum: Forum, fresh: bool = False) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and forum.state == Forum.State.OPEN
        and may_read(user, forum, fresh)
    )


def may_facilitate(user, forum: Forum, fresh: bool = False) -> bool:
    s = standing(user, forum, fresh)
    return s.facilitator or s.superuser


@rules.predicate
def reads(user, obj=None) -> bool:
    forum = _forum_of(obj)
    return forum is not None and may_read(user, forum)


@rules.predicate
def takes_part(user, obj=None) -> bool:
    forum = _forum_of(obj)
    return forum is not None and may_take_part(user, forum)


@rules.predicate
def posts_in(user, thread=None) -> bool:
    return (
        thread is not None
        and thread.state == Thread.State.OPEN
        and may_take_part(user, thread.forum)
    )


@rules.predicate
def facilitates(user, obj=None) -> bool:
    forum = _forum_of(obj)
    return forum is not None and may_facilitate(user, forum)


@rules.predicate
def edits(user, post=None) -> bool:
    return (
        post is not None
        and post.author_id == user.pk
        and not post.is_hidden
        and posts_in(user, post.thread)
    )


@rules.predicate
def flags(user, post=None) -> bool:
    return user.is_authenticated and post is not None and reads(user, post)


rules.add_perm("forums.view_forum", reads)
rules.add_perm("forums.add_thread", takes_part)
rules.add_perm("forums.add_post", posts_in)
rules.add_perm("forums.react_post", takes_part)
rules.add_perm("forums.change_post", edits)
rules.add_perm("forums.flag_post", flags)
rules.add_perm("forums.facilitate_forum", facilitates)
