"""Turn knowledge entries into searchable documents: field texts plus what ranking needs to know."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from knowledge.loader import KnowledgeBase
from knowledge.schema import Faq, LifeEvent, Office, Procedure, Sourced, Window

EntryKind = str
"""One of: office, window, procedure, faq, life_event."""


@dataclass(frozen=True)
class Document:
    entry_id: str
    kind: EntryKind
    title: str
    ward: str | None
    category: str
    names: tuple[str, ...]
    """The entry's name and aliases: matched fuzzily on readings for typos and kana input."""
    fields: dict[str, tuple[str, ...]]
    """Field name → texts (title, questions, body), tokenised by the matcher."""
    english: tuple[str, ...] = ()
    """The entry's English title: embedded with its names and questions (an English question meets its own
    language there), not tokenised (the matcher reads English through its Japanese terms)."""
    move: str | None = None
    """The one way of moving home its names are about (``in`` 転入, ``out`` 転出, ``within`` 転居), if any."""


_MOVE_WORDS = {"in": "転入", "out": "転出", "within": "転居"}


def _move_of(names: tuple[str, ...]) -> str | None:
    """The direction its names name, when they name exactly one (転入届・転居届 names two: none)."""
    text = " ".join(names)
    found = [move for move, word in _MOVE_WORDS.items() if word in text]
    return found[0] if len(found) == 1 else None


def _facets(p: Procedure) -> tuple[str, ...]:
    """Words for what the entry can tell (手数料, 持ち物 …), so "住民票 いくら" finds the procedure itself."""
    facets = []
    if p.fee:
        facets += ["手数料", p.fee.text]
    if p.bring:
        facets.append("持ち物")
    if p.deadline:
        facets.append("期限")
    if p.saturday is not None:
        facets.append("土曜日")
    if p.online or p.convenience_store:
        facets.append("オンライン コンビニ" if p.convenience_store else "オンライン")
    return tuple(facets)


def documents(kb: KnowledgeBase) -> Iterator[Document]:
    """One document per entry, in the knowledge base's order."""
    for entry in kb.entries():
        doc = _document(kb, entry)
        en = getattr(entry, "en", None)
        yield replace(doc, english=(en.title,) if en is not None else (), move=_move_of(doc.names))


def _document(kb: KnowledgeBase, e: Sourced) -> Document:
    if isinstance(e, Office):
        names = (e.name, *e.aliases)
        return Document(
            e.id, "office", e.name, e.ward, e.kind, names,
            {
                "title": (*names, e.kind),
                "questions": e.sample_questions,
                "body": tuple(x for x in (e.services, e.access, *e.stations) if x),
            },
        )
    if isinstance(e, Window):
        office = kb.offices.get(e.office)
        office_name = office.name if office else ""
        title = f"{office_name} {e.name}".strip()
        # The office's other names and stations with the window's: "溝の口の区役所の保険年金課".
        places = office.aliases if office else ()
        return Document(
            e.id, "window", title, office.ward if office else None, "窓口", (title, e.name),
            {"title": (title,), "questions": tuple(f"{p} {e.name}" for p in places if p != office_name),
             "body": (e.handles,)},
        )
    if isinstance(e, Procedure):
        names = (e.name, *e.aliases)
        return Document(
            e.id, "procedure", e.name, None, e.category, names,
            {
                "title": names,
                "questions": e.sample_questions,
                "body": tuple(x for x in (e.summary, e.category, *e.windows, *_facets(e)) if x),
            },
        )
    if isinstance(e, Faq):
        return Document(
            e.id, "faq", e.question, None, e.category, (e.question,),
            {"title": (e.question,), "questions": e.alternatives, "body": (e.answer,)},
        )
    if isinstance(e, LifeEvent):
        names = (e.name, *e.aliases)
        return Document(
            e.id, "life_event", e.name, None, e.category, names,
            {"title": names, "questions": e.sample_questions, "body": (e.summary,)},
        )
    raise TypeError(f"unknown entry type {type(e).__name__}")
