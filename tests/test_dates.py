"""Date expressions in Japanese questions, resolved against an injected clock in Asia/Tokyo."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intents.dates import TOKYO, DateMention, resolve_dates, scan_dates, today_in_tokyo

# Friday 20 November 2026, 10:00 in Tokyo.
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO)
D = dt.date


def only(text: str, now: dt.datetime = NOW) -> DateMention:
    mentions = resolve_dates(text, now)
    assert len(mentions) == 1, mentions
    return mentions[0]


@pytest.mark.parametrize(
    ("text", "first", "last", "label"),
    [
        pytest.param("今日やってる？", D(2026, 11, 20), D(2026, 11, 20), "today", id="今日"),
        pytest.param("本日は", D(2026, 11, 20), D(2026, 11, 20), "today", id="本日"),
        pytest.param("きょうは", D(2026, 11, 20), D(2026, 11, 20), "today", id="きょう"),
        pytest.param("明日は", D(2026, 11, 21), D(2026, 11, 21), "tomorrow", id="明日"),
        pytest.param("あしたは", D(2026, 11, 21), D(2026, 11, 21), "tomorrow", id="あした"),
        pytest.param("あすは", D(2026, 11, 21), D(2026, 11, 21), "tomorrow", id="あす"),
        pytest.param("明後日", D(2026, 11, 22), D(2026, 11, 22), "day-after-tomorrow", id="明後日"),
        pytest.param("あさって", D(2026, 11, 22), D(2026, 11, 22), "day-after-tomorrow", id="あさって"),
        pytest.param("今週の土曜って区役所やってる？", D(2026, 11, 21), D(2026, 11, 21), "saturday", id="今週の土曜"),
        pytest.param("今週土曜日", D(2026, 11, 21), D(2026, 11, 21), "saturday", id="今週土曜日"),
        pytest.param("来週の月曜", D(2026, 11, 23), D(2026, 11, 23), "monday", id="来週の月曜"),
        pytest.param("来週の土曜日", D(2026, 11, 28), D(2026, 11, 28), "saturday", id="来週の土曜日"),
        pytest.param("再来週の金曜", D(2026, 12, 4), D(2026, 12, 4), "friday", id="再来週の金曜"),
        pytest.param("来週は", D(2026, 11, 23), D(2026, 11, 29), "week", id="来週"),
        pytest.param("今週", D(2026, 11, 16), D(2026, 11, 22), "week", id="今週"),
        pytest.param("次の土曜開庁日はいつ", D(2026, 11, 21), D(2026, 11, 21), "saturday", id="次の土曜"),
        pytest.param("今度の土曜", D(2026, 11, 21), D(2026, 11, 21), "saturday", id="今度の土曜"),
        pytest.param("日曜何時まで", D(2026, 11, 22), D(2026, 11, 22), "sunday", id="日曜"),
        pytest.param("金曜日", D(2026, 11, 20), D(2026, 11, 20), "friday", id="bare-weekday-today"),
        pytest.param("来月", D(2026, 12, 1), D(2026, 12, 31), "month", id="来月"),
        pytest.param("今月", D(2026, 11, 1), D(2026, 11, 30), "month", id="今月"),
        pytest.param("来月末", D(2026, 12, 31), D(2026, 12, 31), "month-end", id="来月末"),
        pytest.param("来月の第2土曜", D(2026, 12, 12), D(2026, 12, 12), "saturday", id="来月の第2土曜"),
        pytest.param("第4土曜", D(2026, 11, 28), D(2026, 11, 28), "saturday", id="第4土曜-this-month"),
        pytest.param("第2土曜", D(2026, 12, 12), D(2026, 12, 12), "saturday", id="第2土曜-passed-so-next-month"),
        pytest.param(
            "4月の最初の土曜は臨時で開いてる?", D(2027, 4, 3), D(2027, 4, 3), "saturday", id="4月の最初の土曜"
        ),
        pytest.param("1月の最後の土曜", D(2027, 1, 30), D(2027, 1, 30), "saturday", id="最後の土曜"),
        pytest.param("4月5日", D(2027, 4, 5), D(2027, 4, 5), "date", id="M月D日-next-year"),
        pytest.param("11月20日", D(2026, 11, 20), D(2026, 11, 20), "date", id="M月D日-today"),
        pytest.param("12/28", D(2026, 12, 28), D(2026, 12, 28), "date", id="M/D"),
        pytest.param("12月26日(土)", D(2026, 12, 26), D(2026, 12, 26), "saturday", id="with-weekday"),
        pytest.param("１２月２６日（土）", D(2026, 12, 26), D(2026, 12, 26), "saturday", id="full-width"),
        pytest.param("１２／２８", D(2026, 12, 28), D(2026, 12, 28), "date", id="full-width-slash"),
        pytest.param("2027年1月9日", D(2027, 1, 9), D(2027, 1, 9), "date", id="with-year"),
        pytest.param("令和9年1月9日", D(2027, 1, 9), D(2027, 1, 9), "date", id="reiwa"),
        pytest.param("2026/12/26", D(2026, 12, 26), D(2026, 12, 26), "date", id="Y/M/D"),
        pytest.param("2026-12-26", D(2026, 12, 26), D(2026, 12, 26), "date", id="iso"),
        pytest.param("4月は", D(2027, 4, 1), D(2027, 4, 30), "month", id="month-name"),
        pytest.param("年末は何日まで", D(2026, 12, 25), D(2026, 12, 31), "year-end", id="年末"),
        pytest.param("年始", D(2027, 1, 1), D(2027, 1, 7), "new-year", id="年始"),
        pytest.param("年末年始", D(2026, 12, 29), D(2027, 1, 3), "year-end-new-year", id="年末年始"),
        pytest.param("今週末", D(2026, 11, 21), D(2026, 11, 22), "weekend", id="今週末"),
        pytest.param("土日", D(2026, 11, 21), D(2026, 11, 22), "weekend", id="土日"),
        pytest.param("3日後", D(2026, 11, 23), D(2026, 11, 23), "in-days", id="N日後"),
    ],
)
def test_resolves_expression(text: str, first: dt.date, last: dt.date, label: str) -> None:
    """Each expression resolves to the expected day or range, with its label, against Friday 2026-11-20."""
    m = only(text)
    assert (m.first, m.last, m.label) == (first, last, label)


def test_1_5_asked_in_december_is_next_january() -> None:
    """M/D without a year is the next such date on or after today: 1/5 asked in December is next January."""
    assert only("1/5", dt.datetime(2026, 12, 20, 9, 0, tzinfo=TOKYO)).first == D(2027, 1, 5)


def test_4th_saturday_after_it_has_passed_is_next_month() -> None:
    """第4土曜 asked after this month's has passed resolves to next month's."""
    assert only("第4土曜", dt.datetime(2026, 11, 29, 9, 0, tzinfo=TOKYO)).first == D(2026, 12, 26)


def test_next_saturday_asked_on_a_saturday_is_a_week_later() -> None:
    """次の土曜 is strictly after today; a bare 土曜 asked on a Saturday is today."""
    saturday = dt.datetime(2026, 11, 21, 9, 0, tzinfo=TOKYO)
    assert only("次の土曜", saturday).first == D(2026, 11, 28)
    assert only("土曜", saturday).first == D(2026, 11, 21)


def test_year_end_new_year_asked_on_january_2nd_is_the_current_one() -> None:
    """年末年始 asked on 1/2 is the closure already under way."""
    m = only("年末年始", dt.datetime(2027, 1, 2, 9, 0, tzinfo=TOKYO))
    assert (m.first, m.last) == (D(2026, 12, 29), D(2027, 1, 3))


def test_span_points_into_the_original_text() -> None:
    """The mention's span and text are those of the original question, full-width characters included."""
    text = "えっと、１２月２６日（土）って開いてる？"
    m = only(text)
    assert text[m.start : m.end] == m.text == "１２月２６日（土）"


def test_several_mentions_in_order() -> None:
    """Several expressions are returned in the order they appear."""
    mentions = resolve_dates("明日と来週の月曜と12/28", NOW)
    assert [m.text for m in mentions] == ["明日", "来週の月曜", "12/28"]
    assert [m.first for m in mentions] == [D(2026, 11, 21), D(2026, 11, 23), D(2026, 12, 28)]


def test_second_and_fourth_saturday_gives_two_mentions() -> None:
    """第2・第4土曜 names two Saturdays, each with its nth."""
    mentions = resolve_dates("第2・第4土曜日", NOW)
    assert [(m.nth, m.first) for m in mentions] == [(2, D(2026, 12, 12)), (4, D(2026, 11, 28))]


def test_nth_is_reported() -> None:
    """来月の第2土曜 reports nth=2 and names a Saturday."""
    m = only("来月の第2土曜")
    assert m.nth == 2 and m.first.weekday() == 5 and not m.is_range and m.day == m.first


def test_wrong_weekday_is_flagged() -> None:
    """12月27日(土) keeps the date but flags that the 27th is not a Saturday."""
    m = only("12月27日(土)")
    assert m.first == D(2026, 12, 27) and m.weekday_mismatch


def test_right_weekday_is_not_flagged() -> None:
    """12月26日(土) is a Saturday, so no mismatch."""
    assert not only("12月26日(土)").weekday_mismatch


def test_range_days() -> None:
    """A range mention lists all its days."""
    m = only("来週")
    assert m.is_range and m.day is None and len(m.days()) == 7


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("2月30日は開いてる?", "2月30日 is not a valid date", id="feb-30"),
        pytest.param("13/1", "13月1日 is not a valid date", id="month-13"),
        pytest.param("2027年2月31日", "2027年2月31日 is not a valid date", id="with-year"),
        pytest.param("2027年2月の第5土曜", "has no 5th saturday", id="no-5th-saturday"),
    ],
)
def test_invalid_dates_are_reported_not_guessed(text: str, message: str) -> None:
    """A date-shaped expression that names no day is reported as invalid and resolves to nothing."""
    scan = scan_dates(text, NOW)
    assert scan.mentions == ()
    assert len(scan.invalid) == 1 and message in scan.invalid[0].message


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("転入届は14日以内に出してください", id="14日以内"),
        pytest.param("きょうだいの住民票", id="きょうだい"),
        pytest.param("3か月前から", id="か月"),
        pytest.param("住民票の写しがほしい", id="no-date"),
        pytest.param("", id="empty"),
    ],
)
def test_no_false_mentions(text: str) -> None:
    """Durations and look-alike words are not taken for dates."""
    assert resolve_dates(text, NOW) == []


def test_clock_in_another_timezone_is_converted_to_tokyo() -> None:
    """'今日' at 2026-11-20T16:00Z is 21 November in Tokyo."""
    now = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)
    assert only("今日", now).first == D(2026, 11, 21)


def test_naive_clock_is_tokyo_time() -> None:
    """A naive now is taken as Tokyo local time."""
    assert today_in_tokyo(dt.datetime(2026, 11, 20, 23, 59)) == D(2026, 11, 20)


# ---------------------------------------------------------------------------
# Properties over 2025-2035

NOWS = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2035, 12, 31), timezones=st.just(TOKYO))


@settings(max_examples=200, deadline=None)
@given(NOWS, st.integers(1, 12), st.integers(1, 31))
def test_month_day_is_the_next_occurrence(now: dt.datetime, month: int, day: int) -> None:
    """M/D resolves to a date on or after today, within a year (four for 2/29), with that month and day."""
    try:
        dt.date(2028, month, day)
    except ValueError:
        return  # not a date in any year; covered by the invalid-date tests
    m = only(f"{month}/{day}", now)
    today = now.date()
    assert (m.first.month, m.first.day) == (month, day)
    assert today <= m.first
    limit = 366 * 4 if (month, day) == (2, 29) else 366
    assert (m.first - today).days < limit


@settings(max_examples=200, deadline=None)
@given(NOWS)
def test_weekday_expressions(now: dt.datetime) -> None:
    """今週の土曜 is in this Monday-to-Sunday week; 次の土曜 is 1-7 days ahead; both are Saturdays."""
    today = now.date()
    this_week = only("今週の土曜", now).first
    following = only("次の土曜", now).first
    assert this_week.weekday() == following.weekday() == 5
    assert this_week - dt.timedelta(days=5) == today - dt.timedelta(days=today.weekday())
    assert 1 <= (following - today).days <= 7


@settings(max_examples=200, deadline=None)
@given(NOWS, st.integers(1, 4))
def test_next_month_nth_saturday(now: dt.datetime, nth: int) -> None:
    """来月の第N土曜 is a Saturday in next month, on day 7N-6 to 7N."""
    m = only(f"来月の第{nth}土曜", now)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    assert (m.first.year, m.first.month) == (year, month)
    assert m.first.weekday() == 5 and 7 * nth - 6 <= m.first.day <= 7 * nth
    assert m.nth == nth


@settings(max_examples=200, deadline=None)
@given(NOWS, st.sampled_from([2, 4]))
def test_bare_nth_saturday_is_never_in_the_past(now: dt.datetime, nth: int) -> None:
    """第2土曜 / 第4土曜 is this month's or next month's, never before today."""
    m = only(f"第{nth}土曜", now)
    assert m.first >= now.date()
    assert (m.first - now.date()).days <= 62
    assert m.nth == nth


@settings(max_examples=100, deadline=None)
@given(NOWS)
def test_ranges_are_well_formed(now: dt.datetime) -> None:
    """来週, 来月, 年末年始 are ranges with first before last, starting in the future or today."""
    for text, days in (("来週", 7), ("年末年始", 6)):
        m = only(text, now)
        assert len(m.days()) == days
    month = only("来月", now)
    assert month.first.day == 1 and (month.last + dt.timedelta(days=1)).day == 1
    assert month.first > now.date()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_never_crashes_on_arbitrary_text(text: str) -> None:
    """Any text scans without an exception, and every span points into the text."""
    scan = scan_dates(text, NOW)
    for m in scan.mentions:
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start : m.end] == m.text
        assert m.first <= m.last
