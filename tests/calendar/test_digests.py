"""Digests of new asks: which activities each follower hears about (the area hierarchy, topics,
what is left out), the periods, and the background task that sends one email per person per
period however often it runs."""

from __future__ import annotations

import smtplib
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engagement.calendar import digests
from engagement.calendar.digests import new_asks_for, period_start, previous_period_start
from engagement.calendar.logic import LONDON
from engagement.calendar.models import Activity, DigestDelivery, DigestSettings, Follow
from engagement.calendar.tasks import _claim, send_calendar_digests
from tests.calendar.factories import make_activity
from tests.factories import ServiceCategoryFactory, UserFactory

pytestmark = pytest.mark.django_db

# Monday 9 March 2026, 7am in London: this week's digest covers the week from Monday 2 March.
NOW = datetime(2026, 3, 9, 7, 0, tzinfo=LONDON)
LAST_WEEK = datetime(2026, 3, 4, 12, 0, tzinfo=LONDON)  # a Wednesday
SOON = datetime(2026, 3, 20, 10, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def housing():
    return ServiceCategoryFactory(name="Housing")


def ask(org, areas, title, *, published=LAST_WEEK, start=SOON, **extra) -> Activity:
    return make_activity(org, areas, title=title, start=start, published_at=published, **extra)


def titles(activities) -> list[str]:
    return [activity.title for activity in activities]


def follower(*, areas=(), topics=(), **settings):
    person = UserFactory()
    for area in areas:
        Follow.objects.create(user=person, area=area)
    for topic in topics:
        Follow.objects.create(user=person, topic=topic)
    if settings:
        DigestSettings.objects.create(user=person, **settings)
    return person


SINCE = datetime(2026, 3, 2, 0, 0, tzinfo=LONDON)


# --- Periods --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "weekly", "monthly"),
    [
        (NOW, date(2026, 3, 9), date(2026, 3, 1)),
        (datetime(2026, 6, 14, 23, 30, tzinfo=LONDON), date(2026, 6, 8), date(2026, 6, 1)),
        # Sunday 23:30 UTC in summer is already Monday 00:30 in London.
        (datetime.fromisoformat("2026-06-14T23:30:00+00:00"), date(2026, 6, 15), date(2026, 6, 1)),
        (datetime.fromisoformat("2026-05-31T23:30:00+00:00"), date(2026, 6, 1), date(2026, 6, 1)),
        (datetime.fromisoformat("2026-01-31T23:30:00+00:00"), date(2026, 1, 26), date(2026, 1, 1)),
    ],
)
def test_periods_are_london_weeks_from_monday_and_calendar_months(moment, weekly, monthly):
    assert period_start("weekly", moment) == weekly
    assert period_start("monthly", moment) == monthly


def test_the_previous_period():
    assert previous_period_start("weekly", date(2026, 3, 2)) == date(2026, 2, 23)
    assert previous_period_start("monthly", date(2026, 3, 1)) == date(2026, 2, 1)
    assert previous_period_start("monthly", date(2026, 1, 1)) == date(2025, 12, 1)
    with pytest.raises(ValueError):
        period_start("never", NOW)


# --- Which activities a follower hears about ------------------------------------------------------


@pytest.fixture
def everywhere(council, place):
    """One activity for each area of the place."""
    return {
        name: ask(council, [place[name]], f"For {name}", start=SOON + timedelta(days=n))
        for n, name in enumerate(["county", "north", "south", "abbey", "brook", "cliff"])
    }


@pytest.mark.parametrize(
    ("followed", "heard"),
    [
        (["abbey"], ["county", "north", "abbey"]),
        (["north"], ["county", "north", "abbey", "brook"]),
        (["south"], ["county", "south", "cliff"]),
        (["county"], ["county", "north", "south", "abbey", "brook", "cliff"]),
        (["abbey", "cliff"], ["county", "north", "south", "abbey", "cliff"]),
    ],
)
def test_following_an_area_covers_what_is_planned_above_and_within_it(
    place, everywhere, followed, heard
):
    person = follower(areas=[place[name] for name in followed])
    listed, left_out = new_asks_for(person, SINCE, 50)
    assert titles(listed) == [f"For {name}" for name in heard]  # soonest first
    assert left_out == 0


def test_following_a_topic_covers_it_anywhere(council, place, housing):
    ask(council, [place["cliff"]], "Housing in Cliff", topics=[housing])
    ask(council, [place["cliff"]], "Roads in Cliff")
    ask(council, [place["abbey"]], "Housing in Abbey", topics=[housing], start=SOON + timedelta(1))
    person = follower(topics=[housing])
    assert titles(new_asks_for(person, SINCE, 10)[0]) == ["Housing in Cliff", "Housing in Abbey"]
    both = follower(topics=[housing], areas=[place["abbey"]])
    # An activity in a followed area and on a followed topic is listed once.
    assert titles(new_asks_for(both, SINCE, 10)[0]) == ["Housing in Cliff", "Housing in Abbey"]


def test_only_published_activities_still_to_come_are_listed(council, place):
    ask(council, [place["abbey"]], "Published")
    ask(council, [place["abbey"]], "Pending", status=Activity.Status.PENDING)
    ask(council, [place["abbey"]], "Draft", status=Activity.Status.DRAFT)
    ask(council, [place["abbey"]], "Cancelled", status=Activity.Status.CANCELLED)
    ask(council, [place["abbey"]], "Over", start=NOW - timedelta(hours=3))
    ask(council, [place["abbey"]], "Under way", start=NOW - timedelta(hours=1))
    person = follower(areas=[place["abbey"]])
    assert titles(new_asks_for(person, SINCE, 10)[0]) == ["Under way", "Published"]


def test_only_activities_published_since_are_listed(council, place):
    ask(council, [place["abbey"]], "Old news", published=SINCE - timedelta(minutes=1))
    ask(council, [place["abbey"]], "News", published=SINCE + timedelta(minutes=1))
    person = follower(areas=[place["abbey"]])
    assert titles(new_asks_for(person, SINCE, 10)[0]) == ["News"]


def test_nothing_listed_before_is_listed_again(council, place, other_resident):
    seen = ask(council, [place["abbey"]], "Seen")
    ask(council, [place["abbey"]], "Unseen", start=SOON + timedelta(days=1))
    person = follower(areas=[place["abbey"]])
    earlier = DigestDelivery.objects.create(
        user=person, frequency="weekly", period_start=date(2026, 3, 2)
    )
    earlier.activities.add(seen)
    # Another person's digest does not count.
    DigestDelivery.objects.create(
        user=other_resident, frequency="weekly", period_start=date(2026, 3, 2)
    ).activities.add(ask(council, [place["abbey"]], "Theirs"))
    assert titles(new_asks_for(person, SINCE, 10)[0]) == ["Theirs", "Unseen"]


def test_the_cap_lists_the_soonest_and_counts_the_rest(council, place):
    for n in range(7):
        ask(council, [place["abbey"]], f"Activity {n}", start=SOON + timedelta(days=6 - n))
    person = follower(areas=[place["abbey"]])
    listed, left_out = new_asks_for(person, SINCE, 3)
    assert titles(listed) == ["Activity 6", "Activity 5", "Activity 4"]
    assert left_out == 4


def test_no_follows_no_asks(council, place):
    ask(council, [place["abbey"]], "Somewhere")
    assert new_asks_for(UserFactory(), SINCE, 10) == ([], 0)


@pytest.mark.parametrize("count", [1, 40])
def test_choosing_costs_the_same_queries_however_many_activities(
    council, vcse, place, housing, count, django_assert_num_queries
):
    for n in range(count):
        made = ask(council, [place["abbey"], place["north"]], f"A{n}", topics=[housing])
        made.organisations.add(vcse)
    person = follower(areas=[place["abbey"], place["cliff"]], topics=[housing])
    with django_assert_num_queries(7):
        listed, left_out = new_asks_for(person, SINCE, 10)
        [org.name for activity in listed for org in activity.organisations.all()]
    assert len(listed) == min(count, 10) and left_out == max(0, count - 10)


# --- Sending --------------------------------------------------------------------------------------


def send(frequency="weekly") -> dict:
    return send_calendar_digests.call(frequency)


def test_one_email_per_person_listing_every_new_ask(council, vcse, place, mailoutbox, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://cg.example"
    first = ask(council, [place["abbey"]], "Library drop-in", venue="Abbey Library")
    ask(vcse, [place["north"]], "Food network survey", start=SOON + timedelta(days=1))
    ask(council, [place["cliff"]], "Not for them")
    person = follower(areas=[place["abbey"]])
    assert send() == {"sent": 1, "nothing_new": 0, "taken": 0, "failed": 0}
    [email] = mailoutbox
    assert email.to == [person.email]
    assert email.subject == "2 new activities on the engagement calendar"
    body = email.body
    assert "Library drop-in" in body and "Food network survey" in body
    assert "Not for them" not in body
    assert "20 March 2026, 10am to midday" in body  # views.describe_when
    assert "Run by: Test County Council" in body and "Run by: Test Food Network" in body
    assert "Where: Abbey Library" in body
    assert f"https://cg.example/calendar/{first.pk}/" in body
    assert "https://cg.example/calendar/following/" in body
    assert body.index("Library drop-in") < body.index("Food network survey")
    delivery = DigestDelivery.objects.get(user=person)
    assert (delivery.frequency, delivery.period_start) == ("weekly", date(2026, 3, 9))
    assert titles(delivery.activities.order_by("starts_at")) == [
        "Library drop-in",
        "Food network survey",
    ]
    assert DigestSettings.objects.get(user=person).last_sent_at == NOW


def test_the_email_carries_one_click_unsubscribe_headers(council, place, mailoutbox, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://cg.example/"
    ask(council, [place["abbey"]], "Drop-in")
    person = follower(areas=[place["abbey"]])
    send()
    [email] = mailoutbox
    token = DigestSettings.objects.get(user=person).token  # made for a person on the defaults
    link = f"/calendar/unsubscribe/{token}/"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = email.extra_headers["List-Unsubscribe"]
    assert header == f"<https://cg.example{link}>"
    assert header[1:-1] in email.body
    message = email.message()
    assert message["List-Unsubscribe"] == header


def test_running_twice_sends_once(council, place, mailoutbox):
    ask(council, [place["abbey"]], "Drop-in")
    follower(areas=[place["abbey"]])
    assert send()["sent"] == 1
    assert send() == {"sent": 0, "nothing_new": 0, "taken": 0, "failed": 0}
    assert len(mailoutbox) == 1 and DigestDelivery.objects.count() == 1


def test_something_new_later_in_the_week_waits_for_next_week(council, place, mailoutbox):
    ask(council, [place["abbey"]], "First")
    follower(areas=[place["abbey"]])
    send()
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        ask(council, [place["abbey"]], "Second", published=NOW + timedelta(days=2))
        send()
    assert len(mailoutbox) == 1
    with time_machine.travel(NOW + timedelta(days=7), tick=False):
        send()
    assert len(mailoutbox) == 2
    assert "Second" in mailoutbox[1].body and "First" not in mailoutbox[1].body


def test_the_cap_is_kept_and_the_rest_are_counted(council, place, mailoutbox):
    for n in range(5):
        ask(council, [place["abbey"]], f"Activity {n}", start=SOON + timedelta(days=n))
    person = follower(areas=[place["abbey"]], cap=2)
    send()
    [email] = mailoutbox
    assert "Activity 1" in email.body and "Activity 2" not in email.body
    assert "And 3 more on the calendar:" in email.body
    assert email.subject == "5 new activities on the engagement calendar"
    assert DigestDelivery.objects.get(user=person).left_out == 3


def test_nobody_with_nothing_new_is_emailed(council, place, mailoutbox):
    ask(council, [place["cliff"]], "Elsewhere")
    ask(council, [place["abbey"]], "Stale", published=SINCE - timedelta(days=1))
    person = follower(areas=[place["abbey"]])
    assert send() == {"sent": 0, "nothing_new": 1, "taken": 0, "failed": 0}
    assert not mailoutbox and not DigestDelivery.objects.exists()
    assert not DigestSettings.objects.filter(user=person).exists()


def test_weekly_and_monthly_people_get_their_own_digest(council, place, mailoutbox):
    ask(council, [place["abbey"]], "Early February", published=datetime(2026, 2, 3, tzinfo=LONDON))
    ask(council, [place["abbey"]], "Last week")
    weekly = follower(areas=[place["abbey"]])  # weekly by default
    monthly = follower(areas=[place["abbey"]], frequency="monthly")
    never = follower(areas=[place["abbey"]], frequency="never")
    assert send("weekly")["sent"] == 1
    assert send("monthly")["sent"] == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted([weekly.email, monthly.email])
    by_person = {m.to[0]: m.body for m in mailoutbox}
    # A first digest covers the period before this one: last week, or last month and this.
    assert "Last week" in by_person[weekly.email]
    assert "Early February" not in by_person[weekly.email]
    assert "Early February" in by_person[monthly.email] and "Last week" in by_person[monthly.email]
    assert DigestDelivery.objects.get(user=monthly).period_start == date(2026, 3, 1)
    assert never.email not in by_person
    with pytest.raises(ValueError):
        send("never")


def test_people_who_cannot_be_emailed_are_left_alone(council, place, mailoutbox):
    ask(council, [place["abbey"]], "Drop-in")
    inactive = follower(areas=[place["abbey"]])
    inactive.is_active = False
    inactive.save()
    UserFactory()  # follows nothing
    assert send()["sent"] == 0 and not mailoutbox


def test_a_digest_that_could_not_be_sent_goes_next_time(council, place, mailoutbox, settings):
    ask(council, [place["abbey"]], "Drop-in")
    unlucky = follower(areas=[place["abbey"]])
    lucky = follower(areas=[place["abbey"]])
    settings.EMAIL_BACKEND = f"{__name__}.RefusesOne"
    RefusesOne.refuse = unlucky.email
    assert send() == {"sent": 1, "nothing_new": 0, "taken": 0, "failed": 1}
    assert [m.to for m in mailoutbox] == [[lucky.email]]
    assert not DigestDelivery.objects.filter(user=unlucky).exists()
    assert DigestSettings.objects.get(user=unlucky).last_sent_at is None
    RefusesOne.refuse = None
    assert send()["sent"] == 1
    assert [m.to for m in mailoutbox] == [[lucky.email], [unlucky.email]]


class RefusesOne(LocmemBackend):
    refuse: str | None = None

    def send_messages(self, messages):
        if any(self.refuse in m.to for m in messages):
            raise smtplib.SMTPRecipientsRefused({self.refuse: (550, b"No such mailbox")})
        return super().send_messages(messages)


def test_a_person_another_worker_has_claimed_is_left_to_it(council, place):
    ask(council, [place["abbey"]], "Drop-in")
    mine, theirs = follower(areas=[place["abbey"]]), follower(areas=[place["abbey"]])
    people = list(digests.due("weekly", date(2026, 3, 9)))
    chosen = digests.select_new_asks([digests.as_reader(p, SINCE) for p in people], NOW)
    # The other worker records its delivery after this one found who is due.
    DigestDelivery.objects.create(user=theirs, frequency="weekly", period_start=date(2026, 3, 9))
    claimed = _claim(people, chosen, "weekly", date(2026, 3, 9), NOW)
    assert list(claimed) == [mine.pk]
    assert DigestDelivery.objects.get(user=mine).activities.count() == 1
    assert DigestDelivery.objects.get(user=theirs).activities.count() == 0


def queries_to_send(count: int, council, place, housing) -> tuple[int, int]:
    for n in range(3):
        ask(council, [place["abbey"]], f"Ward {n}", topics=[housing])
    ask(council, [place["county"]], "County")
    for n in range(count):
        # Half on the defaults (no settings yet), half with their own.
        settings = {"cap": 2} if n % 2 else {}
        follower(areas=[place["abbey"] if n % 3 else place["north"]], topics=[housing], **settings)
    with CaptureQueriesContext(connection) as queries:
        sent = send()["sent"]
    return len(queries), sent


@pytest.mark.parametrize("count", [1, 20])
def test_the_batch_costs_the_same_queries_however_many_people(council, place, housing, count):
    made, sent = queries_to_send(count, council, place, housing)
    assert sent == count
    assert len(mail.outbox) == count
    assert made == 16, made


# --- The command and the worker -------------------------------------------------------------------


@pytest.fixture
def run_tasks_immediately(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_the_command_queues_the_digests(council, place, mailoutbox, run_tasks_immediately, capsys):
    ask(council, [place["abbey"]], "Drop-in")
    follower(areas=[place["abbey"]])
    follower(areas=[place["abbey"]], frequency="monthly")
    call_command("send_calendar_digests", "--frequency", "weekly")
    assert "Queued the weekly calendar digests" in capsys.readouterr().out
    assert len(mailoutbox) == 1
    call_command("send_calendar_digests")
    output = capsys.readouterr().out
    assert "weekly" in output and "monthly" in output
    assert len(mailoutbox) == 2  # the monthly one; the weekly one had gone


def test_a_real_worker_sends_what_the_command_queued(
    council, place, mailoutbox, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django_tasks_db.management.commands import db_worker

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # The worker drops connections between tasks; here they belong to the test's transaction.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    ask(council, [place["abbey"]], "Drop-in")
    person = follower(areas=[place["abbey"]])
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_calendar_digests", "--frequency", "weekly")
    assert not mailoutbox  # only queued
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert [m.to for m in mailoutbox] == [[person.email]]
