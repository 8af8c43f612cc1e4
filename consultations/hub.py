"""The hub's filters and listing: every consultation in the place, whoever runs it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Prefetch, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engagement.models import Area, Audience, Organisation, ServiceCategory

PER_PAGE = 20


class HubFilterForm(forms.Form):
    """The hub's filters (``includes/field.html`` writes their GOV.UK markup)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any")),
            ("open", _("Open")),
            ("forthcoming", _("Forthcoming")),
            ("closed", _("Closed")),
            ("outcome", _("Closed, outcome published")),
        ],
    )
    area = forms.ModelChoiceField(
        label=_("Area"),
        queryset=Area.objects.defer("boundary").order_by("kind", "name"),
        required=False,
        empty_label=_("Anywhere"),
    )
    topic = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=ServiceCategory.objects.all(),
        required=False,
        empty_label=_("Any topic"),
    )
    audience = forms.ModelChoiceField(
        label=_("Audience"),
        queryset=Audience.objects.all(),
        required=False,
        empty_label=_("Anyone"),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label=_("Any organisation"),
    )


def related_area_ids(area: Area) -> set[int]:
    """An area, the areas containing it and the areas inside it: a consultation about a district
    concerns each of its wards, and one about a ward concerns its district's residents too."""
    ids = set(Area.objects.covering(area).values_list("pk", flat=True))
    children = set(Area.objects.filter(parent=area).values_list("pk", flat=True))
    grandchildren = set(Area.objects.filter(parent__in=children).values_list("pk", flat=True))
    return ids | children | grandchildren


def filtered_consultations(form: HubFilterForm, moment):
    """The live consultations matching the hub's filters: open first (closing soonest), then
    forthcoming (opening soonest), then closed (most recent first)."""
    from consultations.models import ConsultationPage

    queryset = ConsultationPage.objects.live().public()
    data = form.cleaned_data if form.is_valid() else {}
    if q := (data.get("q") or "").strip():
        queryset = queryset.filter(Q(title__icontains=q) | Q(summary__icontains=q))
    status = data.get("status")
    if status == "open":
        queryset = queryset.open_at(moment)
    elif status == "forthcoming":
        queryset = queryset.forthcoming_at(moment)
    elif status == "closed":
        queryset = queryset.closed_at(moment)
    elif status == "outcome":
        queryset = queryset.closed_at(moment).filter(outcome__published_at__isnull=False)
    if area := data.get("area"):
        queryset = queryset.filter(Q(areas__in=related_area_ids(area)) | Q(areas__isnull=True))
    if topic := data.get("topic"):
        queryset = queryset.filter(topics=topic)
    if audience := data.get("audience"):
        queryset = queryset.filter(audiences=audience)
    if organisation := data.get("organisation"):
        queryset = queryset.run_by([organisation.pk])
    # Filtering across many-to-many relations can repeat a page; keep each once.
    ids = queryset.values("pk")
    from consultations.models import ConsultationPage as Model

    return (
        Model.objects.filter(pk__in=ids)
        .annotate(
            group=Case(
                When(opens_at__lte=moment, closes_at__gt=moment, then=Value(0)),
                When(opens_at__gt=moment, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        # A card shows none of the page's StreamFields; loading them would parse every
        # consultation's questions and body on every view of the hub.
        .defer("body", "questions")
        .select_related("organisation", "outcome")
        .prefetch_related(
            Prefetch("co_owners", queryset=Organisation.objects.order_by("name")),
            Prefetch("areas", queryset=Area.objects.defer("boundary").order_by("name")),
        )
        .order_by(
            "group",
            Case(When(group=0, then="closes_at"), When(group=1, then="opens_at")),
            "-closes_at",
        )
    )


def hub_context(hub, request) -> dict[str, Any]:
    moment = timezone.now()
    form = HubFilterForm(request.GET or None)
    consultations = filtered_consultations(form, moment)
    page = Paginator(consultations, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for consultation in page.object_list:
        # The card asks for the outcome three times; a missing one-to-one raises, which the
        # template engine answers by listing every attribute of the page each time.
        consultation.card_outcome = getattr(consultation, "outcome", None)
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "filter_form": form,
        "consultations": page,
        "now": moment,
        "filter_query": query.urlencode(),
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
    }
