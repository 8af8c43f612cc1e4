"""The hub's filters use GOV.UK form markup."""

from __future__ import annotations

import re

import pytest

from tests.factories import consultation_page

HUB = "/consultations/"


@pytest.fixture
def hub(site_structure, council):
    consultation_page(council)
    return HUB


def _selects(html: str) -> list[str]:
    return re.findall(r"<select\b[^>]*>", html)


def test_every_hub_filter_select_is_a_govuk_select(client, hub):
    html = client.get(hub).content.decode()
    selects = _selects(html)
    assert len(selects) == 5  # status, area, topic, audience, organisation
    for tag in selects:
        assert 'class="govuk-select"' in tag
    assert re.search(r'<input class="govuk-input[^"]*" id="id_q"', html)


def test_a_refused_filter_is_marked_as_an_error_and_described(client, hub):
    html = client.get(hub, {"area": "999999"}).content.decode()
    area = next(tag for tag in _selects(html) if 'name="area"' in tag)
    assert 'class="govuk-select govuk-select--error"' in area
    assert 'aria-describedby="id_area-error"' in area
    assert 'id="id_area-error"' in html
    others = [tag for tag in _selects(html) if 'name="area"' not in tag]
    assert all('class="govuk-select"' in tag and "aria-describedby" not in tag for tag in others)
