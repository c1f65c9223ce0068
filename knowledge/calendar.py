"""Opening days and hours as rules: is an office open on a date, and when does it next open.

``calendar.yaml`` holds rules, not a list of days: weekly hours per *hours
profile* (``ward-office``, ``contact-center`` …; offices name theirs in
``hours.profile``), nth-weekday rules (the ward offices' 区民課・保険年金課 on
the 2nd and 4th Saturday mornings), national holidays (jpholiday), annual
closures (12/29–1/3), one-off closures and busy-season temporary openings by
fiscal year. :meth:`Calendar.from_data` validates the raw mapping and reports
every problem at once as a :class:`~knowledge.errors.KnowledgeError`.

For one profile on one date the rules apply in this order::

    one-off closure > temporary opening > annual closure > national holiday
    > nth-weekday rule > weekly hours

Honesty is part of the data: a rule or profile has a ``certainty``; hours may be
``null`` (open, hours not verified); a holiday policy may be ``unverified``
(treated as closed, and the :class:`Day` carries a caveat so that answers tell the
citizen to confirm). Nothing here is Kawasaki-specific except the shipped data.

Example::

    cal = Calendar.from_data(yaml.safe_load(path.read_text()))
    cal.next_openings("ward-office", now, kind="saturday")[0]
    # Opening(date=2026-12-12, open=08:30, close=12:30, kind='saturday', windows=('区民課', '保険年金課'), …)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jpholiday

from knowledge.errors import CalendarQueryError, KnowledgeError, Problem, UnknownProfileError

__all__ = [
    "MAX_NEXT",
    "MAX_RANGE_DAYS",
    "AnnualClosure",
    "Calendar",
    "Caveat",
    "Certainty",
    "ClosureInfo",
    "ContactInfo",
    "Day",
    "DayReason",
    "Hours",
    "NthWeekdayRule",
    "OpenStatus",
    "Opening",
    "OpeningKind",
    "Profile",
    "holiday_name",
    "nth_weekday_of_month",
]

FILE = "calendar.yaml"
MAX_RANGE_DAYS = 366
"""Longest range (inclusive, in days) :meth:`Calendar.openings` answers."""
MAX_NEXT = 60
"""Most openings :meth:`Calendar.next_openings` returns in one call."""
_HORIZON_DAYS = 400
"""How far ahead :meth:`Calendar.next_openings` looks before giving up."""

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
_OPEN_REASONS: dict[OpeningKind, DayReason] = {
    "weekday": "weekday",
    "saturday": "saturday-opening",
    "temporary": "temporary",
    "holiday": "holiday-opening",
    "daily": "daily",
}


# ---------------------------------------------------------------------------
# Holidays and small date helpers


@lru_cache(maxsize=128)
def _year_holidays(year: int) -> Mapping[dt.date, str]:
    return dict(jpholiday.year_holidays(year))


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


# ---------------------------------------------------------------------------
# Validation of the raw data


_HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_MONTH_DAY_RE = re.compile(r"^(\d{1,2})-(\d{1,2})$")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_CERTAINTIES: tuple[str, ...] = get_args(Certainty)
_HOLIDAY_POLICIES: tuple[str, ...] = get_args(HolidayPolicy)


class _Parser:
    """Collects every problem of calendar.yaml instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, entry_id: str | None, field: str | None, message: str) -> None:
        self.problems.append(Problem(FILE, entry_id, field, message))

    def keys(
        self,
        raw: Mapping[str, Any],
        entry_id: str | None,
        prefix: str,
        required: set[str],
        optional: set[str],
    ) -> None:
        for key in sorted(required - raw.keys()):
            self.problem(entry_id, prefix + key, "missing")
        for key in sorted(str(k) for k in raw.keys() - required - optional):
            self.problem(entry_id, prefix + key, "unknown field")

    def text(self, raw: Mapping[str, Any], key: str, entry_id: str | None, prefix: str = "") -> str | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(entry_id, prefix + key, "must be a non-empty string")
            return None
        return value.strip()

    def date(self, value: Any, entry_id: str | None, field: str) -> dt.date | None:
        if isinstance(value, dt.datetime):
            self.problem(entry_id, field, f"must be a date, not a date and time: {value!r}")
            return None
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(entry_id, field, f"not a valid date (YYYY-MM-DD): {value!r}")
        return None

    def hours(self, value: Any, entry_id: str | None, field: str, allow_null: bool) -> tuple[bool, Hours | None]:
        """(ok, hours); null is ok only where unverified hours are allowed."""
        if value is None:
            if allow_null:
                return True, None
            self.problem(entry_id, field, 'missing ("HH:MM-HH:MM")')
            return False, None
        if not isinstance(value, str):
            self.problem(entry_id, field, f'must be "HH:MM-HH:MM" (quoted), got {value!r}')
            return False, None
        m = _HOURS_RE.match(value)
        if not m:
            self.problem(entry_id, field, f'bad time range {value!r}; expected "HH:MM-HH:MM"')
            return False, None
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if not (h1 <= 23 and m1 <= 59 and h2 <= 23 and m2 <= 59):
            self.problem(entry_id, field, f"bad time in {value!r}: hours are 0-23 and minutes 0-59")
            return False, None
        opens, closes = dt.time(h1, m1), dt.time(h2, m2)
        if closes <= opens:
            self.problem(entry_id, field, f"closes before it opens: {value!r}")
            return False, None
        return True, Hours(opens, closes)

    def choice(self, value: Any, allowed: Sequence[str], entry_id: str | None, field: str) -> str | None:
        if value not in allowed:
            self.problem(entry_id, field, f"must be one of {', '.join(allowed)}; got {value!r}")
            return None
        return cast(str, value)

    def strings(self, value: Any, entry_id: str | None, field: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(entry_id, field, "must be a list of non-empty strings")
            return ()
        return tuple(v.strip() for v in value)

    def refs(self, value: Any, entry_id: str | None, field: str, known: Collection[str]) -> tuple[str, ...]:
        items = self.strings(value, entry_id, field)
        for i, ref in enumerate(items):
            if ref not in known:
                self.problem(entry_id, f"{field}.{i}", f"unknown profile '{ref}'")
        return tuple(r for r in items if r in known)

    def entries(self, data: Mapping[str, Any], key: str) -> list[tuple[str, dict[str, Any]]]:
        """The list under ``key`` as (entry label, mapping) pairs; bad items are reported."""
        raw = data.get(key)
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem(None, key, "must be a list")
            return []
        out: list[tuple[str, dict[str, Any]]] = []
        for index, item in enumerate(raw):
            if not isinstance(item, dict):
                self.problem(f"{key}#{index + 1}", None, "must be a mapping")
                continue
            raw_id = item.get("id")
            if isinstance(raw_id, str) and _ID_RE.match(raw_id):
                label = raw_id
            else:
                label = f"{key}#{index + 1}"
                self.problem(
                    label,
                    "id",
                    "missing or not a lower-case slug" if raw_id is None else f"not a lower-case slug: {raw_id!r}",
                )
            out.append((label, item))
        return out

    def source(self, raw: Mapping[str, Any], entry_id: str, prefix: str = "") -> tuple[str, dt.date]:
        url = self.text(raw, "source_url", entry_id, prefix) or ""
        if "source_url" in raw and url and not url.startswith(("http://", "https://")):
            self.problem(entry_id, prefix + "source_url", f"not a URL: {url!r}")
        reviewed = raw.get("reviewed")
        day = self.date(reviewed, entry_id, prefix + "reviewed") if reviewed is not None else None
        return url, day or dt.date.min


_SOURCE_KEYS = {"source_url", "reviewed"}
_TOP_KEYS = {
    "timezone",
    "confirm_with",
    "procedure_names",
    "profiles",
    "nth_weekday_rules",
    "annual_closures",
    "closures",
    "temporary_openings",
}


def _parse_weekday(p: _Parser, value: Any, entry_id: str, field: str) -> int | None:
    if isinstance(value, str) and value.strip().lower() in WEEKDAY_IDS:
        return WEEKDAY_IDS.index(value.strip().lower())
    p.problem(entry_id, field, f"unknown weekday {value!r}; use one of {', '.join(WEEKDAY_IDS)}")
    return None


def _parse_profile(p: _Parser, pid: str, raw: dict[str, Any]) -> Profile | None:
    required = {
        "id",
        "name",
        "name_en",
        "kind",
        "weekly",
        "other_days",
        "holidays",
        "certainty",
    } | _SOURCE_KEYS
    optional = {"note", "note_en", "after_hours_note", "after_hours_note_en"}
    p.keys(raw, pid, "", required, optional)
    before = len(p.problems)
    kind = p.choice(raw.get("kind"), get_args(ProfileKind), pid, "kind")
    other = p.choice(raw.get("other_days"), get_args(OtherDays), pid, "other_days")
    holidays = p.choice(raw.get("holidays"), _HOLIDAY_POLICIES, pid, "holidays")
    certainty = p.choice(raw.get("certainty"), _CERTAINTIES, pid, "certainty")
    hours: list[Hours | None] = [None] * 7
    open_days: set[int] = set()
    weekly = raw.get("weekly")
    if not isinstance(weekly, list):
        if "weekly" in raw:
            p.problem(pid, "weekly", "must be a list of {days, hours}")
        weekly = []
    for i, block in enumerate(weekly):
        prefix = f"weekly.{i}."
        if not isinstance(block, dict):
            p.problem(pid, f"weekly.{i}", "must be a mapping with days and hours")
            continue
        p.keys(block, pid, prefix, {"days", "hours"}, set())
        ok, block_hours = p.hours(block.get("hours"), pid, prefix + "hours", allow_null=True)
        days = block.get("days")
        if not isinstance(days, list) or not days:
            p.problem(pid, prefix + "days", "must be a non-empty list of weekdays")
            continue
        for j, name in enumerate(days):
            wd = _parse_weekday(p, name, pid, f"{prefix}days.{j}")
            if wd is None:
                continue
            if wd in open_days:
                p.problem(pid, f"{prefix}days.{j}", f"weekday {WEEKDAY_IDS[wd]} is listed twice")
            open_days.add(wd)
            if ok:
                hours[wd] = block_hours
    url, reviewed = p.source(raw, pid)
    name, name_en = p.text(raw, "name", pid), p.text(raw, "name_en", pid)
    if len(p.problems) > before or None in (kind, other, holidays, certainty, name, name_en):
        return None
    return Profile(
        id=pid,
        name=cast(str, name),
        name_en=cast(str, name_en),
        kind=cast(ProfileKind, kind),
        open_days=frozenset(open_days),
        hours=tuple(hours),
        other_days=cast(OtherDays, other),
        holidays=cast(HolidayPolicy, holidays),
        certainty=cast(Certainty, certainty),
        source_url=url,
        reviewed=reviewed,
        note=p.text(raw, "note", pid),
        note_en=p.text(raw, "note_en", pid),
        after_hours_note=p.text(raw, "after_hours_note", pid),
        after_hours_note_en=p.text(raw, "after_hours_note_en", pid),
    )


def _parse_rule(
    p: _Parser, rid: str, raw: dict[str, Any], profiles: Collection[str], names: Collection[str]
) -> NthWeekdayRule | None:
    required = {"id", "name", "name_en", "profiles", "weekday", "nth", "hours", "holiday", "certainty"}
    p.keys(raw, rid, "", required | _SOURCE_KEYS, {"kind", "windows", "procedures"})
    before = len(p.problems)
    kind = p.choice(raw.get("kind", "saturday"), ("weekday", "saturday", "daily"), rid, "kind")
    refs = p.refs(raw.get("profiles"), rid, "profiles", profiles)
    weekday = _parse_weekday(p, raw.get("weekday"), rid, "weekday") if "weekday" in raw else None
    nth_raw = raw.get("nth")
    nth: set[int] = set()
    if not isinstance(nth_raw, list) or not nth_raw:
        p.problem(rid, "nth", "must be a non-empty list of numbers 1..5")
    else:
        for i, n in enumerate(nth_raw):
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 5:
                p.problem(rid, f"nth.{i}", f"must be a number from 1 to 5, got {n!r}")
            else:
                nth.add(n)
    _, hours = p.hours(raw.get("hours"), rid, "hours", allow_null=False)
    holiday = p.choice(raw.get("holiday"), _HOLIDAY_POLICIES, rid, "holiday")
    certainty = p.choice(raw.get("certainty"), _CERTAINTIES, rid, "certainty")
    procedures: list[RuleProcedure] = []
    proc_raw = raw.get("procedures") or []
    if not isinstance(proc_raw, list):
        p.problem(rid, "procedures", "must be a list of {id, certainty, source_url}")
        proc_raw = []
    for i, item in enumerate(proc_raw):
        prefix = f"procedures.{i}."
        if not isinstance(item, dict):
            p.problem(rid, f"procedures.{i}", "must be a mapping with id and certainty")
            continue
        p.keys(item, rid, prefix, {"id", "certainty"}, {"source_url"})
        pid = item.get("id")
        pc = p.choice(item.get("certainty"), _CERTAINTIES, rid, prefix + "certainty")
        if not isinstance(pid, str) or pid not in names:
            p.problem(rid, prefix + "id", f"procedure {pid!r} has no entry in procedure_names")
        elif pc is not None:
            procedures.append(RuleProcedure(pid, cast(Certainty, pc), p.text(item, "source_url", rid, prefix)))
    url, reviewed = p.source(raw, rid)
    name, name_en = p.text(raw, "name", rid), p.text(raw, "name_en", rid)
    if len(p.problems) > before or weekday is None or hours is None or None in (kind, holiday, certainty):
        return None
    return NthWeekdayRule(
        id=rid,
        name=name or rid,
        name_en=name_en or rid,
        kind=cast(OpeningKind, kind),
        profiles=refs,
        weekday=weekday,
        nth=frozenset(nth),
        hours=hours,
        windows=p.strings(raw.get("windows"), rid, "windows"),
        holiday=cast(HolidayPolicy, holiday),
        procedures=tuple(procedures),
        certainty=cast(Certainty, certainty),
        source_url=url,
        reviewed=reviewed,
    )


def _parse_month_day(p: _Parser, value: Any, entry_id: str, field: str) -> tuple[int, int] | None:
    m = _MONTH_DAY_RE.match(value.strip()) if isinstance(value, str) else None
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        try:
            dt.date(2001, month, day)  # a common year: 02-29 is refused on purpose
            return month, day
        except ValueError:
            pass
    p.problem(entry_id, field, f'not a valid month-day ("MM-DD", no 02-29): {value!r}')
    return None


def _parse_annual(p: _Parser, cid: str, raw: dict[str, Any], profiles: Collection[str]) -> AnnualClosure | None:
    required = {"id", "name", "name_en", "from", "to", "profiles", "certainty"} | _SOURCE_KEYS
    p.keys(raw, cid, "", required, {"unverified_for"})
    before = len(p.problems)
    start = _parse_month_day(p, raw.get("from"), cid, "from")
    end = _parse_month_day(p, raw.get("to"), cid, "to")
    refs = p.refs(raw.get("profiles"), cid, "profiles", profiles)
    unverified = p.refs(raw.get("unverified_for"), cid, "unverified_for", profiles)
    for ref in set(refs) & set(unverified):
        p.problem(cid, "unverified_for", f"profile '{ref}' is both closed and unverified")
    certainty = p.choice(raw.get("certainty"), _CERTAINTIES, cid, "certainty")
    url, reviewed = p.source(raw, cid)
    if len(p.problems) > before or start is None or end is None or certainty is None:
        return None
    return AnnualClosure(
        id=cid,
        name=p.text(raw, "name", cid) or cid,
        name_en=p.text(raw, "name_en", cid) or cid,
        start=start,
        end=end,
        profiles=refs,
        unverified_for=unverified,
        certainty=cast(Certainty, certainty),
        source_url=url,
        reviewed=reviewed,
    )


def _parse_closure(p: _Parser, cid: str, raw: dict[str, Any], profiles: Collection[str]) -> Closure | None:
    p.keys(raw, cid, "", {"id", "name", "from", "to", "profiles"} | _SOURCE_KEYS, {"name_en"})
    before = len(p.problems)
    first = p.date(raw.get("from"), cid, "from")
    last = p.date(raw.get("to"), cid, "to")
    if first and last and last < first:
        p.problem(cid, "to", f"ends ({last}) before it starts ({first})")
    refs = p.refs(raw.get("profiles"), cid, "profiles", profiles)
    url, reviewed = p.source(raw, cid)
    if len(p.problems) > before or first is None or last is None:
        return None
    name = p.text(raw, "name", cid) or cid
    return Closure(cid, name, p.text(raw, "name_en", cid) or name, first, last, refs, url, reviewed)


def _parse_temporary(
    p: _Parser, raw: Any, profiles: Collection[str], names: Collection[str]
) -> tuple[frozenset[int], list[TemporaryOpening]]:
    if not isinstance(raw, dict):
        p.problem(None, "temporary_openings", "must be a mapping with busy_months and fiscal_years")
        return frozenset(), []
    p.keys(raw, None, "temporary_openings.", {"fiscal_years"}, {"busy_months"})
    months: set[int] = set()
    for i, m in enumerate(raw.get("busy_months") or []):
        if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 12:
            p.problem(None, f"temporary_openings.busy_months.{i}", f"must be a month 1..12, got {m!r}")
        else:
            months.add(m)
    out: list[TemporaryOpening] = []
    years = raw.get("fiscal_years")
    if not isinstance(years, list):
        if "fiscal_years" in raw:
            p.problem(None, "temporary_openings.fiscal_years", "must be a list")
        return frozenset(months), out
    for i, block in enumerate(years):
        label = f"fiscal_years#{i + 1}"
        if not isinstance(block, dict):
            p.problem(label, None, "must be a mapping")
            continue
        fy = block.get("fiscal_year")
        if isinstance(fy, bool) or not isinstance(fy, int) or not 2000 <= fy <= 2100:
            p.problem(label, "fiscal_year", f"must be a year such as 2026, got {fy!r}")
            continue
        label = f"fy{fy}"
        p.keys(block, label, "", {"fiscal_year", "days"} | _SOURCE_KEYS, set())
        url, reviewed = p.source(block, label)
        first, last = dt.date(fy, 4, 1), dt.date(fy + 1, 3, 31)
        days = block.get("days")
        if not isinstance(days, list):
            p.problem(label, "days", "must be a list")
            continue
        for j, item in enumerate(days):
            prefix = f"days.{j}."
            if not isinstance(item, dict):
                p.problem(label, f"days.{j}", "must be a mapping")
                continue
            before = len(p.problems)
            p.keys(
                item,
                label,
                prefix,
                {"id", "date", "hours", "profiles"},
                {"windows", "procedures", "note"} | _SOURCE_KEYS,
            )
            day = p.date(item.get("date"), label, prefix + "date")
            if day is not None and not first <= day <= last:
                p.problem(label, prefix + "date", f"{day} is outside fiscal year {fy} ({first} to {last})")
            _, hours = p.hours(item.get("hours"), label, prefix + "hours", allow_null=False)
            refs = p.refs(item.get("profiles"), label, prefix + "profiles", profiles)
            procs = item.get("procedures")
            proc_ids = p.strings(procs, label, prefix + "procedures") if procs is not None else None
            for k, pid in enumerate(proc_ids or ()):
                if pid not in names:
                    p.problem(label, f"{prefix}procedures.{k}", f"procedure '{pid}' has no entry in procedure_names")
            own_url, own_reviewed = p.source(item, label, prefix)
            if len(p.problems) > before or day is None or hours is None:
                continue
            out.append(
                TemporaryOpening(
                    id=str(item.get("id")),
                    fiscal_year=fy,
                    date=day,
                    hours=hours,
                    profiles=refs,
                    windows=p.strings(item.get("windows"), label, prefix + "windows"),
                    procedures=proc_ids,
                    note=p.text(item, "note", label, prefix),
                    source_url=own_url or url,
                    reviewed=own_reviewed if own_reviewed != dt.date.min else reviewed,
                )
            )
    return frozenset(months), out


# ---------------------------------------------------------------------------
# The calendar


class Calendar:
    """Validated opening rules and the queries over them; build with :meth:`from_data`."""

    def __init__(
        self,
        *,
        timezone: ZoneInfo,
        contact: ContactInfo,
        procedure_names: Mapping[str, tuple[str, str]],
        profiles: Mapping[str, Profile],
        nth_rules: Sequence[NthWeekdayRule],
        annual_closures: Sequence[AnnualClosure],
        closures: Sequence[Closure],
        temporary: Sequence[TemporaryOpening],
        busy_months: frozenset[int],
    ) -> None:
        self.timezone = timezone
        self.contact = contact
        self.procedure_names = dict(procedure_names)
        """Procedure id → (Japanese name, English name), for composing answers."""
        self.profiles: Mapping[str, Profile] = dict(profiles)
        self.nth_rules = tuple(nth_rules)
        self.annual_closures = tuple(annual_closures)
        self.closures = tuple(closures)
        self.temporary = tuple(temporary)
        self.busy_months = busy_months
        """Months when answers about closed days mention temporary openings."""
        self._temporary_by_date: dict[dt.date, list[TemporaryOpening]] = {}
        for t in self.temporary:
            self._temporary_by_date.setdefault(t.date, []).append(t)

    # -- construction -------------------------------------------------------

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> Calendar:
        """Validate the raw calendar.yaml mapping; raise KnowledgeError listing every problem."""
        p = _Parser()
        if not isinstance(data, Mapping):
            raise KnowledgeError([Problem(FILE, None, None, "the file must hold a mapping")])
        p.keys(data, None, "", {"timezone", "confirm_with", "profiles"}, _TOP_KEYS)
        tz = ZoneInfo("Asia/Tokyo")
        tz_name = data.get("timezone")
        try:
            tz = ZoneInfo(str(tz_name))
        except (ZoneInfoNotFoundError, ValueError):
            p.problem(None, "timezone", f"unknown timezone {tz_name!r}")

        names: dict[str, tuple[str, str]] = {}
        raw_names = data.get("procedure_names") or {}
        if not isinstance(raw_names, dict):
            p.problem(None, "procedure_names", "must map procedure ids to {ja, en}")
            raw_names = {}
        for key, value in raw_names.items():
            field = f"procedure_names.{key}"
            if not isinstance(key, str) or not _ID_RE.match(key):
                p.problem(None, field, "not a lower-case slug id")
            elif (
                not isinstance(value, dict)
                or set(value) != {"ja", "en"}
                or not all(isinstance(v, str) and v.strip() for v in value.values())
            ):
                p.problem(None, field, "must be {ja: …, en: …}")
            else:
                names[key] = (value["ja"].strip(), value["en"].strip())

        profiles: dict[str, Profile] = {}
        entries = p.entries(data, "profiles")
        declared = {label for label, _ in entries}
        seen: set[str] = set()
        for label, raw in entries:
            if label in seen:
                p.problem(label, "id", "duplicate profile id")
                continue
            seen.add(label)
            prof = _parse_profile(p, label, raw)
            if prof is not None:
                profiles[label] = prof

        rule_ids: set[str] = set()

        def unique(label: str) -> bool:
            if label in rule_ids or label in declared:
                p.problem(label, "id", "duplicate id")
                return False
            rule_ids.add(label)
            return True

        rules = [
            r
            for label, raw in p.entries(data, "nth_weekday_rules")
            if unique(label) and (r := _parse_rule(p, label, raw, declared, names)) is not None
        ]
        annual = [
            a
            for label, raw in p.entries(data, "annual_closures")
            if unique(label) and (a := _parse_annual(p, label, raw, declared)) is not None
        ]
        closures = [
            c
            for label, raw in p.entries(data, "closures")
            if unique(label) and (c := _parse_closure(p, label, raw, declared)) is not None
        ]
        busy, temporary = _parse_temporary(p, data.get("temporary_openings", {"fiscal_years": []}), declared, names)
        for t in temporary:
            unique(t.id)

        contact = None
        raw_contact = data.get("confirm_with")
        if isinstance(raw_contact, dict):
            p.keys(raw_contact, None, "confirm_with.", {"profile", "name", "name_en", "phone"}, set())
            ref = raw_contact.get("profile")
            if ref not in declared:
                p.problem(None, "confirm_with.profile", f"unknown profile {ref!r}")
            phone = p.text(raw_contact, "phone", None, "confirm_with.")
            if phone and not re.match(r"^0\d{1,4}-\d{1,4}-\d{3,4}$", phone):
                p.problem(None, "confirm_with.phone", f"not a phone number: {phone!r}")
            cname = p.text(raw_contact, "name", None, "confirm_with.")
            cname_en = p.text(raw_contact, "name_en", None, "confirm_with.")
            if isinstance(ref, str) and phone and cname and cname_en:
                contact = ContactInfo(ref, cname, cname_en, phone)
        elif "confirm_with" in data:
            p.problem(None, "confirm_with", "must be a mapping with profile, name, name_en, phone")

        if p.problems or contact is None:
            raise KnowledgeError(p.problems or [Problem(FILE, None, "confirm_with", "missing")])
        return cls(
            timezone=tz,
            contact=contact,
            procedure_names=names,
            profiles=profiles,
            nth_rules=rules,
            annual_closures=annual,
            closures=closures,
            temporary=temporary,
            busy_months=busy,
        )

    def validate_references(
        self,
        procedure_ids: Collection[str],
        profile_ids_used_by_offices: Mapping[str, str | None],
        window_names: Collection[str] | None = None,
    ) -> list[Problem]:
        """Cross-checks for the loader: procedure ids exist, offices' profiles exist, windows exist.

        ``profile_ids_used_by_offices`` maps an office id to its ``hours.profile`` (None: none).
        """
        problems: list[Problem] = []
        for pid in sorted(self.procedure_names):
            if pid not in procedure_ids:
                problems.append(Problem(FILE, None, f"procedure_names.{pid}", f"unknown procedure '{pid}'"))
        for office_id, profile in profile_ids_used_by_offices.items():
            if profile is not None and profile not in self.profiles:
                known = ", ".join(sorted(self.profiles))
                problems.append(
                    Problem(
                        "offices",
                        office_id,
                        "hours.profile",
                        f"unknown hours profile '{profile}' (calendar.yaml has: {known})",
                    )
                )
        if window_names is not None:
            named: list[tuple[str, tuple[str, ...]]] = [(r.id, r.windows) for r in self.nth_rules]
            named += [(t.id, t.windows) for t in self.temporary]
            for entry_id, windows in named:
                for name in windows:
                    if name not in window_names:
                        problems.append(Problem(FILE, entry_id, "windows", f"unknown window name '{name}'"))
        return problems

    # -- lookups -------------------------------------------------------------

    def profile(self, profile: str) -> Profile:
        """The profile, or UnknownProfileError."""
        try:
            return self.profiles[profile]
        except (KeyError, TypeError):
            known = ", ".join(sorted(self.profiles))
            raise UnknownProfileError(f"unknown hours profile {profile!r}; known: {known}") from None

    def rules_for(self, profile: str) -> tuple[NthWeekdayRule, ...]:
        """The nth-weekday rules (Saturday openings) that apply to a profile."""
        return tuple(r for r in self.nth_rules if profile in r.profiles)

    def year_end_closure(self, profile: str) -> AnnualClosure | None:
        """The annual closure over the new year that concerns the profile (closed or unverified)."""
        for closure in self.annual_closures:
            if closure.wraps_year and closure.applies_to(profile):
                return closure
        return None

    def temporary_openings(self, fiscal_year: int | None = None) -> tuple[TemporaryOpening, ...]:
        """Listed temporary openings, optionally of one fiscal year (April to March)."""
        return tuple(t for t in self.temporary if fiscal_year is None or t.fiscal_year == fiscal_year)

    def local(self, at: dt.datetime) -> dt.datetime:
        """``at`` in the calendar's timezone; a naive datetime is taken as local time."""
        if not isinstance(at, dt.datetime):
            raise CalendarQueryError(f"expected a date and time, got {at!r}")
        return at.replace(tzinfo=self.timezone) if at.tzinfo is None else at.astimezone(self.timezone)

    # -- queries ---------------------------------------------------------------

    def day(self, profile: str, day: dt.date, window: str | None = None) -> Day:
        """Everything about one date: openings (for ``window`` if given), reason, holiday, caveats."""
        return self._day(self.profile(profile), _as_date(day, "day"), window)

    def openings(self, profile: str, start: dt.date, end: dt.date, window: str | None = None) -> list[Opening]:
        """The openings from ``start`` to ``end`` inclusive (at most 366 days), in order."""
        prof = self.profile(profile)
        start, end = _as_date(start, "from"), _as_date(end, "to")
        if end < start:
            raise CalendarQueryError(f"'to' ({end}) is before 'from' ({start})", "bad-range")
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise CalendarQueryError(
                f"the range {start} to {end} is longer than {MAX_RANGE_DAYS} days", "range-too-long"
            )
        out: list[Opening] = []
        for i in range((end - start).days + 1):
            out.extend(self._day(prof, start + dt.timedelta(days=i), window).openings)
        return out

    def next_openings(
        self,
        profile: str,
        after: dt.datetime,
        n: int = 1,
        kind: OpeningKind | None = None,
        window: str | None = None,
    ) -> list[Opening]:
        """The next ``n`` openings at or after ``after`` (one in progress counts, one closed is skipped).

        Looks about 400 days ahead and returns fewer than ``n`` when there are no more.
        """
        prof = self.profile(profile)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_NEXT:
            raise CalendarQueryError(f"n must be a whole number from 1 to {MAX_NEXT}, got {n!r}")
        if kind is not None and kind not in get_args(OpeningKind):
            raise CalendarQueryError(f"unknown opening kind {kind!r}; use one of {get_args(OpeningKind)}")
        local = self.local(after)
        today, now = local.date(), local.time().replace(tzinfo=None)
        out: list[Opening] = []
        for i in range(_HORIZON_DAYS):
            d = today + dt.timedelta(days=i)
            for o in self._day(prof, d, window).openings:
                if kind is not None and o.kind != kind:
                    continue
                if d == today and o.close is not None and o.close <= now:
                    continue
                out.append(o)
                if len(out) == n:
                    return out
        return out

    def status(self, profile: str, at: dt.datetime, window: str | None = None) -> OpenStatus:
        """Is the profile (or ``window``) open at ``at``; today's openings and the next opening."""
        prof = self.profile(profile)
        local = self.local(at)
        t = local.time().replace(tzinfo=None)
        day = self._day(prof, local.date(), window)
        current = next((o for o in day.openings if o.open and o.close and o.open <= t < o.close), None)
        state: StatusState
        if any(not o.hours_known for o in day.openings):
            state = "unknown"
        elif current is not None:
            state = "open"
        elif any(o.open is not None and o.open > t for o in day.openings):
            state = "before-hours"
        elif day.openings:
            state = "after-hours"
        else:
            state = "closed-today"
        nxt = None
        for o in self.next_openings(profile, local, n=3, window=window):
            if o != current and not (state == "unknown" and o.date == local.date()):
                nxt = o
                break
        return OpenStatus(profile, local, day, state, current, nxt)

    def procedures_on(self, profile: str, day: dt.date) -> frozenset[str] | None:
        """Procedure ids possible on ``day``: None = no restriction (full service), empty = closed."""
        d = self.day(profile, day)
        if not d.openings:
            return frozenset()
        if any(o.procedures is None for o in d.openings):
            return None
        return frozenset().union(*(o.procedures or frozenset() for o in d.openings))

    # -- the rules, applied ------------------------------------------------------

    def _day(self, prof: Profile, day: dt.date, window: str | None) -> Day:
        holiday = holiday_name(day)
        for c in self.closures:
            if prof.id in c.profiles and c.first <= day <= c.last:
                info = ClosureInfo(c.id, c.name, c.name_en, c.first, c.last, True)
                return Day(day, prof.id, (), "closure", holiday, info)

        temps = [self._temporary_opening(t) for t in self._temporary_by_date.get(day, ()) if prof.id in t.profiles]
        caveats: list[Caveat] = []
        closure: ClosureInfo | None = None
        for ac in self.annual_closures:
            if not ac.covers(day) or not ac.applies_to(prof.id):
                continue
            first, last = ac.next_period(day)
            closed = prof.id in ac.profiles
            closure = ClosureInfo(ac.id, ac.name, ac.name_en, first, last, closed and ac.certainty == "confirmed")
            if closed:
                if not temps:
                    return Day(day, prof.id, (), "annual-closure", holiday, closure)
                return self._finish(prof, day, temps, [], window, holiday, closure, caveats)
            caveats.append("closure-unverified")

        regular: list[Opening] = []
        weekday = day.weekday()
        if weekday in prof.open_days:
            if holiday is None:
                regular.append(self._regular(prof, day, "weekday" if weekday < 5 else "daily", caveats))
            elif prof.holidays == "open":
                regular.append(self._regular(prof, day, "holiday", caveats))
            elif prof.holidays == "unverified":
                caveats.append("holiday-unverified")
        elif prof.other_days == "unverified" and holiday is None:
            caveats.append("days-unverified")

        for rule in self.rules_for(prof.id):
            if not rule.matches(day):
                continue
            if holiday is None or rule.holiday == "open":
                regular.append(self._rule_opening(rule, day, caveats))
            elif rule.holiday == "unverified":
                caveats.append("saturday-holiday-unverified")
        return self._finish(prof, day, temps, regular, window, holiday, closure, caveats)

    def _finish(
        self,
        prof: Profile,
        day: dt.date,
        temps: list[Opening],
        regular: list[Opening],
        window: str | None,
        holiday: str | None,
        closure: ClosureInfo | None,
        caveats: list[Caveat],
    ) -> Day:
        every = temps + regular
        kept = [o for o in every if window is None or not o.windows or window in o.windows]
        kept.sort(key=lambda o: (o.open or dt.time.max, o.kind))
        if any(not o.hours_known for o in kept):
            caveats.append("hours-unverified")
        if any(not o.certain for o in kept):
            caveats.append("uncertain")
        reason: DayReason
        if kept:
            kinds = {o.kind for o in kept}
            main: OpeningKind = (
                "temporary" if "temporary" in kinds else "saturday" if "saturday" in kinds else kept[0].kind
            )
            reason = _OPEN_REASONS[main]
        elif every:
            reason = "window-not-open"
        elif holiday is not None:
            reason = "holiday"
        elif day.weekday() == 6:
            reason = "sunday"
        elif day.weekday() == 5:
            reason = "closed-saturday"
        else:
            reason = "closed-day"
        return Day(day, prof.id, tuple(kept), reason, holiday, closure, tuple(dict.fromkeys(caveats)))

    def _regular(self, prof: Profile, day: dt.date, kind: OpeningKind, caveats: list[Caveat]) -> Opening:
        hours = prof.hours[day.weekday()]
        certain = prof.certainty == "confirmed" and hours is not None and "closure-unverified" not in caveats
        return Opening(
            date=day,
            open=hours.open if hours else None,
            close=hours.close if hours else None,
            kind=kind,
            note=prof.note if not certain else None,
            certain=certain,
        )

    def _rule_opening(self, rule: NthWeekdayRule, day: dt.date, caveats: list[Caveat]) -> Opening:
        return Opening(
            date=day,
            open=rule.hours.open,
            close=rule.hours.close,
            kind=rule.kind,
            windows=rule.windows,
            note=rule.name,
            certain=rule.certainty == "confirmed" and "closure-unverified" not in caveats,
            rule_id=rule.id,
            procedures=rule.procedure_ids,
            secondary_procedures=rule.secondary_procedure_ids,
        )

    @staticmethod
    def _temporary_opening(t: TemporaryOpening) -> Opening:
        return Opening(
            date=t.date,
            open=t.hours.open,
            close=t.hours.close,
            kind="temporary",
            windows=t.windows,
            note=t.note,
            certain=True,
            rule_id=t.id,
            procedures=frozenset(t.procedures) if t.procedures is not None else None,
        )


def _as_date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise CalendarQueryError(f"'{name}' must be a date (YYYY-MM-DD), got {value!r}")
    return value
