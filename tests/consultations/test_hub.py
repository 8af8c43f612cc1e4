"""The hub at /consultations/: open, forthcoming and closed consultations, filters and search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from consultations.models import Outcome
from engagement.models import Area
from tests.factories import AudienceFactory, ServiceCategoryFactory, consultation_page

HUB = "/consultations/"


def titles(response) -> list[str]:
    return [c.title for c in response.context["consultations"]]


@pytest.fixture
def place(site_structure, council, other_council, wards):
    now = timezone.now()
    district = wards[0].parent
    parks = ServiceCategoryFactory(name="Parks")
    young = AudienceFactory(name="Young people")
    pages = {
        "open_ward": consultation_page(
            council, title="Ward 1 parks", closes_at=now + timedelta(days=3)
        ),
        "open_place": consultation_page(other_council, title="Whole place budget"),
        "forthcoming": consultation_page(
            council,
            title="Libraries review",
            opens_at=now + timedelta(days=10),
            closes_at=now + timedelta(days=70),
        ),
        "closed": consultation_page(
            council,
            title="Bus routes",
            opens_at=now - timedelta(days=90),
            closes_at=now - timedelta(days=5),
        ),
        "other_district": consultation_page(council, title="Southern bins"),
    }
    pages["open_ward"].areas.set([wards[0]])
    pages["open_ward"].topics.set([parks])
    pages["open_ward"].audiences.set([young])
    pages["open_ward"].co_owners.set([other_council])
    pages["open_ward"].save()
    south = Area.objects.create(
        name="South District", slug="south", kind="district", parent=district.parent
    )
    pages["other_district"].areas.set([south])
    pages["other_district"].save()
    Outcome.objects.create(consultation=pages["closed"], published_at=now, we_did="New routes")
    return pages | {"parks": parks, "young": young, "district": district}


def test_the_hub_lists_open_then_forthcoming_then_closed(client, place):
    response = client.get(HUB)
    assert titles(response) == [
        "Ward 1 parks",
        "Whole place budget",
        "Southern bins",
        "Libraries review",
        "Bus routes",
    ]
    html = response.content.decode()
    assert "3 days left" in html or "2 days left" in html
    assert "Outcome published" in html
    assert "We did:" in html and "New routes" in html  # the outcome appears on the hub
    assert "Other District Council" in html  # the co-owner is shown on the card


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "open"}, ["Ward 1 parks", "Whole place budget", "Southern bins"]),
        ({"status": "forthcoming"}, ["Libraries review"]),
        ({"status": "closed"}, ["Bus routes"]),
        ({"status": "outcome"}, ["Bus routes"]),
        ({"q": "budget"}, ["Whole place budget"]),
        ({"q": "BUS"}, ["Bus routes"]),
    ],
)
def test_status_and_search_filters(client, place, query, expected):
    assert titles(client.get(HUB, query)) == expected


def test_filtering_by_a_ward_includes_whole_place_consultations_but_not_other_districts(
    client, place, wards
):
    shown = titles(client.get(HUB, {"area": wards[0].pk}))
    assert "Ward 1 parks" in shown and "Whole place budget" in shown
    assert "Southern bins" not in shown


def test_filtering_by_a_district_includes_its_wards(client, place):
    shown = titles(client.get(HUB, {"area": place["district"].pk}))
    assert "Ward 1 parks" in shown and "Southern bins" not in shown


def test_topic_audience_and_organisation_filters(client, place, other_council):
    assert titles(client.get(HUB, {"topic": place["parks"].pk})) == ["Ward 1 parks"]
    assert titles(client.get(HUB, {"audience": place["young"].pk})) == ["Ward 1 parks"]
    # Co-owned consultations count for the co-owner.
    assert titles(client.get(HUB, {"organisation": other_council.pk})) == [
        "Ward 1 parks",
        "Whole place budget",
    ]


def test_an_unknown_filter_value_shows_an_error_not_a_crash(client, place):
    response = client.get(HUB, {"area": "999999", "status": "sideways"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_drafts_are_not_listed(client, place):
    place["open_place"].unpublish()
    assert "Whole place budget" not in titles(client.get(HUB))


@pytest.mark.parametrize("count", [1, 200])
def test_hub_queries_do_not_grow_with_consultations(
    client,
    site_structure,
    council,
    other_council,
    wards,
    count,
    django_assert_max_num_queries,
    settings,
):
    # Search indexing of 200 pages is not what this test is about.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    for n in range(count):
        page = consultation_page(council, title=f"Consultation {n}", questions=[])
        if n % 2:
            page.co_owners.set([other_council])
            page.areas.set(wards[:2])
            page.save()
    client.get(HUB)
    with django_assert_max_num_queries(15):
        response = client.get(HUB)
    assert len(response.context["consultations"]) == min(count, 20)
