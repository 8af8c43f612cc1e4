"""Residents choose how often they are asked: the areas and topics they follow, how often their
digest comes and how many new activities it lists at most; a quick follow button on the list; and
the one-click unsubscribe link every digest carries (RFC 8058)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from engagement.calendar.models import DigestSettings, Follow
from engagement.models import Area, ServiceCategory
from engagement.ratelimit import limit_writes

Frequency = DigestSettings.Frequency
DEFAULT_CAP = DigestSettings._meta.get_field("cap").default
CAP_ERROR = gettext_lazy("Enter a whole number from 1 to 50.")


class FollowingForm(forms.Form):
    """What a resident follows and how often they hear about it."""

    areas = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Areas you follow"),
        queryset=Area.objects.select_related("parent").order_by("kind", "parent__name", "name"),
        required=False,
        help_text=gettext_lazy(
            "Following a ward includes what is planned for its whole district and the whole "
            "place. Following a district includes its wards."
        ),
        error_messages={
            "invalid_choice": gettext_lazy("Choose areas from the list."),
            "invalid_pk_value": gettext_lazy("Choose areas from the list."),
        },
    )
    topics = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Topics you follow"),
        queryset=ServiceCategory.objects.all(),
        required=False,
        help_text=gettext_lazy("Activities on these topics, wherever they are."),
        error_messages={
            "invalid_choice": gettext_lazy("Choose topics from the list."),
            "invalid_pk_value": gettext_lazy("Choose topics from the list."),
        },
    )
    frequency = forms.ChoiceField(
        label=gettext_lazy("How often do you want an email about new activities?"),
        choices=Frequency.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose how often you want an email."),
            "invalid_choice": gettext_lazy("Choose how often you want an email."),
        },
    )
    cap = forms.IntegerField(
        label=gettext_lazy("At most how many new activities in each email?"),
        help_text=gettext_lazy("A number from 1 to 50. We tell you how many more there are."),
        min_value=1,
        max_value=50,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": gettext_lazy("Enter how many new activities each email lists at most."),
            "invalid": CAP_ERROR,
            "min_value": CAP_ERROR,
            "max_value": CAP_ERROR,
        },
    )

    def area_groups(self) -> list[tuple[str, list[tuple[str, str, bool]]]]:
        """The area checkboxes grouped as the county, its districts and their wards (for
        ``calendar/_areas.html``)."""
        field = self["areas"]
        chosen = {str(value) for value in field.value() or []}
        groups: dict[str, list] = {kind: [] for kind in Area.Kind.values}
        for area in field.field.queryset:
            groups[area.kind].append((str(area.pk), area.name, str(area.pk) in chosen))
        names = dict(Area.Kind.choices)
        return [(names[kind], options) for kind, options in groups.items() if options]


def current_choices(user) -> dict:
    """The form's starting values: what ``user`` follows now and their digest settings (the
    defaults until they first save)."""
    areas, topics = [], []
    for area_id, topic_id in Follow.objects.filter(user=user).values_list("area_id", "topic_id"):
        (areas if area_id else topics).append(area_id or topic_id)
    saved = DigestSettings.objects.filter(user=user).only("frequency", "cap").first()
    return {
        "areas": areas,
        "topics": topics,
        "frequency": saved.frequency if saved else Frequency.WEEKLY,
        "cap": saved.cap if saved else DEFAULT_CAP,
    }


def save_choices(user, data: dict) -> None:
    """Replace what ``user`` follows with the chosen areas and topics and save how often they
    hear, all or nothing."""
    area_ids = {area.pk for area in data["areas"]}
    topic_ids = {topic.pk for topic in data["topics"]}
    with transaction.atomic():
        DigestSettings.objects.update_or_create(
            user=user, defaults={"frequency": data["frequency"], "cap": data["cap"]}
        )
        dropped = Q(area__isnull=False) & ~Q(area__in=area_ids)
        dropped |= Q(topic__isnull=False) & ~Q(topic__in=topic_ids)
        Follow.objects.filter(user=user).filter(dropped).delete()
        # Those already followed keep their row (and when they were first followed).
        Follow.objects.bulk_create(
            [Follow(user=user, area_id=pk) for pk in area_ids]
            + [Follow(user=user, topic_id=pk) for pk in topic_ids],
            ignore_conflicts=True,
        )


@login_required
@require_http_methods(["GET", "POST"])
@limit_writes("follow")
def following(request: HttpRequest) -> HttpResponse:
    """Choose the areas and topics followed, how often the digest comes and its cap."""
    if request.method == "POST":
        form = FollowingForm(request.POST)
        if form.is_valid():
            save_choices(request.user, form.cleaned_data)
            if form.cleaned_data["frequency"] == Frequency.NEVER:
                messages.success(
                    request, _("Your choices are saved. You will not get calendar emails.")
                )
            else:
                messages.success(request, _("Your choices are saved."))
            return redirect("calendar:following")
    else:
        form = FollowingForm(initial=current_choices(request.user))
    return render(
        request, "calendar/following.html", {"form": form}, status=400 if form.errors else 200
    )


def _back_to(request: HttpRequest, fallback: str) -> str:
    """The page to go back to: ``next`` when it is a path on this site, else ``fallback``."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
@limit_writes("follow")
def follow_area(request: HttpRequest, slug: str) -> HttpResponse:
    """Follow an area, or stop following it, from the calendar's list. The form says which, so
    that a double click cannot undo the first click."""
    area = get_object_or_404(Area, slug=slug)
    action = request.POST.get("action")
    if action == "follow":
        Follow.objects.get_or_create(user=request.user, area=area)
        no_emails = DigestSettings.objects.filter(user=request.user, frequency=Frequency.NEVER)
        if no_emails.exists():
            messages.success(
                request,
                _(
                    "You follow %(area)s. You have chosen not to get calendar emails: change "
                    "that on “Choose what you hear about” to hear about new activities there."
                )
                % {"area": area.name},
            )
        else:
            messages.success(
                request,
                _("You follow %(area)s. New activities there will be in your calendar email.")
                % {"area": area.name},
            )
    elif action == "stop":
        Follow.objects.filter(user=request.user, area=area).delete()
        messages.success(request, _("You no longer follow %(area)s.") % {"area": area.name})
    else:
        return render(request, "400.html", status=400)
    fallback = reverse("calendar:index") + "?" + f"area={area.slug}"
    return redirect(_back_to(request, fallback))


# A mail client's one-click unsubscribe (RFC 8058) is a POST with no CSRF token or cookie: the
# unguessable token in the address is what makes it safe, and the page asks for nothing else.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@limit_writes("unsubscribe")
def unsubscribe(request: HttpRequest, token) -> HttpResponse:
    """GET shows one "Unsubscribe" button (link checkers and previews must not unsubscribe
    anyone); POST stops every calendar email, without signing in."""
    chosen = get_object_or_404(DigestSettings, token=token)
    if request.method == "POST":
        chosen.frequency = Frequency.NEVER
        chosen.save(update_fields=["frequency", "updated_at"])
        return render(request, "calendar/unsubscribed.html")
    return render(request, "calendar/unsubscribe.html", {"token": chosen.token})


urlpatterns = [
    path("following/", following, name="following"),
    path("follow/<slug:slug>/", follow_area, name="follow_area"),
    path("unsubscribe/<uuid:token>/", unsubscribe, name="unsubscribe"),
]
