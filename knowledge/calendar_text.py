"""Answers about opening days, composed in natural Japanese or English from a :class:`Calendar`.

Every answer names the exact date, weekday and hours (``12月12日(土) 8:30〜12:30`` /
``Saturday 12 December, 8:30–12:30``) and voices the calendar's doubts instead of
hiding them: an nth-Saturday that is a national holiday, hours that are not
verified, busy-season temporary openings (announced by the city, none listed
unless sourced), and "today" after closing time. Where a citizen must confirm,
the answer names the contact center with its number and hours.

Example::

    describe_next_saturday(cal, "ward-office", "中原区役所", now)
    # '次の土曜開庁日は 12月12日(土) 8:30〜12:30 です。中原区役所の区民課・保険年金課の窓口が開き、…'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from knowledge.calendar import MAX_RANGE_DAYS, Calendar, Day, Opening, Profile, nth_weekday_of_month

__all__ = [
    "Lang",
    "contact_line",
    "describe_day",
    "describe_next_saturday",
    "describe_range",
    "describe_status_now",
    "describe_temporary",
    "describe_year_end",
    "format_date",
    "format_hours",
    "format_opening",
]

Lang = Literal["ja", "en"]

WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
ORDINALS_EN = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th"}
WINDOWS_EN = {
    "区民課": "Residents Division (区民課)",
    "保険年金課": "Insurance and Pension Division (保険年金課)",
}
_WORDS = {
    # kind: (open noun, closed noun, "is open", "whether it is open")
    "office": ("開庁", "閉庁", "開庁しています", "開庁しているか"),
    "corner": ("開所", "閉所", "開所しています", "開所しているか"),
    "phone": ("受付", "受付休み", "受け付けています", "受け付けているか"),
}
_WORDS_EN = {"office": "open", "corner": "open", "phone": "taking calls"}
_SAT = 5


# ---------------------------------------------------------------------------
# Formatting


def format_date(day: dt.date, lang: Lang = "ja", *, with_year: bool = False) -> str:
    """``12月12日(土)`` / ``2027年1月9日(土)``; ``Saturday 12 December`` / ``… December 2027``."""
    if lang == "en":
        text = f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]}"
        return f"{text} {day.year}" if with_year else text
    text = f"{day.month}月{day.day}日({WEEKDAYS_JA[day.weekday()]})"
    return f"{day.year}年{text}" if with_year else text


def _time(t: dt.time) -> str:
    return f"{t.hour}:{t.minute:02d}"


def format_hours(opening: Opening, lang: Lang = "ja") -> str:
    """``8:30〜12:30`` / ``8:30–12:30``; an empty string when the hours are not verified."""
    if opening.open is None or opening.close is None:
        return ""
    dash = "–" if lang == "en" else "〜"
    return f"{_time(opening.open)}{dash}{_time(opening.close)}"


def format_opening(opening: Opening, lang: Lang = "ja", *, with_year: bool = False) -> str:
    """``12月12日(土) 8:30〜12:30`` / ``Saturday 12 December, 8:30–12:30``."""
    day = format_date(opening.date, lang, with_year=with_year)
    hours = format_hours(opening, lang)
    if not hours:
        return day
    return f"{day}, {hours}" if lang == "en" else f"{day} {hours}"


def _needs_year(day: dt.date, today: dt.date) -> bool:
    return day.year != today.year and not 0 <= (day - today).days <= 92


def _d(day: dt.date, today: dt.date, lang: Lang) -> str:
    return format_date(day, lang, with_year=_needs_year(day, today))


def _o(opening: Opening, today: dt.date, lang: Lang) -> str:
    return format_opening(opening, lang, with_year=_needs_year(opening.date, today))


def _windows(windows: Iterable[str], lang: Lang) -> str:
    if lang == "en":
        names = [WINDOWS_EN.get(w, w) for w in windows]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return "・".join(windows)


def _join(parts: list[str], lang: Lang) -> str:
    return (" " if lang == "en" else "").join(p for p in parts if p)


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
        return f"every day {_time(only.open)}–{_time(only.close)}"
    return f"毎日{_time(only.open)}〜{_time(only.close)}"


def contact_line(cal: Calendar, lang: Lang = "ja") -> str:
    """``サンキューコールかわさき（044-200-3939、毎日8:00〜21:00）``, hours taken from its profile."""
    c = cal.contact
    hours = contact_hours(cal, lang)
    if lang == "en":
        return f"{c.name_en}, {c.phone}" + (f", {hours}" if hours else "")
    return f"{c.name}（{c.phone}" + (f"、{hours}" if hours else "") + "）"


def _confirm(cal: Calendar, lang: Lang) -> str:
    if lang == "en":
        return f"Please confirm with {contact_line(cal, 'en')}."
    return f"{contact_line(cal)}でご確認ください。"


def _nth_list(cal: Calendar, profile: str, lang: Lang) -> str:
    nths = sorted({n for r in cal.rules_for(profile) for n in r.nth})
    if lang == "en":
        return " and ".join(ORDINALS_EN[n] for n in nths)
    return "・".join(f"第{n}" for n in nths)


def _temporary_note(cal: Calendar, lang: Lang) -> str:
    if lang == "en":
        return "Temporary openings in the busy season are announced by the city; none is listed here. " + _confirm(
            cal, lang
        )
    return "繁忙期の臨時開庁は市が告知します（ここには登録されていません）。" + _confirm(cal, lang)


def _busy(cal: Calendar, first: dt.date, last: dt.date) -> bool:
    months = {first.month, last.month}
    if (last - first).days > 31:
        months = set(range(1, 13))
    else:
        months |= {(first + dt.timedelta(days=i)).month for i in range((last - first).days + 1)}
    return bool(months & cal.busy_months)


def _listed_temporary(cal: Calendar, profile: str, first: dt.date, last: dt.date) -> bool:
    return any(profile in t.profiles and first <= t.date <= last for t in cal.temporary)


# ---------------------------------------------------------------------------
# Sentences


def _procedures(cal: Calendar, opening: Opening, lang: Lang) -> str:
    """What can be done at a restricted (Saturday / temporary) opening."""
    if opening.procedures is None:
        return ""
    order = list(cal.procedure_names)
    ids = sorted(opening.procedures, key=lambda p: order.index(p) if p in order else len(order))
    confirmed = [p for p in ids if p not in opening.secondary_procedures]
    secondary = [p for p in ids if p in opening.secondary_procedures]
    idx = 1 if lang == "en" else 0
    name = {pid: cal.procedure_names.get(pid, (pid, pid))[idx] for pid in ids}
    parts: list[str] = []
    if lang == "en":
        if confirmed:
            parts.append("You can file: " + ", ".join(name[p] for p in confirmed) + ", and similar.")
        if secondary:
            parts.append("Reportedly also " + ", ".join(name[p] for p in secondary) + " (not confirmed by the city).")
        parts.append("Whether other procedures are possible on this day is not known; please check before going.")
    else:
        if confirmed:
            parts.append("、".join(name[p] for p in confirmed) + "などができます。")
        if secondary:
            parts.append(
                "、".join(name[p] for p in secondary) + "も受け付けているとの情報がありますが、確認できていません。"
            )
        parts.append("そのほかの手続きができるかは確認できていないため、お出かけ前にご確認ください。")
    return _join(parts, lang)


def _open_sentence(
    cal: Calendar, prof: Profile, office: str, day: Day, opening: Opening, today: dt.date, lang: Lang
) -> str:
    words = _WORDS[prof.kind]
    date = _d(opening.date, today, lang)
    hours = format_hours(opening, lang)
    parts: list[str] = []
    if opening.kind == "saturday":
        n = nth_weekday_of_month(opening.date)
        if lang == "en":
            parts.append(
                f"{date} is a Saturday opening day (the {ORDINALS_EN[n]} Saturday): the "
                f"{_windows(opening.windows, lang)} windows of {office} are open {hours}."
            )
        else:
            parts.append(
                f"{date}は第{n}土曜日の開庁日です。"
                f"{office}の{_windows(opening.windows, lang)}の窓口が {hours} に開きます。"
            )
    elif opening.kind == "temporary":
        where = _windows(opening.windows, lang) if opening.windows else ""
        if lang == "en":
            parts.append(
                f"{date} is a temporary opening day: {office} is open {hours}" + (f" ({where} only)." if where else ".")
            )
        else:
            parts.append(
                f"{date}は臨時開庁日です。{office}" + (f"の{where}" if where else "") + f"が {hours} に開きます。"
            )
        if opening.note:
            parts.append(opening.note if lang == "ja" else "")
    elif not opening.hours_known:
        if lang == "en":
            parts.append(
                f"{office} is reported to be open on {date}, but its opening hours have not been verified, "
                "so I cannot tell you the hours."
            )
        else:
            parts.append(
                f"{date}は{office}の{words[0]}日とされていますが、{words[0]}時間は確認できていないため、"
                "時間はお伝えできません。"
            )
        parts.append(_confirm(cal, lang))
    elif opening.kind == "holiday":
        if lang == "en":
            parts.append(f"{date} is a national holiday ({day.holiday_name}), but {office} is open {hours}.")
        else:
            parts.append(f"{date}は祝日（{day.holiday_name}）ですが、{office}は {hours} に{words[2]}。")
    elif lang == "en":
        parts.append(f"{office} is {_WORDS_EN[prof.kind]} on {date}, {hours}.")
    else:
        parts.append(f"{date}は{office}の{words[0]}日です（{hours}）。")
    if opening.hours_known and not opening.certain:
        note = prof.note_en if lang == "en" else prof.note
        if lang == "en":
            parts.append((note + " " if note else "") + "Please check before you go.")
        else:
            parts.append((note or "この情報は公式に確認できていません。") + "お出かけ前にご確認ください。")
    parts.append(_procedures(cal, opening, lang))
    return _join(parts, lang)


def _closed_sentence(
    cal: Calendar, prof: Profile, office: str, day: Day, today: dt.date, lang: Lang, window: str | None
) -> str:
    open_w, closed_w, _, whether = _WORDS[prof.kind]
    date = _d(day.date, today, lang)
    en = lang == "en"
    closure = day.closure
    if day.reason in ("closure", "annual-closure") and closure is not None:
        span_ja = f"{_d(closure.first, today, lang)}〜{_d(closure.last, today, lang)}"
        span_en = f"{_d(closure.first, today, lang)} to {_d(closure.last, today, lang)}"
        if en:
            text = f"{office} is closed on {date} for the {closure.name_en} ({span_en})."
            return (
                text if closure.certain else text + " This is based on an earlier year's notice. " + _confirm(cal, lang)
            )
        text = f"{date}は{closure.name}の休み（{span_ja}）のため、{office}は{closed_w}です。"
        return text if closure.certain else text + "過去の年の案内に基づく情報です。" + _confirm(cal, lang)
    if "saturday-holiday-unverified" in day.caveats:
        n = nth_weekday_of_month(day.date)
        if en:
            return (
                f"{date} is the {ORDINALS_EN[n]} Saturday, a usual Saturday opening day, but it is also a "
                f"national holiday ({day.holiday_name}). Whether the Saturday opening takes place on a holiday "
                f"has not been confirmed, so do not count on it. " + _confirm(cal, lang)
            )
        return (
            f"{date}は第{n}土曜日ですが、祝日（{day.holiday_name}）と重なります。祝日と重なる土曜開庁日に"
            f"窓口が開くかは確認できていないため、開いていない前提でご予定ください。" + _confirm(cal, lang)
        )
    if day.reason == "holiday":
        if "holiday-unverified" in day.caveats:
            if en:
                return (
                    f"{date} is a national holiday ({day.holiday_name}); whether {office} opens on holidays has "
                    "not been verified. " + _confirm(cal, lang)
                )
            return (
                f"{date}は祝日（{day.holiday_name}）です。{office}が祝日に{whether}は確認できていません。"
                + _confirm(cal, lang)
            )
        if en:
            return f"{office} is closed on {date}, a national holiday ({day.holiday_name})."
        return f"{date}は祝日（{day.holiday_name}）のため、{office}は{closed_w}です。"
    if day.reason == "window-not-open":
        others = cal.day(prof.id, day.date).openings
        wins = _windows(dict.fromkeys(w for o in others for w in o.windows), lang)
        hours = format_hours(others[0], lang) if others else ""
        if en:
            return f"On {date} only the {wins} windows of {office} are open ({hours}); {window} is closed."
        return f"{date}は{office}の{wins}のみが開きます（{hours}）。{window}は開いていません。"
    if "days-unverified" in day.caveats:
        wd_ja, wd_en = WEEKDAYS_JA[day.date.weekday()], WEEKDAYS_EN[day.date.weekday()]
        if en:
            return f"{date}: whether {office} is {_WORDS_EN[prof.kind]} on {wd_en}s has not been verified. " + _confirm(
                cal, lang
            )
        return f"{date}：{office}が{wd_ja}曜日に{whether}は確認できていません。" + _confirm(cal, lang)
    if day.reason == "closed-saturday" and cal.rules_for(prof.id):
        n = nth_weekday_of_month(day.date)
        nths = _nth_list(cal, prof.id, lang)
        rule_hours = cal.rules_for(prof.id)[0].hours
        hours_ja = f"{_time(rule_hours.open)}〜{_time(rule_hours.close)}"
        hours_en = f"{_time(rule_hours.open)}–{_time(rule_hours.close)}"
        if en:
            return (
                f"{office} is closed on {date} (the {ORDINALS_EN[n]} Saturday of the month); it opens only on "
                f"the {nths} Saturdays, {hours_en}."
            )
        return f"{date}は第{n}土曜日のため、{office}は{closed_w}です（土曜日の開庁は{nths}土曜日の {hours_ja}）。"
    if en:
        return f"{office} is closed on {date}."
    if day.reason == "sunday":
        return f"{date}は日曜日のため、{office}は{closed_w}です。"
    if day.reason == "closed-saturday":
        return f"{date}は土曜日のため、{office}は{closed_w}です。"
    return f"{date}は{office}の{open_w}日ではありません。"


def _next_sentence(
    cal: Calendar, prof: Profile, after: dt.datetime, today: dt.date, lang: Lang, window: str | None
) -> str:
    found = cal.next_openings(prof.id, after, n=1, window=window)
    open_w = _WORDS[prof.kind][0]
    if not found:
        if lang == "en":
            return "No upcoming opening was found. " + _confirm(cal, lang)
        return f"今後の{open_w}日は見つかりませんでした。" + _confirm(cal, lang)
    o = found[0]
    only = f"（{_windows(o.windows, lang)}のみ）" if o.windows and lang == "ja" else ""
    only_en = f" ({_windows(o.windows, lang)} only)" if o.windows and lang == "en" else ""
    if not o.hours_known:
        if lang == "en":
            return f"It is next reported open on {_d(o.date, today, lang)} (hours not verified)."
        return f"次に{open_w}しているとされる日は {_d(o.date, today, lang)} です（時間は未確認）。"
    if lang == "en":
        return f"The next opening is {_o(o, today, lang)}{only_en}."
    return f"次の{open_w}は {_o(o, today, lang)}{only} です。"


def _after_hours_note(prof: Profile, lang: Lang) -> str:
    return (prof.after_hours_note_en if lang == "en" else prof.after_hours_note) or ""


def _start_of(cal: Calendar, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=cal.timezone)


# ---------------------------------------------------------------------------
# Answers


def describe_day(
    cal: Calendar,
    profile: str,
    office_name: str,
    day: dt.date,
    now: dt.datetime,
    lang: Lang = "ja",
    *,
    window: str | None = None,
) -> str:
    """Is ``office_name`` open on ``day``: hours, windows, procedures, or why closed and the next opening."""
    prof = cal.profile(profile)
    local = cal.local(now)
    today = local.date()
    info = cal.day(profile, day, window)
    parts: list[str] = []
    if day < today:
        parts.append(
            f"({_d(day, today, lang)} has already passed.)"
            if lang == "en"
            else f"（{_d(day, today, lang)}は過ぎた日です。）"
        )
    if info.openings:
        for opening in info.openings:
            parts.append(_open_sentence(cal, prof, office_name, info, opening, today, lang))
        if day == today:
            t = local.time().replace(tzinfo=None)
            ended = [o for o in info.openings if o.close is not None and o.close <= t]
            if ended and len(ended) == len(info.openings):
                close = _time(max(o.close for o in ended if o.close is not None))
                if lang == "en":
                    parts.append(f"Today's hours ended at {close}.")
                else:
                    parts.append(f"本日の{_WORDS[prof.kind][0]}は {close} で終了しました。")
                parts.append(_next_sentence(cal, prof, local, today, lang, window))
    else:
        parts.append(_closed_sentence(cal, prof, office_name, info, today, lang, window))
        after = max(_start_of(cal, day + dt.timedelta(days=1)), local)
        parts.append(_next_sentence(cal, prof, after, today, lang, window))
        if cal.rules_for(profile) and _busy(cal, day, day) and not _listed_temporary(cal, profile, day, day):
            parts.append(_temporary_note(cal, lang))
        parts.append(_after_hours_note(prof, lang))
    if "closure-unverified" in info.caveats and info.closure is not None:
        if lang == "en":
            parts.append(f"Whether it opens during the {info.closure.name_en} has not been verified.")
        else:
            parts.append(f"{info.closure.name}の{_WORDS[prof.kind][0]}状況は確認できていません。")
    return _join(parts, lang)


def describe_next_saturday(
    cal: Calendar,
    profile: str,
    office_name: str,
    now: dt.datetime,
    lang: Lang = "ja",
    *,
    window: str | None = None,
) -> str:
    """The next Saturday opening (次の土曜開庁日), what can be done then, and the caveats on the way."""
    prof = cal.profile(profile)
    local = cal.local(now)
    today = local.date()
    rules = cal.rules_for(profile)
    parts: list[str] = []
    found: Opening | None = None
    if rules:
        kinds = {r.kind for r in rules}
        candidates = [
            o
            for kind in sorted(kinds)
            for o in cal.next_openings(profile, local, n=3, kind=kind, window=window)
            if o.date.weekday() == _SAT
        ]
        found = min(candidates, key=lambda o: o.date, default=None)
        today_ops = [o for o in cal.day(profile, today, window).openings if o.kind in kinds]
        t = local.time().replace(tzinfo=None)
        if today_ops and all(o.close is not None and o.close <= t for o in today_ops):
            close = _time(max(o.close for o in today_ops if o.close is not None))
            if lang == "en":
                parts.append(f"Today's Saturday opening ({format_date(today, lang)}) ended at {close}.")
            else:
                parts.append(f"本日 {format_date(today, lang)} の土曜開庁は {close} で終了しました。")
    else:
        for i in range(0, 15):
            d = today + dt.timedelta(days=i)
            if d.weekday() != _SAT:
                continue
            ops = cal.next_openings(profile, max(local, _start_of(cal, d)), n=1, window=window)
            if ops and ops[0].date == d:
                found = ops[0]
                break
        if found is None:
            if lang == "en":
                parts.append(f"{office_name} does not open on Saturdays.")
            else:
                parts.append(f"{office_name}には土曜日の定例の{_WORDS[prof.kind][0]}はありません。")
            note = prof.note_en if lang == "en" else prof.note
            if note and prof.certainty != "confirmed":
                parts.append(note)
            return _join(parts, lang)
    if found is None:
        parts.append(
            "No upcoming Saturday opening was found. " + _confirm(cal, lang)
            if lang == "en"
            else "今後の土曜開庁日は見つかりませんでした。" + _confirm(cal, lang)
        )
        return _join(parts, lang)
    in_progress = found.date == today
    if not found.hours_known or not rules:
        if not found.hours_known:
            parts.append(_open_sentence(cal, prof, office_name, cal.day(profile, found.date), found, today, lang))
        elif lang == "en":
            parts.append(f"{office_name} is {_WORDS_EN[prof.kind]} on {_o(found, today, lang)}.")
        else:
            parts.append(f"{office_name}は {_o(found, today, lang)} も{_WORDS[prof.kind][2]}。")
        return _join(parts, lang)
    if lang == "en":
        if in_progress:
            parts.append(f"Today, {format_date(today, lang)}, is a Saturday opening day ({format_hours(found, lang)}).")
        else:
            parts.append(f"The next Saturday opening is {_o(found, today, lang)}.")
        if found.windows:
            parts.append(f"Only the {_windows(found.windows, lang)} windows of {office_name} are open.")
        parts.append(_procedures(cal, found, lang))
    else:
        if in_progress:
            parts.append(f"本日 {format_date(today, lang)} は土曜開庁日です（{format_hours(found, lang)}）。")
        else:
            parts.append(f"次の土曜開庁日は {_o(found, today, lang)} です。")
        if found.windows:
            opens = "窓口が開き、" if found.procedures is not None else "窓口が開きます。"
            parts.append(f"{office_name}の{_windows(found.windows, lang)}の{opens}")
        parts.append(_procedures(cal, found, lang))
    # Saturdays skipped on the way because a holiday makes them uncertain.
    for i in range((found.date - today).days):
        d = today + dt.timedelta(days=i)
        if d.weekday() == _SAT:
            info = cal.day(profile, d, window)
            if "saturday-holiday-unverified" in info.caveats:
                lead = "Note: " if lang == "en" else "なお、"
                parts.append(lead + _closed_sentence(cal, prof, office_name, info, today, lang, window))
    if rules and _busy(cal, today, found.date) and not _listed_temporary(cal, profile, today, found.date):
        parts.append(_temporary_note(cal, lang))
    return _join(parts, lang)


def describe_year_end(cal: Calendar, profile: str, office_name: str, now: dt.datetime, lang: Lang = "ja") -> str:
    """The coming (or current) year-end closure: its dates, the last opening before, the first after."""
    prof = cal.profile(profile)
    local = cal.local(now)
    today = local.date()
    open_w, closed_w, is_open, _ = _WORDS[prof.kind]
    closure = cal.year_end_closure(profile)
    parts: list[str] = []
    if closure is None:
        year = today.year - 1 if today <= dt.date(today.year, 1, 3) else today.year
        first, last = dt.date(year, 12, 29), dt.date(year + 1, 1, 3)
        ops = cal.openings(profile, first, last)
        span = f"{_d(first, today, lang)}〜{_d(last, today, lang)}"
        hours = {format_hours(o, lang) for o in ops}
        if len(ops) == (last - first).days + 1 and len(hours) == 1:
            h = next(iter(hours))
            if lang == "en":
                parts.append(f"{office_name} stays open over the New Year holidays, every day {h}.")
            else:
                parts.append(f"{office_name}は年末年始（{span}）も休まず {h} に{is_open}。")
        else:
            listed = (
                "、".join(_o(o, today, lang) for o in ops)
                if lang == "ja"
                else "; ".join(_o(o, today, lang) for o in ops)
            )
            if lang == "en":
                parts.append(f"Over the New Year holidays {office_name} is open on: {listed or 'no day'}.")
            else:
                parts.append(f"年末年始（{span}）の{office_name}の{open_w}日は {listed or 'ありません'} です。")
        return _join(parts, lang)

    first, last = closure.next_period(today)
    span = f"{_d(first, today, lang)}〜{_d(last, today, lang)}"
    span_en = f"{_d(first, today, lang)} to {_d(last, today, lang)}"
    if profile not in closure.profiles:
        if lang == "en":
            parts.append(f"Whether {office_name} is open over the {closure.name_en} ({span_en}) has not been verified.")
        else:
            parts.append(f"{office_name}の{closure.name}（{span}）の{open_w}状況は確認できていません。")
        parts.append(_confirm(cal, lang))
        return _join(parts, lang)

    if lang == "en":
        parts.append(f"{office_name} is closed for the {closure.name_en} from {span_en}.")
    else:
        parts.append(f"{office_name}の{closure.name}の休みは {span} です。")
    if closure.certainty != "confirmed":
        parts.append(
            "These dates follow an earlier year's notice. " + _confirm(cal, lang)
            if lang == "en"
            else "過去の年の案内に基づく日付です。" + _confirm(cal, lang)
        )
    if first <= today <= last:
        parts.append("It is closed now." if lang == "en" else f"現在は{closed_w}中です。")
    else:
        before = cal.openings(profile, max(today, first - dt.timedelta(days=14)), first - dt.timedelta(days=1))
        full = [o for o in before if o.procedures is None]
        if full:
            last_full = full[-1]
            if lang == "en":
                parts.append(f"The last full day before the break is {_o(last_full, today, lang)}.")
            else:
                parts.append(f"年内の最後の{open_w}日は {_o(last_full, today, lang)} です。")
            later = [o for o in before if o.date > last_full.date]
            for o in later:
                wins = _windows(o.windows, lang)
                if lang == "en":
                    parts.append(f"On {_o(o, today, lang)} only {wins} are open.")
                else:
                    parts.append(f"{_o(o, today, lang)} は{wins}のみ開いています。")
    after = cal.next_openings(profile, _start_of(cal, last + dt.timedelta(days=1)), n=1)
    if after:
        o = after[0]
        if lang == "en":
            parts.append(f"It reopens on {_o(o, today, lang)}.")
        else:
            parts.append(f"年明けは {_o(o, today, lang)} に{open_w}します。")
    parts.append(_after_hours_note(prof, lang))
    return _join(parts, lang)


def describe_status_now(
    cal: Calendar,
    profile: str,
    office_name: str,
    now: dt.datetime,
    lang: Lang = "ja",
    *,
    window: str | None = None,
) -> str:
    """Open right now? Today's hours, "already closed today", or why closed, and the next opening."""
    prof = cal.profile(profile)
    st = cal.status(profile, now, window)
    today = st.at.date()
    open_w = _WORDS[prof.kind][0]
    parts: list[str] = []
    date = format_date(today, lang)
    if st.state == "unknown":
        parts.append(_open_sentence(cal, prof, office_name, st.day, st.day.openings[0], today, lang))
        return _join(parts, lang)
    if st.state == "open" and st.current is not None:
        cur = st.current
        only = f"（{_windows(cur.windows, lang)}のみ）" if cur.windows else ""
        if lang == "en":
            wins = f" (only the {_windows(cur.windows, lang)} windows)" if cur.windows else ""
            parts.append(f"{office_name} is open now{wins}: today, {date}, {format_hours(cur, lang)}.")
        else:
            parts.append(f"{office_name}は現在{open_w}中です{only}。本日 {date} は {format_hours(cur, lang)} です。")
        if not cur.certain:
            parts.append(_confirm(cal, lang))
        parts.append(_procedures(cal, cur, lang))
        return _join(parts, lang)
    if st.state == "before-hours":
        o = next(o for o in st.day.openings if o.open is not None and o.open > st.at.time().replace(tzinfo=None))
        if lang == "en":
            parts.append(f"{office_name} is not open yet: today, {date}, it opens {format_hours(o, lang)}.")
        else:
            parts.append(f"{office_name}は現在{open_w}時間前です。本日 {date} は {format_hours(o, lang)} に開きます。")
        parts.append(_procedures(cal, o, lang))
        return _join(parts, lang)
    if st.state == "after-hours":
        close = max(o.close for o in st.day.openings if o.close is not None)
        if lang == "en":
            parts.append(f"{office_name} has closed for today ({date}; hours ended at {_time(close)}).")
        else:
            parts.append(f"本日 {date} の{office_name}の{open_w}は {_time(close)} で終了しました。")
    else:
        parts.append(_closed_sentence(cal, prof, office_name, st.day, today, lang, window))
    parts.append(_next_sentence(cal, prof, st.at, today, lang, window))
    parts.append(_after_hours_note(prof, lang))
    return _join(parts, lang)


def describe_range(
    cal: Calendar,
    profile: str,
    office_name: str,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
    lang: Lang = "ja",
    *,
    window: str | None = None,
    limit: int = 12,
) -> str:
    """The openings between two dates (来週, 来月 …), with the closed holidays and doubtful days."""
    prof = cal.profile(profile)
    today = cal.local(now).date()
    ops = cal.openings(profile, start, end, window)
    open_w, closed_w = _WORDS[prof.kind][:2]
    span = f"{_d(start, today, lang)}〜{_d(end, today, lang)}"
    span_en = f"{_d(start, today, lang)} to {_d(end, today, lang)}"
    parts: list[str] = []
    shown = ops[:limit]
    if not ops:
        parts.append(
            f"{office_name} has no opening from {span_en}."
            if lang == "en"
            else f"{span}に{office_name}の{open_w}日はありません。"
        )
    elif any(not o.hours_known for o in ops):
        parts.append(_open_sentence(cal, prof, office_name, cal.day(profile, ops[0].date), ops[0], today, lang))
    else:

        def item(o: Opening) -> str:
            wins = _windows(o.windows, lang) if o.windows else ""
            if lang == "en":
                return _o(o, today, lang) + (f" ({wins} only)" if wins else "")
            return _o(o, today, lang) + (f"（{wins}のみ）" if wins else "")

        sep = "; " if lang == "en" else "、"
        more = len(ops) - len(shown)
        if lang == "en":
            tail = f" and {more} more" if more else ""
            parts.append(f"{office_name} is open from {span_en} on: {sep.join(item(o) for o in shown)}{tail}.")
        else:
            tail = f" ほか{more}日" if more else ""
            parts.append(f"{span}の{office_name}の{open_w}日は {sep.join(item(o) for o in shown)}{tail} です。")
    notes: list[str] = []
    seen_closures: set[str] = set()
    for i in range((end - start).days + 1):
        info = cal.day(profile, start + dt.timedelta(days=i), window)
        if info.openings:
            continue
        if "saturday-holiday-unverified" in info.caveats:
            notes.append(_closed_sentence(cal, prof, office_name, info, today, lang, window))
        elif info.reason == "holiday" and info.date.weekday() < _SAT:
            if lang == "en":
                notes.append(f"{_d(info.date, today, lang)} is a national holiday ({info.holiday_name}): closed.")
            else:
                notes.append(f"{_d(info.date, today, lang)}は祝日（{info.holiday_name}）のため{closed_w}です。")
        elif info.reason == "annual-closure" and info.closure and info.closure.id not in seen_closures:
            seen_closures.add(info.closure.id)
            notes.append(_closed_sentence(cal, prof, office_name, info, today, lang, window))
    parts.extend(notes[:6])
    if cal.rules_for(profile) and _busy(cal, start, end) and not _listed_temporary(cal, profile, start, end):
        parts.append(_temporary_note(cal, lang))
    return _join(parts, lang)


def describe_temporary(cal: Calendar, profile: str, office_name: str, now: dt.datetime, lang: Lang = "ja") -> str:
    """Busy-season temporary openings (臨時開庁): the listed ones with their source, or that none is listed."""
    cal.profile(profile)
    today = cal.local(now).date()
    horizon = today + dt.timedelta(days=MAX_RANGE_DAYS - 1)
    listed = [t for t in cal.temporary if profile in t.profiles and today <= t.date <= horizon]
    parts: list[str] = []
    if listed:
        for t in listed:
            o = cal.day(profile, t.date).openings
            text = _o(o[0], today, lang) if o else _d(t.date, today, lang)
            if lang == "en":
                parts.append(f"Temporary opening: {text} (source: {t.source_url}).")
            else:
                parts.append(f"臨時開庁: {text}（出典: {t.source_url}）。")
        parts.append(_confirm(cal, lang))
    elif lang == "en":
        parts.append(
            f"No temporary opening of {office_name} is known to this assistant. Temporary openings in the busy "
            "season are announced by the city. " + _confirm(cal, lang)
        )
    else:
        parts.append(
            f"{office_name}の臨時開庁の予定は、この案内では把握していません。繁忙期の臨時開庁は市が告知します。"
            + _confirm(cal, lang)
        )
    return _join(parts, lang)
