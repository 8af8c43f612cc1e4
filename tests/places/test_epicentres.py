"""Epicentres of shame: dense shame for the ward's size, balanced by pride, with a trend; and the
wards table per 1,000 residents."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from places import epicentres, geo, services
from places.models import Pin
from tests.factories import AreaFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def cluster(make_pin, resident):
    """``n`` pins of a kind around one spot (all in one level-15 cell)."""

    def make(lon, lat, n, *, kind="shame", ward="west", category=0, **fields) -> list[Pin]:
        pins = [
            make_pin(
                author=resident,
                kind=kind,
                lon=lon + i * 1e-5,
                lat=lat,
                ward=ward,
                category=category,
                **fields,
            )
            for i in range(n)
        ]
        cells = {geo.cell_of(p.mx, p.my, epicentres.LEVEL) for p in pins}
        assert len(cells) == 1
        return pins

    return make


def test_the_same_shame_ranks_higher_in_the_smaller_ward(cluster, place):
    cluster(-1.55, 52.05, 4, ward="west")  # 8,000 residents
    cluster(-1.45, 52.05, 4, ward="east")  # 12,000 residents

    first, second = epicentres.ranking(now=NOW)

    assert (first.ward_name, second.ward_name) == ("Westgate", "Eastgate")
    assert first.per_thousand == pytest.approx(4 * 1000 / 8000)
    assert second.per_thousand == pytest.approx(4 * 1000 / 12000)
    assert (first.rank, second.rank) == (1, 2)
    assert first.share == second.share == 1.0


def test_pride_in_the_same_place_lowers_the_rank(cluster, place):
    balanced = cluster(-1.58, 52.02, 4)
    cluster(-1.58, 52.02, 2, kind="pride")
    plain = cluster(-1.53, 52.08, 4)

    first, second = epicentres.ranking(now=NOW)

    assert geo.cell_of(plain[0].mx, plain[0].my, epicentres.LEVEL) == (first.cx, first.cy)
    assert geo.cell_of(balanced[0].mx, balanced[0].my, epicentres.LEVEL) == (
        second.cx,
        second.cy,
    )
    assert second.pride == 2 and second.pride_voices == 2
    assert second.share == pytest.approx(4 / 6)
    assert second.score < first.score


def test_me_too_voices_count_towards_the_rank(cluster, place):
    many_voices = cluster(-1.58, 52.02, 3)
    cluster(-1.53, 52.08, 4)
    for pin in many_voices:
        for _ in range(2):
            pin.add_me_too(UserFactory())

    first, second = epicentres.ranking(now=NOW)

    assert (first.shame, first.shame_voices) == (3, 9)
    assert (second.shame, second.shame_voices) == (4, 4)


def test_a_spot_needs_three_shame_voices_to_rank(cluster, make_pin, other_resident, place):
    cluster(-1.58, 52.02, 2)
    assert epicentres.ranking(now=NOW) == []
    voiced = cluster(-1.53, 52.08, 2)
    voiced[0].add_me_too(other_resident)
    [only] = epicentres.ranking(now=NOW)
    assert only.shame_voices == 3


def test_hidden_pins_do_not_count(cluster, moderator, place):
    pins = cluster(-1.55, 52.05, 3)
    pins[0].hide(by=moderator, reason="It is spam or advertising.")
    assert epicentres.ranking(now=NOW) == []


def test_the_trend_compares_the_last_90_days_with_the_90_before(cluster, place):
    days = epicentres.TREND_DAYS
    for age in (1, 10, days - 1):
        cluster(-1.55, 52.05, 1, created_at=NOW - dt.timedelta(days=age))
    cluster(-1.55, 52.05, 1, created_at=NOW - dt.timedelta(days=days + 5))
    cluster(-1.55, 52.05, 1, created_at=NOW - dt.timedelta(days=3 * days))  # too old to count

    [hotspot] = epicentres.ranking(now=NOW)

    assert (hotspot.recent, hotspot.before) == (3, 1)
    assert hotspot.trend == 2
    assert hotspot.shame == 5  # the rank counts every published pin


def test_a_falling_trend(cluster, place):
    cluster(-1.55, 52.05, 1, created_at=NOW - dt.timedelta(days=5))
    cluster(-1.55, 52.05, 3, created_at=NOW - dt.timedelta(days=100))
    [hotspot] = epicentres.ranking(now=NOW)
    assert (hotspot.recent, hotspot.before, hotspot.trend) == (1, 3, -2)


def test_an_epicentre_names_its_main_service_and_its_answers_so_far(
    cluster, categories, officer, serving_council, place
):
    pins = cluster(-1.55, 52.05, 3, category=1)
    cluster(-1.55, 52.05, 1, category=0)
    services.post_update(
        pins=pins[:1],
        status=Pin.Status.PLANNED,
        message="Booked.",
        organisation=serving_council,
        by=officer,
    )

    [hotspot] = epicentres.ranking(now=NOW)

    assert hotspot.top_category == "Parks and green spaces"
    assert hotspot.label == "Parks and green spaces, Westgate"
    assert hotspot.status_counts == {"Awaiting a response": 3, "Planned": 1}


def test_the_ranking_of_one_ward(cluster, place):
    cluster(-1.55, 52.05, 4, ward="west")
    cluster(-1.45, 52.05, 5, ward="east")
    [only] = epicentres.ranking(ward=place["east"], now=NOW)
    assert only.ward_name == "Eastgate"


def test_a_ward_with_no_recorded_population_does_not_break_the_ranking(cluster, place):
    place["west"].population = 0
    place["west"].save()
    cluster(-1.55, 52.05, 4, ward="west")
    [hotspot] = epicentres.ranking(now=NOW)
    assert hotspot.per_thousand == 0


# --- Wards ----------------------------------------------------------------------------------------


def test_the_ward_table_gives_shame_and_pride_per_1000_residents(cluster, other_resident, place):
    pins = cluster(-1.55, 52.05, 4, ward="west", created_at=NOW - dt.timedelta(days=5))
    pins[0].add_me_too(other_resident)
    cluster(-1.56, 52.06, 2, ward="west", kind="pride")
    cluster(-1.45, 52.05, 3, ward="east", created_at=NOW - dt.timedelta(days=120))
    cluster(-1.44, 52.04, 6, ward="east", kind="pride")
    empty = AreaFactory(name="Nowhere", kind="ward", parent=place["district"], population=0)

    rows = {row.name: row for row in epicentres.ward_table(now=NOW)}

    west, east, nowhere = rows["Westgate"], rows["Eastgate"], rows["Nowhere"]
    assert (west.shame_voices, west.pride_voices) == (5, 2)
    assert west.shame_per_thousand == pytest.approx(5 * 1000 / 8000)
    assert west.pride_per_thousand == pytest.approx(2 * 1000 / 8000)
    assert west.share == pytest.approx(5 / 7)
    assert east.shame_per_thousand == pytest.approx(3 * 1000 / 12000)
    assert east.pride_per_thousand == pytest.approx(6 * 1000 / 12000)
    assert (west.recent, west.before, west.trend) == (4, 0, 4)
    assert (east.recent, east.before, east.trend) == (0, 3, -3)
    assert nowhere.ward_id == empty.pk
    assert (nowhere.shame_per_thousand, nowhere.share) == (0, 0)
    assert west.district == "West District"
    # Worst first.
    names = [row.name for row in epicentres.ward_table(now=NOW)]
    assert names.index("Westgate") < names.index("Eastgate") < names.index("Nowhere")


# --- The page -------------------------------------------------------------------------------------


def test_the_epicentres_page_lists_hotspots_with_a_link_to_answer_each(
    client, cluster, officer, serving_council, place
):
    pins = cluster(-1.55, 52.05, 4)
    cx, cy = geo.cell_of(pins[0].mx, pins[0].my, epicentres.LEVEL)
    client.force_login(officer)

    response = client.get("/places/epicentres/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f"/places/hotspots/{epicentres.LEVEL}/{cx}/{cy}/respond/" in html
    assert "Westgate" in html and "Eastgate" in html
    assert response.context["markers"][0]["rank"] == 1
    # Following the link answers those pins.
    assert client.get(f"/places/hotspots/{epicentres.LEVEL}/{cx}/{cy}/respond/").status_code == 200


def test_the_page_can_show_one_ward_and_ignores_an_unknown_one(
    client, cluster, officer, serving_council, place
):
    cluster(-1.55, 52.05, 4, ward="west")
    cluster(-1.45, 52.05, 4, ward="east")
    client.force_login(officer)
    east = client.get("/places/epicentres/", {"ward": place["east"].slug})
    assert [e.ward_name for e in east.context["ranking"]] == ["Eastgate"]
    unknown = client.get("/places/epicentres/", {"ward": "atlantis"})
    assert unknown.status_code == 200
    assert len(unknown.context["ranking"]) == 2


def test_the_page_makes_the_same_queries_for_one_or_many_hotspots(
    client, cluster, officer, serving_council, place
):
    client.force_login(officer)
    cluster(-1.59, 52.01, 3)
    client.get("/places/epicentres/")
    with CaptureQueriesContext(connection) as one:
        client.get("/places/epicentres/")
    for n in range(1, 8):
        cluster(-1.59 + n * 0.012, 52.01 + n * 0.01, 3)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/places/epicentres/")
    assert len(response.context["ranking"]) == 8
    assert len(many) == len(one)
