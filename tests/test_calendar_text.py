"""Answers about opening days in Japanese and English: exact dates, hours and the honest caveats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge import calendar_text as ct
from knowledge.calendar import Calendar
from knowledge.errors import UnknownProfileError

CALENDAR_YAML = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "calendar.yaml"
TOKYO = ZoneInfo("Asia/Tokyo")
with CALENDAR_YAML.open(encoding="utf-8") as _f:
    CAL = Calendar.from_data(yaml.safe_load(_f))
PHONE = "044-200-3939"
WARD = "中原区役所"


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TOKYO)


# ---------------------------------------------------------------------------
# Formatting


@pytest.mark.parametrize(
    ("day", "lang", "with_year", "expected"),
    [
        pytest.param(dt.date(2026, 12, 12), "ja", False, "12月12日(土)", id="ja"),
        pytest.param(dt.date(2027, 1, 9), "ja", True, "2027年1月9日(土)", id="ja-with-year"),
        pytest.param(dt.date(2026, 12, 12), "en", False, "Saturday 12 December", id="en"),
        pytest.param(dt.date(2027, 1, 4), "en", True, "Monday 4 January 2027", id="en-with-year"),
    ],
)
def test_format_date(day: dt.date, lang: ct.Lang, with_year: bool, expected: str) -> None:
    """Dates read 12月12日(土) in Japanese and Saturday 12 December in English."""
    assert ct.format_date(day, lang, with_year=with_year) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        pytest.param("ja", "12月12日(土) 8:30〜12:30", id="ja"),
        pytest.param("en", "Saturday 12 December, 8:30–12:30", id="en"),
    ],
)
def test_format_opening(lang: ct.Lang, expected: str) -> None:
    """An opening reads as date plus hours, without a leading zero on the hour."""
    (opening,) = CAL.day("ward-office", dt.date(2026, 12, 12)).openings
    assert ct.format_opening(opening, lang) == expected


def test_format_hours_of_unverified_hours_is_empty() -> None:
    """Unverified hours format as nothing, so no answer can print made-up hours."""
    (opening,) = CAL.day("service-corner", dt.date(2026, 12, 13)).openings
    assert ct.format_hours(opening) == ""


def test_contact_line_states_number_and_hours() -> None:
    """The contact line names サンキューコールかわさき with its number and every-day hours."""
    assert ct.contact_line(CAL) == "サンキューコールかわさき（044-200-3939、毎日8:00〜21:00）"
    assert "every day 8:00–21:00" in ct.contact_line(CAL, "en")


# ---------------------------------------------------------------------------
# Next Saturday opening


def test_next_saturday_answer_matches_the_issue_example() -> None:
    """After the 4th Saturday of November has closed, the answer names 12月12日(土) 8:30〜12:30 and what can be done."""
    text = ct.describe_next_saturday(CAL, "ward-office", WARD, at(2026, 11, 28, 13, 0))
    assert "本日 11月28日(土) の土曜開庁は 12:30 で終了しました。" in text
    assert "次の土曜開庁日は 12月12日(土) 8:30〜12:30 です。" in text
    assert "区民課・保険年金課" in text
    assert "転入届、転出届" in text and "印鑑登録" in text and "国民健康保険の加入" in text


def test_next_saturday_marks_secondary_procedures_as_unconfirmed() -> None:
    """Procedures known only from secondary sources are named as not confirmed, and others as 'please check'."""
    text = ct.describe_next_saturday(CAL, "ward-office", WARD, at(2026, 12, 1))
    assert "転居届、出生届、住民票の写しの交付も受け付けているとの情報がありますが、確認できていません。" in text
    assert "お出かけ前にご確認ください" in text


def test_next_saturday_during_the_opening_says_today() -> None:
    """Asked during a Saturday opening, the answer says today is the opening day."""
    text = ct.describe_next_saturday(CAL, "ward-office", WARD, at(2026, 12, 12, 9, 0))
    assert text.startswith("本日 12月12日(土) は土曜開庁日です（8:30〜12:30）。")


def test_next_saturday_in_english() -> None:
    """The English answer gives the weekday, day, month and hours, and the windows."""
    text = ct.describe_next_saturday(CAL, "ward-office", "Nakahara Ward Office", at(2026, 11, 28, 13, 0), "en")
    assert "The next Saturday opening is Saturday 12 December, 8:30–12:30." in text
    assert "Residents Division (区民課)" in text
    assert "moving-in notification" in text


def test_next_saturday_over_a_holiday_2nd_saturday_warns() -> None:
    """When a 2nd Saturday on the way is a national holiday, the answer says it is not confirmed and to call."""
    text = ct.describe_next_saturday(CAL, "ward-office", WARD, at(2029, 8, 1))
    assert "次の土曜開庁日は 8月25日(土) 8:30〜12:30 です。" in text
    assert "8月11日(土)は第2土曜日ですが、祝日（山の日）と重なります。" in text
    assert "確認できていない" in text and PHONE in text


def test_next_saturday_in_the_busy_season_mentions_temporary_openings() -> None:
    """In March/April the answer says the city announces temporary openings and to confirm by phone."""
    text = ct.describe_next_saturday(CAL, "ward-office", WARD, at(2027, 3, 1))
    assert "臨時開庁は市が告知します" in text and PHONE in text


def test_next_saturday_outside_the_busy_season_stays_short() -> None:
    """Outside the busy season no temporary-opening note is added."""
    assert "臨時" not in ct.describe_next_saturday(CAL, "ward-office", WARD, at(2026, 11, 20))


def test_next_saturday_of_a_branch_office() -> None:
    """A branch office has no Saturday opening, and the answer says so with its caveat."""
    text = ct.describe_next_saturday(CAL, "branch-office", "田島支所", at(2026, 11, 20))
    assert "田島支所には土曜日の定例の開庁はありません。" in text


def test_next_saturday_of_the_contact_center() -> None:
    """The contact center takes calls on Saturdays too; the answer uses 受付, not 開庁."""
    text = ct.describe_next_saturday(CAL, "contact-center", "サンキューコールかわさき", at(2026, 11, 20))
    assert text == "サンキューコールかわさきは 11月21日(土) 8:00〜21:00 も受け付けています。"


# ---------------------------------------------------------------------------
# One day


@pytest.mark.parametrize(
    ("day", "now", "expected"),
    [
        pytest.param(dt.date(2026, 12, 14), at(2026, 12, 1), ["12月14日(月)は中原区役所の開庁日です（8:30〜17:00）。"],
                     id="weekday"),
        pytest.param(dt.date(2026, 12, 26), at(2026, 12, 1),
                     ["12月26日(土)は第4土曜日の開庁日です。", "区民課・保険年金課の窓口が 8:30〜12:30 に開きます。"],
                     id="4th-saturday"),
        pytest.param(dt.date(2026, 12, 19), at(2026, 12, 1),
                     ["12月19日(土)は第3土曜日のため、中原区役所は閉庁です", "第2・第4土曜日の 8:30〜12:30",
                      "次の開庁は 12月21日(月) 8:30〜17:00 です。"], id="3rd-saturday"),
        pytest.param(dt.date(2026, 11, 23), at(2026, 11, 20),
                     ["11月23日(月)は祝日（勤労感謝の日）のため、中原区役所は閉庁です。", "次の開庁は 11月24日(火)"],
                     id="holiday"),
        pytest.param(dt.date(2026, 12, 30), at(2026, 12, 1),
                     ["年末年始の休み（12月29日(火)〜1月3日(日)）", "次の開庁は 1月4日(月) 8:30〜17:00 です。"],
                     id="year-end"),
        pytest.param(dt.date(2026, 12, 13), at(2026, 12, 1), ["日曜日のため", "守衛室"], id="sunday-security-desk"),
        pytest.param(dt.date(2026, 12, 1), at(2026, 12, 10), ["過ぎた日です"], id="past-date"),
    ],
)  # fmt: skip
def test_describe_day_ja(day: dt.date, now: dt.datetime, expected: list[str]) -> None:
    """The Japanese answer for one day gives the exact date, weekday, hours or reason, and the next opening."""
    text = ct.describe_day(CAL, "ward-office", WARD, day, now)
    for fragment in expected:
        assert fragment in text, text


@pytest.mark.parametrize("day", [dt.date(2029, 8, 11), dt.date(2030, 2, 23), dt.date(2034, 2, 11)],
                         ids=lambda d: d.isoformat())  # fmt: skip
def test_describe_day_holiday_on_2nd_or_4th_saturday_says_to_confirm(day: dt.date) -> None:
    """A 2nd/4th Saturday that is a holiday is never stated as open or closed as fact: the answer says to confirm."""
    for lang in ("ja", "en"):
        text = ct.describe_day(CAL, "ward-office", WARD, day, at(day.year, 1, 1), lang)
        assert PHONE in text
        assert ("確認できていない" in text) if lang == "ja" else ("has not been confirmed" in text)


def test_describe_day_after_closing_time_today() -> None:
    """Asked about today after closing time, the answer says today's hours have ended and gives the next opening."""
    text = ct.describe_day(CAL, "ward-office", WARD, dt.date(2026, 12, 14), at(2026, 12, 14, 17, 30))
    assert "本日の開庁は 17:00 で終了しました。" in text
    assert "次の開庁は 12月15日(火) 8:30〜17:00 です。" in text


def test_describe_day_first_saturday_of_april_mentions_temporary_openings() -> None:
    """'4月の最初の土曜は臨時で開いてる?': closed as a 1st Saturday, temporary openings announced by the city."""
    text = ct.describe_day(CAL, "ward-office", WARD, dt.date(2027, 4, 3), at(2027, 3, 20))
    assert "4月3日(土)は第1土曜日のため、中原区役所は閉庁です" in text
    assert "繁忙期の臨時開庁は市が告知します" in text and PHONE in text


def test_describe_day_for_a_window_closed_on_saturday() -> None:
    """A window that does not open on the Saturday is told apart from the windows that do."""
    text = ct.describe_day(CAL, "ward-office", WARD, dt.date(2026, 12, 12), at(2026, 12, 1), window="衛生課")
    assert "区民課・保険年金課のみが開きます（8:30〜12:30）。衛生課は開いていません。" in text


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("profile", ["service-corner", "service-corner-daily"])
def test_service_corner_hours_are_never_stated(profile: str, lang: ct.Lang) -> None:
    """'行政サービスコーナーは日曜何時まで': the answer says the hours are not verified and gives no time."""
    text = ct.describe_day(CAL, profile, "登戸行政サービスコーナー", dt.date(2026, 12, 13), at(2026, 12, 10), lang)
    assert ":" not in text.replace("8:00", "").replace("21:00", "")  # only the contact center's hours appear
    assert ("確認できていない" in text) if lang == "ja" else ("not been verified" in text)
    assert PHONE in text


def test_uncertain_hours_say_to_check() -> None:
    """Hours from a secondary source (branch office) come with the caveat and 'check before you go'."""
    text = ct.describe_day(CAL, "branch-office", "田島支所", dt.date(2026, 12, 14), at(2026, 12, 1))
    assert "8:30〜17:00" in text and "お出かけ前にご確認ください" in text


def test_describe_day_english() -> None:
    """The English answer gives weekday, day, month and hours."""
    text = ct.describe_day(CAL, "ward-office", "Nakahara Ward Office", dt.date(2026, 12, 14), at(2026, 12, 1), "en")
    assert text == "Nakahara Ward Office is open on Monday 14 December, 8:30–17:00."


def test_unknown_profile_raises() -> None:
    """Composing for an unknown profile raises the calendar's UnknownProfileError."""
    with pytest.raises(UnknownProfileError):
        ct.describe_day(CAL, "town-hall", "x", dt.date(2026, 12, 14), at(2026, 12, 1))


# ---------------------------------------------------------------------------
# Year-end


def test_year_end_ward_office_2026() -> None:
    """'年末は何日まで': closed 12/29–1/3, last day 12/28, reopening 1/4, and the security-desk note."""
    text = ct.describe_year_end(CAL, "ward-office", WARD, at(2026, 12, 1))
    assert "中原区役所の年末年始の休みは 12月29日(火)〜1月3日(日) です。" in text
    assert "年内の最後の開庁日は 12月28日(月) 8:30〜17:00 です。" in text
    assert "年明けは 1月4日(月) 8:30〜17:00 に開庁します。" in text
    assert "守衛室" in text


def test_year_end_mentions_a_4th_saturday_after_the_last_full_day() -> None:
    """In 2025 the last weekday is 12/26 and the 4th Saturday 12/27 still opens for 区民課・保険年金課."""
    text = ct.describe_year_end(CAL, "ward-office", WARD, at(2025, 12, 1))
    assert "年内の最後の開庁日は 12月26日(金) 8:30〜17:00 です。" in text
    assert "12月27日(土) 8:30〜12:30 は区民課・保険年金課のみ開いています。" in text
    assert "年明けは 1月5日(月)" in text


def test_year_end_during_the_closure() -> None:
    """Asked on 1/2, the answer says it is closed now and when it reopens."""
    text = ct.describe_year_end(CAL, "ward-office", WARD, at(2027, 1, 2))
    assert "現在は閉庁中です。" in text and "年明けは 1月4日(月)" in text


def test_year_end_contact_center_is_open() -> None:
    """The contact center is open every day over the New Year."""
    text = ct.describe_year_end(CAL, "contact-center", "サンキューコールかわさき", at(2026, 12, 1))
    assert "休まず 8:00〜21:00 に受け付けています" in text


def test_year_end_service_corner_is_unverified() -> None:
    """For a service corner the year-end is not verified and the answer says to confirm."""
    text = ct.describe_year_end(CAL, "service-corner-daily", "川崎行政サービスコーナー", at(2026, 12, 1))
    assert "確認できていません" in text and PHONE in text


def test_year_end_english() -> None:
    """The English year-end answer gives both ends and the reopening."""
    text = ct.describe_year_end(CAL, "ward-office", "Nakahara Ward Office", at(2026, 12, 1), "en")
    assert "from Tuesday 29 December to Sunday 3 January" in text
    assert "It reopens on Monday 4 January, 8:30–17:00." in text


# ---------------------------------------------------------------------------
# Now


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(at(2026, 12, 14, 10, 0), "中原区役所は現在開庁中です。本日 12月14日(月) は 8:30〜17:00 です。",
                     id="open"),
        pytest.param(at(2026, 12, 14, 8, 0), "中原区役所は現在開庁時間前です。", id="before"),
        pytest.param(at(2026, 12, 14, 17, 30), "本日 12月14日(月) の中原区役所の開庁は 17:00 で終了しました。",
                     id="after-closing"),
        pytest.param(at(2026, 12, 12, 9, 0), "中原区役所は現在開庁中です（区民課・保険年金課のみ）。", id="saturday"),
        pytest.param(at(2026, 12, 13, 9, 0), "12月13日(日)は日曜日のため、中原区役所は閉庁です。", id="sunday"),
    ],
)  # fmt: skip
def test_describe_status_now(now: dt.datetime, expected: str) -> None:
    """'今やってる?' is answered for the exact moment, including after closing time."""
    assert expected in ct.describe_status_now(CAL, "ward-office", WARD, now)


def test_status_now_after_closing_gives_next_opening() -> None:
    """After closing time the answer names the next opening day."""
    text = ct.describe_status_now(CAL, "ward-office", WARD, at(2026, 12, 14, 17, 30))
    assert "次の開庁は 12月15日(火) 8:30〜17:00 です。" in text


def test_status_now_english() -> None:
    """The English 'open now' answer names today and the hours."""
    text = ct.describe_status_now(CAL, "ward-office", "Nakahara Ward Office", at(2026, 12, 14, 10, 0), "en")
    assert text == "Nakahara Ward Office is open now: today, Monday 14 December, 8:30–17:00."


# ---------------------------------------------------------------------------
# Ranges and temporary openings


def test_describe_range_next_week() -> None:
    """'来週やってる?' lists each opening and says why a weekday is closed."""
    text = ct.describe_range(CAL, "ward-office", WARD, dt.date(2026, 11, 23), dt.date(2026, 11, 29), at(2026, 11, 20))
    assert "11月24日(火) 8:30〜17:00" in text
    assert "11月28日(土) 8:30〜12:30（区民課・保険年金課のみ）" in text
    assert "11月23日(月)は祝日（勤労感謝の日）のため閉庁です。" in text


def test_describe_temporary_when_none_listed() -> None:
    """'臨時開庁はある?': none is listed, the city announces them, confirm with the contact center."""
    text = ct.describe_temporary(CAL, "ward-office", WARD, at(2027, 3, 1))
    assert "市が告知します" in text and PHONE in text


# ---------------------------------------------------------------------------
# Properties


@settings(max_examples=150, deadline=None)
@given(
    st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2035, 12, 31)),
    st.sampled_from(["ja", "en"]),
    st.sampled_from(sorted(CAL.profiles)),
)
def test_every_day_answer_names_the_date(day: dt.date, lang: ct.Lang, profile: str) -> None:
    """Whatever the day, profile and language, the answer names that exact date and weekday."""
    now = dt.datetime.combine(day - dt.timedelta(days=3), dt.time(9, 0), tzinfo=TOKYO)
    text = ct.describe_day(CAL, profile, "X", day, now, lang)
    assert ct.format_date(day, lang) in text or ct.format_date(day, lang, with_year=True) in text


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2035, 12, 1)))
def test_next_saturday_answer_is_always_a_2nd_or_4th_saturday(now: dt.datetime) -> None:
    """The date the next-Saturday answer announces is a 2nd or 4th Saturday."""
    text = ct.describe_next_saturday(CAL, "ward-office", WARD, now.replace(tzinfo=TOKYO))
    (opening,) = CAL.next_openings("ward-office", now.replace(tzinfo=TOKYO), kind="saturday")
    assert opening.date.weekday() == 5 and (opening.date.day - 1) // 7 + 1 in (2, 4)
    assert ct.format_date(opening.date) in text
