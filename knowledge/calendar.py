"""Opening days and hours as rules: is an office open on a date, and when does it next open.

``calendar.yaml`` holds rules, not a list of days: weekly hours per *hours
profile* (``ward-office``, ``contact-center`` …; offices name theirs in
``hours.profile``), nth-weekday rules (the ward offices' 区民課・保険年金課 on
the 2nd and 4th Saturday mornings), national holidays (jpholiday), annual
closures (12/29–1/3), one-off closures and busy-season temporary openings by
fiscal year. :meth:`Calendar.from_data` validates the raw mapping and reports
every problem at once as a :class:`~knowledge.errors.KnowledgeError`.

Three modules: :mod:`knowledge.calendar_rules` (rule and result types, holidays),
:mod:`knowledge.calendar_parse` (validation of the YAML) and this one (the queries); the types
are re-exported here.

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
from collections.abc import Collection, Mapping, Sequence
from typing import Any, get_args
from zoneinfo import ZoneInfo

from knowledge.calendar_parse import parse_calendar
from knowledge.calendar_rules import (
    FILE,
    MAX_NEXT,
    MAX_RANGE_DAYS,
    AnnualClosure,
    Caveat,
    Certainty,
    Closure,
    ClosureInfo,
    ContactInfo,
    Day,
    DayReason,
    Hours,
    NthWeekdayRule,
    Opening,
    OpeningKind,
    OpenStatus,
    Profile,
    StatusState,
    TemporaryOpening,
    holiday_name,
    nth_weekday_of_month,
)
from knowledge.errors import CalendarQueryError, Problem, UnknownProfileError

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

_HORIZON_DAYS = 400
"""How far ahead :meth:`Calendar.next_openings` looks before giving up."""

_OPEN_REASONS: dict[OpeningKind, DayReason] = {
    "weekday": "weekday",
    "saturday": "saturday-opening",
    "temporary": "temporary",
    "holiday": "holiday-opening",
    "daily": "daily",
}

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
        return cls(**parse_calendar(data)._asdict())

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
