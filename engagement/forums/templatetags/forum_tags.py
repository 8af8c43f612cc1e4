"""Showing forum posts: plain text with safe links, and the badge that says who speaks for an
organisation or runs the forum."""

from __future__ import annotations

from django import template
from django.db.models import CharField, Value
from django.template.defaultfilters import linebreaksbr, urlize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from engagement.forums.models import Forum, ForumMember, Post
from engagement.models import Membership

register = template.Library()

# Highest first: a person with several roles is shown by the one that matters most here.
_RANK = ["facilitator", Membership.Role.MODERATOR, Membership.Role.OFFICER, Membership.Role.PARTNER]


@register.filter(is_safe=True)
def post_text(text: str) -> SafeString:
    """A post's words, escaped, with web addresses as links that pass no reputation
    (``rel="nofollow ugc"``) and line breaks kept. User text is never marked safe as it is."""
    linked = urlize(text, autoescape=True)
    # urlize escapes everything it does not turn into a link, so a typed rel="nofollow" arrives
    # as rel=&quot;nofollow&quot; and only the links urlize made are changed here.
    linked = linked.replace(' rel="nofollow"', ' rel="nofollow ugc"')
    return mark_safe(linebreaksbr(linked, autoescape=False))  # noqa: S308 - escaped above


def badges_for(forum: Forum, user_ids) -> dict[int, str]:
    """``{user id: badge}`` for the people among ``user_ids`` who are facilitators of ``forum`` or
    staff of its organisations, in one query."""
    ids = {pk for pk in user_ids if pk}
    if not ids:
        return {}
    text = CharField()
    staff = Membership.objects.filter(user_id__in=ids, organisation__forums=forum).values_list(
        "user_id", "role", "organisation__name"
    )
    facilitators = (
        ForumMember.objects.filter(forum=forum, user_id__in=ids, role=ForumMember.Role.FACILITATOR)
        .annotate(organisation_name=Value("", output_field=text))
        .values_list("user_id", "role", "organisation_name")
    )
    best: dict[int, tuple[int, str]] = {}
    for user_id, role, organisation in staff.union(facilitators, all=True):
        rank = _RANK.index(role) if role in _RANK else len(_RANK)
        if user_id not in best or rank < best[user_id][0]:
            best[user_id] = (rank, organisation)
    labels = {
        "facilitator": _("Facilitator"),
        Membership.Role.MODERATOR: _("Facilitator"),
        Membership.Role.OFFICER: _("Officer"),
        Membership.Role.PARTNER: _("Partner"),
    }
    badges = {}
    for user_id, (rank, organisation) in best.items():
        label = labels.get(_RANK[rank] if rank < len(_RANK) else "", "")
        badges[user_id] = f"{label}, {organisation}" if organisation else str(label)
    return badges


@register.filter
def author_badge(post: Post) -> str:
    """The post author's badge: set by the thread page for all its posts at once
    (``post.author_badge``), or looked up for the one post a live update shows."""
    if "author_badge" in post.__dict__:
        return post.__dict__["author_badge"]
    if not post.author_id:
        return ""
    return badges_for(post.thread.forum, [post.author_id]).get(post.author_id, "")
