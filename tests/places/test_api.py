"""The map's JSON endpoints: clear 400s naming the field for bad input, never a 500, responses
bounded at any zoom, and open data that holds public fields only."""

from __future__ import annotations

import datetime as dt
import json
import random
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from places import views
from places.models import Pin

pytestmark = pytest.mark.django_db

HOTSPOTS = "/places/hotspots.geojson"
OPEN_DATA = "/places/pins.geojson"
PLACE_BBOX = "-1.7,51.9,-1.3,52.2"
MAX_FEATURES = 2_000
MAX_BYTES = 200_000

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def pins(make_pin, resident, moderator, serving_council):
    """Two published pins, one waiting for a moderator and one hidden."""
    shown = [
        make_pin(author=resident, kind="shame", lon=-1.55, lat=52.05),
        make_pin(author=resident, kind="pride", lon=-1.45, lat=52.05, ward="east", category=1),
    ]
    pending = make_pin(author=None, description="Waiting to be checked.", lon=-1.56)
    hidden = make_pin(author=resident, description="Hidden for naming someone.", lon=-1.57)
    hidden.hide(by=moderator, reason="It is about a person, not a place or service.")
    return {"shown": shown, "pending": pending, "hidden": hidden}


def hotspots(client, **params):
    params.setdefault("bbox", PLACE_BBOX)
    params.setdefault("zoom", 10)
    return client.get(HOTSPOTS, params)


def errors_of(response) -> dict:
    assert response.status_code == 400, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    return response.json()["errors"]


# --- Hotspots: validation -------------------------------------------------------------------------


def test_a_good_viewport_gets_a_feature_collection(client, pins):
    response = hotspots(client)
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["mode"] == "pins"
    assert (body["pride"], body["shame"]) == (1, 1)
    assert "public" in response["Cache-Control"]


def test_a_missing_bbox_is_a_400_naming_bbox(client, place):
    response = client.get(HOTSPOTS, {"zoom": 10})
    errors = errors_of(response)
    assert list(errors) == ["bbox"]
    assert "bbox" in errors["bbox"][0]


@pytest.mark.parametrize(
    "bbox",
    [
        "",
        "garbage",
        "1,2,3",
        "1,2,3,4,5",
        "-1.7,51.9,-1.3,",
        "a,b,c,d",
        "nan,51.9,-1.3,52.2",
        "-1.7,51.9,inf,52.2",
        "-1.3,51.9,-1.7,52.2",
        "-1.7,52.2,-1.3,51.9",
        "-190,51.9,-1.3,52.2",
        "-1.7,-95,-1.3,52.2",
        "-1.7,51.9,-1.3,1e999",
        "-1.7%2C51.9%2C-1.3%2C52.2",
    ],
)
def test_a_garbled_bbox_is_a_400_naming_bbox(client, place, bbox):
    errors = errors_of(hotspots(client, bbox=bbox))
    assert list(errors) == ["bbox"]
    assert errors["bbox"][0]


@pytest.mark.parametrize("zoom", ["", "abc", "1.5", "-1", "21", "1e3", "99999999999999999999"])
def test_a_zoom_out_of_range_or_not_an_integer_is_a_400_naming_zoom(client, place, zoom):
    errors = errors_of(hotspots(client, zoom=zoom))
    assert list(errors) == ["zoom"]
    assert errors["zoom"][0]


def test_a_missing_zoom_is_a_400_naming_zoom(client, place):
    errors = errors_of(client.get(HOTSPOTS, {"bbox": PLACE_BBOX}))
    assert errors == {"zoom": ["Give a zoom from 0 to 20."]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "meh"),
        ("kind", "PRIDE"),
        ("category", "no-such-service"),
        ("ward", "atlantis"),
        ("since", "2026-02-30"),
        ("since", "yesterday"),
        ("until", "31/31/2026"),
        ("until", "2026-1-1-1"),
    ],
)
def test_unknown_filters_and_bad_dates_are_a_400_naming_the_field(client, place, field, value):
    errors = errors_of(hotspots(client, **{field: value}))
    assert list(errors) == [field]
    assert errors[field][0]


def test_since_after_until_is_a_400_naming_until(client, place):
    errors = errors_of(hotspots(client, since="2026-05-02", until="2026-05-01"))
    assert list(errors) == ["until"]
    assert "end date" in errors["until"][0]
    # The same day at both ends is one whole day, and fine.
    assert hotspots(client, since="2026-05-01", until="2026-05-01").status_code == 200


def test_several_bad_fields_are_all_named_at_once(client, place):
    errors = errors_of(client.get(HOTSPOTS, {"bbox": "x", "zoom": "y", "kind": "z"}))
    assert set(errors) == {"bbox", "zoom", "kind"}


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_api_is_read_only(client, place, method):
    response = getattr(client, method)(f"{HOTSPOTS}?bbox={PLACE_BBOX}&zoom=10")
    assert response.status_code == 405


query_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", "0", "-1", "20", "21", "1e9", "nan", "inf", "-0", "²", "١", "pride", "shame"]
    ),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=5).map(
        lambda xs: ",".join(repr(x) for x in xs)
    ),
    st.dates().map(str),
)
viewport_params = st.dictionaries(
    st.sampled_from(["bbox", "zoom", "kind", "category", "ward", "since", "until", "page"]),
    query_values,
)


@FUZZ
@given(params=viewport_params)
def test_hotspots_never_answer_500_whatever_the_query(client, pins, params):
    response = client.get(HOTSPOTS, params)
    assert response.status_code in (200, 400)
    body = response.json()
    if response.status_code == 400:
        assert body["errors"] and all(isinstance(v, list) and v for v in body["errors"].values())
        assert set(body["errors"]) <= {"bbox", "zoom", "kind", "category", "ward", "since", "until"}
    else:
        assert body["type"] == "FeatureCollection"


# --- Hotspots: bounded responses ------------------------------------------------------------------


def test_a_whole_world_viewport_at_zoom_20_with_many_pins_is_bounded(client, bulk_pins):
    rng = random.Random(20)
    bulk_pins(
        [
            (rng.uniform(-180, 180), rng.uniform(-85, 85), rng.choice(["pride", "shame"]))
            for _ in range(2_000)
        ]
    )
    for bbox in ("-180,-90,180,90", "-180,-85,180,85", "-180,-90,180,-80", "-10,-90,10,90"):
        response = hotspots(client, bbox=bbox, zoom=20)
        assert response.status_code == 200
        body = response.json()
        assert len(body["features"]) <= MAX_FEATURES
        assert len(response.content) <= MAX_BYTES
    whole = hotspots(client, bbox="-180,-90,180,90", zoom=20).json()
    assert whole["mode"] == "cells"
    assert whole["pride"] + whole["shame"] == 2_000
    assert sum(f["properties"]["pride"] + f["properties"]["shame"] for f in whole["features"]) == (
        2_000
    )


@pytest.mark.parametrize("zoom", [0, 10, 14, 20])
def test_every_zoom_answers_within_the_bounds_with_a_dense_cluster(client, bulk_pins, zoom):
    rng = random.Random(zoom)
    bulk_pins(
        [(-1.55 + rng.gauss(0, 0.002), 52.05 + rng.gauss(0, 0.002), "shame") for _ in range(400)]
    )
    response = hotspots(client, bbox="-1.56,52.04,-1.54,52.06", zoom=zoom)
    body = response.json()
    assert len(body["features"]) <= MAX_FEATURES
    assert len(response.content) <= MAX_BYTES
    assert body["shame"] == sum(f["properties"]["shame"] for f in body["features"]) or (
        body["mode"] == "pins"
    )


def test_pins_mode_sends_at_most_the_pin_limit(client, bulk_pins):
    from places.cells import PIN_LIMIT

    bulk_pins([(-1.55 + n * 1e-5, 52.05, "shame") for n in range(PIN_LIMIT)])
    body = hotspots(client, zoom=16, bbox="-1.56,52.04,-1.54,52.06").json()
    assert body["mode"] == "pins"
    assert len(body["features"]) == PIN_LIMIT

    bulk_pins([(-1.55, 52.0501, "pride")])
    body = hotspots(client, zoom=16, bbox="-1.56,52.04,-1.54,52.06").json()
    assert body["mode"] == "cells"
    assert body["shame"] == PIN_LIMIT and body["pride"] == 1


def test_pins_mode_with_long_non_ascii_descriptions_stays_under_200_kb(client, bulk_pins):
    from places.cells import PIN_LIMIT

    bulk_pins(
        [(-1.55 + n * 1e-5, 52.05, "shame") for n in range(PIN_LIMIT)],
        description="😡" * 500,
    )
    response = hotspots(client, zoom=16, bbox="-1.56,52.04,-1.54,52.06")
    assert response.json()["mode"] == "pins"
    assert len(response.content) <= MAX_BYTES


def test_pins_mode_features_carry_no_personal_data(client, pins, resident):
    body = hotspots(client).json()
    assert body["mode"] == "pins"
    for feature in body["features"]:
        assert set(feature["properties"]) == {
            "kind",
            "category",
            "status",
            "me_too",
            "description",
        }
    assert resident.email not in json.dumps(body)


# --- Hidden and pending pins ----------------------------------------------------------------------


@pytest.mark.parametrize("zoom", [0, 8, 13, 16, 20])
def test_hidden_and_pending_pins_never_appear_in_hotspots(client, pins, zoom):
    response = hotspots(client, zoom=zoom)
    body = response.json()
    assert (body["pride"], body["shame"]) == (1, 1)
    text = response.content.decode()
    assert "Waiting to be checked" not in text
    assert "Hidden for naming someone" not in text
    if body["mode"] == "pins":
        assert {f["id"] for f in body["features"]} == {p.pk for p in pins["shown"]}


def test_hidden_and_pending_pins_never_appear_in_the_open_data(client, pins):
    body = client.get(OPEN_DATA).json()
    assert {f["id"] for f in body["features"]} == {p.pk for p in pins["shown"]}
    body = client.get(OPEN_DATA, {"bbox": PLACE_BBOX, "kind": "shame"}).json()
    assert {f["id"] for f in body["features"]} == {pins["shown"][0].pk}


# --- Filters --------------------------------------------------------------------------------------


def test_kind_and_ward_filters_narrow_the_hotspots(client, pins, place):
    assert hotspots(client, kind="pride").json()["shame"] == 0
    assert hotspots(client, kind="pride").json()["pride"] == 1
    body = hotspots(client, ward=place["west"].slug).json()
    assert (body["pride"], body["shame"]) == (0, 1)


@pytest.mark.parametrize("url", [HOTSPOTS, OPEN_DATA])
def test_a_category_filter_narrows_the_pins(client, pins, categories, url):
    response = client.get(url, {"bbox": PLACE_BBOX, "zoom": 10, "category": categories[1].slug})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [f["properties"]["kind"] for f in body["features"]] == ["pride"]


def test_the_open_data_accepts_several_categories(client, pins, categories):
    response = client.get(OPEN_DATA, {"category": [c.slug for c in categories]})
    assert response.status_code == 200, response.content
    assert len(response.json()["features"]) == 2


def test_date_filters_use_whole_days_in_london(client, make_pin, resident):
    # 23:30 UTC on 10 June is 00:30 on 11 June in London (summer time).
    late = make_pin(
        author=resident, created_at=dt.datetime(2026, 6, 10, 23, 30, tzinfo=dt.UTC), lon=-1.58
    )
    # 23:30 UTC on 10 January is 23:30 on 10 January in London (winter).
    winter = make_pin(
        author=resident, created_at=dt.datetime(2026, 1, 10, 23, 30, tzinfo=dt.UTC), lon=-1.52
    )

    def ids(**params):
        body = client.get(OPEN_DATA, params).json()
        return {f["id"] for f in body["features"]}

    def shame(**params):
        return hotspots(client, **params).json()["shame"]

    assert ids(since="2026-06-11") == {late.pk}
    assert ids(until="2026-06-10") == {winter.pk}
    assert ids(since="2026-01-10", until="2026-01-10") == {winter.pk}
    assert ids(since="2026-01-11", until="2026-06-10") == set()
    assert shame(since="2026-06-11") == 1
    assert shame(since="2026-06-11", until="2026-06-11") == 1
    assert shame(until="2026-06-10") == 1
    assert shame(since="2026-01-11", until="2026-06-10") == 0
    # The same pins counted at a zoom summed from the pins themselves.
    assert shame(since="2026-06-11", zoom=18, bbox="-1.59,52.04,-1.57,52.06") == 1


# --- Open data ------------------------------------------------------------------------------------

OPEN_PROPERTIES = {
    "kind",
    "category",
    "aspect",
    "description",
    "ward",
    "located_by_ward",
    "location_description",
    "status",
    "me_too",
    "created",
    "url",
}


def test_open_data_holds_public_fields_only(client, pins, resident, other_resident):
    pins["shown"][0].add_me_too(other_resident)
    response = client.get(OPEN_DATA)
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 2
    for feature in body["features"]:
        assert set(feature) == {"type", "id", "geometry", "properties"}
        assert set(feature["properties"]) == OPEN_PROPERTIES
        assert feature["geometry"]["type"] == "Point"
    text = response.content.decode()
    for private in (
        resident.email,
        other_resident.email,
        resident.display_name,
        other_resident.display_name,
        "author",
        "moderation",
        "idempotency",
        "email",
    ):
        assert private not in text
    assert "next" not in body


def test_open_data_is_paged_with_next_and_after(client, make_pin, resident, monkeypatch):
    monkeypatch.setattr(views, "OPEN_DATA_PAGE", 2)
    made = [make_pin(author=resident, kind=("shame", "pride")[n % 2]) for n in range(7)]
    shame = sorted(p.pk for p in made if p.kind == "shame")

    seen, url, pages = [], f"{OPEN_DATA}?kind=shame", 0
    while url:
        pages += 1
        body = client.get(url).json()
        seen += [f["id"] for f in body["features"]]
        url = body.get("next")
        if url:
            parts = urlsplit(url)
            query = parse_qs(parts.query)
            assert query["kind"] == ["shame"]  # the filters are kept
            assert query["after"] == [str(seen[-1])]
            url = f"{parts.path}?{parts.query}"
    assert seen == shame  # every pin once, in id order
    assert pages == 3  # 2 + 2 + (nothing left: the last full page links to an empty one)


@pytest.mark.parametrize("after", ["abc", "-1", "1.5", "0x10", " 1", "1 "])
def test_a_bad_after_is_a_400_naming_after(client, pins, after):
    errors = errors_of(client.get(OPEN_DATA, {"after": after}))
    assert list(errors) == ["after"]


@pytest.mark.parametrize("after", ["²", "¹²"])
def test_an_after_of_unicode_digits_is_a_400_not_a_500(client, pins, after):
    errors = errors_of(client.get(OPEN_DATA, {"after": after}))
    assert list(errors) == ["after"]


@pytest.mark.parametrize("after", ["0", "9" * 30])
def test_an_after_beyond_any_pin_gives_an_empty_page(client, pins, after):
    response = client.get(OPEN_DATA, {"after": after})
    assert response.status_code == 200
    expected = 2 if after == "0" else 0
    assert len(response.json()["features"]) == expected


@pytest.mark.parametrize("bbox", ["x", "1,2,3", "nan,0,1,1", "2,0,1,1", "-1,0,1,1e999"])
def test_a_bad_open_data_bbox_is_a_400_naming_bbox(client, pins, bbox):
    errors = errors_of(client.get(OPEN_DATA, {"bbox": bbox}))
    assert list(errors) == ["bbox"]


def test_the_open_data_bbox_selects_the_pins_inside_it(client, pins):
    body = client.get(OPEN_DATA, {"bbox": "-1.5,51.9,-1.3,52.2"}).json()
    assert [f["properties"]["kind"] for f in body["features"]] == ["pride"]


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["bbox", "kind", "category", "ward", "since", "until", "after"]),
        st.one_of(query_values.filter(lambda v: v.isascii()), st.just("")),
    )
)
def test_the_open_data_never_answers_500_whatever_the_query(client, pins, params):
    response = client.get(OPEN_DATA, params)
    assert response.status_code in (200, 400)
    body = response.json()
    assert ("errors" in body) is (response.status_code == 400)


def test_open_data_features_are_published_pins_with_their_answer(client, pins):
    pin = pins["shown"][0]
    Pin.objects.filter(pk=pin.pk).update(status=Pin.Status.PLANNED)
    body = client.get(OPEN_DATA).json()
    [feature] = [f for f in body["features"] if f["id"] == pin.pk]
    assert feature["properties"]["status"] == "planned"
    assert feature["properties"]["url"] == f"/places/pins/{pin.pk}/"
    assert feature["geometry"]["coordinates"] == [pin.lon, pin.lat]
