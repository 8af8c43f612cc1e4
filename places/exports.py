"""Officers' downloads of pins, as CSV and GeoJSON: every pin the filters select with its
moderation state and answer, never who placed it. Streamed a chunk at a time.

A file leaves the platform once downloaded, so it carries only what has passed moderation: a
hidden pin (perhaps hidden because it named someone) and a pin still waiting for a moderator keep
their row, so the counts add up, but their words are left out.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.exports import Line, chunked, safe_cell
from places.cells import Filters
from places.models import Pin

FETCH_SIZE = 2000
COLUMNS = (
    "pk", "kind", "category__name", "aspect", "description", "ward__name", "lat", "lon",
    "located_by_ward", "location_description", "created_at", "me_too_count", "moderation",
    "status", "status_updated_at", "responsible_organisation__name",
)  # fmt: skip


# The columns of words a resident typed: blank unless the pin is published.
_WORDS = (COLUMNS.index("description"), COLUMNS.index("location_description"))
_MODERATION = COLUMNS.index("moderation")


def _rows(filters: Filters) -> Iterator[list]:
    rows = (
        Pin.objects.filter(filters.q())
        .order_by("pk")
        .values_list(*COLUMNS)
        .iterator(chunk_size=FETCH_SIZE)
    )
    for row in rows:
        row = list(row)
        if row[_MODERATION] != Pin.Moderation.VISIBLE:
            for i in _WORDS:
                row[i] = ""
        yield row


def csv_chunks(filters: Filters) -> Iterator[str]:
    uk = timezone.get_current_timezone()
    writer = csv.writer(Line())
    header = [
        _("Pin"), _("Proud or ashamed"), _("Service"), _("About"), _("Description"), _("Ward"),
        _("Latitude"), _("Longitude"), _("Placed by ward"), _("Where exactly"), _("Placed at"),
        _("Me too"), _("Moderation"), _("Status"), _("Status changed at"), _("Passed to"),
    ]  # fmt: skip
    yield "\ufeff" + writer.writerow([safe_cell(h) for h in header])

    def lines() -> Iterator[str]:
        for row in _rows(filters):
            row[10] = row[10].astimezone(uk).isoformat()
            row[14] = row[14].astimezone(uk).isoformat() if row[14] else ""
            yield writer.writerow([safe_cell(cell) for cell in row])

    yield from chunked(lines())


def geojson_chunks(filters: Filters) -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":['

    def features() -> Iterator[str]:
        separator = ""
        for row in _rows(filters):
            values = dict(zip(COLUMNS, row, strict=True))
            properties = {
                "kind": values["kind"],
                "category": values["category__name"],
                "aspect": values["aspect"],
                "description": values["description"],
                "ward": values["ward__name"],
                "located_by_ward": values["located_by_ward"],
                "location_description": values["location_description"],
                "created": values["created_at"].isoformat(),
                "me_too": values["me_too_count"],
                "moderation": values["moderation"],
                "status": values["status"],
                "passed_to": values["responsible_organisation__name"],
            }
            feature = {
                "type": "Feature",
                "id": values["pk"],
                "geometry": {"type": "Point", "coordinates": [values["lon"], values["lat"]]},
                "properties": properties,
            }
            yield separator + json.dumps(feature, ensure_ascii=False)
            separator = ","

    yield from chunked(features())
    yield "]}"
