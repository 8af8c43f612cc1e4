"""iCalendar feeds and "add to calendar", read back with the standard ``icalendar`` parser:
structure, stable UIDs and rising SEQUENCE, cancellations, time zones and clock changes, weekly
rules, escaping and folding, filters and readable addresses, conditional GET, query counts and
who may download what."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
from dateutil.rrule import rrulestr
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from engagement.calendar import feeds, ical
from engagement.calendar.logic import LONDON
from engagement.calendar.models import Activity
from tests.calendar.factories import make_activity
from tests.factories import AudienceFactory, ServiceCategoryFactory

pytestmark = pytest.mark.django_db

WINTER = datetime(2036, 1, 15, 10, 0, tzinfo=LONDON)
SUMMER = datetime(2036, 7, 15, 10, 0, tzinfo=LONDON)
FEED = "/calendar.ics"


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def events(response) -> dict[str, icalendar.Event]:
    """The feed's events by SUMMARY."""
    return {str(event["SUMMARY"]): event for event in parse(response).walk("VEVENT")}


def calname(calendar: icalendar.Calendar) -> str:
    """X-WR-CALNAME as a calendar app reads it: TEXT, the default type of an X- property (RFC
    5545 3.8.8.2), which the parser leaves escaped because it does not know the property."""
    escaped = str(calendar["X-WR-CALNAME"])
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], escaped)


def titles(response) -> set[str]:
    return set(events(response))


# --- Structure ------------------------------------------------------------------------------------


def test_the_feed_is_a_valid_calendar_with_one_event_per_activity(client, council, place):
    make_activity(council, [place["abbey"]], title="Library drop-in", start=WINTER)
    make_activity(council, [place["brook"]], title="Park survey", start=SUMMER)

    response = client.get(FEED)
    calendar = parse(response)

    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == ical.PRODID
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert calname(calendar) == "Engagement calendar"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/London"
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT1H"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    summaries = [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]
    assert summaries == ["Library drop-in", "Park survey"]
    for event in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "CREATED"):
            assert required in event
    assert response["Content-Disposition"] == 'inline; filename="engagement-calendar.ics"'
    # Every content line ends in CRLF and is at most 75 octets.
    body = response.content
    assert body.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert max(len(line) for line in body.split(b"\r\n")) <= 75


def test_the_time_zone_definition_gives_the_real_uk_offsets(client, council, place):
    make_activity(council, [place["abbey"]], start=WINTER)
    (vtimezone,) = parse(client.get(FEED)).walk("VTIMEZONE")
    ours = vtimezone.to_tz()
    day = datetime(2030, 1, 1, 12)
    while day.year < 2040:
        assert ours.utcoffset(day) == day.replace(tzinfo=LONDON).utcoffset(), day
        day += timedelta(days=3, hours=5)


def test_an_event_describes_the_activity_with_absolute_links(client, council, vcse, place):
    carers = AudienceFactory(name="Carers")
    libraries = ServiceCategoryFactory(name="Libraries")
    activity = make_activity(
        council,
        [place["abbey"]],
        title="Library drop-in",
        summary="Tell us what you want from the library.",
        venue="Abbey Library, High Street",
        audiences=[carers],
        topics=[libraries],
        kind=Activity.Kind.DROP_IN,
        start=WINTER,
    )
    activity.organisations.add(vcse)

    event = events(client.get(FEED))["Library drop-in"]

    base = "http://127.0.0.1:8000"  # WAGTAILADMIN_BASE_URL, not the request's host
    url = base + reverse("calendar:detail", args=[activity.pk])
    assert str(event["UID"]) == f"{activity.uid}@127.0.0.1"
    assert str(event["URL"]) == url
    assert str(event["LOCATION"]) == "Abbey Library, High Street"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert [str(c) for c in event["CATEGORIES"].cats] == ["Drop-in", "Libraries"]
    assert str(event["DESCRIPTION"]) == (
        "Tell us what you want from the library.\n\n"
        "Run by: Test County Council, Test Food Network\n"
        "Who it is for: Carers\n"
        f"More information: {url}"
    )
    assert event.decoded("LAST-MODIFIED") == activity.updated_at.replace(microsecond=0)


def test_an_online_activity_is_located_at_its_link(client, council, place):
    make_activity(
        council, [place["abbey"]], title="Webinar", online_url="https://example.org/m", start=WINTER
    )
    event = events(client.get(FEED))["Webinar"]
    assert str(event["LOCATION"]) == "https://example.org/m"
    assert "Online: https://example.org/m" in str(event["DESCRIPTION"])
    assert "Who it is for: everyone" in str(event["DESCRIPTION"])


# --- Changes and cancellations --------------------------------------------------------------------


def edit_data(activity, **changes) -> dict:
    start = activity.starts_at.astimezone(LONDON)
    end = activity.ends_at.astimezone(LONDON)
    data = {
        "title": activity.title,
        "summary": activity.summary,
        "kind": activity.kind,
        "organisations": [o.pk for o in activity.organisations.all()],
        "areas": [a.pk for a in activity.areas.all()],
        "starts_at": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "ends_at": end.date().isoformat(),
        "end_time": end.strftime("%H:%M"),
        "venue": activity.venue,
        "online_url": "",
        "mode": activity.mode,
        "ask_level": activity.ask_level,
        "clash_reason": "",
    }
    data.update(changes)
    return data


def test_an_edited_activity_keeps_its_uid_and_raises_its_sequence(client, officer, council, place):
    activity = make_activity(council, [place["abbey"]], title="Library drop-in", start=WINTER)
    before = events(client.get(FEED))["Library drop-in"]

    client.force_login(officer)
    response = client.post(
        reverse("calendar:edit", args=[activity.pk]),
        edit_data(activity, title="Library drop-in (moved)", start_time="11:00"),
    )
    assert response.status_code == 302
    client.logout()
    after = events(client.get(FEED))["Library drop-in (moved)"]

    assert str(after["UID"]) == str(before["UID"]) == f"{activity.uid}@127.0.0.1"
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1 == 1
    assert after.decoded("DTSTART") == WINTER + timedelta(hours=1)
    assert after.decoded("LAST-MODIFIED") >= before.decoded("LAST-MODIFIED")


def test_a_cancelled_activity_stays_in_the_feed_marked_cancelled(client, council, place):
    activity = make_activity(council, [place["abbey"]], title="Library drop-in", start=WINTER)
    activity.status = Activity.Status.CANCELLED
    activity.sequence += 1
    activity.save()

    event = events(client.get(FEED))["Cancelled: Library drop-in"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"{activity.uid}@127.0.0.1"
    assert int(event["SEQUENCE"]) == 1


def test_drafts_pending_and_rejected_activities_are_never_in_a_feed(client, council, place):
    make_activity(council, [place["abbey"]], title="Published", start=WINTER)
    make_activity(council, [place["abbey"]], title="Draft", status="draft", start=WINTER)
    make_activity(council, [place["abbey"]], title="Pending", status="pending", start=WINTER)
    # Rejected while pending: cancelled, but it never was on the calendar.
    make_activity(council, [place["abbey"]], title="Rejected", status="cancelled", start=WINTER)

    assert titles(client.get(FEED)) == {"Published"}
    assert titles(client.get(reverse("calendar:feed_area", args=["abbey"]))) == {"Published"}


def test_the_feed_reaches_back_thirty_days(client, council, place):
    now = timezone.now()
    make_activity(council, [place["abbey"]], title="Last month", start=now - timedelta(days=29))
    make_activity(council, [place["abbey"]], title="Long ago", start=now - timedelta(days=31))
    assert titles(client.get(FEED)) == {"Last month"}


# --- Time zones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "utc_hour"), [(WINTER, 10), (SUMMER, 9)], ids=["winter-gmt", "summer-bst"]
)
def test_times_are_london_wall_clock_times(client, council, place, start, utc_hour):
    make_activity(council, [place["abbey"]], title="Drop-in", start=start, hours=2)
    response = client.get(FEED)
    event = events(response)["Drop-in"]

    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert f"DTSTART;TZID=Europe/London:{start:%Y%m%d}T100000" in response.content.decode()
    assert f"DTEND;TZID=Europe/London:{start:%Y%m%d}T120000" in response.content.decode()
    assert event.decoded("DTSTART").astimezone(UTC).hour == utc_hour
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + timedelta(hours=2)


def test_the_repeated_hour_when_the_clocks_go_back_is_given_in_utc(client, council, place):
    # 01:30 happens twice on 26 October 2036; the second one (GMT) cannot be a London local time.
    second = datetime(2036, 10, 26, 1, 30, tzinfo=UTC)
    make_activity(council, [place["abbey"]], title="Night walk", start=second, hours=1)
    event = events(client.get(FEED))["Night walk"]
    assert event.decoded("DTSTART") == second
    assert event.decoded("DTEND") == second + timedelta(hours=1)


def weekly(council, place, **extra):
    return make_activity(
        council,
        [place["abbey"]],
        title=extra.pop("title", "Warm Space"),
        kind=Activity.Kind.WARM_SPACE,
        weekdays=extra.pop("weekdays", "03"),
        opens=time(10),
        closes=time(13),
        repeat_until=extra.pop("repeat_until", date(2036, 11, 6)),
        start=extra.pop("start", datetime(2036, 3, 3, 10, tzinfo=LONDON)),
        **extra,
    )


def expand(event: icalendar.Event) -> list[tuple[datetime, datetime]]:
    """Every occurrence of a VEVENT, by dateutil, in UTC."""
    start = event.decoded("DTSTART")
    length = event.decoded("DTEND") - start
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
    return [(s.astimezone(UTC), (s + length).astimezone(UTC)) for s in rule]


def test_a_weekly_activity_is_one_event_whose_rule_gives_exactly_its_occurrences(
    client, council, place
):
    # Mondays and Thursdays, 10:00 to 13:00 London time, across both clock changes of 2036.
    activity = weekly(council, place, start=datetime(2036, 3, 1, 10, tzinfo=LONDON))
    response = client.get(FEED)
    (event,) = parse(response).walk("VEVENT")

    assert "RRULE:FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20361106T130000Z" in response.content.decode()
    expected = [(s.start.astimezone(UTC), s.end.astimezone(UTC)) for s in activity.spans()]
    assert expand(event) == expected
    assert expected[0][0] == datetime(2036, 3, 3, 10, tzinfo=UTC)  # a Monday, in GMT
    assert datetime(2036, 4, 3, 9, tzinfo=UTC) in [s for s, _ in expected]  # Thursday, BST
    last_thursday = datetime(2036, 11, 6, 10, tzinfo=UTC)
    assert expected[-1] == (last_thursday, last_thursday + timedelta(hours=3))


@given(
    weekdays=st.sets(st.integers(0, 6), min_size=1),
    first=st.dates(date(2036, 1, 1), date(2037, 12, 31)),
    weeks=st.integers(0, 60),
    extra_days=st.integers(0, 6),
)
@settings(max_examples=60, deadline=None)
def test_any_weekly_rule_expands_to_the_activitys_spans(weekdays, first, weeks, extra_days):
    pattern = ical.Weekly("".join(map(str, sorted(weekdays))), time(9, 30), time(17), date.max)
    pattern = ical.Weekly(
        pattern.weekdays,
        pattern.opens,
        pattern.closes,
        first + timedelta(weeks=weeks, days=extra_days),
    )
    activity = Activity(
        weekdays=pattern.weekdays,
        opens=pattern.opens,
        closes=pattern.closes,
        repeat_until=pattern.repeat_until,
        starts_at=datetime.combine(first, time(9, 30), LONDON),
    )
    spans = activity.spans()
    event = ical.Event(
        uid="x",
        sequence=0,
        summary="x",
        description="",
        url="",
        location="",
        categories=(),
        starts_at=activity.starts_at,
        ends_at=activity.starts_at,
        created=activity.starts_at,
        last_modified=activity.starts_at,
        weekly=pattern,
    )
    parsed = icalendar.Calendar.from_ical(ical.calendar("x", [event])).walk("VEVENT")
    if not spans:
        assert parsed == []
        return
    assert expand(parsed[0]) == [(s.start.astimezone(UTC), s.end.astimezone(UTC)) for s in spans]


# --- Escaping and folding -------------------------------------------------------------------------

AWKWARD = "Cakes, tea; chat \\ more 🎉🍰 — “Welcome”,\nsecond line ünïcödé " + "é" * 40


def test_awkward_text_round_trips_exactly(client, council, place):
    activity = make_activity(
        council, [place["abbey"]], title=AWKWARD[:150], summary=AWKWARD * 3, start=WINTER
    )
    response = client.get(FEED)
    (event,) = parse(response).walk("VEVENT")
    assert str(event["SUMMARY"]) == activity.title
    assert str(event["DESCRIPTION"]).startswith(activity.summary + "\n\n")
    assert max(len(line) for line in response.content.split(b"\r\n")) <= 75
    response.content.decode("utf-8")  # no character split across a fold


texts = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc")),
        st.sampled_from("\\;,:\n\t\"'"),
    ),
    max_size=400,
)


@given(title=texts, description=texts)
@settings(max_examples=200, deadline=None)
def test_any_text_round_trips_through_escaping_and_folding(title, description):
    moment = datetime(2036, 1, 1, tzinfo=UTC)
    event = ical.Event(
        uid="x",
        sequence=0,
        summary=title,
        description=description,
        url="",
        location="",
        categories=(title,),
        starts_at=moment,
        ends_at=moment + timedelta(hours=1),
        created=moment,
        last_modified=moment,
    )
    text = ical.calendar(description, [event])
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    calendar = icalendar.Calendar.from_ical(text)
    (parsed,) = calendar.walk("VEVENT")
    assert str(parsed["SUMMARY"]) == title
    assert calname(calendar) == description
    if description:
        assert str(parsed["DESCRIPTION"]) == description


def test_line_breaks_are_normalised_and_control_characters_dropped():
    assert ical.escape_text("a\r\nb\rc\nd") == "a\\nb\\nc\\nd"
    assert ical.escape_text("bell\x07 and null\x00 gone\ttab") == "bell and null gone\ttab"
    assert ical.escape_text("a\\b;c,d") == "a\\\\b\\;c\\,d"


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_folding_never_splits_a_character(width):
    char = {1: "a", 2: "é", 3: "€", 4: "🎉"}[width]
    for length in range(60, 200):
        line = "SUMMARY:" + char * length
        folded = ical.fold(line)
        pieces = folded.encode().split(b"\r\n")
        assert all(len(piece) <= 75 for piece in pieces)
        assert all(piece.startswith(b" ") for piece in pieces[1:])
        for piece in pieces:
            piece.decode("utf-8")
        assert folded.replace("\r\n ", "") == line


# --- Filters and readable addresses ---------------------------------------------------------------


@pytest.fixture
def spread(council, other_council, vcse, place):
    """Activities in a ward, its district, the whole place and the other district."""
    libraries = ServiceCategoryFactory(name="Libraries", slug="libraries")
    carers = AudienceFactory(name="Carers", slug="carers")
    make_activity(council, [place["abbey"]], title="Abbey", topics=[libraries], start=WINTER)
    make_activity(other_council, [place["north"]], title="North", audiences=[carers], start=WINTER)
    make_activity(council, [place["county"]], title="County", kind="survey", start=WINTER)
    make_activity(vcse, [place["cliff"]], title="Cliff", topics=[libraries], start=WINTER)


def test_an_area_feed_includes_what_covers_the_area(client, spread):
    by_path = client.get(reverse("calendar:feed_area", args=["abbey"]))
    by_query = client.get(FEED, {"area": "abbey"})
    assert titles(by_path) == titles(by_query) == {"Abbey", "North", "County"}
    assert calname(parse(by_path)) == "Engagement calendar: Abbey ward"
    assert calname(parse(by_query)) == "Engagement calendar: Abbey ward"
    assert by_path["Content-Disposition"] == (
        'inline; filename="engagement-calendar-area-abbey.ics"'
    )


def test_topic_and_organisation_feeds(client, spread, vcse):
    topic = client.get(reverse("calendar:feed_topic", args=["libraries"]))
    assert titles(topic) == {"Abbey", "Cliff"}
    assert calname(parse(topic)) == "Engagement calendar: Libraries"
    organisation = client.get(reverse("calendar:feed_organisation", args=[vcse.slug]))
    assert titles(organisation) == {"Cliff"}
    assert calname(parse(organisation)) == "Engagement calendar: Test Food Network"


def test_query_filters_combine_like_the_list(client, spread):
    assert titles(client.get(FEED, {"audience": "carers"})) == {"Abbey", "North", "County", "Cliff"}
    assert titles(client.get(FEED, {"area": "abbey", "kind": "survey"})) == {"County"}
    assert titles(client.get(FEED, {"area": "abbey", "topic": "libraries"})) == {"Abbey"}
    named = parse(client.get(FEED, {"area": "abbey", "kind": "survey"}))
    assert calname(named) == "Engagement calendar: Abbey ward, Survey"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"area": "atlantis"}, "Choose an area from the list."),
        ({"kind": "party"}, "Choose a type from the list."),
        ({"topic": "nope", "organisation": "nope"}, "Choose a topic from the list."),
    ],
)
def test_a_bad_filter_is_refused_with_a_plain_message(client, spread, query, message):
    response = client.get(FEED, query)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert message in response.content.decode()


@pytest.mark.parametrize("name", ["feed_area", "feed_topic", "feed_organisation"])
def test_an_unknown_slug_is_not_found(client, spread, name):
    assert client.get(reverse(f"calendar:{name}", args=["atlantis"])).status_code == 404


def test_feeds_do_not_change_data_and_refuse_posts(client, spread):
    assert client.post(FEED).status_code == 405
    assert client.head(FEED).status_code == 200


# --- Conditional GET and caching ------------------------------------------------------------------


def test_an_unchanged_feed_is_not_sent_again(client, council, place, django_assert_num_queries):
    activity = make_activity(council, [place["abbey"]], title="Drop-in", start=WINTER)
    first = client.get(reverse("calendar:feed_area", args=["abbey"]))
    assert first["Cache-Control"] in ("public, max-age=300", "max-age=300, public")
    etag, modified = first["ETag"], first["Last-Modified"]

    # The area, the wards it concerns, and the one aggregate: the feed is not built.
    with django_assert_num_queries(3):
        again = client.get(reverse("calendar:feed_area", args=["abbey"]), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    since = client.get(
        reverse("calendar:feed_area", args=["abbey"]), HTTP_IF_MODIFIED_SINCE=modified
    )
    assert since.status_code == 304

    activity.title = "Drop-in (changed)"
    activity.save()
    changed = client.get(reverse("calendar:feed_area", args=["abbey"]), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_a_new_activity_changes_the_etag(client, council, place):
    make_activity(council, [place["abbey"]], start=WINTER)
    etag = client.get(FEED)["ETag"]
    make_activity(council, [place["brook"]], start=SUMMER)
    assert client.get(FEED, HTTP_IF_NONE_MATCH=etag).status_code == 200
    # A feed of other filters has its own validators.
    assert client.get(FEED, {"kind": "survey"})["ETag"] != etag


def feed_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_feed_takes_the_same_queries_for_one_event_or_fifty(client, council, vcse, place):
    topic = ServiceCategoryFactory()
    audience = AudienceFactory()

    def add(count):
        for n in range(count):
            made = make_activity(
                council,
                [place["abbey"]],
                topics=[topic],
                audiences=[audience],
                start=WINTER + timedelta(days=n),
            )
            made.organisations.add(vcse)

    add(1)
    one = {url: feed_queries(client, url) for url in (FEED, "/calendar/feeds/area/abbey.ics")}
    add(49)
    for url, count in one.items():
        assert feed_queries(client, url) == count <= 7
    assert len(parse(client.get(FEED)).walk("VEVENT")) == 50


# --- "Add to calendar" ----------------------------------------------------------------------------


def test_anyone_can_add_a_published_activity_to_their_calendar(client, council, place):
    activity = make_activity(council, [place["abbey"]], title="Library drop-in", start=SUMMER)
    response = client.get(reverse("calendar:activity_ics", args=[activity.pk]))
    (event,) = parse(response).walk("VEVENT")
    assert str(event["UID"]) == f"{activity.uid}@127.0.0.1"
    assert event.decoded("DTSTART") == SUMMER
    assert str(event["TRANSP"]) == "OPAQUE"
    assert response["Content-Disposition"] == 'attachment; filename="library-drop-in.ics"'

    detail = client.get(reverse("calendar:detail", args=[activity.pk])).content.decode()
    assert reverse("calendar:activity_ics", args=[activity.pk]) in detail
    assert "Add to your calendar (.ics)" in detail


def test_a_cancelled_activity_can_still_be_downloaded_to_update_a_copy(client, council, place):
    activity = make_activity(council, [place["abbey"]], start=SUMMER)
    activity.status = Activity.Status.CANCELLED
    activity.save()
    (event,) = parse(client.get(reverse("calendar:activity_ics", args=[activity.pk]))).walk(
        "VEVENT"
    )
    assert str(event["STATUS"]) == "CANCELLED"


@pytest.mark.parametrize("status", ["draft", "pending"])
@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (None, False),
        ("resident", False),
        ("partner", True),  # posts for the organisation running it
        ("officer", True),  # a public body's officer, who approves activities
    ],
)
def test_only_people_who_may_see_an_unpublished_activity_can_download_it(
    request, client, vcse, place, status, who, allowed
):
    activity = make_activity(vcse, [place["abbey"]], status=status, start=SUMMER)
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("calendar:activity_ics", args=[activity.pk]))
    if allowed:
        assert parse(response)
        assert "private" in response["Cache-Control"]
    else:
        assert response.status_code == 404


def test_a_rejected_activity_and_a_missing_one_are_not_found(client, resident, council, place):
    rejected = make_activity(council, [place["abbey"]], status="cancelled", start=SUMMER)
    client.force_login(resident)
    assert client.get(reverse("calendar:activity_ics", args=[rejected.pk])).status_code == 404
    assert client.get(reverse("calendar:activity_ics", args=[999_999])).status_code == 404


# --- Subscribing from the list --------------------------------------------------------------------


def test_the_list_offers_the_feed_of_its_filters(client, spread, vcse):
    page = client.get(reverse("calendar:index")).content.decode()
    assert 'href="webcal://testserver/calendar.ics"' in page
    assert 'value="http://testserver/calendar.ics"' in page

    page = client.get(reverse("calendar:index"), {"area": "abbey"}).content.decode()
    assert 'href="webcal://testserver/calendar/feeds/area/abbey.ics"' in page

    page = client.get(reverse("calendar:index"), {"organisation": vcse.slug}).content.decode()
    assert f"webcal://testserver/calendar/feeds/organisation/{vcse.slug}.ics" in page

    page = client.get(reverse("calendar:index"), {"area": "abbey", "kind": "survey"})
    assert 'href="webcal://testserver/calendar.ics?area=abbey&amp;kind=survey"' in (
        page.content.decode()
    )
    assert "Subscribe to this calendar" in page.content.decode()

    # A list refused for a bad filter offers no feed for it.
    refused = client.get(reverse("calendar:index"), {"area": "atlantis"})
    assert refused.status_code == 400
    assert "Subscribe to this calendar" not in refused.content.decode()


def test_a_built_feed_is_shared_until_it_changes(client, council, place, django_assert_num_queries):
    """Many subscribers poll the same feed: the second request without validators is served from
    the cache (the aggregate query only), and a change builds it afresh."""
    activity = make_activity(council, [place["abbey"]], title="Drop-in", start=WINTER)
    first = client.get(FEED)
    with django_assert_num_queries(1):
        second = client.get(FEED)
    assert second.content == first.content

    activity.title = "Drop-in (moved)"
    activity.save()
    third = client.get(FEED)
    assert b"Drop-in (moved)" in third.content


def _without_stamps(body: bytes) -> bytes:
    return re.sub(rb"DTSTAMP:\d{8}T\d{6}Z", b"DTSTAMP:-", body)


def test_a_feed_rebuilt_after_a_change_renders_only_the_changed_block(
    client, council, place, monkeypatch
):
    """Events' texts are kept in blocks of activity ids: after one activity changes, building
    the feed again renders that activity's block only, and says exactly what a feed built from
    nothing says."""
    monkeypatch.setattr(feeds, "EVENT_BLOCK", 2)
    made = [
        make_activity(council, [place["abbey"]], title=f"Session {n}", start=WINTER + timedelta(n))
        for n in range(6)
    ]
    rendered = []
    event_text = ical.event_text
    monkeypatch.setattr(
        ical, "event_text", lambda event: rendered.append(event) or event_text(event)
    )

    client.get(FEED)
    assert len(rendered) == 6
    changed = made[3]
    changed.title = "Session 3, now at the library"
    changed.save()
    rendered.clear()
    rebuilt = client.get(FEED)
    partner = next(activity for activity in made if activity.pk == changed.pk ^ 1)
    assert {event.summary for event in rendered} == {changed.title, partner.title}

    cache.clear()
    from_nothing = client.get(FEED)
    assert _without_stamps(rebuilt.content) == _without_stamps(from_nothing.content)
    events = parse(rebuilt).walk("VEVENT")
    assert [str(event["SUMMARY"]) for event in events][3] == "Session 3, now at the library"
    # Every event is stamped with the time this feed was built, not when its text was cached.
    assert len({event["DTSTAMP"].to_ical() for event in events}) == 1
    assert b"\x00" not in rebuilt.content
