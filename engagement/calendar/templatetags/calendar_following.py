"""Template tags for following areas on the calendar."""

from __future__ import annotations

from django import template

from engagement.calendar.models import Follow

register = template.Library()


@register.simple_tag(takes_context=True)
def follows_area(context, area) -> bool:
    """Whether the person viewing the page follows ``area``: one query, none when signed out."""
    user = context["request"].user
    return bool(user.is_authenticated and Follow.objects.filter(user=user, area=area).exists())
