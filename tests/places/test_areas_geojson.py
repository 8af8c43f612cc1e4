"""Area boundaries for maps, served from our own data."""

from __future__ import annotations

import pytest

from engagement.models import Area
from tests.factories import AreaFactory

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-1, 52], [-0.9, 52], [-0.9, 52.1], [-1, 52.1], [-1, 52]]],
}


@pytest.fixture
def ward(db):
    county = AreaFactory(name="Shire", kind=Area.Kind.COUNTY)
    district = AreaFactory(name="North", kind=Area.Kind.DISTRICT, parent=county)
    AreaFactory(name="No boundary", kind=Area.Kind.WARD, parent=district)
    return AreaFactory(
        name="Abbey", kind=Area.Kind.WARD, parent=district, boundary=SQUARE, population=7000
    )


def test_wards_come_as_a_feature_collection(client, ward):
    response = client.get("/places/areas.geojson")
    assert response.status_code == 200
    assert "max-age=300" in response["Cache-Control"]
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert data["features"] == [
        {
            "type": "Feature",
            "id": ward.pk,
            "properties": {"id": ward.pk, "name": "Abbey", "population": 7000},
            "geometry": SQUARE,
        }
    ]


def test_an_unknown_kind_is_a_clear_400(client, ward):
    response = client.get("/places/areas.geojson", {"kind": "planet"})
    assert response.status_code == 400
    assert "kind must be one of" in response.json()["error"]
