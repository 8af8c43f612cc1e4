"""iCalendar feeds of the shared calendar, and one activity's "add to calendar" file.

- ``/calendar.ics``: everything, or narrowed by the list's own filters in the query string.
- ``/calendar/feeds/area/<slug>.ics`` (and ``topic``, ``organisation``): readable addresses for
  the feeds people subscribe to most. An area's feed includes what is planned for the district
  and the whole place that cover it.
- ``/calendar/<pk>/activity.ics``: one activity.

Feeds list published activities and cancelled ones that had been published (so that calendar
apps remove them), from 30 days ago onwards; never drafts or activities waiting for approval.
A feed is a constant handful of queries whatever its size, and a calendar app's conditional GET
is answered from one aggregate query without building the feed.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from engagement.calendar import ical
from engagement.calendar.forms import CalendarFilterForm
from engagement.calendar.models import Activity, among, as_text, parse_utc
from engagement.calendar.views import apply_filters, may_see
from engagement.models import Area, Organisation, ServiceCategory

# How far back a feed reaches: recent activities stay in people's calendars for a while.
FEED_HISTORY = timedelta(days=30)
MAX_AGE = 300
# How long a built feed is kept in the cache (it is keyed by its ETag, so a change is never stale).
FEED_CACHE_SECONDS = 600
# How long events' texts are kept for building feeds (keyed by their SEQUENCE and last change,
# so a change is never stale), in blocks of this many activity ids.
EVENT_CACHE_SECONDS = 24 * 60 * 60
EVENT_BLOCK = 1024
# Part of every ETag: change it when the feed's format changes so that clients fetch it again.
FORMAT_VERSION = "1"
_PLACEHOLDER_PK = 2_147_483_647

_FILTER_NAMES = ("area", "audience", "topic", "organisation", "kind")


def feed_activities(filters: dict | None = None):
    """Activities a public feed lists: published, or cancelled after being published, ending
    after 30 days ago, narrowed by the list's filters (cleaned data of a CalendarFilterForm)."""
    activities = Activity.objects.filter(
        Q(status=Activity.Status.PUBLISHED)
        | Q(status=Activity.Status.CANCELLED, published_at__isnull=False)
    )
    if filters:
        activities = apply_filters(activities, filters)
    return activities.filter(ends_at__gt=timezone.now() - FEED_HISTORY)


def _names_by_activity(relation: str, activity_ids, ordering: tuple[str, ...]) -> dict:
    """Activity pk -> names of its organisations/audiences/topics, from the through table in one
    query: ``activity_ids`` is a list of ids (sent as one array on PostgreSQL) or a subquery."""
    through = getattr(Activity, relation).through
    target = Activity._meta.get_field(relation).m2m_reverse_field_name()
    if isinstance(activity_ids, list):
        links = through.objects.filter(among("activity_id", activity_ids))
    else:
        links = through.objects.filter(activity_id__in=activity_ids)
    rows = links.order_by(*(f"{target}__{field}" for field in ordering)).values_list(
        "activity_id", f"{target}__name"
    )
    names = defaultdict(list)
    for activity_id, name in rows:
        names[activity_id].append(name)
    return names


# Timestamps are read as text (models.as_text, models.parse_utc).
_TIMES = ("starts_at", "ends_at", "created_at", "updated_at")
_COLUMNS = (
    "pk",
    "uid",
    "sequence",
    "title",
    "summary",
    "kind",
    "status",
    *(f"{name}_text" for name in _TIMES),
    "weekdays",
    "opens",
    "closes",
    "repeat_until",
    "venue",
    "online_url",
)


_SEQUENCE, _UPDATED = _COLUMNS.index("sequence"), _COLUMNS.index("updated_at_text")


def _rows(activities) -> list[tuple]:
    """The columns of ``_COLUMNS`` for each of ``activities``, soonest first: one query."""
    texts = {f"{name}_text": as_text(name) for name in _TIMES}
    return list(activities.order_by("starts_at", "pk").annotate(**texts).values_list(*_COLUMNS))


def build_events(activities) -> list[ical.Event]:
    """One :class:`ical.Event` per activity, soonest first: one query for the activities and one
    each for their organisations, audiences and topics."""
    return [event for _pk, event in _events(_rows(activities), activities)]


def _events(rows: list[tuple], activities) -> list[tuple[int, ical.Event]]:
    """The pk and :class:`ical.Event` of each of ``rows`` (some of :func:`_rows` of
    ``activities``): one query each for their organisations, audiences and topics."""
    if not rows:
        return []
    # The ids as a list (one array on PostgreSQL, however many); past SQLite's limit of
    # parameters, the feed's own filter as a subquery.
    ids = [row[0] for row in rows]
    limit = connection.features.max_query_params
    if limit is not None and len(ids) > limit:
        ids = activities.values("pk")
    organisations = _names_by_activity("organisations", ids, ("name",))
    audiences = _names_by_activity("audiences", ids, ("sort_order", "name"))
    topics = _names_by_activity("topics", ids, ("sort_order", "name"))

    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    host = urlsplit(base).hostname or "localhost"
    # reverse() once, not once per event: it is the slowest step of a big feed otherwise.
    before, after = reverse("calendar:detail", args=[_PLACEHOLDER_PK]).split(str(_PLACEHOLDER_PK))
    kinds = {value: str(label) for value, label in Activity.Kind.choices}
    run_by, who_for, online, more = (
        _("Run by: %(organisations)s"),
        _("Who it is for: %(audiences)s"),
        _("Online: %(link)s"),
        _("More information: %(link)s"),
    )
    everyone, cancelled_title = _("everyone"), _("Cancelled: %(title)s")

    events = []
    for (
        pk,
        uid,
        sequence,
        title,
        summary,
        kind,
        status,
        starts_at,
        ends_at,
        created_at,
        updated_at,
        weekdays,
        opens,
        closes,
        repeat_until,
        venue,
        online_url,
    ) in rows:
        url = f"{base}{before}{pk}{after}"
        described = [summary, ""] if summary else []
        described.append(run_by % {"organisations": ", ".join(organisations.get(pk, ()))})
        described.append(who_for % {"audiences": ", ".join(audiences.get(pk, ())) or everyone})
        if online_url:
            described.append(online % {"link": online_url})
        described.append(more % {"link": url})
        cancelled = status == Activity.Status.CANCELLED
        events.append(
            (
                pk,
                ical.Event(
                    uid=f"{uid}@{host}",
                    sequence=sequence,
                    summary=cancelled_title % {"title": title} if cancelled else title,
                    description="\n".join(described),
                    url=url,
                    location=venue or online_url,
                    categories=(kinds.get(kind, kind), *topics.get(pk, ())),
                    starts_at=parse_utc(starts_at),
                    ends_at=parse_utc(ends_at),
                    created=parse_utc(created_at),
                    last_modified=parse_utc(updated_at),
                    cancelled=cancelled,
                    weekly=ical.Weekly(weekdays, opens, closes, repeat_until) if weekdays else None,
                ),
            )
        )
    return events


def feed_text(name: str, activities) -> str:
    """The feed of ``activities``. Events' texts are kept in the cache in blocks of
    ``EVENT_BLOCK`` activity ids, each under the SEQUENCE and last change of the feed's events in
    it, so a feed rebuilt after a change renders only the blocks that changed. The rest is the
    activities' query and one read of the cache: a hundred entries or so, where one entry per
    event took longer to read and write than rendering them (docs/PERFORMANCE.md)."""
    rows = _rows(activities)
    versions = defaultdict(list)
    for row in rows:
        versions[row[0] // EVENT_BLOCK].append(f"{row[0]}.{row[_SEQUENCE]}.{row[_UPDATED]}")
    prefix = f"calendar-events:{FORMAT_VERSION}:{get_language()}"
    keys = {
        block: f"{prefix}:{block}:{hashlib.sha256('|'.join(each).encode()).hexdigest()[:32]}"
        for block, each in versions.items()
    }
    blocks = cache.get_many(list(keys.values())) if keys else {}
    missing = {block for block, key in keys.items() if key not in blocks}
    if missing:
        built = {block: {} for block in missing}
        wanted = [row for row in rows if row[0] // EVENT_BLOCK in missing]
        for pk, event in _events(wanted, activities):
            built[pk // EVENT_BLOCK][pk] = ical.event_text(event)
        built = {keys[block]: texts for block, texts in built.items()}
        cache.set_many(built, EVENT_CACHE_SECONDS)
        blocks.update(built)
    texts = {pk: text for block in blocks.values() for pk, text in block.items()}
    return ical.calendar_text(name, (texts.get(row[0], "") for row in rows))


def _area_label(area: Area) -> str:
    if area.kind == Area.Kind.WARD:
        return _("%(name)s ward") % {"name": area.name}
    return area.name


def _calendar_response(request: HttpRequest, activities, name: str, filename: str) -> HttpResponse:
    """The feed of ``activities``, or 304 when the client's copy is current. The validators
    come from one aggregate query (latest change, how many), so a calendar app polling an
    unchanged feed costs that query only."""
    summary = activities.aggregate(latest=Max("updated_at"), count=Count("pk"))
    latest = summary["latest"]
    version = f"{FORMAT_VERSION}|{get_language()}|{name}|{summary['count']}|{latest}"
    etag = quote_etag(hashlib.sha256(version.encode()).hexdigest()[:32])
    last_modified = int(latest.timestamp()) if latest else None

    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        # Every subscriber polls the same few feeds: build each version once and share it.
        key = f"calendar-feed:{etag}"
        body = cache.get(key)
        if body is None:
            body = feed_text(name, activities)
            cache.set(key, body, FEED_CACHE_SECONDS)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


@require_safe
def feed(request: HttpRequest) -> HttpResponse:
    """The whole calendar's feed, narrowed by the same query parameters as the list."""
    form = CalendarFilterForm(request.GET)
    if not form.is_valid():
        message = " ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    data = form.cleaned_data
    chosen = []
    if data.get("area"):
        chosen.append(_area_label(data["area"]))
    for field in ("audience", "topic", "organisation"):
        if data.get(field):
            chosen.append(data[field].name)
    if data.get("kind"):
        chosen.append(str(Activity.Kind(data["kind"]).label))
    name = _("Engagement calendar")
    if chosen:
        name = _("Engagement calendar: %(filters)s") % {"filters": ", ".join(chosen)}
    filename = "-".join(["engagement-calendar", *(slugify(part) for part in chosen)])[:100]
    return _calendar_response(request, feed_activities(data), name, f"{filename}.ics")


def _filtered_feed(request: HttpRequest, field: str, chosen, label: str) -> HttpResponse:
    name = _("Engagement calendar: %(filters)s") % {"filters": label}
    activities = feed_activities({field: chosen})
    return _calendar_response(
        request, activities, name, f"engagement-calendar-{field}-{chosen.slug}.ics"
    )


@require_safe
def area_feed(request: HttpRequest, slug: str) -> HttpResponse:
    area = get_object_or_404(Area, slug=slug)
    return _filtered_feed(request, "area", area, _area_label(area))


@require_safe
def topic_feed(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(ServiceCategory, slug=slug)
    return _filtered_feed(request, "topic", topic, topic.name)


@require_safe
def organisation_feed(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug)
    return _filtered_feed(request, "organisation", organisation, organisation.name)


@require_safe
def activity_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """One activity as a file calendar apps open ("add to calendar"). Anyone may have one that is
    on the calendar, or was and is now cancelled (so a copy can be updated); drafts and those
    waiting for approval only the people who may see them."""
    activity = get_object_or_404(Activity.objects.only("pk", "status", "published_at"), pk=pk)
    public = activity.status == Activity.Status.PUBLISHED or (
        activity.status == Activity.Status.CANCELLED and activity.published_at is not None
    )
    if not public and not may_see(request.user, activity):
        raise Http404
    events = build_events(Activity.objects.filter(pk=pk))
    if not events:
        raise Http404
    event = events[0]
    body = ical.calendar(event.summary, events, busy=True)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    filename = slugify(event.summary)[:60] or "activity"
    response["Content-Disposition"] = f'attachment; filename="{filename}.ics"'
    if public:
        patch_cache_control(response, public=True, max_age=MAX_AGE)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    return response


urlpatterns = [
    path("<int:pk>/activity.ics", activity_ics, name="activity_ics"),
    path("feeds/area/<slug:slug>.ics", area_feed, name="feed_area"),
    path("feeds/topic/<slug:slug>.ics", topic_feed, name="feed_topic"),
    path("feeds/organisation/<slug:slug>.ics", organisation_feed, name="feed_organisation"),
]
