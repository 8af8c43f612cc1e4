"""The platform's routes behind one extra route: ``/bench/floor``, a trivial Django view.

The floor measures what the server stack and middleware cost on their own (no template, no query),
so each page's figures can be read as a multiple of it.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from bench import FLOOR_PATH
from engagement.urls import handler400, handler403, handler404, handler500  # noqa: F401


def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path(FLOOR_PATH.lstrip("/"), floor, name="bench_floor"),
    path("", include("engagement.urls")),
]
