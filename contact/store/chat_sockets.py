"""The open chat sockets of every process (the ``chat_sockets`` table): the open-chat limits and whether a
citizen is connected, as one service rather than one process sees them.

Used when the service has more than one process (``--workers N``, or PostgreSQL and several nodes); one
process alone counts in its memory (:class:`contact.web.limiters.ConnectionLimiter`, the chat hub). A row is
one open socket: the process holding it (:data:`contact.store.events.PROCESS_ID`), the client key (a digest,
never the address), the session once the widget has one, and ``seen_at``, refreshed by its process every
:data:`HEARTBEAT_SECONDS`. Rows not refreshed for :data:`STALE_SECONDS` belong to a process that died and
count for nothing (the next heartbeat of any process deletes them), so a crash never keeps chat places.

Opening a socket counts the live rows and inserts one in a single write transaction (SQLite: ``BEGIN
IMMEDIATE``; PostgreSQL: under a transaction-scoped advisory lock), so two processes admitting the last
place at once cannot both have it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Collection
from typing import Any

HEARTBEAT_SECONDS = 5.0
"""How often each process refreshes its rows (and deletes the stale rows of processes gone)."""
STALE_SECONDS = 20.0
"""A row not refreshed for this long is a socket of a process that is gone."""
_LOCK_KEY = 7_302_015  # pg_advisory_xact_lock of the admissions


def client_digest(key: str) -> str:
    """The stored form of a client key (an address or /64 network): a digest, not the address."""
    return hashlib.blake2b(key.encode(), digest_size=16, person=b"contact-chats").hexdigest()


def _lock(db: Any) -> None:
    if not isinstance(db.conn, sqlite3.Connection):
        db.execute("SELECT pg_advisory_xact_lock(?)", [_LOCK_KEY])


def admit(db: Any, socket_id: str, process: str, client: str, now: float, total_limit: int,
          per_client_limit: int, force: bool = False) -> str | None:
    """In the caller's write transaction: count the live sockets and add this one, unless a limit refuses it:
    ``"per_client"`` or ``"total"`` (0: no limit). ``force`` admits it past the overall limit (it takes the
    place of an idle chat being closed)."""
    _lock(db)
    live = now - STALE_SECONDS
    if per_client_limit:
        mine = db.execute("SELECT COUNT(*) FROM chat_sockets WHERE client = ? AND seen_at >= ?",
                          [client, live]).fetchone()[0]
        if int(mine) >= per_client_limit:
            return "per_client"
    if total_limit and not force:
        total = db.execute("SELECT COUNT(*) FROM chat_sockets WHERE seen_at >= ?", [live]).fetchone()[0]
        if int(total) >= total_limit:
            return "total"
    db.execute("INSERT INTO chat_sockets (id, process, client, session_id, opened_at, seen_at) "
               "VALUES (?, ?, ?, NULL, ?, ?)", [socket_id, process, client, now, now])
    return None


def release(db: Any, socket_id: str) -> None:
    db.execute("DELETE FROM chat_sockets WHERE id = ?", [socket_id])


def bind(db: Any, socket_id: str, session_id: str | None, now: float) -> None:
    """The socket now speaks for ``session_id`` (None: it is closing)."""
    db.execute("UPDATE chat_sockets SET session_id = ?, seen_at = ? WHERE id = ?", [session_id, now, socket_id])


def heartbeat(db: Any, process: str, now: float) -> None:
    """Refresh this process's rows; delete the stale rows of processes that are gone."""
    db.execute("UPDATE chat_sockets SET seen_at = ? WHERE process = ?", [now, process])
    db.execute("DELETE FROM chat_sockets WHERE seen_at < ?", [now - STALE_SECONDS])


def forget_process(db: Any, process: str) -> None:
    """A process stopping: its sockets are closed."""
    db.execute("DELETE FROM chat_sockets WHERE process = ?", [process])


def online(db: Any, session_ids: Collection[str], now: float) -> set[str]:
    """Those of ``session_ids`` with an open socket on any process."""
    if not session_ids:
        return set()
    ids = sorted(session_ids)
    marks = ", ".join("?" for _ in ids)
    rows = db.execute(f"SELECT DISTINCT session_id FROM chat_sockets WHERE session_id IN ({marks}) AND seen_at >= ?",
                      [*ids, now - STALE_SECONDS]).fetchall()
    return {str(r[0]) for r in rows}


def count(db: Any, now: float) -> int:
    """Open sockets on every process."""
    return int(db.execute("SELECT COUNT(*) FROM chat_sockets WHERE seen_at >= ?", [now - STALE_SECONDS]).fetchone()[0])
