"""Charts drawn on the server as inline SVG, without JavaScript.

Each chart is a picture of a table printed beside it: the ``<table>`` is what assistive technology
reads, the SVG carries a title naming what it shows. Geometry uses percentages of the chart's width
(so bars stretch with the column at any screen size while text keeps its size) and presentation
attributes only: the Content-Security-Policy forbids ``style`` attributes.
"""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.text import Truncator

register = template.Library()

# Horizontal bars: a line of text, then the bar under it.
ROW_HEIGHT = 46
BAR_OFFSET = 24
BAR_HEIGHT = 16
LABEL_CHARS = 48
# Columns over time.
COLUMNS_TOP = 24
COLUMNS_HEIGHT = 120
COLUMNS_AXIS = COLUMNS_TOP + COLUMNS_HEIGHT


def _number(value: float) -> str:
    """A coordinate as SVG wants it, whatever the template's number localisation."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


@register.inclusion_tag("consultations/_chart_bars.html")
def bar_chart(bars: Sequence, title: str, chart_id: str) -> dict:
    """A horizontal bar chart of ``bars`` (objects with ``label``, ``value`` and ``text``), each bar
    scaled to the largest value."""
    largest = max((bar.value for bar in bars), default=0) or 1
    rows = []
    for index, bar in enumerate(bars):
        top = index * ROW_HEIGHT
        rows.append(
            {
                "text": f"{Truncator(bar.label).chars(LABEL_CHARS)}: {bar.text}",
                "text_y": top + 17,
                "bar_y": top + BAR_OFFSET,
                "width": _number(max(bar.value, 0) * 100 / largest),
            }
        )
    return {
        "rows": rows,
        "title": title,
        "chart_id": chart_id,
        "height": len(rows) * ROW_HEIGHT,
        "bar_height": BAR_HEIGHT,
    }


@register.inclusion_tag("consultations/_chart_columns.html")
def column_chart(bars: Sequence, title: str, chart_id: str) -> dict:
    """A column chart over time: one column per period, the first and last periods named under
    the axis and the largest count above it."""
    largest = max((bar.value for bar in bars), default=0)
    slot = 100 / len(bars) if bars else 100
    columns = []
    for index, bar in enumerate(bars):
        height = bar.value * COLUMNS_HEIGHT / largest if largest else 0
        columns.append(
            {
                "x": _number(index * slot + slot * 0.1),
                "y": _number(COLUMNS_AXIS - height),
                "width": _number(slot * 0.8),
                "height": _number(height),
            }
        )
    return {
        "columns": columns,
        "title": title,
        "chart_id": chart_id,
        "largest": largest,
        "first": bars[0].label if bars else "",
        "last": bars[-1].label if len(bars) > 1 else "",
        "top": COLUMNS_TOP,
        "axis": COLUMNS_AXIS,
        "label_y": COLUMNS_AXIS + 20,
        "height": COLUMNS_AXIS + 28,
    }
