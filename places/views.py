from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from engagement.models import Area

AREAS_CACHE_SECONDS = 300


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "places/index.html")


@require_GET
@cache_control(public=True, max_age=AREAS_CACHE_SECONDS)
def areas_geojson(request: HttpRequest) -> HttpResponse:
    """Area boundaries as a GeoJSON FeatureCollection (``?kind=ward|district|county``, default
    ward): drawn on every map so that maps work, and can be used, without any tile server."""
    kind = request.GET.get("kind", Area.Kind.WARD)
    if kind not in Area.Kind.values:
        return JsonResponse(
            {"error": f"kind must be one of: {', '.join(Area.Kind.values)}"}, status=400
        )
    key = f"places:areas-geojson:{kind}"
    collection = cache.get(key)
    if collection is None:
        features = [
            {
                "type": "Feature",
                "id": pk,
                "properties": {"id": pk, "name": name, "population": population},
                "geometry": boundary,
            }
            for pk, name, population, boundary in Area.objects.filter(
                kind=kind, boundary__isnull=False
            )
            .order_by("name")
            .values_list("pk", "name", "population", "boundary")
        ]
        collection = {"type": "FeatureCollection", "features": features}
        cache.set(key, collection, AREAS_CACHE_SECONDS)
    return JsonResponse(collection)
