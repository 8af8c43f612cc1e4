"""Forum pages: every journey works by reload, without JavaScript; the live script only applies
the same fragments as they are broadcast.

Permissions come from ``engagement/forums/rules.py`` and are asked through ``rules.has_perm``
rather than ``user.has_perm``: Django answers every ``user.has_perm`` with yes for a superuser, but
a closed thread or an archived forum is closed to everyone, superusers included.
"""

from __future__ import annotations

import uuid

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engagement.forums import services
from engagement.forums.forms import (
    EditPostForm,
    FlagForm,
    HideForm,
    PostForm,
    ThreadForm,
    ThreadStateForm,
)
from engagement.forums.models import (
    Forum,
    ForumMember,
    IdeaVote,
    Post,
    PostFlag,
    Reaction,
    Thread,
)
from engagement.forums.rules import may_facilitate, may_read
from engagement.forums.templatetags.forum_tags import badges_for
from engagement.models import Organisation
from engagement.ratelimit import limit_writes

FORUMS_PER_PAGE = 20
THREADS_PER_PAGE = 20
FLAGGED_PER_PAGE = 20


def _can(user, perm: str, obj) -> bool:
    return rules.has_perm(perm, user, obj)


def _posted(request: HttpRequest):
    """The submitted data of a POST, even an empty one (``request.POST or None`` would treat an
    empty submission as no submission and answer 200)."""
    return request.POST if request.method == "POST" else None


def _refused(
    request: HttpRequest, title: str, message: str, status: int = 403, back_url: str = ""
) -> HttpResponse:
    """A refusal that says why (a closed thread, an archived forum), not just "no"."""
    return render(
        request,
        "forums/refused.html",
        {"title": title, "message": message, "back_url": back_url},
        status=status,
    )


# --- Finding things the user may see --------------------------------------------------------------


class _SignInFirst(Exception):
    pass


def _forum_or_404(request: HttpRequest, slug: str) -> Forum:
    """The forum, if the user may read it. A draft is not found by those who may not see it; an
    invited panel asks the anonymous to sign in and refuses everyone else."""
    forum = get_object_or_404(Forum.objects.select_related("consultation"), slug=slug)
    if may_read(request.user, forum):
        return forum
    if forum.state == Forum.State.DRAFT:
        raise Http404
    if not request.user.is_authenticated:
        raise _SignInFirst
    raise PermissionDenied


def _thread_or_404(forum: Forum, pk: int) -> Thread:
    thread = get_object_or_404(Thread, pk=pk, forum=forum)
    thread.forum = forum
    return thread


def _post_or_404(request: HttpRequest, forum: Forum, pk: int) -> Post:
    """A post of this forum; a hidden one only for its author and the facilitators."""
    post = get_object_or_404(
        Post.objects.select_related("thread", "author", "reply_to__author"),
        pk=pk,
        thread__forum=forum,
    )
    post.thread.forum = forum
    if post.is_hidden and not (
        (request.user.is_authenticated and post.author_id == request.user.pk)
        or may_facilitate(request.user, forum)
    ):
        raise Http404
    return post


def readable(view):
    """Turn :class:`_SignInFirst` into the sign-in page, coming back here afterwards."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except _SignInFirst:
            return redirect_to_login(request.get_full_path())

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# --- Forums ---------------------------------------------------------------------------------------


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The forums this person may read, with who runs them, their threads and latest activity."""
    forums = (
        Forum.objects.filter(pk__in=Forum.objects.visible_to(request.user).values("pk"))
        .annotate(thread_count=Count("threads"), latest_activity=Max("threads__last_post_at"))
        .prefetch_related(
            Prefetch("organisations", queryset=Organisation.objects.order_by("name").only("name"))
        )
        .order_by("state", "title")
    )
    page = Paginator(forums, FORUMS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "forums/index.html",
        {"page_obj": page, "query": ""},
    )


@require_GET
@readable
def forum_detail(request: HttpRequest, slug: str) -> HttpResponse:
    forum = _forum_or_404(request, slug)
    threads = forum.threads.select_related("author").order_by("-last_post_at", "-pk")
    page = Paginator(threads, THREADS_PER_PAGE).get_page(request.GET.get("page"))
    facilitators = [
        member.user.display_name
        for member in ForumMember.objects.filter(forum=forum, role=ForumMember.Role.FACILITATOR)
        .select_related("user")
        .order_by("user__display_name")
    ]
    consultation = forum.consultation if forum.consultation and forum.consultation.live else None
    return render(
        request,
        "forums/forum.html",
        {
            "forum": forum,
            "organisations": list(forum.organisations.order_by("name")),
            "facilitators": facilitators,
            "consultation": consultation,
            "page_obj": page,
            "query": "",
            "may_start": _can(request.user, "forums.add_thread", forum),
            "facilitator": may_facilitate(request.user, forum),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@limit_writes("forum_post")
@readable
def thread_new(request: HttpRequest, slug: str) -> HttpResponse:
    forum = _forum_or_404(request, slug)
    if not _can(request.user, "forums.add_thread", forum):
        if forum.is_archived:
            return _refused(
                request, _("This forum is archived"), _("You can read it, but not start threads.")
            )
        raise PermissionDenied
    form = ThreadForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        key = form.cleaned_data.get("idempotency_key") or uuid.uuid4()
        resent = Post.objects.filter(idempotency_key=key, thread__forum=forum).first()
        if resent is not None:  # a resent form: the thread exists already
            return redirect(resent.thread.get_absolute_url())
        thread = services.start_thread(
            forum, request.user, form.cleaned_data["title"], form.cleaned_data["body"], key
        )
        messages.success(request, _("Your thread is started."))
        return redirect(thread.get_absolute_url())
    return render(
        request,
        "forums/thread_new.html",
        {"forum": forum, "form": form},
        status=400 if form.is_bound else 200,
    )


# --- A thread -------------------------------------------------------------------------------------


def _thread_page(
    request: HttpRequest, forum: Forum, thread: Thread, form: PostForm | None = None, status=200
) -> HttpResponse:
    """Every post of the thread, oldest first, in a constant number of queries (the badges and the
    reader's own reactions are read once for the whole page)."""
    user = request.user
    facilitator = may_facilitate(user, forum)
    # Read before the posts: an event committed in between is then sent again when the page
    # resumes (and replaces its element), instead of being skipped.
    last_event = thread.events.order_by("-pk").values_list("pk", flat=True).first() or 0
    posts = list(
        thread.posts.select_related("author", "reply_to__author").order_by("created_at", "pk")
    )
    badges = badges_for(forum, {post.author_id for post in posts})
    mine: dict[int, set[str]] = {}
    if user.is_authenticated:
        for post_id, kind in Reaction.objects.filter(post__thread=thread, user=user).values_list(
            "post_id", "kind"
        ):
            mine.setdefault(post_id, set()).add(kind)
    for post in posts:
        post.thread = thread
        post.author_badge = badges.get(post.author_id, "")
        post.my_reactions = mine.get(post.pk, set())
    may_post = _can(user, "forums.add_post", thread)
    if form is None and may_post:
        initial = {}
        reply_pk = request.GET.get("reply_to", "")
        if reply_pk.isascii() and reply_pk.isdigit():
            initial["reply_to"] = int(reply_pk)
        form = PostForm(initial=initial, thread=thread)
    replying_to = None
    if form is not None:
        reply_pk = form["reply_to"].value()
        replying_to = next(
            (p for p in posts if str(p.pk) == str(reply_pk) and not p.is_hidden), None
        )
    session = thread.sessions.order_by("-opened_at", "-pk").first()
    ideas = list(session.ideas.select_related("author")) if session else []
    my_votes = (
        set(
            IdeaVote.objects.filter(idea__session=session, user=user).values_list(
                "idea_id", flat=True
            )
        )
        if session and user.is_authenticated
        else set()
    )
    return render(
        request,
        "forums/thread.html",
        {
            "forum": forum,
            "thread": thread,
            "posts": posts,
            "highlighted": [p for p in posts if (p.is_pinned or p.is_summary) and not p.is_hidden],
            "facilitator": facilitator,
            "may_post": may_post,
            "may_react": _can(user, "forums.react_post", forum),
            "form": form,
            "replying_to": replying_to,
            "session": session,
            "ideas": ideas,
            "my_votes": my_votes,
            "last_event": last_event,
            "live": False,
        },
        status=status,
    )


@require_GET
@readable
def thread_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    forum = _forum_or_404(request, slug)
    return _thread_page(request, forum, _thread_or_404(forum, pk))


def _refuse_posting(request: HttpRequest, thread: Thread) -> HttpResponse:
    """403 with the reason when the forum or thread no longer takes posts; a plain 403 else."""
    back = thread.get_absolute_url()
    if thread.forum.is_archived:
        title, message = _("This forum is archived"), _("You can read it, but not post in it.")
    elif thread.state == Thread.State.CLOSED:
        title = _("This thread is closed")
        message = _("A facilitator has closed this thread to new posts. You can still read it.")
    elif thread.state == Thread.State.ARCHIVED:
        title, message = _("This thread is archived"), _("You can read it, but not post in it.")
    else:
        raise PermissionDenied
    return _refused(request, title, message, back_url=back)


@login_required
@require_POST
@limit_writes("forum_post")
@readable
def post_create(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A post or a reply (``reply_to``). A resent form makes no second post."""
    forum = _forum_or_404(request, slug)
    thread = _thread_or_404(forum, pk)
    if not _can(request.user, "forums.add_post", thread):
        return _refuse_posting(request, thread)
    form = PostForm(request.POST, thread=thread)
    if not form.is_valid():
        return _thread_page(request, forum, thread, form=form, status=400)
    post = services.publish_post(
        thread,
        request.user,
        form.cleaned_data["body"],
        reply_to=form.cleaned_data.get("reply_to"),
        idempotency_key=form.cleaned_data.get("idempotency_key") or uuid.uuid4(),
    )
    messages.success(request, _("Your post is published."))
    return redirect(post.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
@limit_writes("forum_post")
@readable
def post_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    forum = _forum_or_404(request, slug)
    post = _post_or_404(request, forum, pk)
    if post.author_id != request.user.pk:
        raise PermissionDenied
    if not _can(request.user, "forums.change_post", post):
        if post.is_hidden:
            return _refused(
                request,
                _("This post is hidden"),
                _("A facilitator has hidden this post, so it cannot be changed."),
            )
        return _refuse_posting(request, post.thread)
    form = EditPostForm(_posted(request), initial={"body": post.body})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["body"] != post.body:
            services.edit_post(post, form.cleaned_data["body"])
            messages.success(request, _("Your post is changed."))
        return redirect(post.get_absolute_url())
    return render(
        request,
        "forums/post_edit.html",
        {"forum": forum, "thread": post.thread, "post": post, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
@limit_writes("forum_react")
@readable
def post_react(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    forum = _forum_or_404(request, slug)
    post = _post_or_404(request, forum, pk)
    if post.is_hidden:
        raise Http404
    if not _can(request.user, "forums.react_post", post):
        if forum.is_archived:
            return _refuse_posting(request, post.thread)
        raise PermissionDenied
    kind = request.POST.get("kind", "")
    if kind not in Reaction.Kind.values:
        return _refused(
            request,
            _("Choose a reaction"),
            _("Choose Agree, Good idea or Question."),
            status=400,
        )
    added = services.toggle_reaction(post, request.user, kind)
    label = Reaction.Kind(kind).label
    if added:
        messages.success(request, _("You reacted “%(reaction)s”.") % {"reaction": label})
    else:
        messages.success(
            request, _("You took back your “%(reaction)s” reaction.") % {"reaction": label}
        )
    return redirect(post.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
@limit_writes("forum_flag")
@readable
def post_flag(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    forum = _forum_or_404(request, slug)
    post = _post_or_404(request, forum, pk)
    if post.is_hidden:
        raise Http404
    if not _can(request.user, "forums.flag_post", post):
        raise PermissionDenied
    form = FlagForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        if services.flag_post(post, request.user, **form.cleaned_data):
            messages.success(request, _("Thank you. A facilitator will look at this post."))
        else:
            messages.info(request, _("You have already reported this post."))
        return redirect(post.get_absolute_url())
    return render(
        request,
        "forums/post_flag.html",
        {"forum": forum, "thread": post.thread, "post": post, "form": form},
        status=400 if form.is_bound else 200,
    )


MODERATION_ACTIONS = ("hide", "restore", "pin", "unpin", "summary", "unsummary")


@login_required
@require_POST
@limit_writes("forum_facilitate")
@readable
def post_moderate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A facilitator's tools on one post: hide (with a reason its author sees) or restore, pin or
    unpin, mark or unmark as a summary."""
    forum = _forum_or_404(request, slug)
    post = _post_or_404(request, forum, pk)
    if not _can(request.user, "forums.facilitate_forum", forum):
        raise PermissionDenied
    action = request.POST.get("action", "")
    by = request.user
    if action == "hide":
        form = HideForm(request.POST)
        if not form.is_valid():
            return render(
                request,
                "forums/post_hide.html",
                {"forum": forum, "thread": post.thread, "post": post, "form": form},
                status=400,
            )
        if services.hide_post(post, by, form.cleaned_data["reason"]):
            messages.success(request, _("The post is hidden. Its author can see why."))
        else:
            messages.info(request, _("The post was already hidden."))
    elif action == "restore":
        if services.restore_post(post, by):
            messages.success(request, _("The post is restored."))
        else:
            messages.info(request, _("The post was not hidden."))
    elif action in ("pin", "unpin"):
        services.set_pinned(post, by, action == "pin")
        messages.success(
            request, _("The post is pinned.") if action == "pin" else _("The post is unpinned.")
        )
    elif action in ("summary", "unsummary"):
        services.set_summary(post, by, action == "summary")
        messages.success(
            request,
            _("The post is marked as a summary.")
            if action == "summary"
            else _("The post is no longer marked as a summary."),
        )
    else:
        return _refused(
            request,
            _("Choose what to do with the post"),
            _("Choose hide, restore, pin, unpin, summary or unsummary."),
            status=400,
        )
    if request.POST.get("next") == "flagged":
        return redirect("forums:flagged", forum.slug)
    return redirect(post.get_absolute_url())


@login_required
@require_POST
@limit_writes("forum_facilitate")
@readable
def thread_state(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    forum = _forum_or_404(request, slug)
    thread = _thread_or_404(forum, pk)
    if not _can(request.user, "forums.facilitate_forum", forum):
        raise PermissionDenied
    form = ThreadStateForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            _("Choose the thread's state"),
            _("Choose open, closed or archived."),
            status=400,
        )
    state = form.cleaned_data["state"]
    if services.set_thread_state(thread, request.user, state):
        messages.success(
            request,
            {
                Thread.State.OPEN: _("The thread is open for posts again."),
                Thread.State.CLOSED: _("The thread is closed to new posts."),
                Thread.State.ARCHIVED: _("The thread is archived."),
            }[state],
        )
    return redirect(thread.get_absolute_url())


@login_required
@require_GET
@readable
def flagged(request: HttpRequest, slug: str) -> HttpResponse:
    """The facilitators' queue: reported posts still waiting for a decision, oldest first."""
    forum = _forum_or_404(request, slug)
    if not _can(request.user, "forums.facilitate_forum", forum):
        raise PermissionDenied
    posts = (
        Post.objects.filter(thread__forum=forum, open_flags__gt=0)
        .select_related("thread", "author")
        .prefetch_related(
            Prefetch(
                "flags",
                queryset=PostFlag.objects.filter(resolved_at__isnull=True).order_by("created_at"),
                to_attr="open_reports",
            )
        )
        .order_by("created_at", "pk")
    )
    page = Paginator(posts, FLAGGED_PER_PAGE).get_page(request.GET.get("page"))
    for post in page.object_list:
        post.thread.forum = forum
    return render(
        request,
        "forums/flagged.html",
        {"forum": forum, "page_obj": page, "query": ""},
    )
