"""Compose the answer text for an entry, focused on what was asked (fee, place, what to bring …).

Facts an entry marks as not verified are never stated as certain: the text says
where to confirm them (the window, or the contact center).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from intents.dates import TOKYO
from knowledge.calendar import Calendar
from knowledge.calendar_text import contact_hours
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
        """``サンキューコールかわさき（044-200-3939、毎日8:00〜21:00）``: name, number and hours."""
        if lang == "en":
            return f"{self.name_en} ({self.phone}, {self.hours_en})"
        return f"{self.name}（{self.phone}、{self.hours}）"

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
        text=text.strip(),
        source_url=entry.source_url,
        department=department,
        reviewed=entry.reviewed.isoformat(),
        checklist=checklist,
    )


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
    return "、".join(places)


def _procedure(kb: KnowledgeBase, p: Procedure, foci: Sequence[str], ward: str | None, cp: ContactPoint) -> Answer:
    parts: list[str] = []
    wanted = set(foci) or {"summary", "where", "bring", "fee", "saturday"}
    if "summary" in wanted or not (wanted & {"fee", "bring", "where", "deadline", "online", "saturday", "hours"}):
        parts.append(p.summary)
    where = _where(kb, p, ward)
    if where and wanted & {"where", "summary", "phone", "access"}:
        parts.append(f"【窓口】{where}")
    if wanted & {"bring", "summary"}:
        if p.bring:
            parts.append("【持ち物】" + "、".join(p.bring))
        elif "bring" in wanted:
            parts.append("【持ち物】" + cp.confirm_sentence(p.department))
    if wanted & {"fee", "summary"} and p.fee:
        fee = p.fee.text
        if _uncertain(p, ["fee"]) and cp.phone not in fee:
            fee += "（" + cp.confirm_sentence(p.department).rstrip("。") + "）"
        parts.append(f"【手数料】{fee}")
    elif "fee" in wanted:
        parts.append("【手数料】" + cp.confirm_sentence(p.department))
    if p.deadline and wanted & {"deadline", "summary"}:
        parts.append(f"【期限】{p.deadline}")
    if wanted & {"online", "summary"} and p.online:
        parts.append(f"【オンライン等】{p.online}")
    if wanted & {"saturday", "hours", "summary"}:
        parts.append(
            "【土曜開庁】"
            + _yes_no(
                p.saturday,
                "第2・第4土曜日の午前（8:30〜12:30）の区役所窓口でも手続きできます。",
                "第2・第4土曜日の開庁日には取り扱っていません。平日にお越しください。",
                "土曜開庁日に手続きできるかは確認できていません。" + cp.confirm_sentence(p.department),
            )
        )
    if p.certainty == "unverified" and not any(cp.phone in x for x in parts):
        parts.append(cp.confirm_sentence(p.department))
    return _answer(p, p.name, "\n".join(parts), p.department)


def _office(o: Office, foci: Sequence[str], cp: ContactPoint) -> Answer:
    wanted = set(foci)
    parts = [o.name + (f"（{o.kind}）" if o.kind not in o.name else "")]
    if o.services and (not wanted or wanted & {"where"}):
        parts.append(o.services)
    if o.address and (not wanted or wanted & {"where", "access"}):
        postal = f"〒{o.postal_code} " if o.postal_code else ""
        parts.append(f"【所在地】{postal}{o.address}")
    if o.access and (not wanted or wanted & {"access", "where"}):
        parts.append(f"【アクセス】{o.access}")
    if not wanted or wanted & {"phone"}:
        if o.phone:
            note = f"（{o.phone_note}）" if o.phone_note else ""
            parts.append(f"【電話】{o.phone}{note}")
        else:
            parts.append("【電話】番号を確認できていません。" + cp.confirm_sentence())
    if o.hours and (not wanted or wanted & {"hours", "saturday"}):
        parts.append(f"【受付時間】{o.hours.text}")
    uncertain = [f for f in ("phone", "address", "access", "hours") if f in o.unverified]
    if uncertain or o.certainty == "unverified":
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
