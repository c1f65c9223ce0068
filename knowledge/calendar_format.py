"""How the calendar's facts are written: dates, hours, openings and the contact point's line.

``12月12日(土)`` / ``Saturday 12 December``, ``8:30〜12:30`` / ``8:30–12:30``, and
``サンキューコールかわさき（044-200-3939、毎日8:00〜21:00）``: one place for each, used by the sentences
of :mod:`knowledge.calendar_text` and by the answers' and the chat's contact center
(``intents.compose.ContactPoint.line``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from knowledge.calendar import Calendar, Opening

__all__ = [
    "Lang",
    "contact_hours",
    "contact_line",
    "format_contact_line",
    "format_date",
    "format_hours",
    "format_opening",
    "format_time",
]

Lang = Literal["ja", "en"]

WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def format_date(day: dt.date, lang: Lang = "ja", *, with_year: bool = False) -> str:
    """``12月12日(土)`` / ``2027年1月9日(土)``; ``Saturday 12 December`` / ``… December 2027``."""
    if lang == "en":
        text = f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]}"
        return f"{text} {day.year}" if with_year else text
    text = f"{day.month}月{day.day}日({WEEKDAYS_JA[day.weekday()]})"
    return f"{day.year}年{text}" if with_year else text


def format_time(t: dt.time) -> str:
    """``8:30``, ``13:00``: the hour without a leading zero."""
    return f"{t.hour}:{t.minute:02d}"


def format_hours(opening: Opening, lang: Lang = "ja") -> str:
    """``8:30〜12:30`` / ``8:30–12:30``; an empty string when the hours are not verified."""
    if opening.open is None or opening.close is None:
        return ""
    dash = "–" if lang == "en" else "〜"
    return f"{format_time(opening.open)}{dash}{format_time(opening.close)}"


def format_opening(opening: Opening, lang: Lang = "ja", *, with_year: bool = False) -> str:
    """``12月12日(土) 8:30〜12:30`` / ``Saturday 12 December, 8:30–12:30``."""
    day = format_date(opening.date, lang, with_year=with_year)
    hours = format_hours(opening, lang)
    if not hours:
        return day
    return f"{day}, {hours}" if lang == "en" else f"{day} {hours}"


def contact_hours(cal: Calendar, lang: Lang = "ja") -> str:
    """``毎日8:00〜21:00`` (``every day 8:00–21:00``): the contact point's hours from its profile, when it
    keeps the same hours every day, holidays included; else empty (the hours are not one phrase)."""
    prof = cal.profiles.get(cal.contact.profile)
    if prof is None or len(prof.open_days) != 7 or prof.holidays != "open":
        return ""
    distinct = set(prof.hours)
    only = next(iter(distinct)) if len(distinct) == 1 else None
    if only is None:
        return ""
    if lang == "en":
        return f"every day {format_time(only.open)}–{format_time(only.close)}"
    return f"毎日{format_time(only.open)}〜{format_time(only.close)}"


def format_contact_line(name: str, phone: str, hours: str, lang: Lang = "ja") -> str:
    """The one way a contact point is written: ``サンキューコールかわさき（044-200-3939、毎日8:00〜21:00）``,
    ``Thank You Call Kawasaki, 044-200-3939, every day 8:00–21:00``; without hours when ``hours`` is empty.

    Used by :func:`contact_line` (the calendar's contact) and by ``intents.compose.ContactPoint.line``
    (the contact center of answers and of the chat's handoff messages).
    """
    if lang == "en":
        return f"{name}, {phone}" + (f", {hours}" if hours else "")
    return f"{name}（{phone}" + (f"、{hours}" if hours else "") + "）"


def contact_line(cal: Calendar, lang: Lang = "ja") -> str:
    """``サンキューコールかわさき（044-200-3939、毎日8:00〜21:00）``, hours taken from its profile."""
    c = cal.contact
    return format_contact_line(c.name_en if lang == "en" else c.name, c.phone, contact_hours(cal, lang), lang)
