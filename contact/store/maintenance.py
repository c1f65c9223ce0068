"""Keeping the inquiry log: retention (purge) and online backups. Plain functions; ``contact db …`` wraps them.

Retention: :func:`purge` deletes the inquiries recorded before a date, with what hangs on them —
their feedback, the web chats handed off before that date and their messages, and the phrasing
proposals made from them that nobody accepted (an accepted phrasing is part of the knowledge base by
then: it stays, unlinked from its inquiry). On SQLite the deleted pages are overwritten
(``secure_delete``) and the write-ahead log is checkpointed, so the text does not linger in the file.
The audit log and the accounts are kept.

Backup: :func:`backup` copies a live SQLite log with SQLite's online backup API
(:meth:`sqlite3.Connection.backup`) in one step: a consistent snapshot even while the service keeps
writing (WAL lets the writer go on). The copy is written next to the target, checked
(``PRAGMA integrity_check``) and only then renamed into place, as a single file (journal mode DELETE).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path
from typing import Any

from contact.store import pg

_PURGED = "SELECT id FROM inquiries WHERE created_at < ?"


def retention_cutoff(today: dt.date, retention_days: int) -> dt.date | None:
    """The first day to keep under a retention of ``retention_days`` days (None: keep everything)."""
    return today - dt.timedelta(days=retention_days) if retention_days > 0 else None


def purge_counts(db: Any, before: dt.date) -> dict[str, int]:
    """What :func:`purge` would delete, without deleting it."""
    cutoff = [before.isoformat()]

    def count(sql: str, params: list[Any]) -> int:
        return int(next(iter(db.query(sql, params)))["n"])

    return {
        "inquiries": count("SELECT COUNT(*) AS n FROM inquiries WHERE created_at < ?", cutoff),
        "feedback": count(f"SELECT COUNT(*) AS n FROM feedback WHERE inquiry_id IN ({_PURGED})", cutoff),
        "handoffs": count("SELECT COUNT(*) AS n FROM handoffs WHERE created_at < ?", cutoff),
        "chat_messages": count("SELECT COUNT(*) AS n FROM chat_messages WHERE at < ?", cutoff),
        "phrasings": count(f"SELECT COUNT(*) AS n FROM phrasings WHERE status <> 'accepted' "
                           f"AND inquiry_id IN ({_PURGED})", cutoff),
    }


def purge(db: Any, before: dt.date) -> dict[str, int]:
    """Delete everything recorded before ``before`` (a local date; the day itself is kept); return the counts."""
    cutoff = before.isoformat()
    sqlite = isinstance(getattr(db, "conn", None), sqlite3.Connection)
    if sqlite:
        db.execute("PRAGMA secure_delete = ON")
    counts = purge_counts(db, before)
    with db.atomic():
        db.execute(f"DELETE FROM feedback WHERE inquiry_id IN ({_PURGED})", [cutoff])
        db.execute(f"DELETE FROM phrasings WHERE status <> 'accepted' AND inquiry_id IN ({_PURGED})", [cutoff])
        db.execute(f"UPDATE phrasings SET inquiry_id = NULL WHERE inquiry_id IN ({_PURGED})", [cutoff])
        db.execute("DELETE FROM chat_messages WHERE at < ?", [cutoff])
        db.execute("DELETE FROM handoffs WHERE created_at < ?", [cutoff])
        db.execute(f"UPDATE handoffs SET inquiry_id = NULL WHERE inquiry_id IN ({_PURGED})", [cutoff])
        db.execute("DELETE FROM inquiries WHERE created_at < ?", [cutoff])
    if sqlite:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return counts


class BackupError(RuntimeError):
    """The backup could not be made (PostgreSQL, target exists, failed integrity check …)."""


def backup(source: str, target: Path | str, overwrite: bool = False) -> dict[str, Any]:
    """Copy the SQLite log at ``source`` to ``target`` while it may be in use; return what was copied."""
    if pg.is_postgres(source):
        raise BackupError("the log is in PostgreSQL: back it up with pg_dump")
    if not Path(source).is_file():
        raise BackupError(f"no database file at {source}")
    target = Path(target)
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists (use --force to replace it)")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)  # all pages in one step: one consistent snapshot (writers go on in WAL mode)
        dst.execute("PRAGMA journal_mode=DELETE")
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
        rows = {name: dst.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
                for name in ("inquiries", "feedback", "phrasings", "audit")
                if dst.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [name]).fetchone()}
        version = dst.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    finally:
        dst.close()
        src.close()
    with partial.open("rb") as f:
        os.fsync(f.fileno())
    partial.replace(target)
    return {"path": str(target), "bytes": target.stat().st_size, "schema_version": version, "rows": rows}
