"""Validation of ``calendar.yaml``: raw mapping in, :class:`CalendarParts` out, every problem reported at once.

:func:`parse_calendar` checks keys, ids, hours, weekdays, month-days, references between rules and
profiles and fiscal-year temporary openings, collecting :class:`~knowledge.errors.Problem` s and
raising one :class:`~knowledge.errors.KnowledgeError` listing them all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from knowledge.calendar_rules import (
    FILE,
    WEEKDAY_IDS,
    AnnualClosure,
    Certainty,
    Closure,
    ContactInfo,
    HolidayPolicy,
    Hours,
    NthWeekdayRule,
    OpeningKind,
    OtherDays,
    Profile,
    ProfileKind,
    RuleProcedure,
    TemporaryOpening,
)
from knowledge.errors import KnowledgeError, Problem

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


class CalendarParts(NamedTuple):
    """The validated pieces :class:`knowledge.calendar.Calendar` is built from."""

    timezone: ZoneInfo
    contact: ContactInfo
    procedure_names: Mapping[str, tuple[str, str]]
    profiles: Mapping[str, Profile]
    nth_rules: Sequence[NthWeekdayRule]
    annual_closures: Sequence[AnnualClosure]
    closures: Sequence[Closure]
    temporary: Sequence[TemporaryOpening]
    busy_months: frozenset[int]



def parse_calendar(data: Mapping[str, Any] | None) -> CalendarParts:
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
    return CalendarParts(
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
