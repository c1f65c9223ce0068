"""Operator typeahead: ranked suggestions with what a call-taker says, and where to forward the caller.

Plain Python over the matcher (no aiohttp)::

    suggester = suggester_for(engine)            # cached per engine (a reload builds a new one)
    result = suggester.suggest("住民票の写し", now, ward="中原区")
    result.suggestions[0].entry_id               # 'juminhyo'

A suggestion is the matcher's ranking (:meth:`intents.engine.Engine.respond`, the same understanding as
the citizens' chat) merged with a *prefix* match of entry names, so that the words being typed count
before they are finished: "印鑑登" or "いんかんと" already rank 印鑑登録 first. Each suggestion carries
the answer text, what to bring, the fee, the deadline, the windows or offices to forward to (with their
phone numbers; the building's main number when a window has none), the source and review date.

The ward and date context used is reported with the suggestions: the ward said in the question (or
implied by a station or office name) wins over the ward the operator selected; a date in the question
("今週の土曜", "12月12日") wins over the date selected, and the day's opening of the ward office (or the
office named) is described for it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from intents.dates import resolve_dates
from intents.engine import Context, Engine, Ranked
from intents.normalize import normalize, to_katakana
from intents.opening_days import place_for
from knowledge.calendar_text import describe_day
from knowledge.loader import KnowledgeBase
from knowledge.schema import WARDS, Faq, LifeEvent, Office, Procedure, Sourced, Window

log = structlog.get_logger(__name__)

MAX_QUERY_CHARS = 200
"""Longer queries are cut (an operator types the gist of a call, not a letter)."""
PREFIX_BONUS = 0.6
"""Added to a candidate's normalised score (0..1) when its name begins with the words being typed."""
_TAIL_KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fcー]+$")
_WINDOW_NAMES_ORDER = {ward: i for i, ward in enumerate(WARDS)}


@dataclass(frozen=True)
class Target:
    """Somewhere to forward a caller: a window (窓口) or an office, with the number to call."""

    id: str
    kind: str
    """``window`` or ``office``."""
    name: str
    office_id: str
    ward: str | None
    phone: str | None
    phone_note: str | None = None
    """Set when ``phone`` is not the window's own line (the building's main number)."""
    floor: str | None = None
    counter: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "name": self.name, "office_id": self.office_id,
                "ward": self.ward, "phone": self.phone, "phone_note": self.phone_note, "floor": self.floor,
                "counter": self.counter}


@dataclass(frozen=True)
class Suggestion:
    entry_id: str
    kind: str
    title: str
    score: float
    answer: str
    source_url: str | None
    reviewed: str | None
    department: str | None = None
    category: str | None = None
    certainty: str = "confirmed"
    unverified: tuple[str, ...] = ()
    bring: tuple[str, ...] = ()
    fee: str | None = None
    deadline: str | None = None
    online: str | None = None
    saturday: bool | None = None
    checklist: tuple[str, ...] = ()
    forward: tuple[Target, ...] = ()
    matched: tuple[str, ...] = ()
    prefix: bool = False
    """The entry's name begins with what is being typed."""

    def to_json(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id, "kind": self.kind, "title": self.title, "score": self.score,
            "answer": self.answer, "bring": list(self.bring), "fee": self.fee, "deadline": self.deadline,
            "online": self.online, "saturday": self.saturday, "checklist": list(self.checklist),
            "forward": [t.to_json() for t in self.forward], "department": self.department,
            "category": self.category, "source_url": self.source_url, "reviewed": self.reviewed,
            "certainty": self.certainty, "unverified": list(self.unverified), "matched": list(self.matched),
            "prefix": self.prefix,
        }


@dataclass(frozen=True)
class SuggestContext:
    """The ward and date the suggestions were made for, and where each came from."""

    ward: str | None = None
    ward_from: str | None = None
    """``query`` (said or implied in the text), ``param`` (selected by the operator) or None."""
    ward_words: str | None = None
    """The words the ward was read from (武蔵小杉 → 中原区)."""
    date: str | None = None
    date_from: str | None = None
    date_text: str | None = None
    """The date expression found in the text (今週の土曜)."""
    day: str | None = None
    """Whether the ward office (or the office named) is open that day, and its hours."""
    offices: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"ward": self.ward, "ward_from": self.ward_from, "ward_words": self.ward_words, "date": self.date,
                "date_from": self.date_from, "date_text": self.date_text, "day": self.day,
                "offices": list(self.offices)}


@dataclass(frozen=True)
class SuggestResult:
    query: str
    kind: str
    """What the citizens' chat would have done with the text: answer, clarify, fallback, handoff, smalltalk."""
    context: SuggestContext
    suggestions: tuple[Suggestion, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"q": self.query, "kind": self.kind, "context": self.context.to_json(),
                "suggestions": [s.to_json() for s in self.suggestions]}


class PrefixIndex:
    """Entry names (and their katakana readings) sorted, to find names beginning with a typed fragment.

    The fragment is the end of the query: "中原区で印鑑登" looks up 印鑑登, 鑑登 … (the longest that begins
    some name wins); a trailing run of kana is looked up by reading, so "いんかんと" finds 印鑑登録.
    """

    def __init__(self, engine: Engine) -> None:
        names: list[tuple[str, int]] = []
        readings: list[tuple[str, int]] = []
        for i, doc in enumerate(engine.docs):
            for name in doc.names:
                text = normalize(name)
                if not text:
                    continue
                names.append((text, i))
                reading = to_katakana(engine.tokenizer.reading(text))
                if len(reading) >= 2:
                    readings.append((reading, i))
        self.names = sorted(set(names))
        self.readings = sorted(set(readings))
        self._kinds = [d.kind for d in engine.docs]

    @staticmethod
    def _starting(table: Sequence[tuple[str, int]], prefix: str) -> list[int]:
        lo = bisect.bisect_left(table, (prefix, -1))
        out: list[int] = []
        for text, doc in table[lo:lo + 200]:
            if not text.startswith(prefix):
                break
            out.append(doc)
        return out

    def matches(self, query: str) -> dict[int, float]:
        """Documents whose name begins with the end of ``query`` (already normalised) → match strength."""
        found: dict[int, float] = {}
        # The longest tail of the query that begins a name: the whole query, or its last words.
        for start in range(len(query)):
            tail = query[start:]
            whole = start == 0
            if len(tail) < (1 if whole else 2):
                break
            docs = self._starting(self.names, tail)
            if len(tail) == 1:  # one character: names of procedures and life events only
                docs = [d for d in docs if self._kinds[d] in ("procedure", "life_event")]
            if docs:
                strength = 1.0 if whole else 0.8
                for d in docs:
                    found[d] = max(found.get(d, 0.0), strength)
                break
        kana = _TAIL_KANA.search(query)
        if kana:
            reading = to_katakana(kana.group(0))
            for start in range(len(reading)):
                tail = reading[start:]
                if len(tail) < 3:
                    break
                docs = self._starting(self.readings, tail)
                if docs:
                    strength = 1.0 if start == 0 and kana.start() == 0 else 0.7
                    for d in docs:
                        found[d] = max(found.get(d, 0.0), strength)
                    break
        return found


UNVERIFIED_PHONE = "窓口の番号は未確認。"


def _window_line(window: Window, office: Office | None) -> tuple[str | None, str | None]:
    """The number to forward a caller to a window, and what the operator must know about it: the window's own
    line; else the building's number (not the window's direct line); else none, saying so plainly and what the
    knowledge base does know (the office's note: whom to call instead, another number of the building)."""
    if window.phone:
        return window.phone, None
    if office is not None and office.phone:
        return office.phone, "庁舎の代表・総合案内の番号です（窓口の直通番号は未確認）。"
    known = office.phone_note if office is not None and office.phone_note else ""
    return None, (UNVERIFIED_PHONE + known).strip()


class Directory:
    """Windows and offices of a knowledge base as forwarding targets, looked up by entry and ward."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.targets: dict[str, Target] = {}
        for o in kb.offices.values():
            note = o.phone_note if o.phone or o.phone_note else "電話番号は未確認です。"
            self.targets[o.id] = Target(o.id, "office", o.name, o.id, o.ward, o.phone, note)
        self._by_name: dict[str, list[Target]] = {}
        self._by_procedure: dict[str, list[Target]] = {}
        for window in kb.windows.values():
            office = kb.offices.get(window.office)
            phone, note = _window_line(window, office)
            target = Target(window.id, "window", f"{office.name if office else ''} {window.name}".strip(),
                            window.office, office.ward if office else None, phone, note, window.floor,
                            window.counter)
            self.targets[window.id] = target
            if office is not None and office.kind == "区役所":
                self._by_name.setdefault(window.name, []).append(target)
            for procedure in window.procedures:
                self._by_procedure.setdefault(procedure, []).append(target)
        self._office_names = sorted(((o.name, o.id) for o in kb.offices.values()), key=lambda x: -len(x[0]))

    def all(self) -> list[Target]:
        """Every target: windows by ward, then the offices."""
        windows = [t for t in self.targets.values() if t.kind == "window"]
        offices = [t for t in self.targets.values() if t.kind == "office"]
        windows.sort(key=lambda t: (_WINDOW_NAMES_ORDER.get(t.ward or "", 99), t.name))
        return windows + offices

    def _windows(self, names: Iterable[str], ward: str | None) -> list[Target]:
        out: list[Target] = []
        for name in names:
            out += [t for t in self._by_name.get(name, ()) if ward is None or t.ward == ward]
        return out

    def _named_in(self, text: str) -> list[Target]:
        return [self.targets[oid] for name, oid in self._office_names if name in text]

    def for_entry(self, entry: Sourced, ward: str | None, limit: int = 14) -> tuple[Target, ...]:
        """Where to forward a caller asking about ``entry`` (the ward's windows when the ward is known)."""
        found: list[Target] = []
        if isinstance(entry, Window | Office):
            found.append(self.targets[entry.id])
        elif isinstance(entry, Procedure):
            found += [t for t in self._by_procedure.get(entry.id, ()) if ward is None or t.ward == ward]
            found += self._windows(entry.windows, ward)
            found += [self.targets[o] for o in entry.offices if o in self.targets]
            found += self._named_in(entry.department)
        elif isinstance(entry, Faq):
            found += self._windows([n for n in self._by_name if n in entry.department], ward)
            found += self._named_in(entry.department)
        elif isinstance(entry, LifeEvent):
            for step in entry.steps:
                procedure = self.kb.procedures.get(step.procedure)
                if procedure is not None:
                    found += self._windows(procedure.windows, ward)
        unique = list(dict.fromkeys(found))
        unique.sort(key=lambda t: (t.kind != "window", _WINDOW_NAMES_ORDER.get(t.ward or "", 99)))
        return tuple(unique[:limit])


class Suggester:
    """Suggestions over one engine (its knowledge base, index and calendar)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)
        """Weakly: :func:`suggester_for` keeps a suggester as the value of its engine in a weak mapping, and a
        strong reference from the value would keep the engine, and every old one after a reload, alive."""
        self.kb = engine.kb
        self.prefixes = PrefixIndex(engine)
        self.directory = Directory(engine.kb)

    @property
    def engine(self) -> Engine:
        engine = self._engine()
        if engine is None:  # callers hold the engine they asked a suggester of (suggester_for)
            raise RuntimeError("this suggester's engine has been replaced and freed")
        return engine

    @staticmethod
    def query_of(text: str) -> str:
        """What the matcher is asked for the typed text."""
        return normalize(text)[:MAX_QUERY_CHARS]

    def suggest(self, text: str, now: dt.datetime, *, ward: str | None = None, day: dt.date | None = None,
                limit: int = 5, ranked: Ranked | None = None) -> SuggestResult:
        """Ranked suggestions for what the operator has typed so far (``text``, possibly a fragment);
        ``ranked``: the matcher's :meth:`~intents.engine.Engine.prepare` of it, when already computed."""
        query = self.query_of(text)
        if not query:
            return SuggestResult(text, "fallback", SuggestContext(ward=ward, ward_from="param" if ward else None))
        engine = self.engine
        reply = engine.respond(query, Context(now=now, ward=ward), ranked)
        u = reply.understanding
        entities = u.entities if u is not None else None
        effective_ward = reply.ward
        ward_from = "query" if entities is not None and entities.ward else ("param" if ward else None)

        # The matcher's candidates, scored 0..1 like the ask API, plus names that begin with what is typed.
        top_score = reply.candidates[0].score if reply.candidates else 0.0
        scores: dict[str, float] = {}
        matched: dict[str, tuple[str, ...]] = {}
        for c in reply.candidates:
            scores[c.entry_id] = min(1.0, c.coverage) * (c.score / top_score if top_score else 0.0)
            matched[c.entry_id] = c.matched
        prefixed: set[str] = set()
        for doc, strength in self.prefixes.matches(query).items():
            entry_id = engine.docs[doc].entry_id
            doc_ward = engine.docs[doc].ward
            if doc_ward and effective_ward and doc_ward != effective_ward:
                continue
            scores[entry_id] = scores.get(entry_id, 0.0) + PREFIX_BONUS * strength
            prefixed.add(entry_id)
        answer = reply.answer
        if answer is not None and reply.kind == "answer" and answer.entry_id not in scores:
            # The chat answered from the calendar or from an office's data, not from a ranked entry: first.
            scores[answer.entry_id] = max(scores.values(), default=1.0) + 0.01
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:limit]
        best = ranked[0][1] if ranked else 1.0

        suggestions: list[Suggestion] = []
        for entry_id, score in ranked:
            entry = self.kb.get(entry_id)
            normalised = round(score / best, 3) if best > 0 else 0.0
            if entry is None:  # a calendar answer about a kind of office: no entry of its own
                if answer is None or answer.entry_id != entry_id:
                    continue
                suggestions.append(Suggestion(entry_id, "calendar", answer.title, normalised, answer.text,
                                              answer.source_url or None, answer.reviewed or None,
                                              department=answer.department or None))
                continue
            own = answer if answer is not None and answer.entry_id == entry_id else None
            suggestions.append(self._suggestion(entry, normalised, own.text if own else None, effective_ward,
                                                matched.get(entry_id, ()), entry_id in prefixed))
        context = self._context(query, now, effective_ward, ward_from, entities, day)
        return SuggestResult(text, reply.kind, context, tuple(suggestions))

    def _suggestion(self, entry: Sourced, score: float, answer_text: str | None, ward: str | None,
                    matched: tuple[str, ...], prefix: bool) -> Suggestion:
        from intents.compose import compose

        composed = compose(self.kb, entry, (), ward, self.engine.contact)
        common: dict[str, Any] = {
            "score": score, "answer": answer_text or composed.text, "source_url": entry.source_url,
            "reviewed": entry.reviewed.isoformat(), "department": composed.department or None,
            "certainty": entry.certainty, "unverified": tuple(entry.unverified),
            "forward": self.directory.for_entry(entry, ward), "matched": matched, "prefix": prefix,
            "checklist": composed.checklist,
        }
        entry_id: str = entry.id  # type: ignore[attr-defined]
        if isinstance(entry, Procedure):
            return Suggestion(entry_id, "procedure", entry.name, category=entry.category, bring=entry.bring,
                              fee=entry.fee.text if entry.fee else None, deadline=entry.deadline,
                              online=entry.online, saturday=entry.saturday, **common)
        if isinstance(entry, Faq):
            return Suggestion(entry_id, "faq", entry.question, category=entry.category, **common)
        if isinstance(entry, LifeEvent):
            return Suggestion(entry_id, "life_event", entry.name, category=entry.category, **common)
        if isinstance(entry, Office):
            return Suggestion(entry_id, "office", entry.name, category="庁舎・窓口", **common)
        if isinstance(entry, Window):
            return Suggestion(entry_id, "window", composed.title, category="庁舎・窓口",
                              saturday=entry.saturday, **common)
        return Suggestion(entry_id, type(entry).__name__.lower(), composed.title, **common)

    def _context(self, query: str, now: dt.datetime, ward: str | None, ward_from: str | None, entities: Any,
                 day: dt.date | None) -> SuggestContext:
        mentions = [m for m in resolve_dates(query, now) if not m.is_range]
        date_from: str | None = "param" if day else None
        date_text: str | None = None
        if mentions:
            day, date_from, date_text = mentions[0].first, "query", mentions[0].text
        offices: tuple[str, ...] = tuple(entities.offices) if entities is not None else ()
        day_text = None
        if day is not None and self.kb.calendar is not None:
            place = place_for(self.kb, query, offices, ward)
            if place is not None:
                day_text = describe_day(self.kb.calendar, place.profile, place.name, day, now)
        return SuggestContext(
            ward=ward, ward_from=ward_from, ward_words=entities.ward_source if entities is not None else None,
            date=day.isoformat() if day else None, date_from=date_from, date_text=date_text, day=day_text,
            offices=offices,
        )


_suggesters: weakref.WeakKeyDictionary[Engine, Suggester] = weakref.WeakKeyDictionary()


def suggester_for(engine: Engine) -> Suggester:
    """The suggester of ``engine``, built on first use (tens of milliseconds) and kept while the engine lives."""
    suggester = _suggesters.get(engine)
    if suggester is None:
        suggester = _suggesters[engine] = Suggester(engine)
        try:  # warm the calendar's caches (~0.1 s once) so that no operator waits for them
            suggester.suggest("年末年始の休み", dt.datetime.now(dt.UTC))
        except Exception:
            log.exception("suggest.warm_up_failed")
    return suggester
