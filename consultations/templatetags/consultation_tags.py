"""Template helpers for consultations: status tags, time left and the way to written answers."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.simple_tag
def status_tag(consultation, now=None) -> str:
    status = consultation.status(now)
    label, colour = {
        "open": (_("Open"), "govuk-tag--blue"),
        "forthcoming": (_("Forthcoming"), "govuk-tag--yellow"),
        "closed": (_("Closed"), "govuk-tag--grey"),
    }[status]
    return format_html('<strong class="govuk-tag {}">{}</strong>', colour, label)


@register.simple_tag
def time_left(closes_at, now) -> str:
    """ "3 days left", "5 hours left", "less than an hour left"."""
    seconds = (closes_at - now).total_seconds()
    if seconds <= 0:
        return _("closed")
    days = int(seconds // 86400)
    if days >= 1:
        return ngettext("%(n)d day left", "%(n)d days left", days) % {"n": days}
    hours = int(seconds // 3600)
    if hours >= 1:
        return ngettext("%(n)d hour left", "%(n)d hours left", hours) % {"n": hours}
    return _("less than an hour left")


@register.filter
def ranking_rows(field) -> list[dict]:
    """One row per option of a ranking question's bound field: its select's name, id and value."""
    options = field.field.options
    value = field.value() or []
    if not isinstance(value, list | tuple):
        value = []
    choices = field.field.fields[0].choices
    rows = []
    for index, option in enumerate(options):
        rows.append(
            {
                "option": option,
                "name": f"{field.html_name}_{index}",
                "id": f"{field.auto_id}_{index}",
                "value": str(value[index]) if index < len(value) and value[index] else "",
                "choices": choices,
            }
        )
    return rows


@register.simple_tag
def themable_questions(consultation, user) -> list:
    """The questions whose written answers ``user`` may read and theme on this consultation: none
    for anyone without ``consultations.theme_answers`` on it."""
    from consultations.results import has_written_answers

    if not user.has_perm("consultations.theme_answers", consultation):
        return []
    return [q for q in consultation.survey.questions if has_written_answers(q)]
