"""The knowledge editor's core: find entries, save versions, preview an answer with an unsaved edit.

The HTTP handlers (:mod:`contact.web.editor`) are thin over these functions. What is saved lives in the
store (:mod:`contact.store.kb_edits`); the effective base and its validation are
:mod:`knowledge.editing`'s; the live engine picks the edits up on its next (re)load
(:class:`contact.knowledge_state.KnowledgeState`'s overlay).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from contact.knowledge_state import KnowledgeState, directory_version, effective_synonym_table
from intents.engine import Context, Engine, Pending
from intents.tokenize import Tokenizer
from knowledge.audit import audit
from knowledge.editing import Edit, ShippedEntry, SynonymEdit, load_effective, shipped_entries
from knowledge.errors import KnowledgeError
from knowledge.loader import KnowledgeBase
from knowledge.schema import FILE_KINDS, Sourced

FILTERS = ("stale", "secondary", "never_matched", "near_fallbacks", "edited")
"""Entry filters of the search: source or review too old, secondary or unverified facts, never the answer
of an inquiry, often the top candidate of a fallback, changed in the editor."""
STALE_FINDINGS = frozenset({"old-source", "no-source-date", "review-overdue"})
PHRASING_FIELD = {"faqs": "alternatives", "procedures": "sample_questions", "offices": "sample_questions",
                  "life_events": "sample_questions"}


def title_of(entry: Any) -> str:
    return str(getattr(entry, "question", None) or getattr(entry, "name", None) or entry.id)


def kind_of(kb: KnowledgeBase, entry_id: str) -> str | None:
    for kind in FILE_KINDS:
        if entry_id in getattr(kb, kind):
            return kind
    return None


def entry_text(entry: Sourced) -> str:
    """Everything an entry says, for the word search."""
    return json.dumps(entry.model_dump(mode="json"), ensure_ascii=False)


def usage(db: Any, limit: int = 20_000) -> dict[str, Counter[str]]:
    """From the inquiry log: how often each entry was the answer, and the top candidate of a fallback."""
    answered: Counter[str] = Counter()
    near: Counter[str] = Counter()
    for row in db.query("SELECT entry_id, COUNT(*) AS n FROM inquiries WHERE entry_id IS NOT NULL GROUP BY entry_id"):
        answered[row["entry_id"]] = int(row["n"])
    for row in db.query("SELECT candidates FROM inquiries WHERE kind = 'fallback' AND candidates IS NOT NULL "
                        "ORDER BY created_at DESC LIMIT ?", [limit]):
        try:
            candidates = json.loads(row["candidates"])
        except (TypeError, ValueError):
            continue
        if isinstance(candidates, list) and candidates and isinstance(candidates[0], str):
            near[candidates[0]] += 1
    return {"answered": answered, "near_fallbacks": near}


def search(kb: KnowledgeBase, edits: Mapping[str, Edit], used: Mapping[str, Counter[str]], today: dt.date, *,
           q: str = "", kind: str | None = None, category: str | None = None, filters: Sequence[str] = (),
           limit: int = 50) -> dict[str, Any]:
    """Entries matching every given condition; ``q`` matches the id exactly or words anywhere in the entry."""
    stale = {f.entry_id for f in audit(kb, today).findings if f.kind in STALE_FINDINGS}
    words = [w for w in re.split(r"[\s　]+", q.strip()) if w]
    items: list[dict[str, Any]] = []
    total = 0
    for entry in kb.entries():
        entry_id: str = entry.id  # type: ignore[attr-defined]
        entry_kind = kind_of(kb, entry_id) or ""
        if kind and entry_kind != kind:
            continue
        entry_category = getattr(entry, "category", None)
        if category and entry_category != category:
            continue
        if words and entry_id != q.strip():
            text = entry_text(entry)
            if not all(w.lower() in text.lower() for w in words):
                continue
        flags = {"stale": entry_id in stale, "secondary": entry.certainty != "confirmed",
                 "never_matched": used["answered"][entry_id] == 0,
                 "near_fallbacks": used["near_fallbacks"][entry_id] > 0, "edited": entry_id in edits}
        if not all(flags[f] for f in filters):
            continue
        total += 1
        if len(items) < limit:
            items.append({"id": entry_id, "kind": entry_kind, "title": title_of(entry), "category": entry_category,
                          "department": getattr(entry, "department", None), "certainty": entry.certainty,
                          "reviewed": entry.reviewed.isoformat(),
                          "source_date": entry.source_date.isoformat() if entry.source_date else None,
                          "version": edits[entry_id].version if entry_id in edits else 0,
                          "answered": used["answered"][entry_id], "near_fallbacks": used["near_fallbacks"][entry_id],
                          "flags": [f for f, on in flags.items() if on]})
    if "near_fallbacks" in filters:
        items.sort(key=lambda i: -i["near_fallbacks"])
    deleted = [{"id": e.entry_id, "kind": e.kind, "version": e.version} for e in edits.values()
               if e.document is None and (not kind or e.kind == kind)]
    return {"total": total, "items": items, "deleted": deleted}


def current(shipped: Mapping[str, ShippedEntry], edits: Mapping[str, Edit], entry_id: str) -> dict[str, Any] | None:
    """An entry as the editor opens it: its current document, kind, version, file; None if it never existed."""
    base = shipped.get(entry_id)
    edit = edits.get(entry_id)
    if base is None and edit is None:
        return None
    return {"id": entry_id, "kind": edit.kind if edit else base.kind,  # type: ignore[union-attr]
            "version": edit.version if edit else 0, "document": edit.document if edit else base.document,  # type: ignore[union-attr]
            "deleted": bool(edit and edit.document is None), "shipped": base is not None,
            "file": base.file if base else None, "author": edit.author if edit else None,
            "at": edit.at if edit else None}


_SHIPPED: dict[tuple[str, str], dict[str, ShippedEntry]] = {}


def shipped_of(state: KnowledgeState) -> dict[str, ShippedEntry]:
    """The raw entries of the deployed directory, read again only when its files change (reading them takes
    about 0.3 s; hashing them, :func:`directory_version`, 2 ms). Callers must not change what they get."""
    key = (str(state.directory), directory_version(state.directory))
    if key not in _SHIPPED:
        _SHIPPED.clear()
        _SHIPPED[key] = shipped_entries(state.directory)
    return _SHIPPED[key]


def draft_from_cluster(cluster: Mapping[str, Any], kb: KnowledgeBase, today: dt.date,
                       taken: set[str]) -> dict[str, Any]:
    """A new FAQ prefilled from a gap cluster: its examples as question and phrasings, the nearest entry's
    category and department; the source and the answer are the editor's to write."""
    examples = [str(e) for e in cluster.get("examples") or [] if str(e).strip()]
    nearest = cluster.get("nearest") or {}
    near = kb.get(nearest.get("entry_id", "")) if nearest else None
    n = 1
    while f"faq-new-{n}" in taken:
        n += 1
    return {"id": f"faq-new-{n}", "question": examples[0] if examples else "", "alternatives": examples[1:],
            "answer": "", "category": getattr(near, "category", None) or "その他",
            "department": getattr(near, "department", None) or "サンキューコールかわさき", "source_url": "",
            "source_date": None, "reviewed": today.isoformat()}


def build_engine(directory: Path, edits: Mapping[str, Edit], synonym_edits: Sequence[SynonymEdit],
                 live: Engine, cache_dir: Path | None) -> Engine:
    """A throwaway engine over the effective base with unsaved edits (the live engine's encoders reused:
    only the edited entry's texts are embedded, the rest come from the cache)."""
    kb = load_effective(directory, edits)
    return engine_for(kb, synonym_edits, live, cache_dir)


def engine_for(kb: KnowledgeBase, synonym_edits: Sequence[SynonymEdit], live: Engine, cache_dir: Path | None) -> Engine:
    synonyms = effective_synonym_table(synonym_edits)
    encoders = [index.encoder for index in live.dense.values()]
    return Engine(kb, tokenizer=Tokenizer.for_kb(kb, synonyms), synonyms=synonyms, memo_size=0,
                  encoders=encoders, cache_dir=cache_dir)


def answer(engine: Engine, text: str, now: dt.datetime, ward: str | None = None, lang: str = "ja") -> dict[str, Any]:
    """How ``engine`` answers one question (the ask response's kind, answer and candidates)."""
    staged = engine.first_stage(text, ward)
    if isinstance(staged, Pending):
        staged = engine.finish(staged)
    reply = engine.respond(text, Context(now=now, ward=ward, lang=lang), staged)
    a = reply.answer
    return {"kind": reply.kind, "confidence": round(reply.confidence, 3),
            "answer": None if a is None else {"entry_id": a.entry_id, "title": a.title, "text": a.text,
                                              "source_url": a.source_url},
            "candidates": [{"entry_id": c.entry_id, "title": c.title, "score": round(c.score, 3)}
                           for c in reply.candidates[:5]]}


def preview(directory: Path, edits: Mapping[str, Edit], synonym_edits: Sequence[SynonymEdit], live: Engine,
            cache_dir: Path | None, questions: Sequence[str], now: dt.datetime, ward: str | None) -> dict[str, Any]:
    """Answers with the unsaved edit (and, for comparison, the live engine's), with the build time."""
    started = time.perf_counter()
    try:
        kb = load_effective(directory, edits)
        loaded = time.perf_counter()
        engine = engine_for(kb, synonym_edits, live, cache_dir)
    except KnowledgeError as exc:
        return {"problems": [str(p) for p in exc.problems], "results": [], "build_seconds": None}
    build = time.perf_counter() - started
    results = [{"question": q, "with_edit": answer(engine, q, now, ward), "live": answer(live, q, now, ward)}
               for q in questions]
    return {"problems": [], "results": results, "build_seconds": round(build, 3),
            "load_seconds": round(loaded - started, 3),
            "seconds": round(time.perf_counter() - started, 3)}


def with_phrasing(document: Mapping[str, Any], kind: str, text: str) -> dict[str, Any] | None:
    """The document with ``text`` added as a phrasing; None for a kind without phrasings."""
    field = PHRASING_FIELD.get(kind)
    if field is None:
        return None
    doc = dict(document)
    existing = [str(p) for p in doc.get(field) or []]
    if text not in existing:
        doc[field] = [*existing, text]
    return doc
