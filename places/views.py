"""The pride and shame map: pages that work without JavaScript (the list is always there), the
hotspot and open-data endpoints the map reads, and the officers' and moderators' pages."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engagement.exports import download
from engagement.models import Area
from engagement.ratelimit import limit_writes
from places import cells, epicentres, exports, geo, services
from places.forms import (
    FilterForm,
    FlagForm,
    HideForm,
    PinForm,
    StatusUpdateForm,
    ViewportForm,
)
from places.models import Pin, StatusUpdate
from places.rules import OFFICER, responding_organisations, served_ward_ids

AREAS_CACHE_SECONDS = 300
PER_PAGE = 20
OPEN_DATA_PAGE = 1000

_LIST_FIELDS = (
    "pk", "kind", "aspect", "description", "status", "me_too_count", "created_at",
    "located_by_ward", "location_description", "lat", "lon", "category__name", "ward__name",
    "moderation",
)  # fmt: skip


def _filtered(request: HttpRequest) -> tuple[FilterForm, cells.Filters]:
    form = FilterForm(request.GET or None)
    filters = form.filters() if form.is_bound and form.is_valid() else cells.Filters()
    return form, filters


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The map and, always, the list of the same pins: the list is the page; the map is drawn on
    top of it when JavaScript runs."""
    form, filters = _filtered(request)
    pins = (
        Pin.objects.visible()
        .filter(filters.q())
        .select_related("category", "ward")
        .only(*_LIST_FIELDS)
    )
    page = Paginator(pins, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "places/index.html",
        {
            "form": form,
            "page_obj": page,
            "query": query.urlencode(),
            "filter_query": query.urlencode(),
            "status_labels": {value: str(label) for value, label in Pin.Status.choices},
            "may_view_epicentres": request.user.has_perm("places.view_epicentres"),
            "may_moderate": request.user.has_perm("places.view_moderation_queue"),
        },
    )


def _bad_request(form) -> JsonResponse:
    errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
    return JsonResponse({"errors": errors}, status=400)


def _pin_feature(pin: Pin) -> dict:
    return {
        "type": "Feature",
        "id": pin.pk,
        "geometry": {"type": "Point", "coordinates": [round(pin.lon, 6), round(pin.lat, 6)]},
        "properties": {
            "kind": pin.kind,
            "category": pin.category.name,
            "status": pin.status,
            "me_too": pin.me_too_count,
            "description": pin.description[:60],
        },
    }


@require_GET
@cache_control(public=True, max_age=30)
def hotspots_geojson(request: HttpRequest) -> JsonResponse:
    """Hotspots for a viewport: ``?bbox=west,south,east,north&zoom=z`` and the list's filters.

    Cells with their pride and shame counts kept apart, or the pins themselves when the viewport
    holds few. Never more than ``geo.MAX_CELLS`` cells or ``cells.PIN_LIMIT`` pins.
    """
    form = ViewportForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    found = cells.hotspots(form.cleaned_data["bbox"], form.cleaned_data["zoom"], form.filters())
    if found.pins is not None:
        features = [_pin_feature(pin) for pin in found.pins]
        mode = "pins"
    else:
        features = [geo.feature(cell, level=found.level) for cell in found.cells]
        mode = "cells"
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "mode": mode,
            "level": found.level,
            "pride": found.pride,
            "shame": found.shame,
            "features": features,
        },
        json_dumps_params={"separators": (",", ":"), "ensure_ascii": False},
    )


def open_pin_properties(pin: Pin) -> dict:
    """What anyone may know about a pin: never who placed it."""
    return {
        "kind": pin.kind,
        "category": pin.category.name,
        "aspect": pin.aspect,
        "description": pin.description,
        "ward": pin.ward.name,
        "located_by_ward": pin.located_by_ward,
        "location_description": pin.location_description,
        "status": pin.status,
        "me_too": pin.me_too_count,
        "created": pin.created_at.date().isoformat(),
        "url": pin.get_absolute_url(),
    }


def open_pin_feature(pin: Pin) -> dict:
    return {
        "type": "Feature",
        "id": pin.pk,
        "geometry": {"type": "Point", "coordinates": [pin.lon, pin.lat]},
        "properties": open_pin_properties(pin),
    }


@require_GET
@cache_control(public=True, max_age=60)
def pins_geojson(request: HttpRequest) -> JsonResponse:
    """Open data: published pins, public fields only, a thousand at a time (``?after=<id>`` from
    ``next``), with the list's filters and an optional ``bbox``."""
    form = FilterForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    pins = Pin.objects.visible().filter(form.filters().q()).select_related("category", "ward")
    if bbox_text := request.GET.get("bbox"):
        try:
            pins = pins.in_bbox(geo.BBox.parse(bbox_text))
        except ValueError as error:
            return JsonResponse({"errors": {"bbox": [str(error)]}}, status=400)
    after = request.GET.get("after", "")
    if after:
        if not (after.isascii() and after.isdigit()):
            return JsonResponse({"errors": {"after": [_("after must be a pin id")]}}, status=400)
        pins = pins.filter(pk__gt=int(after))
    batch = list(pins.order_by("pk")[:OPEN_DATA_PAGE])
    body = {"type": "FeatureCollection", "features": [open_pin_feature(p) for p in batch]}
    if len(batch) == OPEN_DATA_PAGE:
        query = request.GET.copy()
        query["after"] = str(batch[-1].pk)
        body["next"] = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return JsonResponse(body)


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


# --- One pin --------------------------------------------------------------------------------------


def _may_see(user, pin: Pin) -> bool:
    return (
        pin.is_visible
        or (user.is_authenticated and pin.author_id == user.pk)
        or user.has_perm("places.moderate_pin", pin)
    )


def _pin_or_404(request: HttpRequest, pk: int) -> Pin:
    pin = get_object_or_404(
        Pin.objects.select_related("category", "ward__parent", "responsible_organisation"), pk=pk
    )
    if not _may_see(request.user, pin):
        raise Http404
    return pin


def _pin_page(request: HttpRequest, pin: Pin, status: int = 200, **forms) -> HttpResponse:
    user = request.user
    may_moderate = user.has_perm("places.moderate_pin", pin)
    context = {
        "pin": pin,
        "updates": pin.updates.select_related("organisation", "routed_to"),
        "said_me_too": user.is_authenticated and pin.me_toos.filter(user=user).exists(),
        "is_author": user.is_authenticated and pin.author_id == user.pk,
        "may_respond": user.has_perm("places.respond_pin", pin),
        "may_moderate": may_moderate,
        "open_flags": pin.flags.filter(resolved_at__isnull=True) if may_moderate else [],
        "hide_form": forms.get("hide_form") or (HideForm() if may_moderate else None),
    }
    return render(request, "places/pin.html", context, status=status)


@require_GET
def pin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _pin_page(request, _pin_or_404(request, pk))


@require_http_methods(["GET", "POST"])
@limit_writes("pin")
def add_pin(request: HttpRequest) -> HttpResponse:
    """Add a pin: by ward and a description of the spot, by coordinates, or (with JavaScript) by
    the map, which fills in the same fields."""
    if not request.user.has_perm("places.add_pin"):
        return redirect_to_login(request.get_full_path())
    initial = {}
    if request.method == "GET":
        for name in ("kind", "lat", "lon"):
            if value := request.GET.get(name):
                initial[name] = value
    form = PinForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        key = form.cleaned_data.get("idempotency_key")
        if key is None:
            key = uuid.uuid4()
        author = request.user if request.user.is_authenticated else None
        pin, created = services.create_pin(
            author=author,
            idempotency_key=key,
            photo=form.cleaned_data.get("photo"),
            **form.pin_fields(),
        )
        if pin.is_visible:
            messages.success(request, _("Thank you. Your pin is on the map."))
        else:
            messages.success(
                request,
                _("Thank you. A moderator will check your pin before it goes on the map."),
            )
        if not request.user.is_authenticated:
            return redirect("places:index")
        return redirect(pin)
    return render(
        request,
        "places/add_pin.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
@limit_writes("me_too")
def me_too(request: HttpRequest, pk: int) -> HttpResponse:
    pin = _pin_or_404(request, pk)
    if not pin.is_visible:
        raise Http404
    if pin.author_id == request.user.pk:
        messages.info(request, _("This is your own pin."))
    elif pin.add_me_too(request.user):
        messages.success(
            request, _("Thank you. You have added your voice, and we will tell you of any answer.")
        )
    else:
        messages.info(request, _("You have already added your voice to this pin."))
    return redirect(pin)


@require_http_methods(["GET", "POST"])
@limit_writes("flag")
def flag(request: HttpRequest, pk: int) -> HttpResponse:
    pin = _pin_or_404(request, pk)
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user if request.user.is_authenticated else None
        if pin.flag(user=user, **form.cleaned_data):
            messages.success(request, _("Thank you. A moderator will look at this pin."))
        else:
            messages.info(request, _("You have already reported this pin."))
        return redirect(pin)
    status = 400 if form.is_bound else 200
    return render(request, "places/flag.html", {"pin": pin, "form": form}, status=status)


@login_required
@require_POST
@limit_writes("moderate")
def moderate(request: HttpRequest, pk: int) -> HttpResponse:
    pin = _pin_or_404(request, pk)
    if not request.user.has_perm("places.moderate_pin", pin):
        raise PermissionDenied
    action = request.POST.get("action")
    if action == "hide":
        form = HideForm(request.POST)
        if not form.is_valid():
            return _pin_page(request, pin, status=400, hide_form=form)
        pin.hide(by=request.user, reason=form.reason_text())
        messages.success(request, _("The pin is hidden. Its author can see why."))
    elif action == "publish":
        pin.publish(by=request.user)
        messages.success(request, _("The pin is on the map."))
    elif action == "keep":
        pin.keep(by=request.user)
        messages.success(request, _("The reports are closed and the pin stays on the map."))
    else:
        return HttpResponse(_("Choose hide, publish or keep."), status=400)
    next_url = request.POST.get("next", "")
    if next_url == reverse("places:moderation"):
        return redirect(next_url)
    return redirect(pin)


@login_required
@require_http_methods(["GET", "POST"])
@limit_writes("pin_update")
def respond(request: HttpRequest, pk: int) -> HttpResponse:
    """An officer answers one pin."""
    pin = _pin_or_404(request, pk)
    if not request.user.has_perm("places.respond_pin", pin):
        raise PermissionDenied
    if not pin.is_visible:  # only published pins are answered
        raise Http404
    organisations = responding_organisations(request.user, pin)
    form = StatusUpdateForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        services.post_update(
            pins=[pin],
            by=request.user,
            **{k: form.cleaned_data[k] for k in ("status", "message", "organisation", "routed_to")},
        )
        messages.success(request, _("Your update is published and the residents are being told."))
        return redirect(pin)
    return render(
        request,
        "places/respond.html",
        {"form": form, "pins": [pin], "pin": pin},
        status=400 if form.is_bound else 200,
    )


# --- Hotspots and epicentres (officers) -----------------------------------------------------------


def _cell_or_404(level: int, cx: int, cy: int) -> geo.BBox:
    if level not in cells.SUMMARY_LEVELS or not (0 <= cx < 1 << level and 0 <= cy < 1 << level):
        raise Http404
    return geo.cell_bounds(cx, cy, level)


@login_required
@require_http_methods(["GET", "POST"])
@limit_writes("pin_update")
def respond_hotspot(request: HttpRequest, level: int, cx: int, cy: int) -> HttpResponse:
    """An officer answers every published shame pin of a hotspot they serve, at once."""
    bounds = _cell_or_404(level, cx, cy)
    user = request.user
    if not user.has_perm("places.respond_pin"):
        raise PermissionDenied
    s = geo.shift(level)
    pins = (
        Pin.objects.visible()
        .filter(kind=Pin.Kind.SHAME)
        .filter(mx__gte=cx << s, mx__lt=(cx + 1) << s, my__gte=cy << s, my__lt=(cy + 1) << s)
        .select_related("category", "ward__parent")
    )
    if not user.is_superuser:
        pins = pins.filter(
            Q(ward_id__in=served_ward_ids(user, OFFICER))
            | Q(responsible_organisation_id__in=user.organisation_ids(OFFICER))
        )
    pins = list(pins.order_by("-me_too_count", "-created_at"))
    if not pins:
        raise Http404
    organisations = responding_organisations(user, pins[0])
    form = StatusUpdateForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        services.post_update(
            pins=pins,
            by=user,
            **{k: form.cleaned_data[k] for k in ("status", "message", "organisation", "routed_to")},
        )
        messages.success(
            request,
            _("Your update is published on %(count)d pins and the residents are being told.")
            % {"count": len(pins)},
        )
        return redirect("places:epicentres")
    return render(
        request,
        "places/respond.html",
        {"form": form, "pins": pins, "hotspot": bounds},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_GET
def epicentres_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("places.view_epicentres"):
        raise PermissionDenied
    ward_slug = request.GET.get("ward", "")
    ward = Area.objects.wards().defer("boundary").filter(slug=ward_slug).first()
    ranking = epicentres.ranking(ward=ward)
    wards = epicentres.ward_table()
    markers = [
        {"rank": e.rank, "lon": round(e.lon, 5), "lat": round(e.lat, 5), "label": e.label}
        for e in ranking
    ]
    return render(
        request,
        "places/epicentres.html",
        {
            "ranking": ranking,
            "wards": wards,
            "ward": ward,
            "ward_choices": Area.objects.wards().order_by("name").values_list("slug", "name"),
            "markers": markers,
            "window_days": epicentres.TREND_DAYS,
        },
    )


@login_required
@require_GET
def moderation_queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("places.view_moderation_queue"):
        raise PermissionDenied
    pins = Pin.objects.needing_moderation().select_related("category", "ward")
    if not user.is_superuser:
        pins = pins.filter(ward_id__in=served_ward_ids(user, "moderator"))
    page = Paginator(pins.order_by("created_at", "pk"), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "places/moderation.html",
        {"page_obj": page, "query": ""},
    )


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """A resident's own pins and the ones they said "me too" to, with every answer."""
    pins = (
        Pin.objects.followed_by(request.user)
        .select_related("category", "ward")
        .prefetch_related(
            Prefetch(
                "updates",
                queryset=StatusUpdate.objects.select_related("organisation", "routed_to"),
            )
        )
        .order_by("-created_at", "-pk")
    )
    page = Paginator(pins, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "places/mine.html",
        {"page_obj": page, "query": ""},
    )


@login_required
@require_GET
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Officers' CSV or GeoJSON of every pin the filters select."""
    if not request.user.has_perm("places.export_pins"):
        raise PermissionDenied
    form = FilterForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        return download(
            request,
            exports.csv_chunks(form.filters()),
            content_type="text/csv; charset=utf-8",
            filename=f"pins-{stamp}.csv",
        )
    return download(
        request,
        exports.geojson_chunks(form.filters()),
        content_type="application/geo+json",
        filename=f"pins-{stamp}.geojson",
    )
