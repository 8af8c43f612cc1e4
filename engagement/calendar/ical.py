"""iCalendar (RFC 5545) text for the calendar's feeds and "add to calendar" files.

Written by hand rather than with a library: a feed of 10,000 events must be built in well under
half a second, and the subset we need is small. Times are local wall-clock times in
Europe/London (with one VTIMEZONE for it), so that a weekly activity opening at 10:00 stays at
10:00 in calendar apps across the clock changes; its RRULE expands to exactly the occurrences
:meth:`engagement.calendar.models.Activity.spans` gives.

Nothing here imports the ORM: :mod:`engagement.calendar.feeds` turns activities into
:class:`Event` values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from engagement.calendar.logic import LONDON

CRLF = "\r\n"
TZID = "Europe/London"
PRODID = "-//Common Ground//Engagement calendar//EN"
# RFC 5545 3.1: content lines are at most 75 octets; a continuation line starts with a space.
LINE_OCTETS = 75
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# The current UK rules (since 1996): BST from 01:00 UTC on the last Sunday in March to 01:00 UTC
# on the last Sunday in October. DTSTART of each part is local time before the change.
VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    f"X-LIC-LOCATION:{TZID}",
    "BEGIN:DAYLIGHT",
    "TZNAME:BST",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "DTSTART:19700329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZNAME:GMT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "DTSTART:19701025T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
)

# Control characters other than tab and line feed are not allowed in TEXT at all: dropped.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Weekly:
    """A weekly pattern: on these weekdays (digits, Monday = 0) from ``opens`` to ``closes``
    local time, up to and including ``repeat_until``."""

    weekdays: str
    opens: time
    closes: time
    repeat_until: date


@dataclass(slots=True)  # not frozen: a frozen dataclass is twice as slow to make, 10,000 times
class Event:
    """What one VEVENT says. ``starts_at``/``ends_at`` are timezone-aware; for a weekly event
    ``starts_at`` is on (or before) its first day."""

    uid: str
    sequence: int
    summary: str
    description: str
    url: str
    location: str
    categories: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    created: datetime
    last_modified: datetime
    cancelled: bool = False
    weekly: Weekly | None = None


def escape_text(value: str) -> str:
    """``value`` as an iCalendar TEXT value: backslash, semicolon, comma and line breaks escaped."""
    if not value.isprintable():  # line breaks, tabs, control characters (and some spaces)
        value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    # str.replace runs in C: several times quicker than one str.translate with a mapping.
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """``line`` folded into content lines of at most 75 octets, never inside a UTF-8 character."""
    if line.isascii():
        if len(line) <= LINE_OCTETS:
            return line
        parts = [line[:LINE_OCTETS]]
        step = LINE_OCTETS - 1  # after the leading space
        parts += [line[i : i + step] for i in range(LINE_OCTETS, len(line), step)]
        return "\r\n ".join(parts)
    if len(line.encode()) <= LINE_OCTETS:
        return line
    parts = []
    start = used = 0
    for index, char in enumerate(line):
        code = ord(char)
        size = 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
        if used + size > LINE_OCTETS:
            parts.append(line[start:index])
            start, used = index, 1  # the continuation line's leading space
        used += size
    parts.append(line[start:])
    return "\r\n ".join(parts)


def _stamp(moment: datetime) -> str:
    """A UTC date-time: 20260302T100000Z."""
    return _wall(moment.astimezone(UTC)) + "Z"


def _wall(m: datetime) -> str:
    """A wall-clock date-time without a zone: 20260302T100000."""
    # %-formatting: twice as quick as strftime or an f-string here, and a feed has 40,000 of these.
    parts = (m.year, m.month, m.day, m.hour, m.minute, m.second)
    return "%04d%02d%02dT%02d%02d%02d" % parts  # noqa: UP031


def _when(name: str, moment: datetime) -> str:
    """DTSTART/DTEND as London wall-clock time, or in UTC for the one hour a year a wall-clock
    time cannot say (the second 01:30 when the clocks go back: a local time means the first)."""
    local = moment.astimezone(LONDON)
    if local.fold:
        return f"{name}:{_stamp(moment)}"
    return f"{name};TZID={TZID}:{_wall(local)}"


def weekly_days(first: date, pattern: Weekly) -> tuple[date, date] | None:
    """The first and last day a weekly pattern opens from ``first``, or None if it never does."""
    days = {int(day) for day in pattern.weekdays}
    if not days:
        return None
    start = min(first + timedelta((day - first.weekday()) % 7) for day in days)
    until = pattern.repeat_until
    end = max(until - timedelta((until.weekday() - day) % 7) for day in days)
    if end < start:
        return None
    return start, end


def event_lines(event: Event, stamp: str, busy: bool = False) -> list[str]:
    """The content lines of one VEVENT, folded; empty if a weekly event never opens. Not
    ``busy``: shown without blocking the time, as for a calendar one subscribes to. Only the
    lines that can be long are folded: a big feed has hundreds of thousands of lines."""
    lines = ["BEGIN:VEVENT", fold(f"UID:{event.uid}"), f"DTSTAMP:{stamp}"]
    weekly = event.weekly
    if weekly is None:
        lines.append(_when("DTSTART", event.starts_at))
        lines.append(_when("DTEND", event.ends_at))
    else:
        found = weekly_days(event.starts_at.astimezone(LONDON).date(), weekly)
        if found is None:
            return []
        first, last = found
        lines.append(_when("DTSTART", datetime.combine(first, weekly.opens, LONDON)))
        lines.append(_when("DTEND", datetime.combine(first, weekly.closes, LONDON)))
        days = ",".join(DAY_CODES[int(day)] for day in sorted(weekly.weekdays))
        # UNTIL is inclusive and compared with each occurrence's start: the last one's end is
        # after the last start and a week before the next one would begin.
        until = _stamp(datetime.combine(last, weekly.closes, LONDON))
        lines.append(f"RRULE:FREQ=WEEKLY;BYDAY={days};UNTIL={until}")
    lines += [
        f"CREATED:{_stamp(event.created)}",
        f"LAST-MODIFIED:{_stamp(event.last_modified)}",
        f"SEQUENCE:{event.sequence}",
        "STATUS:CANCELLED" if event.cancelled else "STATUS:CONFIRMED",
        fold(f"SUMMARY:{escape_text(event.summary)}"),
    ]
    if event.description:
        lines.append(fold(f"DESCRIPTION:{escape_text(event.description)}"))
    if event.location:
        lines.append(fold(f"LOCATION:{escape_text(event.location)}"))
    if event.categories:
        lines.append(fold("CATEGORIES:" + ",".join(map(escape_text, event.categories))))
    if event.url:
        lines.append(fold(f"URL:{event.url}"))
    lines.append("TRANSP:OPAQUE" if busy else "TRANSP:TRANSPARENT")
    lines.append("END:VEVENT")
    return lines


# DTSTAMP is when the feed was built, but an event's text is kept and shared between builds (see
# engagement.calendar.feeds): it holds this instead, filled in once per feed. TEXT values cannot
# contain it (escape_text drops control characters), and nothing else is free text.
_STAMP = "\x00DTSTAMP\x00"


def event_text(event: Event, busy: bool = False) -> str:
    """One VEVENT as text with its line ends, for :func:`calendar_text`; empty if a weekly event
    never opens. The same text serves every build of every feed the event is in."""
    lines = event_lines(event, _STAMP, busy)
    return CRLF.join(lines) + CRLF if lines else ""


def calendar_text(name: str, event_texts: Iterable[str], now: datetime | None = None) -> str:
    """A whole VCALENDAR: the feed's header, the London time zone, then the events' texts (from
    :func:`event_text`), all stamped ``now``."""
    header = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        fold(f"X-WR-CALNAME:{escape_text(name)}"),
        f"X-WR-TIMEZONE:{TZID}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
        *VTIMEZONE,
    ]
    body = CRLF.join(header) + CRLF + "".join(event_texts) + "END:VCALENDAR" + CRLF
    return body.replace(_STAMP, _stamp(now or datetime.now(UTC)))


def calendar(
    name: str, events: Iterable[Event], now: datetime | None = None, busy: bool = False
) -> str:
    """A whole VCALENDAR of ``events`` (``busy``: they block the time, as for one somebody adds
    to their own calendar)."""
    return calendar_text(name, (event_text(event, busy) for event in events), now)
