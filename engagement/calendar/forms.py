"""Forms for the shared calendar: posting or changing an activity, filtering the list, and an
officer's decision on a pending activity.

Dates and times are typed as local (Europe/London) wall-clock values in separate date and time
inputs, and turned into aware datetimes here, so a partner never has to think about British Summer
Time.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from engagement.calendar.logic import LONDON
from engagement.calendar.models import Activity
from engagement.models import Area, Audience, Organisation, ServiceCategory

WEEKDAYS = [
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]

DATE_HINT = _("For example, 2026-03-27")
TIME_HINT = _("24-hour clock, for example 14:30")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def local_moment(day: dt.date, clock: dt.time) -> dt.datetime | None:
    """``day`` at ``clock`` in London, or None when that wall-clock time does not exist there (the
    hour skipped when the clocks go forward)."""
    moment = dt.datetime.combine(day, clock, tzinfo=LONDON)
    round_trip = moment.astimezone(dt.UTC).astimezone(LONDON)
    if round_trip.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return None
    return moment


class AreaChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, area: Area) -> str:
        if area.kind == Area.Kind.WARD and area.parent_id:
            return _("%(ward)s (%(district)s)") % {"ward": area.name, "district": area.parent.name}
        return area.name


class ActivityForm(forms.ModelForm):
    """One activity. Dates and times are split for people; ``starts_at``/``ends_at`` hold the
    start and end dates and the time parts have their own fields. Weekly activities give the
    first date, the days and the opening hours instead of an end."""

    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations running it"),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose the organisation running it.")},
    )
    areas = AreaChoiceField(
        label=_("Where it is for"),
        queryset=Area.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Choose the whole county, a district or wards. A district covers all its wards."
        ),
        error_messages={"required": _("Choose at least one area it is for.")},
    )
    audiences = forms.ModelMultipleChoiceField(
        label=_("Who it is for"),
        queryset=Audience.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty if it is for everyone."),
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"),
        queryset=ServiceCategory.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    starts_at = forms.DateField(
        label=_("Date it starts"),
        help_text=_("For a weekly activity, the first date it could open. %(hint)s")
        % {"hint": DATE_HINT},
        widget=_date_input(),
        error_messages={
            "required": _("Enter the date it starts."),
            "invalid": _("Enter the date it starts as a real date, for example 2026-03-27."),
        },
    )
    start_time = forms.TimeField(
        label=_("Time it starts"),
        required=False,
        help_text=TIME_HINT,
        widget=_time_input(),
        error_messages={"invalid": _("Enter the time it starts, for example 14:30.")},
    )
    ends_at = forms.DateField(
        label=_("Date it ends"),
        required=False,
        help_text=DATE_HINT,
        widget=_date_input(),
        error_messages={
            "invalid": _("Enter the date it ends as a real date, for example 2026-03-27.")
        },
    )
    end_time = forms.TimeField(
        label=_("Time it ends"),
        required=False,
        help_text=TIME_HINT,
        widget=_time_input(),
        error_messages={"invalid": _("Enter the time it ends, for example 16:00.")},
    )
    weekdays = forms.MultipleChoiceField(
        label=_("Repeats every week on"),
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for something that opens every week, such as a Warm Space."),
    )
    clash_reason = forms.CharField(
        label=_("Why it must go ahead despite a clash"),
        required=False,
        max_length=1000,
        widget=forms.Textarea,
        help_text=_("Only needed if it clashes with another activity. Officers can see this."),
    )

    class Meta:
        model = Activity
        fields = [
            "title",
            "summary",
            "kind",
            "organisations",
            "areas",
            "audiences",
            "topics",
            "opens",
            "closes",
            "repeat_until",
            "venue",
            "online_url",
            "mode",
            "ask_level",
            "clash_reason",
        ]
        labels = {
            "title": _("Title"),
            "summary": _("What it is"),
            "kind": _("Type of activity"),
            "opens": _("Opens at"),
            "closes": _("Closes at"),
            "repeat_until": _("Last date it repeats"),
            "venue": _("Venue"),
            "online_url": _("Online link"),
            "mode": _("How you are engaging"),
            "ask_level": _("How much it asks of people"),
        }
        help_texts = {
            "opens": TIME_HINT,
            "closes": TIME_HINT,
            "repeat_until": DATE_HINT,
            "venue": _("Leave empty if it is only online."),
            "online_url": _("For example, https://example.org/meeting"),
        }
        widgets = {
            "summary": forms.Textarea,
            "opens": _time_input(),
            "closes": _time_input(),
            "repeat_until": _date_input(),
            "mode": forms.RadioSelect,
            "ask_level": forms.RadioSelect,
        }
        error_messages = {
            "title": {"required": _("Enter a title.")},
            "kind": {"required": _("Choose the type of activity.")},
            "online_url": {"invalid": _("Enter the online link as a full web address.")},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self._times_read = False
        self.fields["organisations"].queryset = self.organisations_for(user, self.instance)
        self.fields["areas"].queryset = Area.objects.select_related("parent").order_by(
            "kind", "parent__name", "name"
        )
        if self.instance.pk:
            self._initial_from(self.instance)

    def _initial_from(self, activity: Activity) -> None:
        """Fill the split date and time inputs from a saved activity. Written as the strings the
        inputs take (``2026-03-27``, ``14:30``): the shared field template prints values as they
        are, and Django would otherwise localise a date as "27 Mar 2026"."""
        start = activity.starts_at.astimezone(LONDON)
        end = activity.ends_at.astimezone(LONDON)
        initial = {"starts_at": start.date().isoformat(), "weekdays": list(activity.weekdays)}
        if activity.is_recurring:
            initial["opens"] = activity.opens.strftime("%H:%M")
            initial["closes"] = activity.closes.strftime("%H:%M")
            initial["repeat_until"] = activity.repeat_until.isoformat()
        else:
            initial["start_time"] = start.strftime("%H:%M")
            initial["ends_at"] = end.date().isoformat()
            initial["end_time"] = end.strftime("%H:%M")
        self.initial.update(initial)

    @staticmethod
    def organisations_for(user, activity: Activity):
        """The organisations ``user`` may post for: those they are an officer or partner of (all
        of them for a superuser), plus, when changing an activity, the ones already running it, so
        that a partner's change does not drop the other organisations of a joint activity."""
        organisations = Organisation.objects.order_by("name")
        if user.is_superuser:
            return organisations
        mine = Q(pk__in=user.organisation_ids("officer", "partner"))
        if activity.pk:
            mine |= Q(pk__in=activity.organisations.values("pk"))
        return organisations.filter(mine)

    def clean(self):
        data = super().clean()
        day = data.get("starts_at")
        weekdays = data.get("weekdays") or []
        self.instance.weekdays = "".join(sorted(set(weekdays)))
        if weekdays:
            self._clean_weekly(data, day)
        else:
            # Opening hours only mean something for a weekly activity.
            data["opens"] = data["closes"] = data["repeat_until"] = None
            self._clean_once(data, day)
        return data

    def _clean_once(self, data, day) -> None:
        start_time, end_day, end_time = (data.get(k) for k in ("start_time", "ends_at", "end_time"))
        if "start_time" not in self.errors and start_time is None:
            self.add_error("start_time", _("Enter the time it starts."))
        if "ends_at" not in self.errors and end_day is None:
            self.add_error("ends_at", _("Enter the date it ends."))
        if "end_time" not in self.errors and end_time is None:
            self.add_error("end_time", _("Enter the time it ends."))
        if day and start_time and end_day and end_time:
            starts_at = self._moment(day, start_time, "start_time")
            ends_at = self._moment(end_day, end_time, "end_time")
            if starts_at and ends_at:
                self.instance.starts_at, self.instance.ends_at = starts_at, ends_at
                self._times_read = True

    def _clean_weekly(self, data, day) -> None:
        opens, closes, until = (data.get(k) for k in ("opens", "closes", "repeat_until"))
        for name, message in (
            ("opens", _("Enter the time it opens.")),
            ("closes", _("Enter the time it closes.")),
            ("repeat_until", _("Enter the last date it repeats.")),
        ):
            if name not in self.errors and data.get(name) is None:
                self.add_error(name, message)
        if day and until and until < day:
            self.add_error("repeat_until", _("The last date must be on or after the first date."))
            return
        if day and opens and closes and until:
            # The model works out the exact envelope from the pattern when it is saved; these
            # bounds are only so that it validates as a whole.
            self.instance.starts_at = dt.datetime.combine(day, opens, tzinfo=LONDON)
            self.instance.ends_at = dt.datetime.combine(until, closes, tzinfo=LONDON)
            self._times_read = True

    def _moment(self, day: dt.date, clock: dt.time, field: str) -> dt.datetime | None:
        moment = local_moment(day, clock)
        if moment is None:
            self.add_error(
                field,
                _("That time does not exist on that day because the clocks go forward."),
            )
        return moment

    def _post_clean(self):
        # The model's own rules (the end after the start, a complete weekly pattern) run only
        # once every date and time could be read, so their messages land on the right fields.
        if not self._times_read:
            return
        super()._post_clean()

    def area_ids(self) -> frozenset[int]:
        return frozenset(area.pk for area in self.cleaned_data["areas"])

    def audience_ids(self) -> frozenset[int]:
        return frozenset(audience.pk for audience in self.cleaned_data["audiences"])

    def area_groups(self) -> list[tuple[str, list[tuple[str, str, bool]]]]:
        """The area checkboxes grouped as the county, its districts and their wards."""
        field = self["areas"]
        value = field.value() or []
        chosen = {str(v) for v in value}
        groups: dict[str, list] = {kind: [] for kind in Area.Kind.values}
        for area in field.field.queryset:
            label = field.field.label_from_instance(area)
            groups[area.kind].append((str(area.pk), label, str(area.pk) in chosen))
        names = dict(Area.Kind.choices)
        return [(names[kind], options) for kind, options in groups.items() if options]


class DecisionForm(forms.Form):
    """An officer's decision on a pending activity: approve, or reject with a reason."""

    action = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        error_messages={
            "required": _("Choose approve or reject."),
            "invalid_choice": _("Choose approve or reject."),
        },
    )
    reason = forms.CharField(
        label=_("Reason for rejecting it"),
        required=False,
        max_length=1000,
        widget=forms.Textarea,
        help_text=_("The person who posted it will be told this."),
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Enter the reason for rejecting it."))
        return data


class CalendarFilterForm(forms.Form):
    """The list's filters, by slug so that a shared link reads well."""

    area = forms.ModelChoiceField(
        label=_("Area"),
        queryset=Area.objects.order_by("kind", "name"),
        to_field_name="slug",
        required=False,
        empty_label=_("Everywhere"),
        error_messages={"invalid_choice": _("Choose an area from the list.")},
    )
    audience = forms.ModelChoiceField(
        label=_("Who it is for"),
        queryset=Audience.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("Anyone"),
        error_messages={"invalid_choice": _("Choose who it is for from the list.")},
    )
    topic = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=ServiceCategory.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("All topics"),
        error_messages={"invalid_choice": _("Choose a topic from the list.")},
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=_("All organisations"),
        error_messages={"invalid_choice": _("Choose an organisation from the list.")},
    )
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=[("", _("All types")), *Activity.Kind.choices],
        required=False,
        error_messages={"invalid_choice": _("Choose a type from the list.")},
    )
