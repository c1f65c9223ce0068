"""The parts of the calendar's answers (:mod:`knowledge.calendar_text`): a day or an opening with its
year when needed, window names, what a Saturday opening serves, the sentence for an open, a closed
and the next opening day, and the "please confirm with the contact center" sentence.

Each takes the :class:`~knowledge.calendar.Calendar` and the language and returns text; the answers
put them together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from knowledge.calendar import Calendar, Day, Opening, Profile, nth_weekday_of_month
from knowledge.calendar_format import (
    WEEKDAYS_EN,
    WEEKDAYS_JA,
    Lang,
    contact_line,
    format_date,
    format_hours,
    format_opening,
    format_time,
)

ORDINALS_EN = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th"}
WINDOWS_EN = {
    "区民課": "Residents Division (区民課)",
    "保険年金課": "Insurance and Pension Division (保険年金課)",
}
WORDS = {
    # kind: (open noun, closed noun, "is open", "whether it is open")
    "office": ("開庁", "閉庁", "開庁しています", "開庁しているか"),
    "corner": ("開所", "閉所", "開所しています", "開所しているか"),
    "phone": ("受付", "受付休み", "受け付けています", "受け付けているか"),
}
WORDS_EN = {"office": "open", "corner": "open", "phone": "taking calls"}
SATURDAY = 5


# ---------------------------------------------------------------------------
# Formatting


def needs_year(day: dt.date, today: dt.date) -> bool:
    return day.year != today.year and not 0 <= (day - today).days <= 92


def day_text(day: dt.date, today: dt.date, lang: Lang) -> str:
    return format_date(day, lang, with_year=needs_year(day, today))


def opening_text(opening: Opening, today: dt.date, lang: Lang) -> str:
    return format_opening(opening, lang, with_year=needs_year(opening.date, today))


def windows_text(windows: Iterable[str], lang: Lang) -> str:
    if lang == "en":
        names = [WINDOWS_EN.get(w, w) for w in windows]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return "・".join(windows)


def join_parts(parts: list[str], lang: Lang) -> str:
    return (" " if lang == "en" else "").join(p for p in parts if p)


def confirm(cal: Calendar, lang: Lang) -> str:
    if lang == "en":
        return f"Please confirm with {contact_line(cal, 'en')}."
    return f"{contact_line(cal)}でご確認ください。"


def nth_list(cal: Calendar, profile: str, lang: Lang) -> str:
    nths = sorted({n for r in cal.rules_for(profile) for n in r.nth})
    if lang == "en":
        return " and ".join(ORDINALS_EN[n] for n in nths)
    return "・".join(f"第{n}" for n in nths)


def temporary_note(cal: Calendar, lang: Lang) -> str:
    if lang == "en":
        return "Temporary openings in the busy season are announced by the city; none is listed here. " + confirm(
            cal, lang
        )
    return "繁忙期の臨時開庁は市が告知します（ここには登録されていません）。" + confirm(cal, lang)


def busy_season(cal: Calendar, first: dt.date, last: dt.date) -> bool:
    months = {first.month, last.month}
    if (last - first).days > 31:
        months = set(range(1, 13))
    else:
        months |= {(first + dt.timedelta(days=i)).month for i in range((last - first).days + 1)}
    return bool(months & cal.busy_months)


def listed_temporary(cal: Calendar, profile: str, first: dt.date, last: dt.date) -> bool:
    return any(profile in t.profiles and first <= t.date <= last for t in cal.temporary)


# ---------------------------------------------------------------------------
# Sentences


def procedures_note(cal: Calendar, opening: Opening, lang: Lang) -> str:
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
    return join_parts(parts, lang)


def open_sentence(
    cal: Calendar, prof: Profile, office: str, day: Day, opening: Opening, today: dt.date, lang: Lang
) -> str:
    words = WORDS[prof.kind]
    date = day_text(opening.date, today, lang)
    hours = format_hours(opening, lang)
    parts: list[str] = []
    if opening.kind == "saturday":
        n = nth_weekday_of_month(opening.date)
        if lang == "en":
            parts.append(
                f"{date} is a Saturday opening day (the {ORDINALS_EN[n]} Saturday): the "
                f"{windows_text(opening.windows, lang)} windows of {office} are open {hours}."
            )
        else:
            parts.append(
                f"{date}は第{n}土曜日の開庁日です。"
                f"{office}の{windows_text(opening.windows, lang)}の窓口が {hours} に開きます。"
            )
    elif opening.kind == "temporary":
        where = windows_text(opening.windows, lang) if opening.windows else ""
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
        parts.append(confirm(cal, lang))
    elif opening.kind == "holiday":
        if lang == "en":
            parts.append(f"{date} is a national holiday ({day.holiday_name}), but {office} is open {hours}.")
        else:
            parts.append(f"{date}は祝日（{day.holiday_name}）ですが、{office}は {hours} に{words[2]}。")
    elif lang == "en":
        parts.append(f"{office} is {WORDS_EN[prof.kind]} on {date}, {hours}.")
    else:
        parts.append(f"{date}は{office}の{words[0]}日です（{hours}）。")
    if opening.hours_known and not opening.certain:
        note = prof.note_en if lang == "en" else prof.note
        if lang == "en":
            parts.append((note + " " if note else "") + "Please check before you go.")
        else:
            parts.append((note or "この情報は公式に確認できていません。") + "お出かけ前にご確認ください。")
    parts.append(procedures_note(cal, opening, lang))
    return join_parts(parts, lang)


def closed_sentence(
    cal: Calendar, prof: Profile, office: str, day: Day, today: dt.date, lang: Lang, window: str | None
) -> str:
    open_w, closed_w, _, whether = WORDS[prof.kind]
    date = day_text(day.date, today, lang)
    en = lang == "en"
    closure = day.closure
    if day.reason in ("closure", "annual-closure") and closure is not None:
        span_ja = f"{day_text(closure.first, today, lang)}〜{day_text(closure.last, today, lang)}"
        span_en = f"{day_text(closure.first, today, lang)} to {day_text(closure.last, today, lang)}"
        if en:
            text = f"{office} is closed on {date} for the {closure.name_en} ({span_en})."
            return (
                text if closure.certain else text + " This is based on an earlier year's notice. " + confirm(cal, lang)
            )
        text = f"{date}は{closure.name}の休み（{span_ja}）のため、{office}は{closed_w}です。"
        return text if closure.certain else text + "過去の年の案内に基づく情報です。" + confirm(cal, lang)
    if "saturday-holiday-unverified" in day.caveats:
        n = nth_weekday_of_month(day.date)
        if en:
            return (
                f"{date} is the {ORDINALS_EN[n]} Saturday, a usual Saturday opening day, but it is also a "
                f"national holiday ({day.holiday_name}). Whether the Saturday opening takes place on a holiday "
                f"has not been confirmed, so do not count on it. " + confirm(cal, lang)
            )
        return (
            f"{date}は第{n}土曜日ですが、祝日（{day.holiday_name}）と重なります。祝日と重なる土曜開庁日に"
            f"窓口が開くかは確認できていないため、開いていない前提でご予定ください。" + confirm(cal, lang)
        )
    if day.reason == "holiday":
        if "holiday-unverified" in day.caveats:
            if en:
                return (
                    f"{date} is a national holiday ({day.holiday_name}); whether {office} opens on holidays has "
                    "not been verified. " + confirm(cal, lang)
                )
            return (
                f"{date}は祝日（{day.holiday_name}）です。{office}が祝日に{whether}は確認できていません。"
                + confirm(cal, lang)
            )
        if en:
            return f"{office} is closed on {date}, a national holiday ({day.holiday_name})."
        return f"{date}は祝日（{day.holiday_name}）のため、{office}は{closed_w}です。"
    if day.reason == "window-not-open":
        others = cal.day(prof.id, day.date).openings
        wins = windows_text(dict.fromkeys(w for o in others for w in o.windows), lang)
        hours = format_hours(others[0], lang) if others else ""
        if en:
            return f"On {date} only the {wins} windows of {office} are open ({hours}); {window} is closed."
        return f"{date}は{office}の{wins}のみが開きます（{hours}）。{window}は開いていません。"
    if "days-unverified" in day.caveats:
        wd_ja, wd_en = WEEKDAYS_JA[day.date.weekday()], WEEKDAYS_EN[day.date.weekday()]
        if en:
            return f"{date}: whether {office} is {WORDS_EN[prof.kind]} on {wd_en}s has not been verified. " + confirm(
                cal, lang
            )
        return f"{date}：{office}が{wd_ja}曜日に{whether}は確認できていません。" + confirm(cal, lang)
    if day.reason == "closed-saturday" and cal.rules_for(prof.id):
        n = nth_weekday_of_month(day.date)
        nths = nth_list(cal, prof.id, lang)
        rule_hours = cal.rules_for(prof.id)[0].hours
        hours_ja = f"{format_time(rule_hours.open)}〜{format_time(rule_hours.close)}"
        hours_en = f"{format_time(rule_hours.open)}–{format_time(rule_hours.close)}"
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


def next_sentence(
    cal: Calendar, prof: Profile, after: dt.datetime, today: dt.date, lang: Lang, window: str | None
) -> str:
    found = cal.next_openings(prof.id, after, n=1, window=window)
    open_w = WORDS[prof.kind][0]
    if not found:
        if lang == "en":
            return "No upcoming opening was found. " + confirm(cal, lang)
        return f"今後の{open_w}日は見つかりませんでした。" + confirm(cal, lang)
    o = found[0]
    only = f"（{windows_text(o.windows, lang)}のみ）" if o.windows and lang == "ja" else ""
    only_en = f" ({windows_text(o.windows, lang)} only)" if o.windows and lang == "en" else ""
    if not o.hours_known:
        if lang == "en":
            return f"It is next reported open on {day_text(o.date, today, lang)} (hours not verified)."
        return f"次に{open_w}しているとされる日は {day_text(o.date, today, lang)} です（時間は未確認）。"
    if lang == "en":
        return f"The next opening is {opening_text(o, today, lang)}{only_en}."
    return f"次の{open_w}は {opening_text(o, today, lang)}{only} です。"


def after_hours_note(prof: Profile, lang: Lang) -> str:
    return (prof.after_hours_note_en if lang == "en" else prof.after_hours_note) or ""


def start_of(cal: Calendar, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=cal.timezone)
