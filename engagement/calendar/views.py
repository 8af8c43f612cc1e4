"""The shared calendar's pages: the list (the primary view), one activity, posting and changing
an activity with its clash check, and the officers' approval queue. Every page works without
JavaScript."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engagement.calendar import logic
from engagement.calendar.checks import SEARCH_WEEKS, Assessment, assess
from engagement.calendar.clash import areas_sharing, wards_of
from engagement.calendar.forms import WEEKDAYS, ActivityForm, CalendarFilterForm, DecisionForm
from engagement.calendar.models import Activity, linked
from engagement.calendar.rules import publishes_directly
from engagement.models import Area, Organisation
from engagement.ratelimit import limit_writes
from engagement.templatetags.engagement_tags import _uk_time as uk_time
from engagement.templatetags.engagement_tags import uk_datetime

PER_PAGE = 30

ORGANISATIONS = Prefetch("organisations", queryset=Organisation.objects.only("pk", "name", "slug"))
AREAS = Prefetch("areas", queryset=Area.objects.only("pk", "name", "kind"))


def describe_when(activity: Activity) -> str:
    """When an activity happens, in words: "27 March 2026, 2pm to 4pm", or for a weekly one
    "Mondays and Thursdays, 10am to 1pm, from 2 March 2026 to 9 April 2026"."""
    start = timezone.localtime(activity.starts_at, logic.LONDON)
    end = timezone.localtime(activity.ends_at, logic.LONDON)
    if activity.is_recurring:
        names = dict(WEEKDAYS)
        days = [str(names[day]) for day in sorted(activity.weekdays) if day in names]
        return _("Every %(days)s, %(opens)s to %(closes)s, from %(first)s to %(last)s") % {
            "days": _(", ").join(days),
            "opens": uk_time(activity.opens),
            "closes": uk_time(activity.closes),
            "first": uk_datetime(start.date()),
            "last": uk_datetime(activity.repeat_until),
        }
    if start.date() == end.date():
        return _("%(start)s to %(end)s") % {"start": uk_datetime(start), "end": uk_time(end)}
    return _("%(start)s to %(end)s") % {"start": uk_datetime(start), "end": uk_datetime(end)}


def with_when(activities):
    for activity in activities:
        activity.when = describe_when(activity)
    return activities


def _related_areas(area: Area) -> list[int]:
    """The areas whose activities concern ``area``: those sharing a ward with it (its wards, its
    district, the county), so a ward's list includes what is planned for its whole district."""
    covered = wards_of()
    return areas_sharing(covered.get(area.pk, frozenset()), covered) or [area.pk]


def apply_filters(activities, data: dict):
    """Narrow ``activities`` by the cleaned data of a :class:`CalendarFilterForm` (any of area,
    audience, topic, organisation, kind). Each link is an EXISTS, never a join, so nothing comes
    twice and callers can order, slice and prefetch freely; and the planner can read the
    calendar once and the link table once (``pk IN (subquery)`` looked every link up by id)."""
    if data.get("area"):
        activities = activities.filter(linked("areas", _related_areas(data["area"])))
    if data.get("audience"):
        # An activity with no audience is for everyone, so it is for this audience too.
        activities = activities.filter(
            linked("audiences", [data["audience"].pk]) | ~linked("audiences")
        )
    if data.get("topic"):
        activities = activities.filter(linked("topics", [data["topic"].pk]))
    if data.get("organisation"):
        activities = activities.filter(linked("organisations", [data["organisation"].pk]))
    if data.get("kind"):
        activities = activities.filter(kind=data["kind"])
    return activities


def calendar_activities(request: HttpRequest) -> tuple[CalendarFilterForm, object, int]:
    """The filter form from the query string, the activities this person may see on the calendar
    narrowed by it (any time; callers choose the period), and the status to answer with: 400 and
    nothing listed when a filter is not one of the choices. Officers also see activities waiting
    for approval."""
    form = CalendarFilterForm(request.GET or None)
    if request.user.has_perm("calendar.view_clash_reasons"):
        activities = Activity.objects.asking()
    else:
        activities = Activity.objects.published()
    if form.is_bound and not form.is_valid():
        return form, activities.none(), 400
    if form.is_bound:
        activities = apply_filters(activities, form.cleaned_data)
    return form, activities, 200


def filter_query(request: HttpRequest) -> str:
    """The query string of the current filters without the page number, for links that keep them."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Upcoming activities, soonest first, with filters. Officers also see those waiting for
    approval (marked) and the reasons given for going ahead despite a clash."""
    user = request.user
    form, activities, status = calendar_activities(request)
    officer_view = user.has_perm("calendar.view_clash_reasons")
    activities = activities.filter(ends_at__gt=timezone.now())
    activities = activities.order_by("starts_at", "pk").prefetch_related(ORGANISATIONS, AREAS)
    page = Paginator(activities, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = with_when(list(page.object_list))
    return render(
        request,
        "calendar/index.html",
        {
            "form": form,
            "page_obj": page,
            "query": filter_query(request),
            "officer_view": officer_view,
            "may_add": user.has_perm("calendar.add_activity"),
            "may_approve": user.has_perm("calendar.approve_activity"),
        },
        status=status,
    )


def may_see(user, activity: Activity) -> bool:
    """Anyone sees what is or was on the calendar (a cancelled activity says so); drafts and
    pending ones only their organisations and the officers who approve them."""
    return (
        activity.status == Activity.Status.PUBLISHED
        or (activity.status == Activity.Status.CANCELLED and activity.published_at is not None)
        or user.has_perm("calendar.change_activity", activity)
        or user.has_perm("calendar.approve_activity")
    )


def _activity_or_404(request: HttpRequest, pk: int) -> Activity:
    activity = get_object_or_404(
        Activity.objects.select_related("created_by").prefetch_related(
            ORGANISATIONS, AREAS, "audiences", "topics"
        ),
        pk=pk,
    )
    if not may_see(request.user, activity):
        raise Http404
    return activity


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity_or_404(request, pk)
    activity.when = describe_when(activity)
    user = request.user
    return render(
        request,
        "calendar/detail.html",
        {
            "activity": activity,
            "may_change": user.has_perm("calendar.change_activity", activity),
            "may_see_reason": user.has_perm("calendar.view_clash_reasons"),
        },
    )


# --- Posting and changing -------------------------------------------------------------------------


@dataclass(frozen=True)
class ClashRow:
    """What the form shows of one clashing activity: the wards in common, each with the load the
    activity adds there in a week (weighted asks per 1,000 residents)."""

    activity: Activity
    first_overlap: datetime
    wards: list[tuple[str, float]]


def _clash_rows(clashes: list[logic.Clash]) -> list[ClashRow]:
    """The clashing activities and the wards in common: two queries however many clash."""
    keys = [clash.ask.key for clash in clashes]
    found = Activity.objects.prefetch_related(ORGANISATIONS).in_bulk(keys)
    with_when(found.values())
    ward_ids = {ward for clash in clashes for ward in clash.wards}
    wards = {
        pk: (name, population)
        for pk, name, population in Area.objects.filter(pk__in=ward_ids).values_list(
            "pk", "name", "population"
        )
    }
    return [
        ClashRow(
            activity=found[clash.ask.key],
            first_overlap=clash.first_overlap,
            wards=sorted(
                (wards[w][0], logic.load_added(clash.ask, wards[w][1]))
                for w in clash.wards
                if w in wards
            ),
        )
        for clash in clashes
        if clash.ask.key in found
    ]


def _save(form: ActivityForm, user, *, creating: bool, key: uuid.UUID | None) -> Activity:
    """Save the activity and its links together, published at once for a public body and
    otherwise waiting for an officer."""
    activity = form.save(commit=False)
    trusted = publishes_directly(user, form.cleaned_data["organisations"])
    activity.status = Activity.Status.PUBLISHED if trusted else Activity.Status.PENDING
    if trusted and activity.published_at is None:
        activity.published_at = timezone.now()
    with transaction.atomic():
        if creating:
            activity.created_by = user
            activity.idempotency_key = key
        else:
            # Calendar apps see a changed event only when its SEQUENCE goes up (RFC 5545).
            activity.sequence = F("sequence") + 1
        activity.save()
        form.save_m2m()
    activity.refresh_from_db(fields=["sequence"])
    return activity


def _posting_key(request: HttpRequest) -> uuid.UUID | None:
    """The form's one-off key, if it sent a well-formed one."""
    try:
        return uuid.UUID(request.POST.get("idempotency_key", ""))
    except ValueError:
        return None


def _already_posted(request: HttpRequest, key: uuid.UUID | None) -> Activity | None:
    """The activity this same submission already made (a double click, a retried request)."""
    if key is None:
        return None
    return Activity.objects.filter(idempotency_key=key, created_by=request.user).first()


def _moved(data, weeks: int):
    """The submitted form with its dates moved by whole weeks (times stay as typed)."""
    data = data.copy()
    for name in ("starts_at", "ends_at", "repeat_until"):
        try:
            day = date.fromisoformat(data.get(name, ""))
        except ValueError:
            continue  # left as typed: the form says what is wrong with it
        data[name] = (day + timedelta(weeks=weeks)).isoformat()
    return data


def _load_signature(assessment: Assessment) -> str:
    """Names the overloaded wards and weeks the author has been shown, so that posting again
    with the same ones goes ahead and posting with new ones shows the warning again."""
    return ",".join(f"{o.ward}:{o.week.isoformat()}" for o in assessment.overloads)


def _overload_rows(assessment: Assessment) -> list[dict]:
    names = dict(
        Area.objects.filter(pk__in={o.ward for o in assessment.overloads}).values_list("pk", "name")
    )
    return [
        {"ward": names.get(o.ward, ""), "week": o.week, "load": o.load}
        for o in assessment.overloads
    ]


def _suggested_when(assessment: Assessment) -> str:
    """The suggested window in words: its first occurrence."""
    first = assessment.suggestion.spans[0]
    start = timezone.localtime(first.start, logic.LONDON)
    return _("%(start)s to %(end)s") % {
        "start": uk_datetime(start),
        "end": uk_time(timezone.localtime(first.end, logic.LONDON)),
    }


def _activity_form(request: HttpRequest, activity: Activity | None) -> HttpResponse:
    creating = activity is None
    key = _posting_key(request) if request.method == "POST" else uuid.uuid4()
    if creating and request.method == "POST":
        done = _already_posted(request, key)
        if done is not None:
            messages.info(request, _("You have already posted this activity."))
            return redirect("calendar:detail", pk=done.pk)
        if key is not None and Activity.objects.filter(idempotency_key=key).exists():
            key = None  # someone else's key: never theirs to reuse, so just not a key
    data = request.POST or None
    moved = 0
    if data is not None and "move_weeks" in data:
        try:
            moved = int(data["move_weeks"])
        except ValueError:
            moved = 0
        if not moved or abs(moved) > SEARCH_WEEKS:
            return HttpResponse(_("That is not a window the form suggested."), status=400)
        data = _moved(data, moved)
    form = ActivityForm(data, instance=activity or Activity(), user=request.user)
    context = {"form": form, "activity": activity, "idempotency_key": key or uuid.uuid4()}
    status = 400 if form.is_bound else 200
    if request.method == "POST" and form.is_valid():
        assessment = assess(
            form.instance, form.area_ids(), form.audience_ids(), earliest=timezone.now()
        )
        reason = form.cleaned_data["clash_reason"].strip()
        context.update(
            clashes=_clash_rows(assessment.clashes),
            overloads=_overload_rows(assessment),
            threshold=assessment.threshold,
            load_signature=_load_signature(assessment),
            suggestion=assessment.suggestion,
            suggested_when=_suggested_when(assessment) if assessment.suggestion else "",
            move_weeks=assessment.moved_by_weeks,
        )
        shown_load = request.POST.get("load_seen", "") == context["load_signature"]
        if moved:
            # Moving never saves: the author sees the new dates and what they mean, then posts.
            context.update(moved=moved, moved_earlier=-moved)
            status = 200
        elif assessment.clashes and not reason:
            form.add_error(
                "clash_reason",
                ngettext(
                    "This clashes with %(count)d activity. Move it, or say why it must go ahead.",
                    "This clashes with %(count)d activities. Move it, or say why it must go ahead.",
                    len(assessment.clashes),
                )
                % {"count": len(assessment.clashes)},
            )
        elif assessment.overloads and not shown_load:
            # Not an error: the author may go ahead, having seen the load they add.
            status = 200
        else:
            # A reason is kept only while there is a clash for it to explain.
            form.instance.clash_reason = reason if assessment.clashes else ""
            try:
                saved = _save(form, request.user, creating=creating, key=key)
            except IntegrityError:
                # The same submission, sent twice at once, made it first.
                done = _already_posted(request, key)
                if done is None:
                    raise
                return redirect("calendar:detail", pk=done.pk)
            if saved.status == Activity.Status.PUBLISHED:
                messages.success(request, _("The activity is on the calendar."))
            else:
                messages.success(
                    request,
                    _("Thank you. An officer will check the activity before it is published."),
                )
            return redirect("calendar:detail", pk=saved.pk)
    return render(request, "calendar/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@limit_writes("activity")
def add(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("calendar.add_activity"):
        raise PermissionDenied
    return _activity_form(request, None)


def _changeable(request: HttpRequest, pk: int) -> tuple[Activity, HttpResponse | None]:
    """The activity this person may change, and where to send them instead when it follows a
    consultation or forum session (which are changed at their source)."""
    activity = get_object_or_404(Activity.objects.prefetch_related(ORGANISATIONS), pk=pk)
    if not request.user.has_perm("calendar.change_activity", activity):
        raise PermissionDenied
    if activity.consultation_id or activity.forum_session_id:
        messages.info(
            request,
            _("This activity follows its consultation or forum session: change it there."),
        )
        return activity, redirect("calendar:detail", pk=activity.pk)
    return activity, None


@login_required
@require_http_methods(["GET", "POST"])
@limit_writes("activity")
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity, elsewhere = _changeable(request, pk)
    if elsewhere is not None:
        return elsewhere
    return _activity_form(request, activity)


@login_required
@require_http_methods(["GET", "POST"])
@limit_writes("activity")
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Call an activity off. It stays on the calendar, marked cancelled, so that subscribed
    calendar apps remove it (its SEQUENCE goes up); GET asks to confirm."""
    activity, elsewhere = _changeable(request, pk)
    if elsewhere is not None:
        return elsewhere
    if activity.status == Activity.Status.CANCELLED:
        messages.info(request, _("This activity is already cancelled."))
        return redirect("calendar:detail", pk=activity.pk)
    if request.method == "GET":
        activity.when = describe_when(activity)
        return render(request, "calendar/cancel.html", {"activity": activity})
    with transaction.atomic():
        updated = (
            Activity.objects.filter(pk=activity.pk)
            .exclude(status=Activity.Status.CANCELLED)
            .update(
                status=Activity.Status.CANCELLED,
                sequence=F("sequence") + 1,
                updated_at=timezone.now(),
            )
        )
    if updated:
        messages.success(request, _("“%(title)s” is cancelled.") % {"title": activity.title})
    return redirect("calendar:detail", pk=activity.pk)


# --- Approval -------------------------------------------------------------------------------------


def _tell_creator(activity: Activity, approved: bool, reason: str) -> None:
    """Email the person who posted the activity with the officer's decision."""
    creator = activity.created_by
    if creator is None or not creator.is_active or not creator.email:
        return
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    template = "calendar/email/approved.txt" if approved else "calendar/email/rejected.txt"
    if approved:
        subject = _("Your activity “%(title)s” is on the calendar")
    else:
        subject = _("Your activity “%(title)s” was not approved")
    body = render_to_string(
        template,
        {
            "person": creator,
            "activity": activity,
            "reason": reason,
            "url": base + reverse("calendar:detail", args=[activity.pk]),
            "edit_url": base + reverse("calendar:edit", args=[activity.pk]),
        },
    )
    send_mail(
        subject % {"title": activity.title},
        body,
        settings.DEFAULT_FROM_EMAIL,
        [creator.email],
    )


@login_required
@require_GET
def pending(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("calendar.approve_activity"):
        raise PermissionDenied
    activities = (
        Activity.objects.filter(status=Activity.Status.PENDING)
        .select_related("created_by")
        .prefetch_related(ORGANISATIONS, AREAS)
        .order_by("starts_at", "pk")
    )
    page = Paginator(activities, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = with_when(list(page.object_list))
    for activity in page.object_list:
        # Each activity's form has its own ids: one page holds many.
        activity.decision_form = DecisionForm(auto_id=f"decision-{activity.pk}-%s")
    return render(
        request,
        "calendar/pending.html",
        {"page_obj": page, "query": ""},
    )


@login_required
@require_POST
@limit_writes("moderate")
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve (publish) or reject (cancel) a pending activity, and tell the person who posted
    it once the decision is saved."""
    if not request.user.has_perm("calendar.approve_activity"):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    with transaction.atomic():
        activity = get_object_or_404(Activity.objects.select_for_update(), pk=pk)
        if activity.status != Activity.Status.PENDING:
            messages.info(request, _("Someone has already decided on that activity."))
            return redirect("calendar:pending")
        if not form.is_valid():
            return render(
                request,
                "calendar/decide.html",
                {"activity": activity, "form": form},
                status=400,
            )
        approved = form.cleaned_data["action"] == "approve"
        reason = form.cleaned_data["reason"].strip()
        activity.status = Activity.Status.PUBLISHED if approved else Activity.Status.CANCELLED
        activity.sequence = F("sequence") + 1
        if approved and activity.published_at is None:
            activity.published_at = timezone.now()
        activity.save(update_fields=["status", "sequence", "published_at", "updated_at"])
        activity.refresh_from_db(fields=["sequence"])
        transaction.on_commit(lambda: _tell_creator(activity, approved, reason))
    if approved:
        messages.success(request, _("“%(title)s” is published.") % {"title": activity.title})
    else:
        messages.success(
            request,
            _("“%(title)s” is rejected and the person who posted it has been told.")
            % {"title": activity.title},
        )
    return redirect("calendar:pending")
