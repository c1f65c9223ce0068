"""Route opening-day questions to the calendar: "今週の土曜って区役所やってる？", "年末は何日まで".

A question is about opening days when it names a time (a date expression, 土曜, 年末 …) or asks
about hours, and names no topic other than a place. Which place: an office named in the question,
else the ward office of the ward in effect, else the ward offices in general. Which answer: the
year-end closure, a range (来週, 来月), one day, the next Saturday opening, temporary openings, or
the state right now.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from intents.availability import kind_in
from intents.compose import Answer
from intents.dates import DateMention
from knowledge.calendar import Calendar
from knowledge.calendar_rules import holiday_name
from knowledge.calendar_text import (
    Lang,
    describe_day,
    describe_next_saturday,
    describe_range,
    describe_status_now,
    describe_temporary,
    describe_year_end,
)
from knowledge.loader import KnowledgeBase
from knowledge.schema import Office

CALENDAR_VOCABULARY = frozenset(
    {
        "開庁", "開庁日", "閉庁", "開く", "開ける", "空く", "休み", "休む", "閉まる", "営業", "時間", "何時",
        "土曜日", "土曜", "日曜日", "日曜", "祝日", "休日", "年末", "年始", "年末年始", "臨時", "週末", "平日",
        "今日", "本日", "明日", "明後日", "遣る", "やる", "窓口", "区役所", "役所", "区", "庁舎", "いつ", "何日",
        "次", "今週", "来週", "再来週", "来月", "今月", "土日", "第", "夜", "朝", "午前", "午後", "受付",
        "受け付け", "迄", "まで", "今度", "日", "曜日", "開庁時間", "開所", "何曜日", "月曜", "火曜", "水曜",
        "木曜", "金曜", "月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "夕方", "連休", "ゴールデンウィーク",
        "お盆", "正月", "土", "ある", "有る", "最終", "最後", "仕事", "始め", "初め", "何時迄", "行く", "いける",
        "行ける", "大丈夫", "今", "現在", "もう", "まだ", "第2", "第4", "2", "4", "番", "号", "口", "課", "区民課",
        "保険年金課", "年金課", "サービス", "コーナー", "行政", "センター", "支所", "出張所", "市役所", "市",
        "あく", "あける", "しまる", "やすみ", "やすむ", "ひらく", "開庁中",
    }
)
"""Terms that say *when* or *where*, not *what*: a question made only of these is about opening days."""

_TIME_CUES = ("開庁", "開いて", "あいて", "空いて", "やって", "休み", "閉ま", "何時", "営業", "年末", "年始", "祝日",
              "臨時", "土曜", "日曜", "土日", "週末", "開く", "開所", "受付時間", "いつ開")

_NO_CALENDAR_KINDS = frozenset({"コンビニ", "連絡所", "マイナンバーカードセンター"})
"""Kinds of place without opening-day rules of their own: their questions are about the ward office."""

_WINDOWS = ("区民課", "保険年金課")


@dataclass(frozen=True)
class Place:
    profile: str
    name: str
    office: Office | None


def is_time_question(text: str, mentions: Sequence[DateMention]) -> bool:
    return bool(mentions) or any(c in text for c in _TIME_CUES)


def place_for(kb: KnowledgeBase, text: str, office_ids: Iterable[str], ward: str | None) -> Place | None:
    """The place whose calendar answers the question; None when the base has no calendar profile for it
    (then the question is ranked as any other, and the place's own entry says what is known of its hours)."""
    named = [kb.offices[i] for i in office_ids if i in kb.offices]
    for office in named:
        if office.hours and office.hours.profile:
            return Place(office.hours.profile, office.name, office)
    if any(o.kind not in _NO_CALENDAR_KINDS for o in named):
        return None  # a place with days of its own that the calendar does not know: never the ward office's
    kind = kind_in(text, exclude=_NO_CALENDAR_KINDS) or "区役所"
    if kind == "区役所" and ward:
        for office in kb.offices.values():
            if office.kind == "区役所" and office.ward == ward and office.hours and office.hours.profile:
                return Place(office.hours.profile, office.name, office)
    profiles = Counter(o.hours.profile for o in kb.offices.values()
                       if o.kind == kind and o.hours and o.hours.profile)
    if not profiles:
        return None
    if len(profiles) == 1 and sum(profiles.values()) == 1:
        office = next(o for o in kb.offices.values() if o.kind == kind and o.hours and o.hours.profile)
        return Place(profiles.most_common(1)[0][0], office.name, office)
    return Place(profiles.most_common(1)[0][0], kind, None)


def describe(
    cal: Calendar, place: Place, text: str, mentions: Sequence[DateMention], now: dt.datetime, lang: Lang = "ja"
) -> str:
    """The calendar's answer for the question's time expression at the place."""
    window = next((w for w in _WINDOWS if w in text), None)
    mention = mentions[0] if mentions else None
    if "臨時" in text:
        return describe_temporary(cal, place.profile, place.name, now, lang)
    if (mention and mention.label in ("year-end", "new-year", "year-end-new-year")) or "年末" in text or "年始" in text:
        return describe_year_end(cal, place.profile, place.name, now, lang)
    next_saturday = "土曜" in text and (mention is None or ("次" in mention.text or "今度" in mention.text)) and (
        mention is not None or any(w in text for w in ("いつ", "次", "今度", "開庁日")))
    if next_saturday:
        return describe_next_saturday(cal, place.profile, place.name, now, lang, window=window)
    if mention is not None and mention.is_range:
        return describe_range(cal, place.profile, place.name, mention.first, mention.last, now, lang, window=window)
    if mention is not None:
        return describe_day(cal, place.profile, place.name, mention.first, now, lang, window=window)
    day = _next_day_of_kind(text, cal.local(now).date())
    if day is not None:
        return describe_day(cal, place.profile, place.name, day, now, lang, window=window)
    if "土曜" in text:
        return describe_next_saturday(cal, place.profile, place.name, now, lang, window=window)
    return describe_status_now(cal, place.profile, place.name, now, lang, window=window)


_HOLIDAY_WORDS = ("祝日", "祭日", "休日", "holiday")
_SUNDAY_WORDS = ("日曜", "sunday")


def _next_day_of_kind(text: str, today: dt.date) -> dt.date | None:
    """"祝日は休み?", "日曜日は開いてますか": a kind of day, not a date. The answer is about the next day
    of that kind (today's hours say nothing about it)."""
    if any(w in text for w in _HOLIDAY_WORDS):
        return next((today + dt.timedelta(days=n) for n in range(1, 120)
                     if holiday_name(today + dt.timedelta(days=n))), None)
    if any(w in text for w in _SUNDAY_WORDS) and "土曜" not in text:
        return today + dt.timedelta(days=(6 - today.weekday()) or 7)
    return None


def calendar_answer(
    kb: KnowledgeBase, place: Place, text: str, mentions: Sequence[DateMention], now: dt.datetime, lang: Lang = "ja"
) -> Answer | None:
    cal = kb.calendar
    if cal is None:
        return None
    profile = cal.profile(place.profile)
    source = place.office or profile
    title = f"{place.name}の開庁日・開庁時間" if lang == "ja" else f"Opening days: {place.name}"
    return Answer(
        entry_id=place.office.id if place.office else f"calendar-{place.profile}",
        title=title,
        text=describe(cal, place, text, mentions, now, lang),
        source_url=source.source_url,
        department=place.name,
        reviewed=source.reviewed.isoformat(),
    )
