"""Date expressions in a Japanese question, resolved against an injected clock in Asia/Tokyo.

``resolve_dates("今週の土曜って区役所やってる？", now)`` finds 今週の土曜 and resolves it to
the Saturday of the current week. The clock is a parameter, never read globally,
so answers are reproducible (``CONTACT_NOW`` in tests and demos).

Conventions (pinned by tests/test_dates.py):

- The text is NFKC-normalised first (full-width digits and brackets); spans are
  reported in the *original* text.
- Weeks run Monday to Sunday: 今週の土曜 is the Saturday of this week even when it
  has passed; 来週 is next Monday to Sunday.
- 次の土曜 / 今度の土曜 is the first Saturday strictly after today; a bare 土曜 (and
  この土曜) is the first on or after today.
- M月D日 and M/D without a year are the next such date on or after today (1/5 asked in
  December is next January); N月 likewise names the next such month.
- 第N土曜 without a month is this month's, or next month's once this month's has passed;
  N月の最初の土曜 / 最後の土曜 are the first and last in that month.
- 年末年始 is 12/29–1/3 (the public offices' closure), 年末 12/25–12/31, 年始 1/1–1/7,
  each the current or next one.
- Not handled: kanji numerals (十二月), bare D日 (it clashes with 14日以内), times of day.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

__all__ = [
    "TOKYO",
    "DateMention",
    "DateScan",
    "InvalidDate",
    "resolve_dates",
    "scan_dates",
    "today_in_tokyo",
]

TOKYO = ZoneInfo("Asia/Tokyo")
WEEKDAY_CHARS = "月火水木金土日"
WEEKDAY_LABELS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_SAT, _SUN = 5, 6


@dataclass(frozen=True)
class DateMention:
    """One date expression: where it is in the question and the day or days it names.

    ``label`` is the weekday's English name when the expression names a weekday
    (``saturday`` for 今週の土曜, 第2土曜 or 12月26日(土)); otherwise one of ``today``,
    ``tomorrow``, ``day-after-tomorrow``, ``in-days``, ``date``, ``weekend``, ``week``,
    ``month``, ``month-end``, ``year-end``, ``new-year``, ``year-end-new-year``.
    """

    text: str
    """The expression as written in the question."""
    start: int
    end: int
    """Offsets of ``text`` in the original question."""
    first: dt.date
    last: dt.date
    """The day named (first == last) or the range (来週, 来月, 年末 …), inclusive."""
    label: str
    nth: int | None = None
    """For 第2土曜 and the like: which occurrence in the month."""
    weekday_mismatch: bool = False
    """The question gave a weekday that is not the date's (12月27日(土) when the 27th is a Sunday)."""

    @property
    def is_range(self) -> bool:
        return self.first != self.last

    @property
    def day(self) -> dt.date | None:
        """The single day named, or None for a range."""
        return None if self.is_range else self.first

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class InvalidDate:
    """An expression shaped like a date that names no real day (2月30日, 13/1, 2月の第5土曜 in 2027)."""

    text: str
    start: int
    end: int
    message: str


@dataclass(frozen=True)
class DateScan:
    mentions: tuple[DateMention, ...]
    invalid: tuple[InvalidDate, ...]


@dataclass(frozen=True)
class _Resolved:
    first: dt.date
    last: dt.date
    label: str
    nth: int | None = None
    mismatch: bool = False


_Result = _Resolved | str
"""A handler's answer: a resolved date, or a message saying why the expression names no day."""
_Handler = Callable[[re.Match[str], dt.date], Sequence[_Result]]


# ---------------------------------------------------------------------------
# Clock and calendar arithmetic


def today_in_tokyo(now: dt.datetime) -> dt.date:
    """The date in Asia/Tokyo at ``now``; a naive ``now`` is taken as Tokyo time."""
    if now.tzinfo is None:
        return now.date()
    return now.astimezone(TOKYO).date()


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _add_months(year: int, month: int, k: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + k
    return index // 12, index % 12 + 1


def _month_last(year: int, month: int) -> dt.date:
    y, m = _add_months(year, month, 1)
    return dt.date(y, m, 1) - dt.timedelta(days=1)


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> dt.date | None:
    """The nth (1..5, or -1 for the last) given weekday of a month, or None when there is none."""
    if nth == -1:
        last = _month_last(year, month)
        return last - dt.timedelta(days=(last.weekday() - weekday) % 7)
    first = dt.date(year, month, 1)
    day = first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    return day if day.month == month else None


def _next_on_or_after(today: dt.date, weekday: int, strictly_after: bool = False) -> dt.date:
    delta = (weekday - today.weekday()) % 7
    if delta == 0 and strictly_after:
        delta = 7
    return today + dt.timedelta(days=delta)


def _upcoming_date(today: dt.date, month: int, day: int) -> dt.date | None:
    """The next month-day on or after today (Feb 29 waits for a leap year)."""
    for year in range(today.year, today.year + 9):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _number(text: str) -> int:
    return _KANJI_DIGITS.get(text) or int(text)


def _weekday_of(char: str | None) -> int | None:
    return WEEKDAY_CHARS.index(char) if char else None


# ---------------------------------------------------------------------------
# Handlers, one per kind of expression


def _relative_day(offset: int, label: str) -> _Handler:
    def handle(m: re.Match[str], today: dt.date) -> Sequence[_Result]:
        day = today + dt.timedelta(days=offset)
        return [_Resolved(day, day, label)]

    return handle


def _in_days(m: re.Match[str], today: dt.date) -> Sequence[_Result]:
    day = today + dt.timedelta(days=int(m.group("n")))
    return [_Resolved(day, day, "in-days")]


_WEEK_OFFSETS = {"先週": -1, "今週": 0, "来週": 1, "再来週": 2}


def _week_weekday(m: re.Match[str], today: dt.date) -> Sequence[_Result]:
    weekday = WEEKDAY_CHARS.index(m.group("wd"))
    day = _monday(today) + dt.timedelta(days=7 * _WEEK_OFFSETS[m.group("week")] + weekday)
    return [_Resolved(day, day, WEEKDAY_LABELS[weekday])]


def _week(m: re.Match[str], today: dt.date) -> Sequence[_Result]:
    monday = _monday(today) + dt.timedelta(days=7 * _WEEK_OFFSETS[m.group("week")])
    return [_Resolved(monday, monday + dt.timedelta(days=6), "week")]


def _weekend(m: re.Match[str], today: dt.date) -> Sequence[_Result]:
    week = m.group("week")
    if week:
        sat = _monday(today) + dt.timedelta(days=7 * _WEEK_OFFSETS[week.removesuffix("末")] + _SAT)
        return [_Resolved(sat, sat + dt.timedelta(days=1), "weekend")]
    if today.weekday() == _SUN and not m.group("pre"):
        return [_Resolved(today, today, "weekend")]
    sat = _next_on_or_after(today, _SAT, strictly_after=bool(m.group("pre")) and m.group("pre") != "この")
    return [_Resolved(sat, sat + dt.timedelta(days=1), "weekend")]


def _upcoming_weekday(m: re.Match[str], today: dt.date) -> Sequence[_Result]:
    weekday = WEEKDAY_CHARS.index(m.group("wd"))
    strictly = m.group("pre") in ("次の", "今度の", "次回の")
    day = _next_on_or_after(today, weekday, strictly_after=strictly)
    return [_Resolved(day, day, WEEKDAY_LABELS[weekday])]


_MONTH_OFFSETS = {"先月": -1, "今月": 0, "来月": 1, "再来月": 2}


def _target_month(m: re.Match[str], today: dt.date) -> tuple[int, int] | str:
    """(year, month) named by rel (今月…) or y/r + m groups; the next such month when no year."""
    rel = m.groupdict().get("rel")
    if rel:
        return _add_months(today.year, today.month, _MONTH_OFFSETS[rel])
    month = int(m.group("m"))
    if not 1 <= month <= 12:
        return f"{month}月 is not a month"
    year = _explicit_year(m)
    if year is not None:
        return year, month
    return (today.year, month) if month >= today.month else (today.year + 1, month)


def _explicit_year(m: re.Match[str]) -> int | None:
    groups = m.groupdict()
    if groups.get("y"):
        return int(groups["y"])
    if groups.get("r"):
        return 2018 + (1 if groups["r"] == "元" else int(groups["r"]))
    return None


def _month(m: re.Match[str], today: dt.date) -> Sequence[_Result]:
    target = _target_month(m, today)
    if isinstance(target, str):
        return [target]
    year, month = target
    last = _month_last(year, month)
    if m.groupdict().get("end"):
        return [_Resolved(last, last, "month-end")]
    return [_Resolved(dt.date(year, month, 1), last, "month")]


def _nth_in_month(m: re.Match[str], today: dt.date) -> Sequence[_Result]:
    weekday = WEEKDAY_CHARS.index(m.group("wd"))
    position = m.group("pos")
    nths = [-1] if position and position.startswith("最後") else [1] if position else []
    nths += [_number(n) for n in re.findall(r"[1-5一二三四五]", m.group("ns") or "")]
    explicit_month = bool(m.groupdict().get("rel") or m.groupdict().get("m"))
    out: list[_Result] = []
    for nth in sorted(set(nths), key=lambda n: 6 if n == -1 else n):
        if explicit_month:
            target = _target_month(m, today)
            if isinstance(target, str):
                return [target]
            year, month = target
            day = _nth_weekday(year, month, weekday, nth)
            no_year = not (m.groupdict().get("rel") or _explicit_year(m))
            if no_year and day is not None and day < today:
                year += 1
                day = _nth_weekday(year, month, weekday, nth)
        else:
            year, month = today.year, today.month
            day = _nth_weekday(year, month, weekday, nth)
            if day is None or day < today:
                year, month = _add_months(year, month, 1)
                day = _nth_weekday(year, month, weekday, nth)
        if day is None:
            ordinal = {1: "1st", 2: "2nd", 3: "3rd"}.get(nth, f"{nth}th")
            out.append(f"{year}年{month}月 has no {ordinal} {WEEKDAY_LABELS[weekday]}")
            continue
        out.append(_Resolved(day, day, WEEKDAY_LABELS[weekday], nth=(day.day - 1) // 7 + 1))
    return out


def _full_date(m: re.Match[str], today: dt.date) -> Sequence[_Result]:
    month, day_of_month = int(m.group("m")), int(m.group("d"))
    year = _explicit_year(m)
    stated = _weekday_of(m.groupdict().get("wd") or m.groupdict().get("wd2"))
    day: dt.date | None
    if year is not None:
        try:
            day = dt.date(year, month, day_of_month)
        except ValueError:
            day = None
    else:
        day = _upcoming_date(today, month, day_of_month) if 1 <= month <= 12 else None
    if day is None:
        return [f"{'' if year is None else f'{year}年'}{month}月{day_of_month}日 is not a valid date"]
    label = WEEKDAY_LABELS[stated] if stated is not None else "date"
    return [_Resolved(day, day, label, mismatch=stated is not None and stated != day.weekday())]


def _season(kind: str) -> _Handler:
    def handle(m: re.Match[str], today: dt.date) -> Sequence[_Result]:
        year = today.year
        if kind == "year-end-new-year":
            if today <= dt.date(year, 1, 3):
                return [_Resolved(dt.date(year - 1, 12, 29), dt.date(year, 1, 3), kind)]
            return [_Resolved(dt.date(year, 12, 29), dt.date(year + 1, 1, 3), kind)]
        if kind == "year-end":
            return [_Resolved(dt.date(year, 12, 25), dt.date(year, 12, 31), kind)]
        if today <= dt.date(year, 1, 7):
            return [_Resolved(dt.date(year, 1, 1), dt.date(year, 1, 7), kind)]
        return [_Resolved(dt.date(year + 1, 1, 1), dt.date(year + 1, 1, 7), kind)]

    return handle


# ---------------------------------------------------------------------------
# Patterns, tried at every position; the longest match wins (ties: the earlier one)

_WD = r"(?P<wd>[月火水木金土日])曜(?:日)?"
_WD_NOTE = r"(?:\s*\(\s*(?P<wd>[月火水木金土日])(?:曜日?)?\s*\)|\s*(?P<wd2>[月火水木金土日])曜(?:日)?)?"
_YEAR = r"(?:(?P<y>\d{4})年|令和(?P<r>\d{1,2}|元)年)?"
_MONTH_NAME = r"(?:(?P<rel>先月|今月|来月|再来月)|" + _YEAR + r"(?<!\d)(?P<m>\d{1,2})月)"
_NTH = r"(?:第(?P<ns>[1-5一二三四五](?:\s*[・、,&と]\s*第?[1-5一二三四五])*)|(?P<pos>最初の|初めの|はじめの|最後の))"

_PATTERNS: tuple[tuple[re.Pattern[str], _Handler], ...] = (
    (re.compile(r"年末年始"), _season("year-end-new-year")),
    (re.compile(r"年末"), _season("year-end")),
    (re.compile(r"年始|年明け|お?正月"), _season("new-year")),
    (re.compile(r"今日|本日|きょう(?!だい|りょく|つう|いく|かい|ぎ)"), _relative_day(0, "today")),
    (re.compile(r"明日|あした|あす(?![かなぱ])"), _relative_day(1, "tomorrow")),
    (re.compile(r"明後日|あさって"), _relative_day(2, "day-after-tomorrow")),
    (re.compile(r"明々後日|明明後日|しあさって"), _relative_day(3, "in-days")),
    (re.compile(r"(?<!\d)(?P<n>\d{1,3})日後"), _in_days),
    (re.compile(r"(?P<week>先週|今週|来週|再来週)(?:の)?\s*" + _WD), _week_weekday),
    (re.compile(r"(?P<week>今週末|来週末|再来週末)|(?P<pre>次の|今度の|この)?(?:土日|週末)"), _weekend),
    (re.compile(r"(?P<week>今週|来週|再来週|先週)(?:の)?\s*(?:土日|週末)"), _weekend),
    (re.compile(r"(?P<week>先週|今週|来週|再来週)"), _week),
    (re.compile(r"(?:(?P<pre>次の|今度の|次回の|この)\s*)?" + _WD), _upcoming_weekday),
    (re.compile(_MONTH_NAME + r"(?:の)?\s*" + _NTH + r"\s*" + _WD), _nth_in_month),
    (re.compile(_NTH + r"\s*" + _WD), _nth_in_month),
    (re.compile(r"(?P<rel>先月|今月|来月|再来月)(?P<end>末)?"), _month),
    (re.compile(_YEAR + r"(?<!\d)(?P<m>\d{1,2})月(?![\d日])"), _month),
    (re.compile(_YEAR + r"(?<!\d)(?P<m>\d{1,2})月(?P<d>\d{1,2})日" + _WD_NOTE), _full_date),
    (re.compile(r"(?<![\d/])(?:(?P<y>\d{4})/)?(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])" + _WD_NOTE), _full_date),
    (re.compile(r"(?<![\d-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d-])" + _WD_NOTE), _full_date),
)  # fmt: skip


_ANY_START = re.compile("|".join(f"(?:{re.sub(r'[(][?]P<[a-z0-9]+>', '(?:', p.pattern)})" for p, _ in _PATTERNS))
"""Any of the patterns (named groups dropped): finds the next position where one can match, so the scan
skips the plain text between date expressions instead of trying every pattern at every character."""


def _normalize(text: str) -> tuple[str, list[int]]:
    """NFKC per character, with the original offset of every output character (plus the end)."""
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch):
            out.append(c)
            origin.append(i)
    origin.append(len(text))
    return "".join(out), origin


def scan_dates(text: str, now: dt.datetime) -> DateScan:
    """Every date expression in ``text``, resolved, plus the date-shaped ones that name no day."""
    today = today_in_tokyo(now)
    norm, origin = _normalize(text)
    mentions: list[DateMention] = []
    invalid: list[InvalidDate] = []
    pos = 0
    while pos < len(norm):
        found = _ANY_START.search(norm, pos)
        if found is None:
            break
        pos = found.start()
        best: tuple[re.Match[str], _Handler] | None = None
        for pattern, handler in _PATTERNS:
            m = pattern.match(norm, pos)
            if m and m.end() > pos and (best is None or m.end() > best[0].end()):
                best = (m, handler)
        if best is None:
            pos += 1
            continue
        m, handler = best
        start, end = origin[m.start()], origin[m.end() - 1] + 1
        surface = text[start:end]
        for result in handler(m, today):
            if isinstance(result, str):
                invalid.append(InvalidDate(surface, start, end, result))
            else:
                mentions.append(
                    DateMention(
                        surface, start, end, result.first, result.last, result.label, result.nth, result.mismatch
                    )
                )
        pos = m.end()
    return DateScan(tuple(mentions), tuple(invalid))


def resolve_dates(text: str, now: dt.datetime) -> list[DateMention]:
    """The date expressions of ``text`` resolved against ``now`` (Asia/Tokyo), in order of appearance."""
    return list(scan_dates(text, now).mentions)
