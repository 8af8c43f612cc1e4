"""The calendar's month and week views, the heat strip and the officers' ward × week load table."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engagement.calendar import grid
from engagement.calendar.logic import LONDON
from engagement.calendar.models import Activity
from tests.calendar.factories import make_activity
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The clocks go forward at 1am on Sunday 29 March 2026: that week starts on Monday 23 March.
CHANGE_WEEK = date(2026, 3, 23)
# "Now" for every test: Wednesday 4 March 2026, midday in London (GMT).
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=LONDON)
FIRST_WEEK = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def threshold(settings):
    settings.CALENDAR_LOAD_THRESHOLD = 0.5
    return 0.5


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def weekly(organisation, areas, *, first: date, until: date, weekdays: str, title: str, **extra):
    """A weekly activity, 10am to midday local time on ``weekdays`` (Monday = 0)."""
    made = Activity.objects.create(
        title=title,
        kind=Activity.Kind.WARM_SPACE,
        starts_at=at(first, 10),
        ends_at=at(until, 12),
        weekdays=weekdays,
        opens=time(10),
        closes=time(12),
        repeat_until=until,
        status=extra.pop("status", Activity.Status.PUBLISHED),
        **extra,
    )
    made.organisations.add(organisation)
    made.areas.set(areas)
    return made


def month_titles(response, day: date) -> list[str]:
    for week in response.context["weeks"]:
        for cell in week:
            if cell is not None and cell.day == day:
                return [o.activity.title for o in cell.shown]
    raise AssertionError(f"{day} is not in the month shown")


def week_entries(response, day: date) -> list[tuple[str, str]]:
    for shown, occurrences, _today in response.context["days"]:
        if shown == day:
            return [(o.activity.title, o.when) for o in occurrences]
    raise AssertionError(f"{day} is not in the week shown")


def heat_section(response) -> str:
    html = response.content.decode()
    found = re.search(r'<section class="cg-heat".*?</section>', html, re.S)
    assert found, "no heat strip on the page"
    return found.group(0)


@pytest.fixture
def across_the_change(council, place):
    """A Warm Space open Mondays and Sundays 10am to midday either side of the clock change, and
    a one-off late event that is on Tuesday 31 March in London but still Monday 30th in UTC."""
    space = weekly(
        council,
        [place["abbey"]],
        first=CHANGE_WEEK,
        until=date(2026, 4, 5),
        weekdays="06",
        title="Warm Space",
    )
    late = make_activity(
        council, [place["cliff"]], start=at(date(2026, 3, 31), 0, 30), hours=1, title="Late talk"
    )
    return space, late


# --- Month ----------------------------------------------------------------------------------------


def test_the_month_shows_weekly_and_one_off_activities_on_their_local_days(
    client, across_the_change
):
    response = client.get(reverse("calendar:month", args=[2026, 3]))

    assert response.status_code == 200
    for day in (date(2026, 3, 23), date(2026, 3, 29), date(2026, 3, 30)):
        assert month_titles(response, day) == ["Warm Space"]
    for day in (date(2026, 3, 22), date(2026, 3, 24), date(2026, 3, 28)):
        assert month_titles(response, day) == []
    assert month_titles(response, date(2026, 3, 31)) == ["Late talk"]
    # After the clocks change it still opens at 10am local time.
    html = response.content.decode()
    assert "10am to midday" in html
    assert "12:30am to 1:30am" in html
    # April's openings belong to April's page.
    april = client.get(reverse("calendar:month", args=[2026, 4]))
    assert month_titles(april, date(2026, 4, 5)) == ["Warm Space"]
    assert month_titles(april, date(2026, 4, 6)) == []


def test_the_month_is_a_table_of_weekdays_with_a_caption(client, place):
    response = client.get(reverse("calendar:month"))  # this month: March 2026
    html = response.content.decode()
    assert response.context["month_start"] == date(2026, 3, 1)
    assert "<caption" in html and "Activities in March 2026" in html
    assert html.count('<th scope="col"') == 7
    assert re.search(r'<th scope="col"[^>]*>Monday</th>', html)
    # March 2026 starts on a Sunday: six rows, the first with six days of February left blank.
    assert len(response.context["weeks"]) == 6
    assert response.context["weeks"][0][:6] == [None] * 6
    assert 'aria-current="date"' in html  # today, 4 March


def test_an_activity_over_several_days_shows_on_each_with_the_day_s_times(client, council, place):
    make_activity(council, [place["abbey"]], start=at(date(2026, 3, 10), 9), hours=48 + 8)
    response = client.get(reverse("calendar:month", args=[2026, 3]))
    days = [cell for week in response.context["weeks"] for cell in week if cell]
    cells = {cell.day: [o.brief for o in cell.shown] for cell in days}
    assert cells[date(2026, 3, 10)] == ["From 9am"]
    assert cells[date(2026, 3, 11)] == ["Continues"]
    assert cells[date(2026, 3, 12)] == ["Until 5pm"]
    assert cells[date(2026, 3, 13)] == []

    week = client.get(reverse("calendar:week", kwargs={"day": "2026-03-09"}))
    assert [when for _title, when in week_entries(week, date(2026, 3, 10))] == [
        "From 9am, until 12 March 2026, 5pm"
    ]
    assert week_entries(week, date(2026, 3, 11))[0][1] == "Continues until 12 March 2026, 5pm"
    assert week_entries(week, date(2026, 3, 12))[0][1] == "Until 5pm"


def test_what_starts_on_a_day_comes_before_what_carries_on_into_it(client, council, place):
    make_activity(council, [place["abbey"]], start=at(date(2026, 3, 9), 9), hours=72, title="Long")
    make_activity(council, [place["abbey"]], start=at(date(2026, 3, 10), 18), title="Evening")
    make_activity(council, [place["abbey"]], start=at(date(2026, 3, 10), 8), title="Morning")
    response = client.get(reverse("calendar:week", kwargs={"day": "2026-03-09"}))
    assert [title for title, _when in week_entries(response, date(2026, 3, 10))] == [
        "Morning",
        "Evening",
        "Long",
    ]


def test_a_busy_day_shows_four_and_links_to_its_week_for_the_rest(client, council, place):
    for n in range(6):
        make_activity(council, [place["abbey"]], start=at(date(2026, 3, 11), 9 + n), title=f"A{n}")
    response = client.get(reverse("calendar:month", args=[2026, 3]), {"area": "abbey"})

    assert month_titles(response, date(2026, 3, 11)) == ["A0", "A1", "A2", "A3"]
    html = response.content.decode()
    assert "+2 more" in html
    assert 'href="/calendar/week/2026-03-09/?area=abbey#day-2026-03-11"' in html


def test_the_month_keeps_the_filters(client, council, place):
    make_activity(council, [place["abbey"]], start=at(date(2026, 3, 11), 10), title="In Abbey")
    make_activity(council, [place["cliff"]], start=at(date(2026, 3, 11), 12), title="In Cliff")
    response = client.get(reverse("calendar:month", args=[2026, 3]), {"area": "cliff"})

    assert month_titles(response, date(2026, 3, 11)) == ["In Cliff"]
    html = response.content.decode()
    assert 'href="/calendar/month/2026/2/?area=cliff"' in html
    assert 'href="/calendar/month/2026/4/?area=cliff"' in html
    # The view switch keeps them too, and marks the month as the current view.
    assert 'href="/calendar/?area=cliff"' in html
    assert re.search(r'href="/calendar/month/2026/3/\?area=cliff" aria-current="page"', html)
    assert 'href="/calendar/week/2026-03-02/?area=cliff"' in html  # this week: it is March


def test_the_month_links_across_the_year_end(client):
    response = client.get(reverse("calendar:month", args=[2026, 12]))
    html = response.content.decode()
    assert 'href="/calendar/month/2026/11/"' in html
    assert 'href="/calendar/month/2027/1/"' in html
    assert "December 2026" in html
    assert 'href="/calendar/week/2026-11-30/"' in html  # the week of 1 December


@pytest.mark.parametrize("view", ["month", "week"])
def test_a_filter_that_is_not_a_choice_is_a_bad_request(client, council, place, view):
    make_activity(council, [place["abbey"]], start=at(date(2026, 3, 4), 15), title="Hidden")
    url = reverse(f"calendar:{view}")
    response = client.get(url, {"area": "atlantis"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Choose an area from the list." in html
    assert "Hidden" not in html


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/month/2026/13/",
        "/calendar/month/2026/0/",
        "/calendar/month/0/1/",
        "/calendar/month/99999/1/",
        "/calendar/week/2026-02-30/",
        "/calendar/week/2026-13-01/",
        "/calendar/week/0001-01-01/",
        "/calendar/week/2026-3-2/",
        "/calendar/week/20260302/",
        "/calendar/week/tomorrow/",
    ],
)
def test_a_day_or_month_that_cannot_be_is_not_found(client, path):
    assert client.get(path).status_code == 404


def test_pending_activities_are_marked_for_officers_and_hidden_from_everyone_else(
    client, council, place, officer, resident, partner
):
    make_activity(
        council, [place["abbey"]], start=at(date(2026, 3, 12), 10), status="pending", title="Soon"
    )
    url = reverse("calendar:month", args=[2026, 3])

    for person in (None, resident, partner):
        if person:
            client.force_login(person)
        response = client.get(url)
        assert month_titles(response, date(2026, 3, 12)) == []
        assert "Waiting for approval" not in response.content.decode()
    client.force_login(officer)
    response = client.get(url)
    assert month_titles(response, date(2026, 3, 12)) == ["Soon"]
    assert "Waiting for approval" in response.content.decode()
    week = client.get(reverse("calendar:week", kwargs={"day": "2026-03-09"}))
    assert week_entries(week, date(2026, 3, 12)) == [("Soon", "10am to midday")]
    assert "Waiting for approval" in week.content.decode()


# --- Week -----------------------------------------------------------------------------------------


def test_the_week_lists_each_day_with_local_times_across_the_clock_change(
    client, across_the_change
):
    response = client.get(reverse("calendar:week", kwargs={"day": CHANGE_WEEK.isoformat()}))

    assert response.status_code == 200
    assert week_entries(response, date(2026, 3, 23)) == [("Warm Space", "10am to midday")]
    # Sunday 29 March is in British Summer Time: still 10am in London, 9am UTC.
    assert week_entries(response, date(2026, 3, 29)) == [("Warm Space", "10am to midday")]
    sunday = response.context["days"][6][1][0]
    assert sunday.start.utcoffset() == timedelta(hours=1)
    assert week_entries(response, date(2026, 3, 25)) == []
    html = response.content.decode()
    assert html.count('<h2 class="govuk-heading-m" id="day-') == 7
    assert "Sunday 29 March" in html
    assert "Nothing on this day." in html

    after = client.get(reverse("calendar:week", kwargs={"day": "2026-03-30"}))
    assert week_entries(after, date(2026, 3, 30)) == [("Warm Space", "10am to midday")]
    assert week_entries(after, date(2026, 3, 31)) == [("Late talk", "12:30am to 1:30am")]


def test_this_week_is_the_week_of_today(client):
    response = client.get(reverse("calendar:week"))
    assert response.context["monday"] == FIRST_WEEK
    assert 'aria-current="page">Week</a>' in response.content.decode()


def test_any_day_is_sent_on_to_its_monday_with_the_filters(client, place):
    response = client.get("/calendar/week/2026-03-29/", {"area": "abbey"})
    assert response.status_code == 302
    assert response["Location"] == "/calendar/week/2026-03-23/?area=abbey"


def test_the_week_keeps_the_filters_and_links_to_the_weeks_around_it(client, council, place):
    make_activity(council, [place["abbey"]], start=at(date(2026, 3, 24), 10), title="In Abbey")
    make_activity(council, [place["cliff"]], start=at(date(2026, 3, 24), 12), title="In Cliff")
    response = client.get("/calendar/week/2026-03-23/", {"area": "abbey"})

    assert week_entries(response, date(2026, 3, 24)) == [("In Abbey", "10am to midday")]
    html = response.content.decode()
    assert 'href="/calendar/week/2026-03-16/?area=abbey"' in html
    assert 'href="/calendar/week/2026-03-30/?area=abbey"' in html
    assert 'href="/calendar/month/2026/3/?area=abbey"' in html


# --- Heat strip -----------------------------------------------------------------------------------


@pytest.fixture
def busy_weeks(council, place, threshold):
    """Hand-worked loads (weighted asks per 1,000 residents; Abbey 4,000, Brook 5,000, Cliff
    6,000 residents):

    - week of 2 March: heavy in Abbey (3 × 1000/4000 = 0.75) and light across North District
      (Abbey + 0.25 = 1.00, Brook 0.20); one that only informs in Cliff (0.25 × 1000/6000 = 0.04).
    - week of 9 March: two light asks in Brook (2 × 0.20 = 0.40: busy, not over 0.5).
    - later weeks: nothing.
    """
    tuesday = at(date(2026, 3, 3), 10)
    make_activity(council, [place["abbey"]], start=tuesday, ask_level="heavy", title="Heavy")
    make_activity(council, [place["north"]], start=tuesday, ask_level="light", title="Light")
    make_activity(council, [place["cliff"]], start=tuesday, ask_level="inform", title="Inform")
    for n in range(2):
        make_activity(
            council, [place["brook"]], start=tuesday + timedelta(weeks=1), title=f"Brook {n}"
        )


def test_the_heat_strip_names_the_busiest_ward_and_counts_those_over(busy_weeks, place):
    strip = grid.heat_strip(FIRST_WEEK)
    first, second, third = strip["weeks"][:3]

    assert len(strip["weeks"]) == 8
    assert (first.level, first.ward, first.wards_over) == ("over", "Abbey", 1)
    assert first.load == pytest.approx(1.0)
    assert (second.level, second.ward, second.wards_over) == ("busy", "Brook", 0)
    assert second.load == pytest.approx(0.4)
    assert (third.level, third.ward, third.load) == ("quiet", "", 0.0)

    cliff = grid.heat_strip(FIRST_WEEK, place["cliff"])["weeks"][0]
    assert (cliff.level, cliff.ward) == ("quiet", "Cliff")
    assert cliff.load == pytest.approx(250 / 6000)
    south = grid.heat_strip(FIRST_WEEK, place["south"])["weeks"]
    assert [w.ward for w in south[:2]] == ["Cliff", ""]


def test_the_list_shows_the_heat_strip_in_words_as_well_as_colour(client, busy_weeks):
    strip = heat_section(client.get(reverse("calendar:index")))

    assert strip.count("<li") == 8
    assert "Over the limit" in strip and "Busy" in strip and "Quiet" in strip
    assert "1.00" in strip and "0.40" in strip
    assert "Busiest: Abbey" in strip
    assert "1 ward over the limit" in strip
    assert 'href="/calendar/week/2026-03-02/"' in strip
    assert "calendar/load/" not in strip  # residents do not get the officers' table


def test_the_heat_strip_follows_the_area_filter_and_the_week_shown(client, busy_weeks, officer):
    client.force_login(officer)
    response = client.get("/calendar/week/2026-03-09/", {"area": "brook"})
    strip = heat_section(response)

    assert "How busy Brook is" in strip
    assert 'href="/calendar/week/2026-03-09/?area=brook"' in strip
    assert 'href="/calendar/week/2026-03-02/' not in strip  # it starts from the week shown
    assert "Busiest: Brook" in strip and "0.40" in strip
    assert "ward over the limit" not in strip  # one ward: no count
    assert 'href="/calendar/load/?from=2026-03-09"' in strip


def test_the_heat_strip_is_left_out_when_the_filters_are_wrong(client, busy_weeks):
    response = client.get(reverse("calendar:index"), {"area": "atlantis"})
    assert response.status_code == 400
    assert 'class="cg-heat"' not in response.content.decode()


def test_busy_starts_above_half_the_threshold():
    assert grid.level_of(0.25, 0.5) == "quiet"
    assert grid.level_of(0.26, 0.5) == "busy"
    assert grid.level_of(0.5, 0.5) == "busy"
    assert grid.level_of(0.51, 0.5) == "over"


# --- The officers' load table ---------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True, mfa_exempt=True)


def test_only_officers_see_the_load_table(client, resident, partner, officer, superuser, place):
    url = reverse("calendar:load")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    for person, status in ((resident, 403), (partner, 403), (officer, 200), (superuser, 200)):
        client.force_login(person)
        assert client.get(url).status_code == status, person


def test_the_load_table_shows_each_ward_s_load_and_marks_those_over(
    client, officer, busy_weeks, place
):
    client.force_login(officer)
    response = client.get(reverse("calendar:load"), {"from": "2026-03-04"})

    assert response.status_code == 200
    assert response.context["mondays"][0] == FIRST_WEEK
    assert len(response.context["mondays"]) == 8
    groups = dict(response.context["groups"])
    assert list(groups) == ["North District", "South District"]
    loads = {
        row.name: [(round(c.load, 2), c.over) for c in row.cells[:2]]
        for rows in groups.values()
        for row in rows
    }
    assert loads == {
        "Abbey": [(1.0, True), (0.0, False)],
        "Brook": [(0.2, False), (0.4, False)],
        "Cliff": [(0.04, False), (0.0, False)],
    }
    abbey = groups["North District"][0].cells[0]
    assert abbey.url == "/calendar/week/2026-03-02/?area=abbey"

    html = response.content.decode()
    assert "Weighted asks per 1,000 residents" in html and "above 0.50" in html
    assert '<th scope="rowgroup"' in html and '<th scope="row"' in html
    assert 'href="/calendar/week/2026-03-02/?area=abbey">1.00' in html
    assert html.count("cg-load__over") == 1
    assert 'href="/calendar/load/?from=2026-01-05"' in html
    assert 'href="/calendar/load/?from=2026-04-27"' in html


def test_the_threshold_comes_from_the_settings(client, officer, busy_weeks, settings):
    settings.CALENDAR_LOAD_THRESHOLD = 1.0
    client.force_login(officer)
    response = client.get(reverse("calendar:load"), {"from": "2026-03-02"})
    abbey = response.context["groups"][0][1][0].cells[0]
    assert abbey.load == pytest.approx(1.0)
    assert not abbey.over  # over means above the threshold, not at it
    assert "above 1.00" in response.content.decode()


def test_a_ward_without_a_population_has_no_figure(client, officer, place):
    place["cliff"].population = 0
    place["cliff"].save()
    client.force_login(officer)
    response = client.get(reverse("calendar:load"))
    cliff = response.context["groups"][1][1][0]
    assert cliff.name == "Cliff"
    assert all(cell.load is None for cell in cliff.cells)
    assert "No population figure" in response.content.decode()


@pytest.mark.parametrize("value", ["next tuesday", "2026-02-30", "04/03/2026", "0001-01-01"])
def test_a_start_that_is_not_a_date_is_a_bad_request(client, officer, place, value):
    client.force_login(officer)
    response = client.get(reverse("calendar:load"), {"from": value})
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Enter the first week as a real date" in html or "Enter a date between" in html
    assert "<table" not in html


# --- Queries --------------------------------------------------------------------------------------


def _many(council, vcse, place, count: int) -> None:
    """Half one-off activities, half weekly ones, some pending, spread over March."""
    for n in range(count):
        if n % 2:
            weekly(
                council,
                [place["abbey"], place["cliff"]],
                first=date(2026, 3, 2) + timedelta(days=n % 7),
                until=date(2026, 3, 31),
                weekdays=str(n % 7),
                title=f"Weekly {n}",
            )
        else:
            made = make_activity(
                council,
                [place["north"]],
                start=at(date(2026, 3, 2) + timedelta(days=n % 28), 9),
                status="pending" if n % 4 == 0 else "published",
                title=f"Once {n}",
            )
            made.organisations.add(vcse)


@pytest.mark.parametrize(
    "url",
    [
        "/calendar/month/2026/3/",
        "/calendar/month/2026/3/?area=north-district&kind=workshop",
        "/calendar/week/2026-03-02/",
        "/calendar/week/2026-03-02/?area=abbey",
        "/calendar/load/?from=2026-03-02",
    ],
)
def test_the_grid_pages_cost_the_same_queries_for_1_or_30_activities(
    client, officer, council, vcse, place, url, django_assert_max_num_queries
):
    client.force_login(officer)
    _many(council, vcse, place, 1)
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    Activity.objects.all().delete()
    _many(council, vcse, place, 30)
    with django_assert_max_num_queries(len(one)):
        response = client.get(url)
    assert response.status_code == 200
    if "load" not in url:
        assert "Once 0" in response.content.decode()
