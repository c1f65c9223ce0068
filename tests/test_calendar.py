"""The opening-days calendar: the shipped rules, the queries, and validation of bad data and bad questions."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jpholiday
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.calendar import MAX_RANGE_DAYS, Calendar, holiday_name, nth_weekday_of_month
from knowledge.errors import CalendarQueryError, KnowledgeError, UnknownProfileError

CALENDAR_YAML = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "calendar.yaml"
TOKYO = ZoneInfo("Asia/Tokyo")
PROFILE_IDS = {
    "ward-office",
    "branch-office",
    "service-corner",
    "service-corner-daily",
    "contact-center",
    "sodai-gomi-center",
    "city-hall",
}
SATURDAY_PROCEDURES = {"tennyu", "tenshutsu", "tenkyo", "inkan-toroku", "kokuho-kanyu", "kokuho-dattai", "jido-teate"}
DAYS = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2035, 12, 31))


def load_raw() -> dict[str, Any]:
    with CALENDAR_YAML.open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


RAW = load_raw()
CAL = Calendar.from_data(RAW)


def at(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def in_year_end(day: dt.date) -> bool:
    return (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3)


def hm(opening: Any) -> tuple[str | None, str | None]:
    d = opening.as_dict()
    return d["open"], d["close"]


# ---------------------------------------------------------------------------
# The shipped data


class TestShippedData:
    def test_loads_without_problems(self) -> None:
        """The shipped calendar.yaml validates."""
        assert isinstance(CAL, Calendar)

    def test_profile_ids_are_the_documented_ones(self) -> None:
        """Offices refer to these profile ids (docs/knowledge-ids.md); none is missing or extra."""
        assert set(CAL.profiles) == PROFILE_IDS

    def test_timezone_is_tokyo(self) -> None:
        """Dates and times are interpreted in Asia/Tokyo."""
        assert CAL.timezone.key == "Asia/Tokyo"

    def test_every_rule_has_source_and_review_date(self) -> None:
        """Every profile and rule states its source and when it was reviewed."""
        rules: list[Any] = [*CAL.profiles.values(), *CAL.nth_rules, *CAL.annual_closures, *CAL.closures]
        for rule in rules:
            assert rule.source_url.startswith("http"), rule.id
            assert rule.reviewed > dt.date(2020, 1, 1), rule.id

    def test_no_temporary_opening_is_shipped_without_an_official_source(self) -> None:
        """Busy-season openings were not found for Kawasaki, so none may be shipped unless sourced officially."""
        for t in CAL.temporary_openings():
            assert t.source_url.startswith(("https://www.city.kawasaki.jp/", "http://www.city.kawasaki.jp/"))

    def test_saturday_rule_covers_kuminka_and_hoken_nenkin(self) -> None:
        """The 2nd/4th Saturday rule opens 区民課 and 保険年金課 8:30–12:30 and is marked holiday: unverified."""
        (rule,) = CAL.rules_for("ward-office")
        assert rule.nth == {2, 4}
        assert rule.windows == ("区民課", "保険年金課")
        assert (rule.hours.open, rule.hours.close) == (dt.time(8, 30), dt.time(12, 30))
        assert rule.holiday == "unverified"

    def test_saturday_procedures_are_the_confirmed_ones(self) -> None:
        """Only procedures the facts file names are accepted on Saturdays; the 🟡 ones are marked secondary."""
        (rule,) = CAL.rules_for("ward-office")
        assert rule.procedure_ids >= SATURDAY_PROCEDURES
        assert {"tenkyo", "shussei", "juminhyo"} == rule.secondary_procedure_ids
        assert rule.procedure_ids <= set(CAL.procedure_names)

    def test_service_corner_hours_are_not_verified(self) -> None:
        """The service corners' hours are null in the data, so no answer can state them."""
        for pid in ("service-corner", "service-corner-daily"):
            assert not CAL.profiles[pid].hours_verified
            assert CAL.profiles[pid].certainty == "unverified"

    def test_contact_center_is_open_every_day(self) -> None:
        """サンキューコールかわさき takes calls 8:00–21:00 every day, holidays and New Year included."""
        start = dt.date(2026, 12, 25)
        ops = CAL.openings("contact-center", start, start + dt.timedelta(days=13))
        assert [o.date for o in ops] == [start + dt.timedelta(days=i) for i in range(14)]
        assert {hm(o) for o in ops} == {("08:00", "21:00")}


# ---------------------------------------------------------------------------
# Known dates against the published rules


KNOWN_WARD_OFFICE_DAYS = [
    pytest.param(dt.date(2026, 12, 12), "saturday-opening", ("08:30", "12:30"), id="2026-12-12-2nd-saturday"),
    pytest.param(dt.date(2026, 12, 26), "saturday-opening", ("08:30", "12:30"), id="2026-12-26-4th-saturday"),
    pytest.param(dt.date(2027, 1, 9), "saturday-opening", ("08:30", "12:30"), id="2027-01-09-2nd-saturday"),
    pytest.param(dt.date(2026, 12, 5), "closed-saturday", None, id="2026-12-05-1st-saturday"),
    pytest.param(dt.date(2026, 12, 19), "closed-saturday", None, id="2026-12-19-3rd-saturday"),
    pytest.param(dt.date(2027, 1, 30), "closed-saturday", None, id="2027-01-30-5th-saturday"),
    pytest.param(dt.date(2026, 12, 13), "sunday", None, id="2026-12-13-sunday"),
    pytest.param(dt.date(2026, 12, 14), "weekday", ("08:30", "17:00"), id="2026-12-14-monday"),
    pytest.param(dt.date(2026, 12, 28), "weekday", ("08:30", "17:00"), id="2026-12-28-last-day-of-year"),
    pytest.param(dt.date(2027, 1, 4), "weekday", ("08:30", "17:00"), id="2027-01-04-first-day-of-year"),
    pytest.param(dt.date(2026, 11, 23), "holiday", None, id="2026-11-23-kinro-kansha-monday"),
    pytest.param(dt.date(2027, 1, 11), "holiday", None, id="2027-01-11-seijin-no-hi"),
    pytest.param(dt.date(2026, 5, 6), "holiday", None, id="2026-05-06-substitute-holiday"),
]


@pytest.mark.parametrize(("day", "reason", "hours"), KNOWN_WARD_OFFICE_DAYS)
def test_known_ward_office_days(day: dt.date, reason: str, hours: tuple[str, str] | None) -> None:
    """Known dates are open or closed, with the hours, exactly as the published rules say."""
    info = CAL.day("ward-office", day)
    assert info.reason == reason
    if hours is None:
        assert info.openings == ()
    else:
        assert [hm(o) for o in info.openings] == [hours]


@pytest.mark.parametrize(
    "day",
    [dt.date(2026, 12, 29) + dt.timedelta(days=i) for i in range(6)],
    ids=lambda d: d.isoformat(),
)
def test_year_end_closure_2026(day: dt.date) -> None:
    """12/29/2026 to 1/3/2027 the ward offices are closed for the year-end closure, weekday or not."""
    info = CAL.day("ward-office", day)
    assert info.reason == "annual-closure"
    assert info.closure is not None
    assert (info.closure.first, info.closure.last) == (dt.date(2026, 12, 29), dt.date(2027, 1, 3))
    assert not info.openings


def test_saturday_opening_is_only_for_its_windows() -> None:
    """A Saturday opening lists its windows and restricts procedures; another window is closed that day."""
    info = CAL.day("ward-office", dt.date(2026, 12, 12))
    (opening,) = info.openings
    assert opening.windows == ("区民課", "保険年金課")
    assert opening.kind == "saturday"
    assert CAL.day("ward-office", dt.date(2026, 12, 12), window="保険年金課").is_open
    other = CAL.day("ward-office", dt.date(2026, 12, 12), window="衛生課")
    assert other.reason == "window-not-open" and not other.openings


def test_weekday_opening_serves_every_window() -> None:
    """A weekday opening is the whole office (no window list), so any window is open."""
    info = CAL.day("ward-office", dt.date(2026, 12, 14), window="衛生課")
    assert info.reason == "weekday"
    assert info.openings[0].windows == ()


SATURDAY_HOLIDAYS = [
    d
    for year in range(2025, 2036)
    for d, _ in jpholiday.year_holidays(year)
    if d.weekday() == 5 and nth_weekday_of_month(d) in (2, 4)
]


def test_there_are_2nd_and_4th_saturday_holidays_to_test() -> None:
    """jpholiday knows 2nd/4th Saturdays that are national holidays (2029-08-11 山の日, 2030-02-23 天皇誕生日 …)."""
    assert dt.date(2029, 8, 11) in SATURDAY_HOLIDAYS
    assert dt.date(2030, 2, 23) in SATURDAY_HOLIDAYS


@pytest.mark.parametrize("day", SATURDAY_HOLIDAYS, ids=lambda d: f"{d.isoformat()}-{holiday_name(d)}")
def test_2nd_or_4th_saturday_on_a_holiday_is_closed_but_flagged(day: dt.date) -> None:
    """A 2nd/4th Saturday that is a national holiday is treated as closed and carries the 'unverified' caveat."""
    info = CAL.day("ward-office", day)
    assert not info.openings
    assert info.reason == "holiday"
    assert info.holiday_name == holiday_name(day)
    assert "saturday-holiday-unverified" in info.caveats


def test_contact_center_open_on_new_years_day_as_holiday_opening() -> None:
    """On 元日 the contact center is open and the opening is marked as a holiday opening."""
    info = CAL.day("contact-center", dt.date(2027, 1, 1))
    assert info.reason == "holiday-opening"
    assert [o.kind for o in info.openings] == ["holiday"]


def test_service_corner_opening_has_no_hours() -> None:
    """A service corner opening has unknown hours (None), is uncertain, and says why."""
    info = CAL.day("service-corner", dt.date(2026, 12, 13))
    (opening,) = info.openings
    assert (opening.open, opening.close) == (None, None)
    assert not opening.certain
    assert "hours-unverified" in info.caveats
    assert opening.as_dict()["open"] is None


def test_service_corner_year_end_is_unverified_not_closed() -> None:
    """Whether the corners close at year-end is unknown: the day stays open but flagged, never stated as closed."""
    info = CAL.day("service-corner-daily", dt.date(2026, 12, 31))
    assert info.openings and "closure-unverified" in info.caveats
    assert info.closure is not None and not info.closure.certain


def test_service_corner_holiday_is_unverified() -> None:
    """The ordinary corners' holiday opening is not verified: closed in the data, flagged in the day."""
    info = CAL.day("service-corner", dt.date(2026, 11, 23))
    assert not info.openings and "holiday-unverified" in info.caveats


def test_sodai_gomi_center_weekend_is_unverified() -> None:
    """The bulky-waste center's weekend reception is not known: no opening, flagged days-unverified."""
    info = CAL.day("sodai-gomi-center", dt.date(2026, 12, 12))
    assert not info.openings and "days-unverified" in info.caveats


def test_sodai_gomi_center_year_end_follows_its_own_closure() -> None:
    """The bulky-waste center took calls until 12/30 and reopened 1/4 (secondary source)."""
    assert CAL.day("sodai-gomi-center", dt.date(2026, 12, 30)).is_open
    closed = CAL.day("sodai-gomi-center", dt.date(2026, 12, 31))
    assert closed.reason == "annual-closure" and closed.closure is not None and not closed.closure.certain
    assert CAL.day("sodai-gomi-center", dt.date(2027, 1, 4)).is_open


def test_branch_office_never_opens_on_saturday() -> None:
    """支所・出張所 have no Saturday opening, not even on the 2nd/4th Saturdays."""
    assert not CAL.day("branch-office", dt.date(2026, 12, 12)).openings
    assert CAL.next_openings("branch-office", at(2026, 12, 11, 18, 0))[0].date == dt.date(2026, 12, 14)


# ---------------------------------------------------------------------------
# Queries


def test_openings_between_two_dates() -> None:
    """The openings of one week: five weekdays minus the holiday, plus the 4th Saturday morning."""
    ops = CAL.openings("ward-office", dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert [(o.date.day, o.kind) for o in ops] == [
        (24, "weekday"),
        (25, "weekday"),
        (26, "weekday"),
        (27, "weekday"),
        (28, "saturday"),
    ]


def test_openings_for_a_window_skip_saturdays_it_does_not_open() -> None:
    """Asking for a window that does not open on Saturdays leaves the Saturday out."""
    ops = CAL.openings("ward-office", dt.date(2026, 11, 23), dt.date(2026, 11, 29), window="衛生課")
    assert [o.date.day for o in ops] == [24, 25, 26, 27]


def test_openings_accept_a_full_366_day_range() -> None:
    """A range of exactly 366 days (a leap year) is answered."""
    ops = CAL.openings("ward-office", dt.date(2028, 1, 1), dt.date(2028, 12, 31))
    assert ops and ops[0].date >= dt.date(2028, 1, 4)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        pytest.param(at(2026, 11, 20, 10, 0), dt.date(2026, 11, 28), id="friday-before-4th-saturday"),
        pytest.param(at(2026, 11, 28, 10, 0), dt.date(2026, 11, 28), id="during-the-opening-counts"),
        pytest.param(at(2026, 11, 28, 12, 30), dt.date(2026, 12, 12), id="at-closing-time-is-skipped"),
        pytest.param(at(2026, 11, 28, 13, 0), dt.date(2026, 12, 12), id="after-closing-time-is-skipped"),
        pytest.param(at(2026, 12, 26, 13, 0), dt.date(2027, 1, 9), id="over-the-year-end"),
        pytest.param(at(2029, 8, 1, 9, 0), dt.date(2029, 8, 25), id="skips-the-holiday-2nd-saturday"),
    ],
)
def test_next_saturday_opening(after: dt.datetime, expected: dt.date) -> None:
    """The next Saturday opening after a moment, skipping one that has closed and the unverified holiday."""
    (opening,) = CAL.next_openings("ward-office", after, kind="saturday")
    assert opening.date == expected


def test_next_openings_returns_n_in_order() -> None:
    """next_openings returns n openings in date order, after the year-end closure."""
    ops = CAL.next_openings("ward-office", at(2026, 12, 28, 18, 0), n=3)
    assert [o.date for o in ops] == [dt.date(2027, 1, 4), dt.date(2027, 1, 5), dt.date(2027, 1, 6)]


def test_next_openings_converts_other_timezones() -> None:
    """A UTC moment is converted to Tokyo time: 2026-11-28 03:00Z is 12:00 JST, during the opening."""
    after = dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.UTC)
    assert CAL.next_openings("ward-office", after)[0].date == dt.date(2026, 11, 28)


def test_next_openings_reads_a_naive_time_as_tokyo() -> None:
    """A naive datetime is taken as Tokyo local time."""
    assert CAL.next_openings("ward-office", dt.datetime(2026, 11, 28, 12, 0))[0].date == dt.date(2026, 11, 28)


def test_next_openings_of_a_kind_that_never_happens_is_empty() -> None:
    """With no temporary opening shipped, asking for the next one answers an empty list, not an error."""
    assert CAL.next_openings("ward-office", at(2026, 11, 20, 10, 0), kind="temporary") == []


@pytest.mark.parametrize(
    ("moment", "state", "reason"),
    [
        pytest.param(at(2026, 12, 14, 8, 29), "before-hours", "before-hours", id="weekday-before-8-30"),
        pytest.param(at(2026, 12, 14, 8, 30), "open", "weekday", id="weekday-at-8-30"),
        pytest.param(at(2026, 12, 14, 16, 59), "open", "weekday", id="weekday-16-59"),
        pytest.param(at(2026, 12, 14, 17, 0), "after-hours", "after-hours", id="weekday-at-17-00"),
        pytest.param(at(2026, 12, 12, 10, 0), "open", "saturday-opening", id="2nd-saturday-morning"),
        pytest.param(at(2026, 12, 12, 13, 0), "after-hours", "after-hours", id="2nd-saturday-afternoon"),
        pytest.param(at(2026, 12, 19, 10, 0), "closed-today", "closed-saturday", id="3rd-saturday"),
        pytest.param(at(2026, 12, 13, 10, 0), "closed-today", "sunday", id="sunday"),
        pytest.param(at(2026, 11, 23, 10, 0), "closed-today", "holiday", id="holiday"),
        pytest.param(at(2026, 12, 30, 10, 0), "closed-today", "annual-closure", id="year-end"),
    ],
)
def test_status(moment: dt.datetime, state: str, reason: str) -> None:
    """status() tells open or not, and why, at a given moment."""
    s = CAL.status("ward-office", moment)
    assert (s.state, s.reason) == (state, reason)
    assert s.is_open is (state == "open")


def test_status_after_hours_points_to_tomorrow() -> None:
    """After closing time the next opening is the next day's, not today's."""
    s = CAL.status("ward-office", at(2026, 12, 14, 17, 30))
    assert s.next_opening is not None and s.next_opening.date == dt.date(2026, 12, 15)


def test_status_while_open_points_past_the_current_opening() -> None:
    """While open, the current opening is reported and the next opening is a later one."""
    s = CAL.status("ward-office", at(2026, 12, 14, 10, 0))
    assert s.current is not None and s.current.date == dt.date(2026, 12, 14)
    assert s.next_opening is not None and s.next_opening.date == dt.date(2026, 12, 15)


def test_status_of_a_window_closed_on_saturday() -> None:
    """A window that does not open on Saturdays is closed during the Saturday opening."""
    s = CAL.status("ward-office", at(2026, 12, 12, 10, 0), window="衛生課")
    assert s.state == "closed-today" and s.reason == "window-not-open"


def test_status_with_unverified_hours_is_unknown() -> None:
    """For a service corner 'open now?' is unknown (None), never a guess."""
    s = CAL.status("service-corner-daily", at(2026, 12, 13, 10, 0))
    assert s.state == "unknown" and s.is_open is None


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(dt.date(2026, 12, 14), None, id="weekday-no-restriction"),
        pytest.param(dt.date(2026, 12, 13), frozenset(), id="sunday-nothing"),
        pytest.param(dt.date(2026, 12, 30), frozenset(), id="year-end-nothing"),
    ],
)
def test_procedures_on_plain_days(day: dt.date, expected: frozenset[str] | None) -> None:
    """A weekday has no restriction (None); a closed day allows nothing."""
    assert CAL.procedures_on("ward-office", day) == expected


def test_procedures_on_a_saturday_opening_are_restricted() -> None:
    """On a Saturday opening only the listed procedures are possible (moving, seal registration, 国保 …)."""
    procs = CAL.procedures_on("ward-office", dt.date(2026, 12, 12))
    assert procs is not None
    assert procs >= SATURDAY_PROCEDURES
    assert "inu-toroku" not in procs


# ---------------------------------------------------------------------------
# Property tests over 2025-2035


@settings(max_examples=300, deadline=None)
@given(DAYS)
def test_every_saturday_opening_is_a_2nd_or_4th_non_holiday_saturday(day: dt.date) -> None:
    """A Saturday the ward office opens is a 2nd/4th Saturday (or listed temporary day), never a holiday or closure."""
    info = CAL.day("ward-office", day)
    temporary_days = {t.date for t in CAL.temporary_openings()}
    if day.weekday() == 5 and info.openings:
        assert nth_weekday_of_month(day) in (2, 4) or day in temporary_days
        assert day in temporary_days or (not jpholiday.is_holiday(day) and not in_year_end(day))
        assert all(o.kind in ("saturday", "temporary") for o in info.openings)
        assert all(o.windows == ("区民課", "保険年金課") for o in info.openings if o.kind == "saturday")


@settings(max_examples=300, deadline=None)
@given(DAYS)
def test_ward_office_open_exactly_per_the_rules(day: dt.date) -> None:
    """The ward office opens exactly on non-holiday weekdays and 2nd/4th Saturdays outside 12/29–1/3."""
    info = CAL.day("ward-office", day)
    holiday = jpholiday.is_holiday(day)
    weekday = day.weekday()
    expected = (
        not in_year_end(day) and not holiday and (weekday < 5 or (weekday == 5 and nth_weekday_of_month(day) in (2, 4)))
    )
    assert info.is_open is expected
    if expected and weekday < 5:
        assert [hm(o) for o in info.openings] == [("08:30", "17:00")]
    if weekday == 6:
        assert not info.openings


@settings(max_examples=100, deadline=None)
@given(DAYS, st.integers(min_value=0, max_value=MAX_RANGE_DAYS - 1))
def test_openings_in_a_range_agree_with_each_day(start: dt.date, length: int) -> None:
    """openings(start, end) is the concatenation of each day's openings, in order, all inside the range."""
    end = start + dt.timedelta(days=length)
    ops = CAL.openings("ward-office", start, end)
    assert all(start <= o.date <= end for o in ops)
    assert [o.date for o in ops] == sorted(o.date for o in ops)
    sample = [start, end, start + dt.timedelta(days=length // 2)]
    for day in sample:
        assert [o for o in ops if o.date == day] == list(CAL.day("ward-office", day).openings)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2035, 12, 1)),
    st.sampled_from(sorted(PROFILE_IDS - {"service-corner", "service-corner-daily"})),
)
def test_next_opening_and_status_agree(moment: dt.datetime, profile: str) -> None:
    """The next opening never ends before the moment asked, and status says open exactly when one is in progress."""
    local = moment.replace(tzinfo=TOKYO)
    ops = CAL.next_openings(profile, local, n=2)
    assert ops, profile
    first = ops[0]
    assert first.date >= local.date()
    assert first.close is not None and first.open is not None
    assert (first.date, first.close) > (local.date(), local.time())
    in_progress = first.date == local.date() and first.open <= local.time() < first.close
    assert CAL.status(profile, local).is_open is in_progress


@settings(max_examples=200, deadline=None)
@given(DAYS)
def test_no_closed_profile_opens_during_the_year_end(day: dt.date) -> None:
    """Profiles closed for the year-end never open between 12/29 and 1/3."""
    if in_year_end(day):
        for profile in ("ward-office", "branch-office", "city-hall"):
            assert not CAL.day(profile, day).openings


# ---------------------------------------------------------------------------
# Invalid questions

NOT_A_DATE: Any = "2026-01-01"
NOT_A_KIND: Any = "sunday"
NOT_A_DATETIME: Any = dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        pytest.param(lambda: CAL.openings("nope", dt.date(2026, 1, 1), dt.date(2026, 1, 2)), "unknown-profile",
                     id="unknown-profile"),
        pytest.param(lambda: CAL.openings("ward-office", dt.date(2026, 1, 2), dt.date(2026, 1, 1)), "bad-range",
                     id="to-before-from"),
        pytest.param(lambda: CAL.openings("ward-office", dt.date(2026, 1, 1), dt.date(2027, 1, 2)),
                     "range-too-long", id="range-of-367-days"),
        pytest.param(lambda: CAL.openings("ward-office", NOT_A_DATE, dt.date(2026, 1, 2)), "bad-argument",
                     id="string-instead-of-date"),
        pytest.param(lambda: CAL.next_openings("ward-office", at(2026, 1, 1, 0, 0), n=0), "bad-argument",
                     id="n-zero"),
        pytest.param(lambda: CAL.next_openings("ward-office", at(2026, 1, 1, 0, 0), n=1000), "bad-argument",
                     id="n-too-large"),
        pytest.param(lambda: CAL.next_openings("ward-office", at(2026, 1, 1, 0, 0), kind=NOT_A_KIND),
                     "bad-argument", id="unknown-kind"),
        pytest.param(lambda: CAL.status("ward-office", NOT_A_DATETIME), "bad-argument",
                     id="status-needs-a-datetime"),
        pytest.param(lambda: CAL.status("ward office", at(2026, 1, 1, 0, 0)), "unknown-profile",
                     id="status-unknown-profile"),
        pytest.param(lambda: CAL.procedures_on("nope", dt.date(2026, 1, 1)), "unknown-profile",
                     id="procedures-unknown-profile"),
    ],
)  # fmt: skip
def test_invalid_queries_raise_clear_errors(call: Any, code: str) -> None:
    """Bad questions raise CalendarQueryError (a ValueError) with a stable code and a readable message."""
    with pytest.raises(CalendarQueryError) as info:
        call()
    assert info.value.code == code
    assert isinstance(info.value, ValueError)
    assert str(info.value)


def test_unknown_profile_error_lists_the_known_profiles() -> None:
    """The unknown-profile message names the profiles that do exist."""
    with pytest.raises(UnknownProfileError, match="ward-office"):
        CAL.day("ward_office", dt.date(2026, 1, 1))


# ---------------------------------------------------------------------------
# Invalid data


def mutate(path: str, value: Any) -> dict[str, Any]:
    """A deep copy of the shipped data with one value replaced; ``path`` is dotted (list indexes as numbers)."""
    data = copy.deepcopy(RAW)
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


def profile_index(pid: str) -> int:
    return next(i for i, p in enumerate(RAW["profiles"]) if p["id"] == pid)


WARD = profile_index("ward-office")

BAD_DATA = [
    pytest.param(f"profiles.{WARD}.weekly.0.days.0", "monday", "ward-office", "weekly.0.days.0", "unknown weekday",
                 id="unknown-weekday"),
    pytest.param(f"profiles.{WARD}.weekly.0.hours", "25:00-26:00", "ward-office", "weekly.0.hours", "bad time",
                 id="hour-out-of-range"),
    pytest.param(f"profiles.{WARD}.weekly.0.hours", "17:00-08:30", "ward-office", "weekly.0.hours",
                 "closes before it opens", id="close-before-open"),
    pytest.param(f"profiles.{WARD}.weekly.0.hours", "8.30 to 17", "ward-office", "weekly.0.hours", "bad time range",
                 id="unparseable-hours"),
    pytest.param(f"profiles.{WARD}.weekly.0.hours", 1020, "ward-office", "weekly.0.hours", "HH:MM-HH:MM",
                 id="unquoted-yaml-sexagesimal"),
    pytest.param(f"profiles.{WARD}.weekly.0.hours", None, None, None, None, id="null-hours-are-allowed"),
    pytest.param(f"profiles.{WARD}.holidays", "maybe", "ward-office", "holidays", "must be one of",
                 id="bad-holiday-policy"),
    pytest.param(f"profiles.{WARD}.reviewed", "2026-13-01", "ward-office", "reviewed", "not a valid date",
                 id="bad-reviewed-date"),
    pytest.param(f"profiles.{WARD}.colour", "red", "ward-office", "colour", "unknown field", id="unknown-field"),
    pytest.param("nth_weekday_rules.0.nth", [2, 6], "ward-office-saturday", "nth.1", "from 1 to 5",
                 id="nth-outside-1-to-5"),
    pytest.param("nth_weekday_rules.0.nth", [], "ward-office-saturday", "nth", "non-empty", id="nth-empty"),
    pytest.param("nth_weekday_rules.0.weekday", "caturday", "ward-office-saturday", "weekday", "unknown weekday",
                 id="rule-unknown-weekday"),
    pytest.param("nth_weekday_rules.0.profiles", ["ward-offices"], "ward-office-saturday", "profiles.0",
                 "unknown profile", id="rule-unknown-profile"),
    pytest.param("nth_weekday_rules.0.hours", "12:30-08:30", "ward-office-saturday", "hours",
                 "closes before it opens", id="rule-close-before-open"),
    pytest.param("nth_weekday_rules.0.holiday", "sometimes", "ward-office-saturday", "holiday", "must be one of",
                 id="rule-bad-holiday"),
    pytest.param("nth_weekday_rules.0.procedures.0.id", "moving", "ward-office-saturday", "procedures.0.id",
                 "no entry in procedure_names", id="rule-unknown-procedure"),
    pytest.param("nth_weekday_rules.0.procedures.0.certainty", "sure", "ward-office-saturday",
                 "procedures.0.certainty", "must be one of", id="rule-bad-certainty"),
    pytest.param("annual_closures.0.from", "12-32", "year-end", "from", "not a valid month-day",
                 id="closure-bad-month-day"),
    pytest.param("annual_closures.0.to", "02-29", "year-end", "to", "not a valid month-day", id="closure-feb-29"),
    pytest.param("annual_closures.0.profiles", ["ward-office", "town-hall"], "year-end", "profiles.1",
                 "unknown profile", id="closure-unknown-profile"),
    pytest.param("closures", [{"id": "x", "name": "点検", "from": "2027-02-06", "to": "2027-02-05",
                               "profiles": ["ward-office"], "source_url": "https://example.org",
                               "reviewed": "2027-01-01"}], "x", "to", "before it starts",
                 id="one-off-closure-ends-before-it-starts"),
    pytest.param("closures", [{"id": "x", "name": "点検", "from": "2027-02-30", "to": "2027-03-01",
                               "profiles": ["ward-office"], "source_url": "https://example.org",
                               "reviewed": "2027-01-01"}], "x", "from", "not a valid date",
                 id="one-off-closure-bad-date"),
    pytest.param("timezone", "Asia/Kawasaki", None, "timezone", "unknown timezone", id="unknown-timezone"),
    pytest.param("confirm_with.profile", "call-center", None, "confirm_with.profile", "unknown profile",
                 id="contact-unknown-profile"),
    pytest.param("temporary_openings.fiscal_years", [{"fiscal_year": 2026, "source_url": "https://example.org",
                                                      "reviewed": "2027-01-01", "days": [
                                                          {"id": "t1", "date": "2027-04-02", "hours": "08:30-12:30",
                                                           "profiles": ["ward-office"]}]}],
                 "fy2026", "days.0.date", "outside fiscal year", id="temporary-outside-fiscal-year"),
    pytest.param("temporary_openings.fiscal_years", [{"fiscal_year": 2026, "days": []}], "fy2026", "source_url",
                 "missing", id="temporary-without-source"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "value", "entry_id", "field", "message"), BAD_DATA)
def test_invalid_data_is_reported_with_entry_and_field(
    path: str, value: Any, entry_id: str | None, field: str | None, message: str | None
) -> None:
    """Each invalid rule is reported with file, entry id, field and what is wrong (null hours are accepted)."""
    data = mutate(path, value)
    if message is None:
        Calendar.from_data(data)
        return
    with pytest.raises(KnowledgeError) as info:
        Calendar.from_data(data)
    problems = info.value.problems
    assert any(
        p.file == "calendar.yaml" and p.entry_id == entry_id and p.field == field and message in p.message
        for p in problems
    ), problems


def test_every_problem_is_reported_at_once() -> None:
    """Two independent mistakes give two problems, not just the first."""
    data = mutate("nth_weekday_rules.0.nth", [0])
    data["profiles"][WARD]["weekly"][0]["hours"] = "18:00-09:00"
    with pytest.raises(KnowledgeError) as info:
        Calendar.from_data(data)
    fields = {(p.entry_id, p.field) for p in info.value.problems}
    assert {("ward-office-saturday", "nth.0"), ("ward-office", "weekly.0.hours")} <= fields


@pytest.mark.parametrize("data", [None, [], "calendar"], ids=["none", "list", "string"])
def test_a_file_that_is_not_a_mapping_is_rejected(data: Any) -> None:
    """A calendar.yaml that is not a mapping is one clear problem."""
    with pytest.raises(KnowledgeError, match="mapping"):
        Calendar.from_data(data)


def test_duplicate_profile_id_is_reported() -> None:
    """Two profiles with the same id are an error."""
    data = copy.deepcopy(RAW)
    data["profiles"].append(copy.deepcopy(data["profiles"][WARD]))
    with pytest.raises(KnowledgeError, match="duplicate"):
        Calendar.from_data(data)


# ---------------------------------------------------------------------------
# Temporary openings (format supported, none shipped)


def with_temporary(day: str, hours: str = "08:30-12:30") -> Calendar:
    data = copy.deepcopy(RAW)
    data["temporary_openings"]["fiscal_years"] = [
        {
            "fiscal_year": 2026,
            "source_url": "https://www.city.kawasaki.jp/example",
            "reviewed": "2027-02-01",
            "days": [
                {
                    "id": "fy2026-extra",
                    "date": day,
                    "hours": hours,
                    "profiles": ["ward-office"],
                    "windows": ["区民課", "保険年金課"],
                    "procedures": ["tennyu", "tenshutsu"],
                    "note": "引越しシーズンの臨時開庁",
                }
            ],
        }
    ]
    return Calendar.from_data(data)


def test_a_temporary_sunday_opening_is_listed() -> None:
    """A sourced temporary opening on a Sunday appears as kind 'temporary' with its own procedures."""
    cal = with_temporary("2027-03-28")
    info = cal.day("ward-office", dt.date(2027, 3, 28))
    assert info.reason == "temporary"
    (opening,) = info.openings
    assert opening.kind == "temporary" and opening.procedures == frozenset({"tennyu", "tenshutsu"})
    assert cal.next_openings("ward-office", at(2027, 3, 20, 9, 0), kind="temporary")[0].date == dt.date(2027, 3, 28)
    assert [t.id for t in cal.temporary_openings(2026)] == ["fy2026-extra"]


def test_a_temporary_opening_overrides_the_annual_closure() -> None:
    """A temporary opening the city announces inside the year-end closure is honoured."""
    cal = with_temporary("2026-12-29")
    assert cal.day("ward-office", dt.date(2026, 12, 29)).reason == "temporary"


# ---------------------------------------------------------------------------
# References for the loader


def test_validate_references_accepts_known_ids() -> None:
    """With every procedure and profile known there is no problem."""
    problems = CAL.validate_references(
        procedure_ids=set(CAL.procedure_names),
        profile_ids_used_by_offices={"nakahara-kuyakusho": "ward-office", "kakio-renrakusho": None},
        window_names={"区民課", "保険年金課"},
    )
    assert problems == []


def test_validate_references_reports_unknown_ids() -> None:
    """Unknown procedure ids, office profiles and window names are reported with where they are."""
    problems = CAL.validate_references(
        procedure_ids=set(CAL.procedure_names) - {"tennyu"},
        profile_ids_used_by_offices={"nakahara-kuyakusho": "ward-offices"},
        window_names={"区民課"},
    )
    where = {(p.file, p.entry_id, p.field) for p in problems}
    assert ("calendar.yaml", None, "procedure_names.tennyu") in where
    assert ("offices", "nakahara-kuyakusho", "hours.profile") in where
    assert ("calendar.yaml", "ward-office-saturday", "windows") in where


def test_holidays_are_known_up_to_the_last_day_a_date_can_be() -> None:
    """jpholiday looks a day past each holiday and overflows in the year 9999; the year's holidays are still
    named, and its last days are none."""
    assert holiday_name(dt.date(9999, 1, 1)) == "元日" and holiday_name(dt.date.max) is None
    assert holiday_name(dt.date.min) == "元日"
