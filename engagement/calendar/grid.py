"""The calendar as a month and as a week, the heat strip's figures, and the officers' ward × week
load table.

The month and week read the activities this person may see through
:func:`engagement.calendar.views.calendar_activities` (the list's filters; pending ones too for
officers), narrowed in the database to the days shown; weekly opening times are then expanded for
those days only. The heat strip and the load table read :func:`engagement.calendar.load.load_table`:
a constant number of queries however full the calendar is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, re_path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from engagement.calendar import load, logic
from engagement.calendar.forms import DATE_HINT, WEEKDAYS
from engagement.calendar.models import Activity
from engagement.calendar.views import ORGANISATIONS, calendar_activities, filter_query
from engagement.models import Area
from engagement.templatetags.engagement_tags import _uk_time as uk_time
from engagement.templatetags.engagement_tags import uk_datetime

# The calendar's reach: a month or week outside these years is not found, so that no link or
# address walks off the end of Python's dates.
FIRST_YEAR, LAST_YEAR = 1900, 2999
# A month's day shows this many occurrences and then "+N more", linking to its week.
SHOWN_PER_DAY = 4
HEAT_WEEKS = 8
LOAD_WEEKS = 8

LEVEL_LABELS = {
    "quiet": gettext_lazy("Quiet"),
    "busy": gettext_lazy("Busy"),
    "over": gettext_lazy("Over the limit"),
}


def today() -> date:
    return timezone.localtime(timezone.now(), logic.LONDON).date()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _in_reach(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, logic.LONDON)


def _link(url: str, query: str = "", fragment: str = "") -> str:
    return url + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


def week_url(monday: date, query: str = "", fragment: str = "") -> str:
    return _link(reverse("calendar:week", kwargs={"day": monday.isoformat()}), query, fragment)


def month_url(first: date, query: str = "") -> str:
    return _link(reverse("calendar:month", args=[first.year, first.month]), query)


# --- Occurrences on each day ----------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """An activity on one day: one opening of a weekly activity, a one-off activity, or one day
    of an activity that runs over several days (a consultation open for six weeks)."""

    activity: Activity
    start: datetime  # London time
    end: datetime
    day: date

    @property
    def continued(self) -> bool:
        """It started on an earlier day."""
        return self.start.date() < self.day

    @property
    def ends_today(self) -> bool:
        # An occurrence ending at midnight ends on the day before.
        return (self.end - timedelta(microseconds=1)).date() == self.day

    @property
    def when(self) -> str:
        if not self.continued and self.ends_today:
            return _("%(start)s to %(end)s") % {
                "start": uk_time(self.start),
                "end": uk_time(self.end),
            }
        if not self.continued:
            return _("From %(start)s, until %(end)s") % {
                "start": uk_time(self.start),
                "end": uk_datetime(self.end),
            }
        if self.ends_today:
            return _("Until %(end)s") % {"end": uk_time(self.end)}
        return _("Continues until %(end)s") % {"end": uk_datetime(self.end)}

    @property
    def brief(self) -> str:
        """:attr:`when` for a month's narrow day: the date it ends is left to its own page."""
        if not self.continued and self.ends_today:
            return self.when
        if not self.continued:
            return _("From %(start)s") % {"start": uk_time(self.start)}
        if self.ends_today:
            return self.when
        return _("Continues")


def _spans_between(activity: Activity, first: date, last: date) -> tuple[logic.Span, ...]:
    """The activity's occurrences, expanding a weekly pattern only from ``first`` to ``last``."""
    if not activity.is_recurring:
        return (logic.Span(activity.starts_at, activity.ends_at),)
    opens_on = timezone.localtime(activity.starts_at, logic.LONDON).date()
    return logic.weekly_occurrences(
        activity.opening(), max(first, opens_on), min(last, activity.repeat_until)
    )


def occurrences_by_day(
    activities: Iterable[Activity], first: date, last: date
) -> dict[date, list[Occurrence]]:
    """Each local day from ``first`` to ``last`` with what happens on it: those starting that day
    first, by time, then those carrying on from an earlier day."""
    days: dict[date, list[Occurrence]] = defaultdict(list)
    for activity in activities:
        for span in _spans_between(activity, first, last):
            start = span.start.astimezone(logic.LONDON)
            end = span.end.astimezone(logic.LONDON)
            day = max(start.date(), first)
            final = min((end - timedelta(microseconds=1)).date(), last)
            while day <= final:
                days[day].append(Occurrence(activity, start, end, day))
                day += timedelta(days=1)
    for found in days.values():
        found.sort(key=lambda o: (o.continued, o.start, o.activity.title, o.activity.pk))
    return days


def _visible_between(activities, first: date, last: date):
    """The activities with time on the days from ``first`` to ``last``, in one query."""
    return activities.overlapping(_midnight(first), _midnight(last + timedelta(days=1))).order_by(
        "starts_at", "pk"
    )


# --- Month ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthDay:
    day: date
    shown: list[Occurrence]
    more: int
    more_url: str
    is_today: bool


def _first_of_month(year: int, month: int) -> date:
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        raise Http404(_("There is no such month on the calendar."))
    return date(year, month, 1)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


@require_GET
def month(request: HttpRequest, year: int | None = None, month: int | None = None) -> HttpResponse:
    """A month as a table of weeks, Monday first, with what happens on each day. A busy day
    shows its first few and links to its week for the rest."""
    now = today()
    first = _first_of_month(year, month) if year is not None else now.replace(day=1)
    following = _next_month(first)
    last = following - timedelta(days=1)
    form, activities, status = calendar_activities(request)
    by_day = occurrences_by_day(_visible_between(activities, first, last), first, last)
    query = filter_query(request)

    weeks: list[list[MonthDay | None]] = []
    day = monday_of(first)
    while day <= last:
        row: list[MonthDay | None] = []
        for _weekday in range(7):
            if day.month == first.month:
                found = by_day.get(day, [])
                row.append(
                    MonthDay(
                        day=day,
                        shown=found[:SHOWN_PER_DAY],
                        more=max(0, len(found) - SHOWN_PER_DAY),
                        more_url=week_url(monday_of(day), query, f"day-{day.isoformat()}"),
                        is_today=day == now,
                    )
                )
            else:
                row.append(None)
            day += timedelta(days=1)
        weeks.append(row)

    previous = _previous_month(first)
    this_week = monday_of(now)
    return render(
        request,
        "calendar/month.html",
        {
            "form": form,
            "query": query,
            "month_start": first,
            "weeks": weeks,
            "weekdays": [label for _value, label in WEEKDAYS],
            "previous_url": month_url(previous, query) if _in_reach(previous) else "",
            "previous_month": previous,
            "next_url": month_url(following, query) if _in_reach(following) else "",
            "next_month": following,
            "officer_view": request.user.has_perm("calendar.view_clash_reasons"),
            "heat_from": monday_of(first),
            "switch_month_url": month_url(first),
            "switch_week_url": week_url(
                this_week
                if (now.year, now.month) == (first.year, first.month)
                else monday_of(first)
            ),
        },
        status=status,
    )


# --- Week -----------------------------------------------------------------------------------------


@require_GET
def week(request: HttpRequest, day: str | None = None) -> HttpResponse:
    """Seven days from a Monday, each with what happens on it and when. Any day's address is
    accepted and sent on to its Monday's, with the filters kept."""
    now = today()
    if day is None:
        monday = monday_of(now)
    else:
        try:
            chosen = date.fromisoformat(day)
        except ValueError:
            raise Http404(_("There is no such day on the calendar.")) from None
        if not _in_reach(chosen):
            raise Http404(_("There is no such day on the calendar."))
        monday = monday_of(chosen)
        if monday != chosen:
            return redirect(week_url(monday, request.GET.urlencode()))
    sunday = monday + timedelta(days=6)
    form, activities, status = calendar_activities(request)
    activities = _visible_between(activities, monday, sunday).prefetch_related(ORGANISATIONS)
    by_day = occurrences_by_day(activities, monday, sunday)
    query = filter_query(request)
    days = [monday + timedelta(days=n) for n in range(7)]
    previous, following = monday - timedelta(weeks=1), monday + timedelta(weeks=1)
    return render(
        request,
        "calendar/week.html",
        {
            "form": form,
            "query": query,
            "monday": monday,
            "sunday": sunday,
            "days": [(d, by_day.get(d, []), d == now) for d in days],
            "previous_url": week_url(previous, query) if _in_reach(previous) else "",
            "previous_week": previous,
            "next_url": week_url(following, query) if _in_reach(following) else "",
            "next_week": following,
            "officer_view": request.user.has_perm("calendar.view_clash_reasons"),
            "heat_from": monday,
            "switch_month_url": month_url(monday.replace(day=1)),
            "switch_week_url": week_url(monday),
        },
        status=status,
    )


# --- The heat strip -------------------------------------------------------------------------------


def level_of(value: float, limit: float) -> str:
    """ "over" above the threshold, "busy" above half of it, else "quiet"."""
    if value > limit:
        return "over"
    if value > limit / 2:
        return "busy"
    return "quiet"


@dataclass(frozen=True)
class HeatWeek:
    """The load of one week: the highest among the wards in view, which ward that is, and how
    many of those wards are over the threshold."""

    monday: date
    load: float
    level: str
    ward: str
    wards_over: int
    url: str

    @property
    def label(self) -> str:
        return str(LEVEL_LABELS[self.level])


def heat_strip(first: date, area: Area | None = None, query: str = "") -> dict:
    """The heat strip's weeks from the week of ``first``, for the wards ``area`` covers (every
    ward when None): six queries however many activities or wards there are."""
    monday = monday_of(first)
    table = load.load_table(monday, HEAT_WEEKS)
    limit = load.threshold()
    rows = Area.objects.wards().values_list("pk", "name", "parent_id", "parent__parent_id")
    wards = [(pk, name) for pk, name, *above in rows if area is None or area.pk in (pk, *above)]
    weeks = []
    for n in range(HEAT_WEEKS):
        week = monday + timedelta(weeks=n)
        loads = sorted(((table.get((pk, week), 0.0), name) for pk, name in wards), key=_busiest)
        value, name = loads[0] if loads else (0.0, "")
        weeks.append(
            HeatWeek(
                monday=week,
                load=value,
                level=level_of(value, limit),
                ward=name if value > 0 else "",
                wards_over=sum(1 for v, _name in loads if v > limit),
                url=week_url(week, query),
            )
        )
    return {"first": monday, "weeks": weeks, "limit": limit, "many_wards": len(wards) > 1}


def _busiest(entry: tuple[float, str]) -> tuple[float, str]:
    value, name = entry
    return (-value, name)


# --- The officers' ward × week table --------------------------------------------------------------


class LoadTableForm(forms.Form):
    """The first week of the table, as ``?from=2026-03-30`` (any day of it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" reads well in the address but is a Python keyword, so it is added here.
        self.fields["from"] = forms.DateField(
            label=_("Show 8 weeks from"),
            required=False,
            input_formats=["%Y-%m-%d"],
            help_text=DATE_HINT,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={
                "invalid": _("Enter the first week as a real date, for example 2026-03-30.")
            },
        )

    def clean_from(self) -> date | None:
        day = self.cleaned_data.get("from")
        if day is not None and not _in_reach(day):
            raise forms.ValidationError(
                _("Enter a date between %(first)s and %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        return day


@dataclass(frozen=True)
class LoadCell:
    monday: date
    load: float | None  # None: the ward's population is not known
    over: bool
    url: str


@dataclass(frozen=True)
class WardRow:
    name: str
    cells: list[LoadCell]


def load_rows(
    first: date, weeks: int = LOAD_WEEKS
) -> tuple[list[date], list[tuple[str, list[WardRow]]]]:
    """The weeks from the week of ``first`` and, district by district, each ward's load in each:
    six queries however many activities or wards there are."""
    monday = monday_of(first)
    mondays = [monday + timedelta(weeks=n) for n in range(weeks)]
    table = load.load_table(monday, weeks)
    limit = load.threshold()
    wards = (
        Area.objects.wards()
        .order_by("parent__name", "parent_id", "name")
        .values_list("pk", "name", "slug", "population", "parent__name", "parent_id")
    )
    groups = []
    for (district, _district_id), members in groupby(wards, key=lambda row: row[4:]):
        rows = []
        for pk, name, slug, population, *_parent in members:
            cells = []
            for week in mondays:
                value = table.get((pk, week), 0.0) if population else None
                over = value is not None and value > limit
                url = week_url(week, urlencode({"area": slug})) if over else ""
                cells.append(LoadCell(week, value, over, url))
            rows.append(WardRow(name, cells))
        groups.append((district, rows))
    return mondays, groups


@login_required
@require_GET
def load_table(request: HttpRequest) -> HttpResponse:
    """Every ward's engagement load, week by week, for officers planning an ask."""
    if not request.user.has_perm("calendar.view_clash_reasons"):
        raise PermissionDenied
    first = today()
    # The date input shows the weeks on screen; printed as typed, not as a localised date.
    form = LoadTableForm(request.GET or None, initial={"from": monday_of(first).isoformat()})
    if form.is_bound and not form.is_valid():
        return render(request, "calendar/load.html", {"form": form}, status=400)
    if form.is_bound and form.cleaned_data["from"]:
        first = form.cleaned_data["from"]
    mondays, groups = load_rows(first)
    previous = mondays[0] - timedelta(weeks=LOAD_WEEKS)
    following = mondays[0] + timedelta(weeks=LOAD_WEEKS)
    here = reverse("calendar:load")
    return render(
        request,
        "calendar/load.html",
        {
            "form": form,
            "mondays": mondays,
            "groups": groups,
            "threshold": load.threshold(),
            "weights": logic.ASK_WEIGHTS,
            "previous_url": _link(here, urlencode({"from": previous.isoformat()}))
            if _in_reach(previous)
            else "",
            "previous_week": previous,
            "next_url": _link(here, urlencode({"from": following.isoformat()}))
            if _in_reach(following + timedelta(weeks=LOAD_WEEKS))
            else "",
            "next_week": following,
        },
    )


urlpatterns = [
    path("month/", month, name="month"),
    path("month/<int:year>/<int:month>/", month, name="month"),
    path("week/", week, name="week"),
    # Only a date written as YYYY-MM-DD; anything else is not found.
    re_path(r"^week/(?P<day>\d{4}-\d{2}-\d{2})/$", week, name="week"),
    path("load/", load_table, name="load"),
]
