"""The platform's routes behind a few extra ones: ``/bench/floor``, a trivial Django view, and the
naive map endpoint the hotspots are compared with.

The floor measures what the server stack and middleware cost on their own (no template, no query),
so each page's figures can be read as a multiple of it. The naive endpoint exists only here, never
in the product.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from bench import FLOOR_PATH
from engagement.urls import handler400, handler403, handler404, handler500  # noqa: F401


def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def naive_pins(request: HttpRequest) -> HttpResponse:
    """For comparison only: every visible pin in ``?bbox=w,s,e,n`` as GeoJSON, each with the same
    fields as a pin of ``/places/hotspots.geojson`` in pins mode. This is what a map that ships its
    pins to the browser and clusters them there would fetch for the same viewport."""
    from places import geo
    from places.models import Pin

    try:
        bbox = geo.BBox.parse(request.GET.get("bbox", ""))
    except ValueError as error:
        return JsonResponse({"error": str(error)}, status=400)
    rows = (
        Pin.objects.visible()
        .in_bbox(bbox)
        .order_by()
        .values_list(
            "pk", "lon", "lat", "kind", "category__name", "status", "me_too_count", "description"
        )
    )
    features = [
        {
            "type": "Feature",
            "id": pk,
            "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": {
                "kind": kind,
                "category": category,
                "status": status,
                "me_too": me_too,
                "description": description[:100],
            },
        }
        for pk, lon, lat, kind, category, status, me_too, description in rows
    ]
    return JsonResponse(
        {"type": "FeatureCollection", "features": features},
        json_dumps_params={"separators": (",", ":")},
    )


urlpatterns = [
    path(FLOOR_PATH.lstrip("/"), floor, name="bench_floor"),
    path("bench/places/naive.geojson", naive_pins, name="bench_places_naive"),
    path("", include("engagement.urls")),
]
