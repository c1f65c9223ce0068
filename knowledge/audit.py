"""How correct and current is a knowledge base: the findings behind ``contact kb check``.

Plain Python over a loaded :class:`~knowledge.loader.KnowledgeBase`; the CLI only prints. Kinds of
finding (``Finding.kind``):

- ``old-source``       the source's own date (``source_date``) is older than the allowed age
- ``no-source-date``   the entry does not say how old its source is
- ``review-overdue``   nobody has checked the entry against its source for too long (``reviewed``)
- ``secondary``        the entry's facts come from a secondary source or are not verified
                       (``certainty: secondary`` / ``unverified``); answers hedge them
- ``unmarked-secondary`` the source is not an official page (the city's own site or a national
                       law/ministry page) but the entry is marked ``confirmed``
- ``unstructured-phone`` a phone number written in an FAQ's text that no office, window or the
                       calendar states as a structured fact (one fact in one place)
- ``contradiction``    the same procedure's fee, phone, place, deadline or Saturday availability is
                       stated differently in two entries (structured fields, and fees, phone numbers
                       and deadlines written in the texts of FAQs that refer to the procedure)
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from knowledge.loader import KnowledgeBase
from knowledge.schema import Faq, Office, Procedure, Sourced, Window

DEFAULT_MAX_AGE_DAYS = 3 * 365
"""Sources older than this (by their own date) are listed for re-checking."""

DEFAULT_MAX_REVIEW_DAYS = 365
"""Entries nobody checked for longer than this are listed."""

OFFICIAL_HOST_SUFFIXES: tuple[str, ...] = ("city.kawasaki.jp", ".go.jp")
"""Hosts whose pages count as primary sources: the city's own site (including its FAQ and ward
sub-sites) and national government pages (laws on e-Gov, ministries). Other municipalities, news,
blogs and companies are secondary: leads, not proof of a Kawasaki fact."""

KINDS: tuple[str, ...] = (
    "contradiction",
    "unstructured-phone",
    "unmarked-secondary",
    "old-source",
    "no-source-date",
    "review-overdue",
    "secondary",
)

_PHONE = re.compile(r"0\d{1,4}-\d{1,4}-\d{3,4}")
_YEN = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)円")
_DAYS = re.compile(r"(\d+)日(?:以内|前)")


@dataclass(frozen=True)
class Finding:
    kind: str
    entry_id: str
    detail: str

    def line(self) -> str:
        return f"{self.kind}: {self.entry_id}: {self.detail}"


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    entries: int
    today: dt.date
    max_age_days: int
    counts_by_kind: dict[str, int] = field(default_factory=dict)

    def of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def summary(self) -> str:
        parts = [f"{k}={self.counts_by_kind.get(k, 0)}" for k in KINDS]
        head = f"{self.entries} entries checked on {self.today} (max source age {self.max_age_days} days): "
        return head + ", ".join(parts)


def is_official(url: str) -> bool:
    """Whether ``url`` is a primary source (see :data:`OFFICIAL_HOST_SUFFIXES`)."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == s.lstrip(".") or host.endswith("." + s.lstrip(".")) for s in OFFICIAL_HOST_SUFFIXES)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _yen(text: str) -> set[int]:
    return {int(m.group(1).replace(",", "")) for m in _YEN.finditer(_norm(text))}


def _phones(text: str) -> set[str]:
    return set(_PHONE.findall(_norm(text)))


def _days(text: str) -> set[int]:
    return {int(m.group(1)) for m in _DAYS.finditer(_norm(text))}


def _eid(entry: Sourced) -> str:
    return str(entry.id)  # type: ignore[attr-defined]


def _freshness(kb: KnowledgeBase, today: dt.date, max_age_days: int, max_review_days: int) -> Iterator[Finding]:
    for e in kb.entries():
        eid = _eid(e)
        if e.source_date is None:
            yield Finding("no-source-date", eid, f"source {e.source_url} has no recorded date")
        elif (today - e.source_date).days > max_age_days:
            yield Finding("old-source", eid,
                          f"source dated {e.source_date} ({(today - e.source_date).days} days old): {e.source_url}")
        if (today - e.reviewed).days > max_review_days:
            yield Finding("review-overdue", eid, f"reviewed {e.reviewed} ({(today - e.reviewed).days} days ago)")
        if e.certainty != "confirmed":
            yield Finding("secondary", eid, f"{e.certainty}: {e.source_url}")
        elif not is_official(e.source_url):
            yield Finding("unmarked-secondary", eid,
                          f"marked confirmed but the source is not an official page: {e.source_url}")


def _procedure_phones(kb: KnowledgeBase, p: Procedure) -> set[str]:
    """Every phone number the structured base gives for ``p``: its windows, its offices, the center."""
    phones: set[str] = set()
    for w in kb.windows.values():
        if w.phone and (p.id in w.procedures or w.name in p.windows):
            phones.add(w.phone)
    for o in kb.offices.values():
        if o.phone and (o.id in p.offices or p.id in o.procedures):
            phones.add(o.phone)
    return phones


def _known_phones(kb: KnowledgeBase) -> set[str]:
    phones: set[str] = set()
    for e in kb.entries():
        if isinstance(e, Office):
            phones |= {x for x in (e.phone, e.fax) if x}
        elif isinstance(e, Window) and e.phone:
            phones.add(e.phone)
    if kb.calendar is not None:
        phones.add(kb.calendar.contact.phone)
    return phones


def _contradictions(kb: KnowledgeBase) -> Iterator[Finding]:
    yield from _place_contradictions(kb)
    yield from _saturday_contradictions(kb)
    known = _known_phones(kb)
    for f in kb.faqs.values():
        yield from _faq_against_procedures(kb, f, known)
        yield from _faq_against_offices(kb, f)


def _faq_against_offices(kb: KnowledgeBase, f: Faq, reach: int = 30) -> Iterator[Finding]:
    """An office named in an FAQ's text and followed, in the same sentence, by a number not its own."""
    text = _norm(f.answer)
    for o in kb.offices.values():
        if not o.phone:
            continue
        own = {x for x in (o.phone, o.fax) if x} | {w.phone for w in kb.windows_of(o.id) if w.phone}
        for name in {_norm(n) for n in (o.name, *o.aliases) if len(n) >= 4}:
            start = text.find(name)
            while start >= 0:
                tail = text[start + len(name) : start + len(name) + reach].split("。", 1)[0]
                m = _PHONE.search(tail)
                if m and m.group(0) not in own and not _names_other_office(kb, tail[: m.start()], o.id):
                    yield Finding("contradiction", f.id,
                                  f"phone: the answer gives {m.group(0)} after {name}, "
                                  f"office {o.id} has {sorted(own)}")
                start = text.find(name, start + 1)


def _names_other_office(kb: KnowledgeBase, text: str, office_id: str) -> bool:
    """Whether ``text`` (between an office's name and a number) names another office or window."""
    for o in kb.offices.values():
        if o.id != office_id and any(len(n) >= 3 and _norm(n) in text for n in (o.name, *o.aliases)):
            return True
    return any(w.office == office_id and w.name in text for w in kb.windows.values())


def _place_contradictions(kb: KnowledgeBase) -> Iterator[Finding]:
    for w in kb.windows.values():
        office = kb.offices.get(w.office)
        for pid in w.procedures:
            p = kb.procedures.get(pid)
            if p is None:
                continue
            at_office = office is not None and (office.id in p.offices or office.kind in p.office_kinds)
            if w.name not in p.windows and not at_office:
                yield Finding("contradiction", p.id,
                              f"place: window {w.id} ({w.name}) lists it, but the procedure names windows "
                              f"{list(p.windows) or '[]'}")
    for o in kb.offices.values():
        for pid in o.not_procedures:
            p = kb.procedures.get(pid)
            if p is not None and (o.id in p.offices or (o.kind in p.office_kinds and o.kind != "区役所")):
                yield Finding("contradiction", p.id,
                              f"place: office {o.id} says it does not handle it, the procedure lists "
                              f"{'the office' if o.id in p.offices else 'its kind ' + o.kind}")
            if p is not None and pid in o.procedures:
                yield Finding("contradiction", p.id, f"place: office {o.id} lists it as handled and as not handled")


def _saturday_contradictions(kb: KnowledgeBase) -> Iterator[Finding]:
    cal = kb.calendar
    if cal is None:
        return
    listed: dict[str, str] = {}
    for rule in cal.nth_rules:
        for sp in rule.procedures:
            listed[sp.id] = sp.certainty
    for p in kb.procedures.values():
        state = listed.get(p.id)
        if p.saturday is False and state is not None:
            yield Finding("contradiction", p.id,
                          f"saturday: the procedure says not at the Saturday openings, the calendar lists it ({state})")
        if p.saturday is True and state is None:
            yield Finding("contradiction", p.id,
                          "saturday: the procedure says accepted at the Saturday openings, "
                          "the calendar does not list it")
        if p.saturday is True and state is not None and state != "confirmed":
            yield Finding("contradiction", p.id,
                          f"saturday: the procedure states it as certain, the calendar's source is {state}")


def _faq_against_procedures(kb: KnowledgeBase, f: Faq, known: set[str]) -> Iterator[Finding]:
    text = f.answer
    fees, phones, days = _yen(text), _phones(text), _days(text)
    for phone in sorted(phones - known):
        yield Finding("unstructured-phone", f.id,
                      f"phone: {phone} is written in the answer but is no office's, window's or the center's number "
                      "in the base (state it once as a structured fact)")
    for ref in f.related:
        p = kb.procedures.get(ref)
        if p is None:
            continue
        if p.fee is not None and p.fee.yen is not None and fees and p.fee.yen not in fees:
            yield Finding("contradiction", f.id,
                          f"fee: the answer says {sorted(fees)}円, procedure {p.id} says {p.fee.yen}円")
        near = _days_near(text, p) if days else set()
        if p.deadline and near:
            pdays = _days(p.deadline)
            if pdays and not (pdays & near):
                yield Finding("contradiction", f.id,
                              f"deadline: the answer says {sorted(near)}日, procedure {p.id} says {sorted(pdays)}日")
        if f.certainty == "confirmed":
            if ("windows" in p.unverified or p.certainty == "unverified") and any(w in text for w in p.windows):
                yield Finding("contradiction", f.id,
                              f"place: the answer states where as confirmed, "
                              f"procedure {p.id} marks its place unverified")
            if ("fee" in p.unverified or p.certainty == "unverified") and fees:
                yield Finding("contradiction", f.id,
                              f"fee: the answer states {sorted(fees)}円 as confirmed, "
                              f"procedure {p.id} marks its fee unverified")
        pphones = _procedure_phones(kb, p)
        stated = phones & known
        center = {kb.calendar.contact.phone} if kb.calendar is not None else set()
        for phone in sorted(stated - pphones - center):
            owner = _owner(kb, phone)
            if owner is not None and _is_same_place_kind(kb, owner, p):
                yield Finding("contradiction", f.id,
                              f"phone: the answer gives {phone} ({owner}) for procedure {p.id}, "
                              f"whose windows and offices have {sorted(pphones) or 'no number'}")


def _days_near(text: str, p: Procedure, reach: int = 40) -> set[int]:
    """Day counts ("14日以内") written after a mention of ``p``: same sentence, within ``reach`` characters."""
    text = _norm(text)
    names = {_norm(n) for n in (p.name, *p.aliases) if len(n) >= 2}
    found: set[int] = set()
    for name in names:
        start = text.find(name)
        while start >= 0:
            found |= _days(text[start : start + len(name) + reach].split("。", 1)[0])  # the same sentence
            start = text.find(name, start + 1)
    return found


def _owner(kb: KnowledgeBase, phone: str) -> str | None:
    for o in kb.offices.values():
        if phone in (o.phone, o.fax):
            return o.id
    for w in kb.windows.values():
        if w.phone == phone:
            return w.id
    return None


def _is_same_place_kind(kb: KnowledgeBase, owner: str, p: Procedure) -> bool:
    """A number of a window with the same name as one of the procedure's windows, but not among them."""
    w = kb.windows.get(owner)
    return w is not None and w.name in p.windows and p.id not in w.procedures


def audit(
    kb: KnowledgeBase,
    today: dt.date,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    max_review_days: int = DEFAULT_MAX_REVIEW_DAYS,
) -> Report:
    """Every finding on ``kb`` as of ``today``, contradictions first."""
    found: list[Finding] = list(_contradictions(kb))
    found += _freshness(kb, today, max_age_days, max_review_days)
    order = {k: i for i, k in enumerate(KINDS)}
    found.sort(key=lambda x: (order.get(x.kind, 99), x.entry_id, x.detail))
    unique = tuple(_dedupe(found))
    counts = Counter(x.kind for x in unique)
    return Report(unique, len(kb), today, max_age_days, dict(counts))


def _dedupe(findings: Iterable[Finding]) -> Iterator[Finding]:
    seen: set[Finding] = set()
    for x in findings:
        if x not in seen:
            seen.add(x)
            yield x


def entry_counts(kb: KnowledgeBase) -> dict[str, int]:
    """Entries by kind and, for procedures and FAQs, by category."""
    kinds = ("offices", "windows", "procedures", "faqs", "life_events")
    counts: dict[str, int] = {k: len(getattr(kb, k)) for k in kinds}
    for table in ("procedures", "faqs"):
        for cat, n in sorted(Counter(e.category for e in getattr(kb, table).values()).items()):
            counts[f"{table}/{cat}"] = n
    return counts
