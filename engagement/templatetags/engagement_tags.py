"""Template helpers shared by every page."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

register = template.Library()


@register.filter
def elided_pages(page) -> list:
    """The page numbers a list's pagination links to: the first and last, two either side of the
    current one, and ``Paginator.ELLIPSIS`` for the gaps (thousands of pages of written answers
    would otherwise be thousands of links)."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))


@register.filter
def section_navigation(request) -> list[dict]:
    """The platform's sections, each marked "page" when it is the current page or "true" when the
    current page is inside it (for ``aria-current``)."""
    items = [
        ("/", _("Home")),
        ("/consultations/", _("Consultations")),
        (reverse("places:index"), _("Pride and shame map")),
        (reverse("forums:index"), _("Forums")),
        (reverse("calendar:index"), _("Calendar")),
    ]
    path = getattr(request, "path", "")
    navigation = []
    for href, label in items:
        if path == href:
            state = "page"
        elif href != "/" and path.startswith(href):
            state = "true"
        else:
            state = ""
        navigation.append({"href": href, "label": label, "state": state})
    return navigation


@register.filter
def field_describedby(field) -> str:
    """The ids that describe a bound field: its hint and its error message, when present."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}-hint")
    if field.errors:
        ids.append(f"{field.auto_id}-error")
    return " ".join(ids)


@register.filter
def widget_type(field) -> str:
    """The kind of input a bound field renders: text, email, password, checkbox, textarea..."""
    widget = field.field.widget
    if widget.__class__.__name__ == "Textarea":
        return "textarea"
    if widget.__class__.__name__ in {"Select", "SelectMultiple"}:
        return "select"
    return getattr(widget, "input_type", "text")


def _uk_time(moment: datetime) -> str:
    """GOV.UK style: "9am", "5:30pm", "midday", "midnight"."""
    if moment.hour == 0 and moment.minute == 0:
        return pgettext("time of day", "midnight")
    if moment.hour == 12 and moment.minute == 0:
        return pgettext("time of day", "midday")
    hour = moment.hour % 12 or 12
    clock = f"{hour}:{moment.minute:02d}" if moment.minute else str(hour)
    if moment.hour < 12:
        # Translators: a time in the morning, such as "9am" or "9:30am".
        return _("%(time)sam") % {"time": clock}
    # Translators: a time in the afternoon or evening, such as "5pm" or "11:59pm".
    return _("%(time)spm") % {"time": clock}


@register.filter
def uk_datetime(value: datetime | date | None) -> str:
    """A date and time as GOV.UK writes them, in the site's time zone (Europe/London, so British
    Summer Time is taken into account): "1 December 2026, 11:59pm", "3 March 2026, midday".

    Unlike Django's ``|date:"g:ia"`` ("11:59 p.m.") it never ends in a full stop, so it reads well
    at the end of a sentence. A date without a time is written as the date alone; anything else
    (``None`` included) as "".
    """
    if not isinstance(value, date):
        return ""
    if not isinstance(value, datetime):
        return date_format(value, "j F Y")
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    # Translators: a date then a time, such as "1 December 2026, 11:59pm".
    return _("%(date)s, %(time)s") % {
        "date": date_format(value, "j F Y"),
        "time": _uk_time(value),
    }


@register.filter
def options_of(field) -> list[tuple[str, str, bool]]:
    """The ``(value, label, chosen)`` of each option of a bound choice field, flat.

    Iterating a bound field (``{% for choice in field %}``) or printing a select (``{{ field }}``)
    renders Django's widget templates, one include per option: a survey page with a few ward lists
    spent most of its time there. The templates write the markup themselves from these triples.
    """
    value = field.value()
    values = value if isinstance(value, list | tuple) else [value]
    chosen = {str(v) for v in values if v not in (None, "")}
    form_field = field.field
    if hasattr(form_field, "queryset"):
        # A model choice field iterates its queryset through a server-side cursor on PostgreSQL
        # (four round trips); one plain query does.
        choices = [("", form_field.empty_label)] if form_field.empty_label is not None else []
        choices += [(obj.pk, form_field.label_from_instance(obj)) for obj in form_field.queryset]
    else:
        choices = form_field.choices
    return [(str(v), label, str(v) in chosen) for v, label in choices]


@register.filter
def radio_options(field) -> list[tuple[str, str, bool]]:
    """:func:`options_of` without the blank choice: radios have no "choose one" option, and the
    first real radio must carry the field's id for the error summary's link."""
    return [option for option in options_of(field) if option[0] != ""]
