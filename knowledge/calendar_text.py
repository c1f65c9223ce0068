"""Answers about opening days, composed in natural Japanese or English from a :class:`Calendar`.

Every answer names the exact date, weekday and hours (``12月12日(土) 8:30〜12:30`` /
``Saturday 12 December, 8:30–12:30``) and voices the calendar's doubts instead of
hiding them: an nth-Saturday that is a national holiday, hours that are not
verified, busy-season temporary openings (announced by the city, none listed
unless sourced), and "today" after closing time. Where a citizen must confirm,
the answer names the contact center with its number and hours.

Dates, hours and the contact line are written by :mod:`knowledge.calendar_format` (re-exported
here), the parts of sentences (an opening, a closed day, what can be done, where to confirm) by
:mod:`knowledge.calendar_phrases`; this module puts together the answers.

Example::

    describe_next_saturday(cal, "ward-office", "中原区役所", now)
    # '次の土曜開庁日は 12月12日(土) 8:30〜12:30 です。中原区役所の区民課・保険年金課の窓口が開き、…'
"""

from __future__ import annotations

import datetime as dt

from knowledge.calendar import MAX_RANGE_DAYS, Calendar, Opening
from knowledge.calendar_format import (
    Lang,
    contact_hours,
    contact_line,
    format_contact_line,
    format_date,
    format_hours,
    format_opening,
    format_time,
)
from knowledge.calendar_phrases import (
    SATURDAY,
    WORDS,
    WORDS_EN,
    after_hours_note,
    busy_season,
    closed_sentence,
    confirm,
    day_text,
    join_parts,
    listed_temporary,
    next_sentence,
    open_sentence,
    opening_text,
    procedures_note,
    start_of,
    temporary_note,
    windows_text,
)

__all__ = [
    "Lang",
    "contact_hours",
    "contact_line",
    "describe_day",
    "describe_next_saturday",
    "describe_range",
    "describe_status_now",
    "describe_temporary",
    "describe_year_end",
    "format_contact_line",
    "format_date",
    "format_hours",
    "format_opening",
    "format_time",
]

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
            f"({day_text(day, today, lang)} has already passed.)"
            if lang == "en"
            else f"（{day_text(day, today, lang)}は過ぎた日です。）"
        )
    if info.openings:
        for opening in info.openings:
            parts.append(open_sentence(cal, prof, office_name, info, opening, today, lang))
        if day == today:
            t = local.time().replace(tzinfo=None)
            ended = [o for o in info.openings if o.close is not None and o.close <= t]
            if ended and len(ended) == len(info.openings):
                close = format_time(max(o.close for o in ended if o.close is not None))
                if lang == "en":
                    parts.append(f"Today's hours ended at {close}.")
                else:
                    parts.append(f"本日の{WORDS[prof.kind][0]}は {close} で終了しました。")
                parts.append(next_sentence(cal, prof, local, today, lang, window))
    else:
        parts.append(closed_sentence(cal, prof, office_name, info, today, lang, window))
        after = max(start_of(cal, day + dt.timedelta(days=1)), local)
        parts.append(next_sentence(cal, prof, after, today, lang, window))
        if cal.rules_for(profile) and busy_season(cal, day, day) and not listed_temporary(cal, profile, day, day):
            parts.append(temporary_note(cal, lang))
        parts.append(after_hours_note(prof, lang))
    if "closure-unverified" in info.caveats and info.closure is not None:
        if lang == "en":
            parts.append(f"Whether it opens during the {info.closure.name_en} has not been verified.")
        else:
            parts.append(f"{info.closure.name}の{WORDS[prof.kind][0]}状況は確認できていません。")
    return join_parts(parts, lang)


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
            if o.date.weekday() == SATURDAY
        ]
        found = min(candidates, key=lambda o: o.date, default=None)
        today_ops = [o for o in cal.day(profile, today, window).openings if o.kind in kinds]
        t = local.time().replace(tzinfo=None)
        if today_ops and all(o.close is not None and o.close <= t for o in today_ops):
            close = format_time(max(o.close for o in today_ops if o.close is not None))
            if lang == "en":
                parts.append(f"Today's Saturday opening ({format_date(today, lang)}) ended at {close}.")
            else:
                parts.append(f"本日 {format_date(today, lang)} の土曜開庁は {close} で終了しました。")
    else:
        for i in range(0, 15):
            d = today + dt.timedelta(days=i)
            if d.weekday() != SATURDAY:
                continue
            ops = cal.next_openings(profile, max(local, start_of(cal, d)), n=1, window=window)
            if ops and ops[0].date == d:
                found = ops[0]
                break
        if found is None:
            if lang == "en":
                parts.append(f"{office_name} does not open on Saturdays.")
            else:
                parts.append(f"{office_name}には土曜日の定例の{WORDS[prof.kind][0]}はありません。")
            note = prof.note_en if lang == "en" else prof.note
            if note and prof.certainty != "confirmed":
                parts.append(note)
            return join_parts(parts, lang)
    if found is None:
        parts.append(
            "No upcoming Saturday opening was found. " + confirm(cal, lang)
            if lang == "en"
            else "今後の土曜開庁日は見つかりませんでした。" + confirm(cal, lang)
        )
        return join_parts(parts, lang)
    in_progress = found.date == today
    if not found.hours_known or not rules:
        if not found.hours_known:
            parts.append(open_sentence(cal, prof, office_name, cal.day(profile, found.date), found, today, lang))
        elif lang == "en":
            parts.append(f"{office_name} is {WORDS_EN[prof.kind]} on {opening_text(found, today, lang)}.")
        else:
            parts.append(f"{office_name}は {opening_text(found, today, lang)} も{WORDS[prof.kind][2]}。")
        return join_parts(parts, lang)
    if lang == "en":
        if in_progress:
            parts.append(f"Today, {format_date(today, lang)}, is a Saturday opening day ({format_hours(found, lang)}).")
        else:
            parts.append(f"The next Saturday opening is {opening_text(found, today, lang)}.")
        if found.windows:
            parts.append(f"Only the {windows_text(found.windows, lang)} windows of {office_name} are open.")
        parts.append(procedures_note(cal, found, lang))
    else:
        if in_progress:
            parts.append(f"本日 {format_date(today, lang)} は土曜開庁日です（{format_hours(found, lang)}）。")
        else:
            parts.append(f"次の土曜開庁日は {opening_text(found, today, lang)} です。")
        if found.windows:
            opens = "窓口が開き、" if found.procedures is not None else "窓口が開きます。"
            parts.append(f"{office_name}の{windows_text(found.windows, lang)}の{opens}")
        parts.append(procedures_note(cal, found, lang))
    # Saturdays skipped on the way because a holiday makes them uncertain.
    for i in range((found.date - today).days):
        d = today + dt.timedelta(days=i)
        if d.weekday() == SATURDAY:
            info = cal.day(profile, d, window)
            if "saturday-holiday-unverified" in info.caveats:
                lead = "Note: " if lang == "en" else "なお、"
                parts.append(lead + closed_sentence(cal, prof, office_name, info, today, lang, window))
    if rules and busy_season(cal, today, found.date) and not listed_temporary(cal, profile, today, found.date):
        parts.append(temporary_note(cal, lang))
    return join_parts(parts, lang)


def describe_year_end(cal: Calendar, profile: str, office_name: str, now: dt.datetime, lang: Lang = "ja") -> str:
    """The coming (or current) year-end closure: its dates, the last opening before, the first after."""
    prof = cal.profile(profile)
    local = cal.local(now)
    today = local.date()
    open_w, closed_w, is_open, _ = WORDS[prof.kind]
    closure = cal.year_end_closure(profile)
    parts: list[str] = []
    if closure is None:
        year = today.year - 1 if today <= dt.date(today.year, 1, 3) else today.year
        first, last = dt.date(year, 12, 29), dt.date(year + 1, 1, 3)
        ops = cal.openings(profile, first, last)
        span = f"{day_text(first, today, lang)}〜{day_text(last, today, lang)}"
        hours = {format_hours(o, lang) for o in ops}
        if len(ops) == (last - first).days + 1 and len(hours) == 1:
            h = next(iter(hours))
            if lang == "en":
                parts.append(f"{office_name} stays open over the New Year holidays, every day {h}.")
            else:
                parts.append(f"{office_name}は年末年始（{span}）も休まず {h} に{is_open}。")
        else:
            listed = (
                "、".join(opening_text(o, today, lang) for o in ops)
                if lang == "ja"
                else "; ".join(opening_text(o, today, lang) for o in ops)
            )
            if lang == "en":
                parts.append(f"Over the New Year holidays {office_name} is open on: {listed or 'no day'}.")
            else:
                parts.append(f"年末年始（{span}）の{office_name}の{open_w}日は {listed or 'ありません'} です。")
        return join_parts(parts, lang)

    first, last = closure.next_period(today)
    span = f"{day_text(first, today, lang)}〜{day_text(last, today, lang)}"
    span_en = f"{day_text(first, today, lang)} to {day_text(last, today, lang)}"
    if profile not in closure.profiles:
        if lang == "en":
            parts.append(f"Whether {office_name} is open over the {closure.name_en} ({span_en}) has not been verified.")
        else:
            parts.append(f"{office_name}の{closure.name}（{span}）の{open_w}状況は確認できていません。")
        parts.append(confirm(cal, lang))
        return join_parts(parts, lang)

    if lang == "en":
        parts.append(f"{office_name} is closed for the {closure.name_en} from {span_en}.")
    else:
        parts.append(f"{office_name}の{closure.name}の休みは {span} です。")
    if closure.certainty != "confirmed":
        parts.append(
            "These dates follow an earlier year's notice. " + confirm(cal, lang)
            if lang == "en"
            else "過去の年の案内に基づく日付です。" + confirm(cal, lang)
        )
    if first <= today <= last:
        parts.append("It is closed now." if lang == "en" else f"現在は{closed_w}中です。")
    else:
        before = cal.openings(profile, max(today, first - dt.timedelta(days=14)), first - dt.timedelta(days=1))
        full = [o for o in before if o.procedures is None]
        if full:
            last_full = full[-1]
            if lang == "en":
                parts.append(f"The last full day before the break is {opening_text(last_full, today, lang)}.")
            else:
                parts.append(f"年内の最後の{open_w}日は {opening_text(last_full, today, lang)} です。")
            later = [o for o in before if o.date > last_full.date]
            for o in later:
                wins = windows_text(o.windows, lang)
                if lang == "en":
                    parts.append(f"On {opening_text(o, today, lang)} only {wins} are open.")
                else:
                    parts.append(f"{opening_text(o, today, lang)} は{wins}のみ開いています。")
    after = cal.next_openings(profile, start_of(cal, last + dt.timedelta(days=1)), n=1)
    if after:
        o = after[0]
        if lang == "en":
            parts.append(f"It reopens on {opening_text(o, today, lang)}.")
        else:
            parts.append(f"年明けは {opening_text(o, today, lang)} に{open_w}します。")
    parts.append(after_hours_note(prof, lang))
    return join_parts(parts, lang)


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
    open_w = WORDS[prof.kind][0]
    parts: list[str] = []
    date = format_date(today, lang)
    if st.state == "unknown":
        parts.append(open_sentence(cal, prof, office_name, st.day, st.day.openings[0], today, lang))
        return join_parts(parts, lang)
    if st.state == "open" and st.current is not None:
        cur = st.current
        only = f"（{windows_text(cur.windows, lang)}のみ）" if cur.windows else ""
        if lang == "en":
            wins = f" (only the {windows_text(cur.windows, lang)} windows)" if cur.windows else ""
            parts.append(f"{office_name} is open now{wins}: today, {date}, {format_hours(cur, lang)}.")
        else:
            parts.append(f"{office_name}は現在{open_w}中です{only}。本日 {date} は {format_hours(cur, lang)} です。")
        if not cur.certain:
            parts.append(confirm(cal, lang))
        parts.append(procedures_note(cal, cur, lang))
        return join_parts(parts, lang)
    if st.state == "before-hours":
        o = next(o for o in st.day.openings if o.open is not None and o.open > st.at.time().replace(tzinfo=None))
        if lang == "en":
            parts.append(f"{office_name} is not open yet: today, {date}, it opens {format_hours(o, lang)}.")
        else:
            parts.append(f"{office_name}は現在{open_w}時間前です。本日 {date} は {format_hours(o, lang)} に開きます。")
        parts.append(procedures_note(cal, o, lang))
        return join_parts(parts, lang)
    if st.state == "after-hours":
        close = max(o.close for o in st.day.openings if o.close is not None)
        if lang == "en":
            parts.append(f"{office_name} has closed for today ({date}; hours ended at {format_time(close)}).")
        else:
            parts.append(f"本日 {date} の{office_name}の{open_w}は {format_time(close)} で終了しました。")
    else:
        parts.append(closed_sentence(cal, prof, office_name, st.day, today, lang, window))
    parts.append(next_sentence(cal, prof, st.at, today, lang, window))
    parts.append(after_hours_note(prof, lang))
    return join_parts(parts, lang)


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
    open_w, closed_w = WORDS[prof.kind][:2]
    span = f"{day_text(start, today, lang)}〜{day_text(end, today, lang)}"
    span_en = f"{day_text(start, today, lang)} to {day_text(end, today, lang)}"
    parts: list[str] = []
    shown = ops[:limit]
    if not ops:
        parts.append(
            f"{office_name} has no opening from {span_en}."
            if lang == "en"
            else f"{span}に{office_name}の{open_w}日はありません。"
        )
    elif any(not o.hours_known for o in ops):
        parts.append(open_sentence(cal, prof, office_name, cal.day(profile, ops[0].date), ops[0], today, lang))
    else:

        def item(o: Opening) -> str:
            wins = windows_text(o.windows, lang) if o.windows else ""
            if lang == "en":
                return opening_text(o, today, lang) + (f" ({wins} only)" if wins else "")
            return opening_text(o, today, lang) + (f"（{wins}のみ）" if wins else "")

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
            notes.append(closed_sentence(cal, prof, office_name, info, today, lang, window))
        elif info.reason == "holiday" and info.date.weekday() < SATURDAY:
            if lang == "en":
                notes.append(f"{day_text(info.date, today, lang)} is a national holiday ({info.holiday_name}): closed.")
            else:
                notes.append(f"{day_text(info.date, today, lang)}は祝日（{info.holiday_name}）のため{closed_w}です。")
        elif info.reason == "annual-closure" and info.closure and info.closure.id not in seen_closures:
            seen_closures.add(info.closure.id)
            notes.append(closed_sentence(cal, prof, office_name, info, today, lang, window))
    parts.extend(notes[:6])
    if cal.rules_for(profile) and busy_season(cal, start, end) and not listed_temporary(cal, profile, start, end):
        parts.append(temporary_note(cal, lang))
    return join_parts(parts, lang)


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
            text = opening_text(o[0], today, lang) if o else day_text(t.date, today, lang)
            if lang == "en":
                parts.append(f"Temporary opening: {text} (source: {t.source_url}).")
            else:
                parts.append(f"臨時開庁: {text}（出典: {t.source_url}）。")
        parts.append(confirm(cal, lang))
    elif lang == "en":
        parts.append(
            f"No temporary opening of {office_name} is known to this assistant. Temporary openings in the busy "
            "season are announced by the city. " + confirm(cal, lang)
        )
    else:
        parts.append(
            f"{office_name}の臨時開庁の予定は、この案内では把握していません。繁忙期の臨時開庁は市が告知します。"
            + confirm(cal, lang)
        )
    return join_parts(parts, lang)
