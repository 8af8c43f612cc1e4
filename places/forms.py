"""Forms for the map: the filters (shared by the map, the list, the open data and the exports),
adding a pin with or without the map, flagging, moderating and answering."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from engagement.models import Area, Organisation, ServiceCategory
from places import geo
from places.cells import Filters
from places.models import DESCRIPTION_MAX_LENGTH, Flag, Pin, StatusUpdate
from places.photos import clean_photo

LONDON = ZoneInfo("Europe/London")

NOT_ABOUT_PEOPLE = _(
    "Write about the place or the service, never about a person: pins that name or describe "
    "people are hidden."
)


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON)


class OneOfManySelect(forms.Select):
    """A single select whose value is read as a list, so one form field serves the page (one
    service at a time) and the open data (``?category=a&category=b``)."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)


FILTER_CHOICES_KEY = "places:filter-choices"


def filter_choices() -> tuple[list, list]:
    """(slug, pk, name) of every service and ward: read on every map request, so cached, and
    dropped whenever a service or an area changes."""
    choices = cache.get(FILTER_CHOICES_KEY)
    if choices is None:
        choices = (
            list(
                ServiceCategory.objects.order_by("sort_order", "name").values_list(
                    "slug", "pk", "name"
                )
            ),
            list(Area.objects.wards().order_by("name").values_list("slug", "pk", "name")),
        )
        cache.set(FILTER_CHOICES_KEY, choices, 300)
    return choices


@receiver([post_save, post_delete], sender=ServiceCategory)
@receiver([post_save, post_delete], sender=Area)
def _forget_filter_choices(**kwargs) -> None:
    cache.delete(FILTER_CHOICES_KEY)


class FilterForm(forms.Form):
    """What to show: by kind, service, ward and the dates pins were placed. Choices are slugs, so
    the same parameters read well in a shared link and in the open data."""

    kind = forms.ChoiceField(
        label=_("Proud or ashamed"),
        required=False,
        choices=[("", _("Both")), *Pin.Kind.choices],
    )
    category = forms.MultipleChoiceField(
        label=_("Service"), required=False, choices=(), widget=OneOfManySelect
    )
    ward = forms.ChoiceField(label=_("Ward"), required=False, choices=())
    since = forms.DateField(
        label=_("Placed on or after"),
        required=False,
        help_text=_("For example, 2026-01-31"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=_("Placed on or before"),
        required=False,
        help_text=_("For example, 2026-12-31"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories, wards = filter_choices()
        self.categories = {slug: pk for slug, pk, _name in categories}
        self.wards = {slug: (pk, name) for slug, pk, name in wards}
        # The form offers one service at a time; the open data accepts several (?category=a&…).
        self.fields["category"].choices = [("", _("All services"))] + [
            (slug, name) for slug, _pk, name in categories
        ]
        self.fields["ward"].choices = [("", _("All wards"))] + [
            (slug, name) for slug, (_pk, name) in self.wards.items()
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date must be the same as or after the start date."))
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            kind=data.get("kind") or "",
            categories=[self.categories[slug] for slug in data.get("category") or [] if slug],
            ward=self.wards[data["ward"]][0] if data.get("ward") else None,
            since=_start_of(data["since"]) if data.get("since") else None,
            until=_start_of(data["until"] + dt.timedelta(days=1)) if data.get("until") else None,
        )

    def query_string(self) -> str:
        """The filters as they were given, for links that keep them (pagination, the map)."""
        return self.data.urlencode() if hasattr(self.data, "urlencode") else ""


class ViewportForm(FilterForm):
    """The hotspot API's parameters: a viewport and a zoom, plus the filters."""

    bbox = forms.CharField(
        error_messages={"required": _("Give a bbox: west,south,east,north in degrees.")}
    )
    zoom = forms.IntegerField(
        min_value=geo.MIN_ZOOM,
        max_value=geo.MAX_ZOOM,
        error_messages={
            "required": _("Give a zoom from 0 to 20."),
            "invalid": _("Give a zoom from 0 to 20."),
        },
    )

    def clean_bbox(self) -> geo.BBox:
        try:
            return geo.BBox.parse(self.cleaned_data["bbox"])
        except ValueError as error:
            raise ValidationError(str(error), code="invalid_bbox") from None


class PinForm(forms.ModelForm):
    """A pin, placed by ward (and a description of the spot) or by coordinates; the map, when
    JavaScript runs, only fills these fields in."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    lat = forms.FloatField(
        label=_("Latitude (optional)"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    lon = forms.FloatField(
        label=_("Longitude (optional)"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_(
            "A JPEG, PNG or WebP image up to 5 MB. We remove its hidden details, such as where "
            "and when it was taken. Do not include people's faces or number plates."
        ),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    class Meta:
        model = Pin
        fields = ["kind", "category", "aspect", "description", "ward", "location_description"]
        widgets = {
            "kind": forms.RadioSelect,
            "category": forms.Select,
            "aspect": forms.RadioSelect,
            "description": forms.Textarea,
        }
        labels = {
            "kind": _("Are you proud of this place or ashamed of it?"),
            "category": _("Which service is it about?"),
            "aspect": _("What is it about?"),
            "description": _("Tell us about it"),
            "ward": _("Which ward is it in?"),
            "location_description": _("Describe the spot (optional)"),
        }
        help_texts = {
            "description": NOT_ABOUT_PEOPLE,
            "location_description": _(
                "For example, the bus shelter outside the library on Mill Lane."
            ),
        }
        error_messages = {
            "kind": {"required": _("Choose whether you are proud or ashamed of it")},
            "category": {"required": _("Choose the service it is about")},
            "aspect": {"required": _("Choose whether it is about how it looks, feels or works")},
            "description": {
                "required": _("Tell us about the place"),
                "max_length": _("Keep the description to %(limit_value)d characters or fewer"),
            },
            "ward": {"required": _("Choose the ward it is in, or place it on the map")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ward"].queryset = Area.objects.wards().defer("boundary").order_by("name")
        self.fields["ward"].empty_label = _("Choose a ward")
        # Coordinates alone are enough: the ward is then found from them.
        self.fields["ward"].required = False
        self.fields["category"].queryset = ServiceCategory.objects.order_by("sort_order", "name")
        self.fields["category"].empty_label = _("Choose a service")
        self.fields["description"].max_length = DESCRIPTION_MAX_LENGTH
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = uuid.uuid4()

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        return clean_photo(upload) if upload else None

    def clean(self):
        data = super().clean()
        lat, lon, ward = data.get("lat"), data.get("lon"), data.get("ward")
        if (
            (lat is None) != (lon is None)
            and not self.has_error("lat")
            and not self.has_error("lon")
        ):
            self.add_error(
                "lon" if lon is None else "lat",
                _("Enter both the latitude and the longitude, or neither"),
            )
        located = ward is not None and lat is not None and lon is not None
        if ward is None and lat is not None and lon is not None and not self.has_error("ward"):
            ward = data["ward"] = ward_at(lon, lat)
            if ward is None:
                self.add_error(
                    "lat", _("That point is not in any of our wards. Check the coordinates.")
                )
        elif ward is None and not self.has_error("ward"):
            self.add_error("ward", _("Choose the ward it is in, or give its coordinates"))
        elif lat is None and lon is None and ward is not None and ward.min_lon is None:
            # Without a boundary there is no point to put a ward's pin at.
            self.add_error(
                "lat",
                _(
                    "We do not have the boundary of %(ward)s yet, so we cannot place a pin by "
                    "the ward alone. Give its latitude and longitude, or place it on the map."
                )
                % {"ward": ward.name},
            )
        if located and ward.boundary and not contains(ward.boundary, lon, lat):
            self.add_error(
                "lat",
                _("That point is not in %(ward)s. Check the coordinates or the ward.")
                % {"ward": ward.name},
            )
        return data

    def pin_fields(self) -> dict:
        """The model fields for :func:`places.services.create_pin`: the chosen point, or the
        ward's centre when the resident described the spot instead."""
        data = self.cleaned_data
        ward = data["ward"]
        fields = {name: data[name] for name in self._meta.fields}
        if data.get("lat") is not None:
            fields.update(lat=data["lat"], lon=data["lon"], located_by_ward=False)
        else:
            lon, lat = centre_of(ward)
            fields.update(lat=lat, lon=lon, located_by_ward=True)
        return fields


def contains(geometry: dict, lon: float, lat: float) -> bool:
    """Whether a GeoJSON Polygon/MultiPolygon contains the point (even-odd rule)."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]

    def in_ring(ring) -> bool:
        inside = False
        j = len(ring) - 1
        for i in range(len(ring)):
            xi, yi = ring[i][0], ring[i][1]
            xj, yj = ring[j][0], ring[j][1]
            if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
                inside = not inside
            j = i
        return inside

    return any(in_ring(p[0]) and not any(in_ring(h) for h in p[1:]) for p in polygons)


def ward_at(lon: float, lat: float) -> Area | None:
    """The ward containing a point: candidates by bounding box in SQL, then the polygon test."""
    candidates = Area.objects.wards().filter(
        min_lon__lte=lon, max_lon__gte=lon, min_lat__lte=lat, max_lat__gte=lat
    )
    return next((w for w in candidates if contains(w.boundary, lon, lat)), None)


def centre_of(ward: Area) -> tuple[float, float]:
    """(lon, lat) of a ward for pins placed by ward: the middle of its bounding box, or of its
    first ring's points if the middle falls outside an oddly shaped ward. A ward without a
    boundary has no centre: :class:`PinForm` asks for coordinates instead."""
    if ward.min_lon is None:
        raise ValueError(f"{ward} has no boundary")
    lon, lat = (ward.min_lon + ward.max_lon) / 2, (ward.min_lat + ward.max_lat) / 2
    if ward.boundary and not contains(ward.boundary, lon, lat):
        ring = (
            ward.boundary["coordinates"][0]
            if ward.boundary["type"] == "Polygon"
            else (ward.boundary["coordinates"][0][0])
        )
        lon = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
        lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
    return lon, lat


class FlagForm(forms.ModelForm):
    class Meta:
        model = Flag
        fields = ["reason", "note"]
        widgets = {"reason": forms.RadioSelect}
        labels = {"reason": _("What is wrong with this pin?")}
        error_messages = {"reason": {"required": _("Choose what is wrong with this pin")}}


class HideForm(forms.Form):
    """A moderator's reason, which the pin's author sees."""

    reason = forms.ChoiceField(
        label=_("Why is it being hidden?"),
        choices=[(r.label, r.label) for r in Flag.Reason if r != Flag.Reason.OTHER],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose why the pin is being hidden")},
    )
    note = forms.CharField(
        label=_("Note for the author (optional)"),
        required=False,
        max_length=300,
        help_text=_(
            "The author sees the reason and this note. Pins must be about places and "
            "services, never about people."
        ),
    )

    def reason_text(self) -> str:
        reason, note = self.cleaned_data["reason"], self.cleaned_data["note"].strip()
        return f"{reason}. {note}" if note else str(reason)


class StatusUpdateForm(forms.ModelForm):
    """An officer's answer: a status, a public message, who it is from and, for "not ours", who
    holds the duty."""

    class Meta:
        model = StatusUpdate
        fields = ["status", "message", "organisation", "routed_to"]
        widgets = {"status": forms.RadioSelect, "message": forms.Textarea}
        labels = {
            "status": _("Status"),
            "message": _("Public update"),
            "organisation": _("Answering for"),
            "routed_to": _("Organisation that holds the duty (for “not ours”)"),
        }
        help_texts = {
            "message": _("Everyone can read this, and the residents who pinned it are emailed."),
        }
        error_messages = {
            "status": {"required": _("Choose a status")},
            "message": {"required": _("Write a public update")},
            "organisation": {"required": _("Choose the organisation you are answering for")},
        }

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].empty_label = (
            None if len(organisations) == 1 else _("Choose an organisation")
        )
        self.fields["routed_to"].queryset = Organisation.objects.filter(
            kind__in=Organisation.PUBLIC_BODY_KINDS
        ).order_by("name")
        self.fields["routed_to"].empty_label = _("Not passed on")

    def clean(self):
        data = super().clean()
        if data.get("status") == Pin.Status.NOT_OURS and not data.get("routed_to"):
            self.add_error("routed_to", _("Choose the organisation that holds the duty for this"))
        if data.get("routed_to") and data.get("routed_to") == data.get("organisation"):
            self.add_error("routed_to", _("Choose a different organisation from your own"))
        return data
