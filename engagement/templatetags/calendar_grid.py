"""The calendar's heat strip, drawn wherever ``calendar/_heat_strip.html`` is included: the list,
the month and the week."""

from __future__ import annotations

from django import template

from engagement.calendar.grid import heat_strip as heat_weeks
from engagement.calendar.grid import today
from engagement.calendar.views import filter_query

register = template.Library()


@register.inclusion_tag("calendar/_grid_heat_strip.html", takes_context=True)
def heat_strip(context) -> dict:
    """The next eight weeks' engagement load from the week the page shows (``heat_from``; this
    week on the list), for the area chosen in the page's filter ``form`` or the whole place.
    Nothing when the filters are not valid: the page is then an error page."""
    request = context.get("request")
    form = context.get("form")
    if form is not None and form.is_bound and form.errors:
        return {"weeks": []}
    area = getattr(form, "cleaned_data", {}).get("area")
    query = filter_query(request) if request is not None else ""
    found = heat_weeks(context.get("heat_from") or today(), area, query)
    user = getattr(request, "user", None)
    found["area"] = area
    found["may_see_table"] = bool(user and user.has_perm("calendar.view_clash_reasons"))
    return found
