"""Live co-design sessions over HTTP: a facilitator opens a timed session on a thread, people add
ideas and vote for them, and the facilitator closes it, which posts the ranked ideas to the thread.

Every action is an ordinary POST that ends in a redirect back to the thread (or a 400 with the
thread page and the form's errors), so the whole journey works without JavaScript; the services
store and broadcast the session's new state for live readers.

A session's state is checked again under its row lock, in the same transaction as the write, so
an idea or vote that races the facilitator's close is refused rather than slipped in after it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engagement.forums import services
from engagement.forums.models import CoDesignSession, Forum, Idea, Thread
from engagement.forums.rules import may_facilitate, may_take_part
from engagement.forums.session_forms import IdeaForm, OpenSessionForm
from engagement.forums.views import (
    _forum_or_404,
    _refuse_posting,
    _refused,
    _thread_or_404,
    _thread_page,
    readable,
)
from engagement.ratelimit import limit_writes

# Where the thread page's session panel (``forums/_session_panel.html``) finds forms with errors.
FORMS_ATTRIBUTE = "forum_session_forms"


def _session_url(thread: Thread) -> str:
    return f"{thread.get_absolute_url()}#session-{thread.pk}"


def _session_or_404(thread: Thread, session_id: int) -> CoDesignSession:
    session = get_object_or_404(CoDesignSession, pk=session_id, thread=thread)
    session.thread = thread
    return session


def _with_errors(request: HttpRequest, forum: Forum, thread: Thread, **forms) -> HttpResponse:
    """The thread page again, answering 400, with the session form the person sent and why it
    was refused."""
    setattr(request, FORMS_ATTRIBUTE, forms)
    return _thread_page(request, forum, thread, status=400)


def _refuse_session_closed(request: HttpRequest, thread: Thread) -> HttpResponse:
    return _refused(
        request,
        _("This co-design session is closed"),
        _("The facilitator has closed this session. Its ranked ideas are posted in the thread."),
        status=400,
        back_url=_session_url(thread),
    )


def _refuse_time_up(request: HttpRequest, thread: Thread) -> HttpResponse:
    return _refused(
        request,
        _("Time is up for new ideas"),
        _(
            "This co-design session has stopped taking ideas. You can still vote until the "
            "facilitator closes it."
        ),
        status=400,
        back_url=_session_url(thread),
    )


def _refuse_already_open(request: HttpRequest, thread: Thread) -> HttpResponse:
    return _refused(
        request,
        _("A co-design session is already running"),
        _("Close the session that is running on this thread before you open another."),
        status=400,
        back_url=_session_url(thread),
    )


def _refuse_ideas(
    request: HttpRequest, thread: Thread, session: CoDesignSession
) -> HttpResponse | None:
    """Refuse with the reason if the session no longer takes ideas: ``None`` if it does."""
    if not session.is_open:
        return _refuse_session_closed(request, thread)
    if not session.accepts_ideas():
        return _refuse_time_up(request, thread)
    return None


def _check_participant(request: HttpRequest, forum: Forum, thread: Thread) -> HttpResponse | None:
    """Refuse with the reason if this person may not add ideas or vote: ``None`` if they may."""
    if not may_take_part(request.user, forum) or not thread.is_open:
        return _refuse_posting(request, thread)  # says why (archived, closed) or raises 403
    return None


@login_required
@require_POST
@limit_writes("forum_facilitate")
@readable
def session_open(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A facilitator opens a timed session on an open thread; one open session per thread."""
    forum = _forum_or_404(request, slug)
    thread = _thread_or_404(forum, pk)
    if not may_facilitate(request.user, forum):
        raise PermissionDenied
    if forum.state != Forum.State.OPEN or not thread.is_open:
        return _refuse_posting(request, thread)
    form = OpenSessionForm(request.POST)
    if not form.is_valid():
        return _with_errors(request, forum, thread, open=form)
    if thread.sessions.filter(state=CoDesignSession.State.OPEN).exists():
        return _refuse_already_open(request, thread)
    try:
        services.open_session(
            thread, request.user, form.cleaned_data["prompt"], form.cleaned_data["minutes"]
        )
    except IntegrityError:  # another facilitator opened one at the same moment
        return _refuse_already_open(request, thread)
    messages.success(request, _("The co-design session is open."))
    return redirect(_session_url(thread))


@login_required
@require_POST
@limit_writes("forum_idea")
@readable
def session_idea(request: HttpRequest, slug: str, pk: int, session_id: int) -> HttpResponse:
    """A participant adds an idea while the session is open and its time has not run out."""
    forum = _forum_or_404(request, slug)
    thread = _thread_or_404(forum, pk)
    session = _session_or_404(thread, session_id)
    if refusal := _check_participant(request, forum, thread):
        return refusal
    if refusal := _refuse_ideas(request, thread, session):
        return refusal
    form = IdeaForm(request.POST)
    if not form.is_valid():
        return _with_errors(request, forum, thread, idea=form)
    with transaction.atomic():
        locked = CoDesignSession.objects.select_for_update().get(pk=session.pk)
        if refusal := _refuse_ideas(request, thread, locked):
            return refusal
        services.add_idea(session, request.user, form.cleaned_data["text"])
    messages.success(request, _("Your idea is added."))
    return redirect(_session_url(thread))


@login_required
@require_POST
@limit_writes("forum_vote")
@readable
def session_vote(
    request: HttpRequest, slug: str, pk: int, session_id: int, idea_id: int
) -> HttpResponse:
    """Vote for an idea, or take the vote back, while the session is open (also once its time is
    up: the facilitator's close ends the voting)."""
    forum = _forum_or_404(request, slug)
    thread = _thread_or_404(forum, pk)
    session = _session_or_404(thread, session_id)
    idea = get_object_or_404(Idea, pk=idea_id, session=session)
    idea.session = session
    if refusal := _check_participant(request, forum, thread):
        return refusal
    added = None
    with transaction.atomic():
        locked = CoDesignSession.objects.select_for_update().get(pk=session.pk)
        if locked.is_open:
            added = services.toggle_vote(idea, request.user)
    if added is None:
        return _refuse_session_closed(request, thread)
    if added:
        done = _("Your vote for “%(idea)s” is counted.")
    else:
        done = _("You took back your vote for “%(idea)s”.")
    messages.success(request, done % {"idea": idea.text})
    return redirect(_session_url(thread))


@login_required
@require_POST
@limit_writes("forum_facilitate")
@readable
def session_close(request: HttpRequest, slug: str, pk: int, session_id: int) -> HttpResponse:
    """A facilitator closes the session (before or after its time is up): its ideas, most votes
    first, are posted to the thread as a summary. Closing twice changes nothing."""
    forum = _forum_or_404(request, slug)
    thread = _thread_or_404(forum, pk)
    session = _session_or_404(thread, session_id)
    if not may_facilitate(request.user, forum):
        raise PermissionDenied
    summary = services.close_session(session, request.user)
    if summary is None:
        messages.info(request, _("The co-design session was already closed."))
        return redirect(_session_url(thread))
    messages.success(request, _("The co-design session is closed and its ranked ideas are posted."))
    return redirect(summary.get_absolute_url())
