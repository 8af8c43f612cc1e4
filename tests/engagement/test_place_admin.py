"""Areas and the vocabularies are administered by superusers only, with clear errors."""

from __future__ import annotations

import json

import pytest

from engagement.models import Area

pytestmark = pytest.mark.django_db

PLACE_PAGES = ["/admin/areas/", "/admin/audiences/", "/admin/categories/", "/admin/areas/new/"]


@pytest.mark.parametrize("path", PLACE_PAGES)
def test_administrators_manage_the_place(client, superuser, path):
    client.force_login(superuser)
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", PLACE_PAGES)
def test_officers_cannot_change_the_place(client, officer, path):
    client.force_login(officer)
    assert client.get(path).status_code in (302, 403)


def _area_form(boundary: str) -> dict:
    return {
        "name": "New Ward",
        "slug": "new-ward",
        "code": "",
        "kind": Area.Kind.COUNTY,
        "parent": "",
        "population": "1000",
        "boundary": boundary,
    }


def test_a_malformed_boundary_is_refused_with_a_clear_error_and_nothing_saved(client, superuser):
    client.force_login(superuser)
    response = client.post(
        "/admin/areas/new/", _area_form('{"type": "Point", "coordinates": [0, 0]}')
    )
    assert response.status_code == 200
    assert "GeoJSON Polygon or MultiPolygon" in response.content.decode()
    assert not Area.objects.filter(slug="new-ward").exists()


def test_a_valid_boundary_is_saved_with_its_bounding_box(client, superuser):
    client.force_login(superuser)
    ring = [[-1.5, 52.0], [-1.4, 52.0], [-1.4, 52.1], [-1.5, 52.0]]
    client.post(
        "/admin/areas/new/", _area_form(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    )
    area = Area.objects.get(slug="new-ward")
    assert (area.min_lon, area.min_lat, area.max_lon, area.max_lat) == (-1.5, 52.0, -1.4, 52.1)
