"""The calendar's vocabulary: rule kinds, certainty, hours profiles, and the answers' value types.

Plain frozen data shared by the parser (:mod:`knowledge.calendar_parse`) and the queries
(:mod:`knowledge.calendar`): hours profiles, nth-weekday rules, annual and one-off closures,
temporary openings, and the results (:class:`Opening`, :class:`Day`, :class:`OpenStatus`).
National holidays come from jpholiday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import jpholiday

FILE = "calendar.yaml"
MAX_RANGE_DAYS = 366
"""Longest range (inclusive, in days) :meth:`Calendar.openings` answers."""
MAX_NEXT = 60
"""Most openings :meth:`Calendar.next_openings` returns in one call."""

Certainty = Literal["confirmed", "secondary", "unverified"]
"""✅ official source, 🟡 secondary or old, ❓ not verified (same values as knowledge.schema)."""
HolidayPolicy = Literal["closed", "open", "unverified"]
"""What a national holiday does; ``unverified`` is treated as closed and flagged."""
OtherDays = Literal["closed", "unverified"]
"""What days missing from the weekly hours are: known closed, or not known."""
ProfileKind = Literal["office", "corner", "phone"]
"""Decides the wording (開庁 / 開所 / 受付)."""
OpeningKind = Literal["weekday", "saturday", "temporary", "holiday", "daily"]
"""``weekday`` Mon–Fri regular hours; ``saturday`` an nth-Saturday opening; ``temporary``
a listed busy-season day; ``holiday`` regular hours on a national holiday; ``daily``
regular hours on a Saturday or Sunday of a profile open at weekends."""
DayReason = Literal[
    "weekday",
    "saturday-opening",
    "temporary",
    "daily",
    "holiday-opening",
    "closure",
    "annual-closure",
    "holiday",
    "closed-saturday",
    "sunday",
    "closed-day",
    "window-not-open",
]
"""Why a day is open or closed; the first five are open days."""
Caveat = Literal[
    "saturday-holiday-unverified",
    "holiday-unverified",
    "days-unverified",
    "closure-unverified",
    "hours-unverified",
    "uncertain",
]
"""Doubts an answer must voice: ``saturday-holiday-unverified`` an nth-Saturday that is a
national holiday (treated as closed); ``holiday-unverified`` a holiday whose handling is
not known; ``days-unverified`` a weekday the profile may or may not open;
``closure-unverified`` an annual closure not known to apply; ``hours-unverified`` open
but hours unknown; ``uncertain`` an opening from a secondary source."""
StatusState = Literal["open", "before-hours", "after-hours", "closed-today", "unknown"]

WEEKDAY_IDS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# ---------------------------------------------------------------------------
# Holidays and small date helpers


@lru_cache(maxsize=128)
def _year_holidays(year: int) -> Mapping[dt.date, str]:
    try:
        return dict(jpholiday.year_holidays(year))
    except OverflowError:
        # jpholiday looks a day past each holiday (振替休日), which is past dt.date.max in the year 9999: a
        # typed 9999-12-31 is nobody's opening day, and must not fail the request. Holidays day by day,
        # stopping where the library cannot look ahead.
        return {day: name for day in _days_of(year) if (name := _holiday_or_none(day))}


def _days_of(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=i) for i in range((dt.date(year, 12, 31) - first).days + 1)]


def _holiday_or_none(day: dt.date) -> str | None:
    try:
        return jpholiday.is_holiday_name(day)
    except OverflowError:
        return None


def holiday_name(day: dt.date) -> str | None:
    """The Japanese national holiday on ``day`` (振替休日 and 国民の休日 included), or None."""
    return _year_holidays(day.year).get(day)


def nth_weekday_of_month(day: dt.date) -> int:
    """Which occurrence of its weekday ``day`` is in its month (1..5): 2026-12-12 is the 2nd Saturday."""
    return (day.day - 1) // 7 + 1


def _fmt(t: dt.time | None) -> str | None:
    return None if t is None else t.strftime("%H:%M")


# ---------------------------------------------------------------------------
# Rules (what calendar.yaml holds, validated)


@dataclass(frozen=True)
class Hours:
    """An opening interval within one day, ``open`` inclusive, ``close`` exclusive."""

    open: dt.time
    close: dt.time

    def contains(self, t: dt.time) -> bool:
        return self.open <= t < self.close


@dataclass(frozen=True)
class Profile:
    """Regular hours of a kind of office (``ward-office``, ``contact-center`` …)."""

    id: str
    name: str
    name_en: str
    kind: ProfileKind
    open_days: frozenset[int]
    """Weekdays (0 = Monday) with regular hours."""
    hours: tuple[Hours | None, ...]
    """Seven entries, Monday first: the hours, or None when closed or not verified."""
    other_days: OtherDays
    holidays: HolidayPolicy
    certainty: Certainty
    source_url: str
    reviewed: dt.date
    note: str | None = None
    note_en: str | None = None
    after_hours_note: str | None = None
    after_hours_note_en: str | None = None

    @property
    def hours_verified(self) -> bool:
        """True when every open weekday has known hours."""
        return all(self.hours[d] is not None for d in self.open_days)


@dataclass(frozen=True)
class RuleProcedure:
    """A procedure accepted at an nth-weekday opening, with how sure we are of it."""

    id: str
    certainty: Certainty
    source_url: str | None = None


@dataclass(frozen=True)
class NthWeekdayRule:
    """A rule such as "the 2nd and 4th Saturday, 8:30–12:30, 区民課・保険年金課 only"."""

    id: str
    name: str
    name_en: str
    kind: OpeningKind
    profiles: tuple[str, ...]
    weekday: int
    nth: frozenset[int]
    hours: Hours
    windows: tuple[str, ...]
    holiday: HolidayPolicy
    procedures: tuple[RuleProcedure, ...]
    certainty: Certainty
    source_url: str
    reviewed: dt.date

    def matches(self, day: dt.date) -> bool:
        return day.weekday() == self.weekday and nth_weekday_of_month(day) in self.nth

    @property
    def procedure_ids(self) -> frozenset[str]:
        return frozenset(p.id for p in self.procedures)

    @property
    def secondary_procedure_ids(self) -> frozenset[str]:
        return frozenset(p.id for p in self.procedures if p.certainty != "confirmed")


@dataclass(frozen=True)
class AnnualClosure:
    """A closure repeating every year, such as 12/29–1/3 (it may wrap the new year)."""

    id: str
    name: str
    name_en: str
    start: tuple[int, int]
    end: tuple[int, int]
    profiles: tuple[str, ...]
    unverified_for: tuple[str, ...]
    certainty: Certainty
    source_url: str
    reviewed: dt.date

    @property
    def wraps_year(self) -> bool:
        return self.start > self.end

    def covers(self, day: dt.date) -> bool:
        md = (day.month, day.day)
        if self.wraps_year:
            return md >= self.start or md <= self.end
        return self.start <= md <= self.end

    def period_starting(self, year: int) -> tuple[dt.date, dt.date]:
        first = dt.date(year, *self.start)
        last = dt.date(year + 1 if self.wraps_year else year, *self.end)
        return first, last

    def next_period(self, day: dt.date) -> tuple[dt.date, dt.date]:
        """The period containing ``day``, or else the next one to start."""
        for year in (day.year - 1, day.year, day.year + 1):
            first, last = self.period_starting(year)
            if last >= day:
                return first, last
        raise AssertionError("unreachable: a yearly period always ends within two years")

    def applies_to(self, profile: str) -> bool:
        return profile in self.profiles or profile in self.unverified_for


@dataclass(frozen=True)
class Closure:
    """A one-off closure of some profiles over a date range."""

    id: str
    name: str
    name_en: str
    first: dt.date
    last: dt.date
    profiles: tuple[str, ...]
    source_url: str
    reviewed: dt.date


@dataclass(frozen=True)
class TemporaryOpening:
    """A busy-season extra opening announced by the city for one day."""

    id: str
    fiscal_year: int
    date: dt.date
    hours: Hours
    profiles: tuple[str, ...]
    windows: tuple[str, ...]
    procedures: tuple[str, ...] | None
    note: str | None
    source_url: str
    reviewed: dt.date


@dataclass(frozen=True)
class ContactInfo:
    """Who to confirm with; their hours are those of ``profile``."""

    profile: str
    name: str
    name_en: str
    phone: str


# ---------------------------------------------------------------------------
# Answers (what the queries return)


@dataclass(frozen=True)
class Opening:
    """One opening of an office (or of some of its windows) on one date.

    ``open``/``close`` are None when the hours are not verified; ``windows`` empty
    means the whole office; ``procedures`` None means no restriction (full service),
    otherwise the procedure ids known to be accepted, of which
    ``secondary_procedures`` rest on secondary sources.
    """

    date: dt.date
    open: dt.time | None
    close: dt.time | None
    kind: OpeningKind
    windows: tuple[str, ...] = ()
    note: str | None = None
    certain: bool = True
    rule_id: str | None = None
    procedures: frozenset[str] | None = None
    secondary_procedures: frozenset[str] = frozenset()

    @property
    def hours_known(self) -> bool:
        return self.open is not None and self.close is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as in ``GET /api/v1/openings`` ("HH:MM" or null for unknown hours)."""
        return {
            "date": self.date.isoformat(),
            "open": _fmt(self.open),
            "close": _fmt(self.close),
            "kind": self.kind,
            "windows": list(self.windows),
            "note": self.note,
            "certain": self.certain,
        }


@dataclass(frozen=True)
class ClosureInfo:
    """The closure that shuts (or may shut) a day, with its concrete dates."""

    id: str
    name: str
    name_en: str
    first: dt.date
    last: dt.date
    certain: bool


@dataclass(frozen=True)
class Day:
    """Everything known about one profile on one date."""

    date: dt.date
    profile: str
    openings: tuple[Opening, ...]
    reason: DayReason
    holiday_name: str | None = None
    closure: ClosureInfo | None = None
    caveats: tuple[Caveat, ...] = ()

    @property
    def is_open(self) -> bool:
        return bool(self.openings)

    @property
    def nth(self) -> int:
        """Occurrence of the weekday in the month (2 for the 2nd Saturday)."""
        return nth_weekday_of_month(self.date)


@dataclass(frozen=True)
class OpenStatus:
    """Is a profile open at a moment: the state, today's openings, and the next opening."""

    profile: str
    at: dt.datetime
    """The moment asked about, in the calendar's timezone."""
    day: Day
    state: StatusState
    current: Opening | None
    next_opening: Opening | None

    @property
    def is_open(self) -> bool | None:
        """True or False, or None when today's hours are not verified."""
        return None if self.state == "unknown" else self.state == "open"

    @property
    def reason(self) -> str:
        """``after-hours`` / ``before-hours`` on an open day, else the day's reason."""
        return self.state if self.state in ("before-hours", "after-hours") else self.day.reason

    @property
    def today(self) -> tuple[Opening, ...]:
        return self.day.openings
