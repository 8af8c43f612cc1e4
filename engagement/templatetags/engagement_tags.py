"""Template helpers shared by every page."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

register = template.Library()


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
