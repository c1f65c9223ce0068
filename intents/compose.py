"""Compose the answer text for an entry, focused on what was asked (fee, place, what to bring …).

Facts an entry marks as not verified are never stated as certain: the text says
where to confirm them (the window, or the contact center).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from intents.dates import TOKYO
from knowledge.calendar import Calendar
from knowledge.calendar_text import contact_hours, format_contact_line
from knowledge.loader import KnowledgeBase
from knowledge.schema import Faq, LifeEvent, Office, Procedure, Sourced, Window


@dataclass(frozen=True)
class Answer:
    entry_id: str
    title: str
    text: str
    source_url: str
    department: str
    reviewed: str
    checklist: tuple[str, ...] = ()
    """For a life event: the procedures to do, in order."""


@dataclass(frozen=True)
class ContactPoint:
    """Where a citizen confirms what the assistant is not sure of, and reaches a person: the city's contact
    center. Taken from the knowledge base (:func:`contact_point`); the defaults serve a base without one."""

    name: str = "サンキューコールかわさき"
    phone: str = "044-200-3939"
    hours: str = "毎日 8:00〜21:00"
    name_en: str = "Thank You Call Kawasaki (the city contact center)"
    hours_en: str = "every day 8:00–21:00 (Japan time)"
    calendar: Calendar | None = field(default=None, compare=False, repr=False)
    """The base's calendar, whose ``calendar.contact.profile`` says when the center is open."""

    def line(self, lang: str = "ja") -> str:
        """``サンキューコールかわさき（044-200-3939、毎日8:00〜21:00）``: name, number and hours, written by
        :func:`knowledge.calendar_format.format_contact_line` like the calendar's ``contact_line``."""
        en = lang == "en"
        return format_contact_line(self.name_en if en else self.name, self.phone, self.hours_en if en else self.hours,
                                   "en" if en else "ja")

    def confirm_sentence(self, department: str | None = None) -> str:
        where = f"{department}または" if department else ""
        return f"詳しくは{where}{self.line()}でご確認ください。"

    def is_open(self, now: dt.datetime) -> bool:
        """Whether the center takes calls and chats at ``now``: its calendar profile (holidays and closures
        included), or 8:00–21:00 Tokyo time every day for a base without a calendar."""
        if self.calendar is not None:
            return self.calendar.status(self.calendar.contact.profile, now).is_open is True
        local = now.astimezone(TOKYO).time()
        return _DEFAULT_OPENS <= local < _DEFAULT_CLOSES


_DEFAULT_OPENS, _DEFAULT_CLOSES = dt.time(8, 0), dt.time(21, 0)


def contact_point(kb: KnowledgeBase) -> ContactPoint:
    """The contact center of the base: the calendar's ``confirm_with`` (name, phone, hours from its
    profile), else the office ``thank-you-call``, else the defaults."""
    office = kb.offices.get("thank-you-call")
    hours = office.hours.text if office and office.hours else ContactPoint.hours
    cal = kb.calendar
    if cal is not None:
        c = cal.contact
        return ContactPoint(c.name, c.phone, contact_hours(cal) or hours, c.name_en,
                            contact_hours(cal, "en") or ContactPoint.hours_en, cal)
    if office and office.phone:
        return ContactPoint(office.name, office.phone, hours)
    return ContactPoint()


def _uncertain(entry: Sourced, fields: Sequence[str]) -> bool:
    return entry.certainty == "unverified" or any(f in entry.unverified for f in fields)


def _yes_no(value: bool | None, yes: str, no: str, unknown: str) -> str:
    return unknown if value is None else (yes if value else no)


def compose(
    kb: KnowledgeBase,
    entry: Sourced,
    foci: Sequence[str] = (),
    ward: str | None = None,
    cp: ContactPoint | None = None,
) -> Answer:
    cp = cp or contact_point(kb)
    if isinstance(entry, Procedure):
        answer = _procedure(kb, entry, foci, ward, cp)
    elif isinstance(entry, Office):
        answer = _office(entry, foci, cp)
    elif isinstance(entry, Window):
        answer = _window(kb, entry, cp)
    elif isinstance(entry, Faq):
        text = entry.answer
        if entry.certainty == "unverified" and cp.phone not in text:
            text += " " + cp.confirm_sentence(entry.department)
        answer = _answer(entry, entry.question, text, entry.department)
    elif isinstance(entry, LifeEvent):
        answer = _life_event(kb, entry, cp)
    else:
        raise TypeError(type(entry).__name__)
    if entry.certainty == "secondary":  # facts from a secondary source: say so, and where to confirm
        hedge = SECONDARY_HEDGE + ("" if cp.phone in answer.text else cp.confirm_sentence(answer.department))
        answer = replace(answer, text=f"{answer.text}\n{hedge}")
    return answer


SECONDARY_HEDGE = (
    "※この案内には市の公式ページ以外の資料（二次情報）による内容が含まれ、最新の内容と異なる場合があります。"
)


def _answer(entry: Sourced, title: str, text: str, department: str, checklist: tuple[str, ...] = ()) -> Answer:
    return Answer(
        entry_id=entry.id,  # type: ignore[attr-defined]
        title=title,
        text=dedupe_sentences(text),
        source_url=entry.source_url,
        department=department,
        reviewed=entry.reviewed.isoformat(),
        checklist=checklist,
    )


_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")


def dedupe_sentences(text: str) -> str:
    """The text with every sentence said once (the first time), and no empty lines: an entry's own text, a
    calendar line and a confirm sentence often say the same thing."""
    seen: set[str] = set()
    lines = []
    for line in text.strip().split("\n"):
        kept = []
        for sentence in _SENTENCE.findall(line):
            key = sentence.strip().rstrip("。！？!?")
            if key and key in seen:
                continue
            seen.add(key)
            kept.append(sentence)
        joined = "".join(kept).strip()
        if joined:
            lines.append(joined)
    return "\n".join(lines)


def _where(kb: KnowledgeBase, p: Procedure, ward: str | None) -> str:
    places: list[str] = []
    if p.windows:
        office = f"{ward}役所" if ward else "お住まいの区の区役所"
        places.append(f"{office}の{'・'.join(p.windows)}")
    places += [kb.offices[o].name for o in p.offices if o in kb.offices]
    others = [k for k in p.office_kinds if k != "区役所"]
    if others:
        places.append("・".join(others))
    if p.convenience_store:
        places.append("コンビニ（マイナンバーカードが必要）")
    return "、".join(dict.fromkeys(places))


ASPECTS = ("summary", "where", "bring", "fee", "deadline", "online", "convenience", "saturday")
"""What a procedure answer can be about, in the order the answer states them."""

_UNKNOWN = "確認できていません（未確認です）。"


def _procedure(kb: KnowledgeBase, p: Procedure, foci: Sequence[str], ward: str | None, cp: ContactPoint) -> Answer:
    """One line for each aspect asked about: the fact, or that it is not confirmed; then, once, where to
    confirm. A question about no particular aspect gets the overview (every aspect the entry knows)."""
    asked = [a for a in ASPECTS if a in foci or (a == "where" and {"phone", "access"} & set(foci))
             or (a == "saturday" and "hours" in foci)]
    overview = not asked
    parts: list[str] = []
    unsure = False
    for aspect in (ASPECTS if overview else asked):
        line, known = _aspect_line(kb, p, aspect, ward, overview)
        if line:
            parts.append(line)
        unsure = unsure or not known
    if not overview and "summary" not in asked and not parts:
        parts.append(p.summary)
    if (unsure or p.certainty != "confirmed") and not any(cp.phone in x for x in parts):
        parts.append(cp.confirm_sentence(p.department))  # once: an entry's own text may already say where
    return _answer(p, p.name, "\n".join(parts), p.department)


def _says_where_to_confirm(text: str) -> bool:
    """An entry's own text that already sends the citizen to confirm (「…でご確認ください」)."""
    return "ご確認ください" in text


def _aspect_line(kb: KnowledgeBase, p: Procedure, aspect: str, ward: str | None,
                 overview: bool) -> tuple[str | None, bool]:
    """(the answer's line about one aspect of the procedure, whether it states a confirmed fact). In an
    overview, aspects the entry says nothing about are left out; asked about, they say so."""
    def unknown(label: str, what: str) -> tuple[str | None, bool]:
        return (None, True) if overview else (f"【{label}】{what}は{_UNKNOWN}", False)

    if aspect == "summary":
        return p.summary, True
    if aspect == "where":
        where = _where(kb, p, ward)
        if where:
            return f"【窓口】{where}", not _uncertain(p, ["windows", "offices"])
        if overview:
            return None, True
        return f"【窓口】担当は{p.department}です。受付場所の詳細は{_UNKNOWN}", False
    if aspect == "bring":
        if not p.bring:
            return unknown("持ち物", "必要な持ち物")
        return "【持ち物】" + "、".join(p.bring), not _uncertain(p, ["bring"])
    if aspect == "fee":
        if p.fee is None:
            return unknown("手数料", "手数料")
        sure = not _uncertain(p, ["fee"])
        hedge = "" if sure or _says_where_to_confirm(p.fee.text) else "（未確認です）"
        return f"【手数料】{p.fee.text}{hedge}", sure
    if aspect == "deadline":
        if not p.deadline:
            return unknown("期限", "届出・申請の期限")
        return f"【期限】{p.deadline}", not _uncertain(p, ["deadline"])
    if aspect == "online":
        if not p.online:
            return unknown("オンライン等", "オンラインや郵送での手続き")
        return f"【オンライン等】{p.online}", not _uncertain(p, ["online"])
    if aspect == "convenience":
        if p.convenience_store and not _uncertain(p, ["convenience_store"]):
            return "【コンビニ】マイナンバーカードがあれば、コンビニのマルチコピー機でも取得できます。", True
        # False is also what an entry says when nobody checked: never a "no" from it.
        return unknown("コンビニ", "コンビニでの取得・手続き")
    if aspect == "saturday":
        if p.saturday is None or _uncertain(p, ["saturday"]):
            return ("【土曜開庁】土曜開庁日に手続きできるかは" + _UNKNOWN), False
        if p.saturday:
            return "【土曜開庁】第2・第4土曜日の午前（8:30〜12:30）の区役所窓口でも手続きできます。", True
        return "【土曜開庁】第2・第4土曜日の開庁日には取り扱っていません。平日にお越しください。", True
    raise ValueError(aspect)


OFFICE_ASPECTS = frozenset({"where", "access", "phone", "hours", "saturday"})
"""What an office's card can answer; a question about anything else (fee, bring …) gets the whole card."""


@dataclass(frozen=True)
class OfficeCard:
    """What an office's answer shows for the aspects asked (none asked: the whole card). An aspect asked
    about always gets a line: the fact, or that it is not known here, and then the phone to ask."""

    wanted: frozenset[str]
    where: bool
    hours: bool
    phone: bool
    where_missing: bool
    hours_missing: bool

    @classmethod
    def of(cls, o: Office, foci: Sequence[str]) -> OfficeCard:
        wanted = frozenset(foci) & OFFICE_ASPECTS
        where = not wanted or bool(wanted & {"where", "access"})
        hours = not wanted or bool(wanted & {"hours", "saturday"})
        where_missing = bool(wanted) and where and not o.address and not o.access
        hours_missing = bool(wanted) and hours and o.hours is None
        phone = not wanted or "phone" in wanted or where_missing or hours_missing
        return cls(wanted, where, hours, phone, where_missing, hours_missing)

    @property
    def missing(self) -> bool:
        return self.where_missing or self.hours_missing

    def shown(self, o: Office) -> dict[str, bool]:
        """Which of the office's fields the card states."""
        return {"phone": self.phone and bool(o.phone), "address": self.where and bool(o.address),
                "access": self.where and bool(o.access), "hours": self.hours and bool(o.hours)}


def postal_address(o: Office) -> str | None:
    """The office's address with its postal code in front (as written in Japanese), if the address is known."""
    if not o.address:
        return None
    return (f"〒{o.postal_code} " if o.postal_code else "") + o.address


def _office(o: Office, foci: Sequence[str], cp: ContactPoint) -> Answer:
    card = OfficeCard.of(o, foci)
    parts = [o.name + (f"（{o.kind}）" if o.kind not in o.name else "")]
    if o.services and not card.wanted:
        parts.append(o.services)
    if card.where:
        address = postal_address(o)
        if address:
            parts.append(f"【所在地】{address}")
        if o.access:
            parts.append(f"【アクセス】{o.access}")
        if card.where_missing:
            parts.append("【所在地】所在地は確認できていません。")
    if card.hours:
        if o.hours:
            parts.append(f"【受付時間】{o.hours.text}")
        elif card.hours_missing:
            parts.append("【受付時間】受付時間は確認できていません。")
    if card.phone:
        if o.phone:
            note = f"（{o.phone_note}）" if o.phone_note else ""
            parts.append(f"【電話】{o.phone}{note}" + ("　お電話でご確認ください。" if card.missing else ""))
        else:
            parts.append("【電話】番号を確認できていません。" + cp.confirm_sentence())
    if o.certainty == "unverified" or any(on and f in o.unverified for f, on in card.shown(o).items()):
        parts.append("※一部の情報は確認中です。" + cp.confirm_sentence())
    return _answer(o, o.name, "\n".join(parts), o.name)


def _window(kb: KnowledgeBase, w: Window, cp: ContactPoint) -> Answer:
    office = kb.offices.get(w.office)
    office_name = office.name if office else ""
    parts = [f"{office_name} {w.name}：{w.handles}"]
    place = " ".join(x for x in (w.floor, w.counter) if x)
    parts.append(
        f"【場所】{place}" if place else "【場所】階・窓口番号は確認できていません。庁舎の総合案内でお尋ねください。"
    )
    phone = w.phone or (office.phone if office else None)
    if phone:
        parts.append(f"【電話】{phone}" + ("" if w.phone else "（庁舎の代表・総合案内）"))
    parts.append(
        "【土曜開庁】"
        + _yes_no(w.saturday, "第2・第4土曜日 8:30〜12:30 も開いています。", "土曜日は開いていません。",
                  "土曜日の開設は確認できていません。" + cp.confirm_sentence())
    )
    return _answer(w, f"{office_name} {w.name}", "\n".join(parts), f"{office_name} {w.name}")


def _life_event(kb: KnowledgeBase, e: LifeEvent, cp: ContactPoint) -> Answer:
    steps: list[str] = []
    for i, step in enumerate(e.steps, 1):
        proc = kb.procedures.get(step.procedure)
        name = proc.name if proc else step.procedure
        steps.append(f"{i}. {name}" + (f"（{step.note}）" if step.note else ""))
    text = e.summary + "\n" + "\n".join(steps)
    return _answer(e, e.name, text, e.department, checklist=tuple(steps))
