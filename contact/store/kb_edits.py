"""Knowledge edits in the store, where every worker and node sees them: ``kb_edits`` and ``synonym_edits``.

``kb_edits`` keeps every version of every edited entry (the whole document as JSON, the version number,
the action, who and when); version 0 of an entry is the shipped YAML and is not stored. A save names the
version it was based on: :func:`save_version` inserts version ``based_on + 1`` only while that is still
the latest, in one transaction, and the unique index on (entry_id, version) refuses the second of two
concurrent saves on any backend, so two editors on the same entry get a conflict, not a lost edit.

``synonym_edits`` is the ordered list of additions to and removals from the synonym table.
The functions take a connection (a ``sqlite_utils.Database`` or :class:`contact.store.pg.PgDatabase`)
and run in the executor through :meth:`contact.store.inquiry_log.InquiryLog.read`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from contact.store import pg
from knowledge.editing import Edit, SynonymEdit


class Conflict(Exception):
    """The entry changed since the version the save was based on."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the entry is at version {current}")
        self.current = current


def _edit(row: Any) -> Edit:
    return Edit(entry_id=row["entry_id"], kind=row["kind"], version=int(row["version"]), action=row["action"],
                document=json.loads(row["document"]) if row["document"] else None, author=row["author"] or "",
                at=row["at"])


def latest_edits(db: Any) -> dict[str, Edit]:
    """Entry id → its latest edit (the effective base's overlay)."""
    rows = db.query("SELECT e.* FROM kb_edits e JOIN (SELECT entry_id, MAX(version) AS v FROM kb_edits "
                    "GROUP BY entry_id) m ON e.entry_id = m.entry_id AND e.version = m.v ORDER BY e.id")
    return {r["entry_id"]: _edit(r) for r in rows}


def versions(db: Any, entry_id: str) -> list[Edit]:
    """Every stored version of one entry, oldest first."""
    return [_edit(r) for r in db.query("SELECT * FROM kb_edits WHERE entry_id = ? ORDER BY version", [entry_id])]


def current_version(db: Any, entry_id: str) -> int:
    row = db.execute("SELECT MAX(version) FROM kb_edits WHERE entry_id = ?", [entry_id]).fetchone()
    return int(row[0] or 0) if row else 0


def save_version(db: Any, edit: Edit, based_on: int, integrity_errors: tuple[type[Exception], ...]) -> Edit:
    """Insert ``edit`` as version ``based_on + 1`` if ``based_on`` is still the latest (compare-and-set in
    one transaction); :class:`Conflict` with the current version otherwise."""
    row = {"entry_id": edit.entry_id, "kind": edit.kind, "version": based_on + 1, "action": edit.action,
           "document": None if edit.document is None else json.dumps(edit.document, ensure_ascii=False),
           "author": edit.author, "at": edit.at}
    try:
        with _transaction(db):
            current = current_version(db, edit.entry_id)
            if current != based_on:
                raise Conflict(current)
            db.execute(f"INSERT INTO kb_edits ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                       list(row.values()))
    except integrity_errors as exc:  # a concurrent save took this version first
        raise Conflict(current_version(db, edit.entry_id)) from exc
    return Edit(**{**edit.__dict__, "version": based_on + 1})


def _transaction(db: Any) -> Any:
    if isinstance(db, pg.PgDatabase):
        return db.atomic()
    from contact.store.inquiry_log import write_transaction  # BEGIN IMMEDIATE: the SQLite write lock first

    return write_transaction(db)


def synonym_edits(db: Any) -> list[SynonymEdit]:
    return [SynonymEdit(r["section"], r["term"], r["value"], r["action"], r["author"] or "", r["at"])
            for r in db.query("SELECT * FROM synonym_edits ORDER BY id")]


def add_synonym_edit(db: Any, edit: SynonymEdit) -> None:
    row = {"section": edit.section, "term": edit.term, "value": edit.value, "action": edit.action,
           "author": edit.author, "at": edit.at}
    db.execute(f"INSERT INTO synonym_edits ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
               list(row.values()))


def overlay(target: str, durability: str = "full") -> Callable[[], tuple[dict[str, Edit], list[SynonymEdit]]]:
    """What :class:`contact.knowledge_state.KnowledgeState` lays over its directory at each build: the
    latest edit of each entry and the synonym edits, read on a connection of their own."""

    def read() -> tuple[dict[str, Edit], list[SynonymEdit]]:
        from contact.store.inquiry_log import connect

        db = connect(target, durability)
        try:
            return latest_edits(db), synonym_edits(db)
        finally:
            db.conn.close()

    return read
