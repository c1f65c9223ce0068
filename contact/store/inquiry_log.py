"""The inquiry log: one SQLite file (WAL), written by one thread with group commit.

Every inquiry is committed before its answer is sent: :meth:`InquiryLog.record`
returns only after the transaction holding the row has been committed. Rows
arriving while a commit is in progress are committed together in the next
batch (group commit), so the cost of an fsync is shared by many requests.

Reads run on their own connections in the default executor, never on the event loop.
The schema is created and migrated by :data:`MIGRATIONS`; ``schema_version`` holds the
version a database file is at, and an older file is upgraded in place at open.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import json
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
import structlog
from sqlite_utils.db import jsonify_if_needed

from contact.analysis import voice
from contact.analysis.phrasings import usable_phrasing  # the rules live with the review code
from contact.config import TOKYO
from contact.store import chat_sockets, conversations, counters, events, pg
from contact.store.conversations import CONVERSATION_TTL, Conversation

log = structlog.get_logger(__name__)


class LogUnavailable(RuntimeError):
    """The inquiry could not be committed (disk full, read-only file …)."""


INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError, *pg.errors()[0])
"""A row breaks a constraint (unknown inquiry id, duplicate key): that row's fault, not the store's."""
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, *pg.errors()[1])
"""Any failure of the store (disk full, read-only file, lost connection …)."""

_SQLITE_REASONS = (
    ("SQLITE_FULL", "the disk is full"),
    ("SQLITE_READONLY", "the database file is read-only"),
    ("SQLITE_IOERR", "the storage refused a write (read-only or failing disk)"),
    ("SQLITE_CANTOPEN", "the database file cannot be opened (missing directory, no permission or read-only)"),
    ("SQLITE_CORRUPT", "the database file is damaged"),
    ("SQLITE_NOTADB", "the file is not a database"),
    ("SQLITE_BUSY", "the database is locked by another process"),
)


def describe_error(exc: BaseException) -> str:
    """A store error as a reason an operator can act on, e.g. 'the disk is full (SQLITE_FULL: …)'."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    for prefix, reason in _SQLITE_REASONS:
        if name.startswith(prefix):
            return f"{reason} ({name}: {exc})"
    return f"{type(exc).__name__}: {exc}"


def _v1(db: sqlite_utils.Database) -> None:
    db["inquiries"].create(  # type: ignore[union-attr]
        {
            "id": str, "created_at": str, "channel": str, "session_id": str, "lang": str,
            "text": str, "ward": str, "kind": str, "entry_id": str, "entry_title": str,
            "category": str, "confidence": float, "latency_ms": float, "candidates": str,
        },
        pk="id",
        not_null={"id", "created_at", "channel", "text", "kind"},
    )
    db["inquiries"].create_index(["created_at"])  # type: ignore[union-attr]
    db["inquiries"].create_index(["kind"])  # type: ignore[union-attr]
    db["feedback"].create(  # type: ignore[union-attr]
        {"id": int, "inquiry_id": str, "created_at": str, "helpful": int, "comment": str},
        pk="id",
        not_null={"inquiry_id", "created_at", "helpful"},
        foreign_keys=[("inquiry_id", "inquiries", "id")],
    )
    db["feedback"].create_index(["inquiry_id"])  # type: ignore[union-attr]


def _v2(db: sqlite_utils.Database) -> None:
    """Web chats handed off to an operator (contact.chat.handoffs.HandoffQueue)."""
    db["handoffs"].create(  # type: ignore[union-attr]
        {
            "id": str, "session_id": str, "created_at": str, "status": str, "reason": str, "lang": str,
            "inquiry_id": str, "claimed_by": str, "claimed_at": str, "closed_at": str,
        },
        pk="id",
        not_null={"id", "session_id", "created_at", "status", "reason"},
        foreign_keys=[("inquiry_id", "inquiries", "id")],
    )
    db["handoffs"].create_index(["status", "created_at"])  # type: ignore[union-attr]
    db["handoffs"].create_index(["session_id"])  # type: ignore[union-attr]


def _v3(db: sqlite_utils.Database) -> None:
    """Operator records and 広聴 analysis; phrasing proposals; accounts, API tokens, web sessions, audit."""
    inquiries = db["inquiries"]
    for name in ("source", "resolution", "forwarded_to", "note", "operator", "voice_type", "handoff_id"):
        inquiries.add_column(name, str)  # type: ignore[union-attr]
    for columns in (["channel"], ["ward"], ["category"], ["entry_id"], ["session_id"]):
        inquiries.create_index(columns)  # type: ignore[union-attr]
    # One rating per inquiry: the latest feedback row counts (a comment sent after a thumb adds a row).
    db.execute(
        "CREATE VIEW latest_feedback AS SELECT f.inquiry_id, f.helpful, f.comment, f.created_at FROM feedback f "
        "WHERE f.id = (SELECT MAX(g.id) FROM feedback g WHERE g.inquiry_id = f.inquiry_id)"
    )
    db["phrasings"].create(  # type: ignore[union-attr]
        {
            "id": int, "entry_id": str, "text": str, "origin": str, "inquiry_id": str, "created_at": str,
            "status": str, "decided_by": str, "decided_at": str,
        },
        pk="id",
        not_null={"entry_id", "text", "origin", "created_at", "status"},
    )
    db["phrasings"].create_index(["entry_id", "text"], unique=True)  # type: ignore[union-attr]
    db["phrasings"].create_index(["status"])  # type: ignore[union-attr]
    db["users"].create(  # type: ignore[union-attr]
        {"id": int, "name": str, "role": str, "password_hash": str, "disabled": int, "created_at": str},
        pk="id",
        not_null={"name", "role", "disabled", "created_at"},
        defaults={"disabled": 0},
    )
    db["users"].create_index(["name"], unique=True)  # type: ignore[union-attr]
    db["api_tokens"].create(  # type: ignore[union-attr]
        {"id": str, "user_id": int, "salt": str, "hash": str, "label": str, "created_at": str,
         "last_used_at": str, "revoked_at": str},
        pk="id",
        not_null={"id", "user_id", "salt", "hash", "created_at"},
        foreign_keys=[("user_id", "users", "id")],
    )
    db["web_sessions"].create(  # type: ignore[union-attr]
        {"id": str, "user_id": int, "salt": str, "hash": str, "csrf": str, "created_at": str, "expires_at": str},
        pk="id",
        not_null={"id", "user_id", "salt", "hash", "csrf", "created_at", "expires_at"},
        foreign_keys=[("user_id", "users", "id")],
    )
    db["audit"].create(  # type: ignore[union-attr]
        {"id": int, "at": str, "actor": str, "role": str, "action": str, "target": str, "detail": str, "ip": str},
        pk="id",
        not_null={"at", "action"},
    )
    db["audit"].create_index(["at"])  # type: ignore[union-attr]


def _v4(db: sqlite_utils.Database) -> None:
    """Messages of handed-off chats between a citizen and an operator (text masked)."""
    db["chat_messages"].create(  # type: ignore[union-attr]
        {"id": int, "handoff_id": str, "session_id": str, "at": str, "sender": str, "operator": str, "text": str},
        pk="id",
        not_null={"session_id", "at", "sender", "text"},
    )
    db["chat_messages"].create_index(["session_id", "id"])  # type: ignore[union-attr]
    db["chat_messages"].create_index(["handoff_id"])  # type: ignore[union-attr]


def _v5(db: sqlite_utils.Database) -> None:
    """State every worker and node shares: conversations (ward, topic, offered candidates, with expiry), the
    event bus (reloads, handoff queue changes, chat messages between processes) and sign-in failure counts."""
    db["conversations"].create(  # type: ignore[union-attr]
        {"session_id": str, "ward": str, "topic": str, "offered": str, "turns": int, "updated_at": float,
         "expires_at": float},
        pk="session_id",
        not_null={"session_id", "turns", "updated_at", "expires_at"},
    )
    db["conversations"].create_index(["expires_at"])  # type: ignore[union-attr]
    db["events"].create(  # type: ignore[union-attr]
        {"id": int, "at": float, "channel": str, "origin": str, "payload": str},
        pk="id",
        not_null={"at", "channel", "payload"},
    )
    db["events"].create_index(["at"])  # type: ignore[union-attr]
    db["login_failures"].create(  # type: ignore[union-attr]
        {"key": str, "count": int, "since": float},
        pk="key",
        not_null={"key", "count", "since"},
    )


def _v6(db: sqlite_utils.Database) -> None:
    """Knowledge edits made in /editor/ (contact.store.kb_edits): entry versions and synonym-table edits."""
    db["kb_edits"].create(  # type: ignore[union-attr]
        {"id": int, "entry_id": str, "kind": str, "version": int, "action": str, "document": str, "author": str,
         "at": str},
        pk="id",
        not_null={"entry_id", "kind", "version", "action", "at"},
    )
    db["kb_edits"].create_index(["entry_id", "version"], unique=True)  # type: ignore[union-attr]
    db["synonym_edits"].create(  # type: ignore[union-attr]
        {"id": int, "section": str, "term": str, "value": str, "action": str, "author": str, "at": str},
        pk="id",
        not_null={"section", "term", "value", "action", "at"},
    )


def _v7(db: sqlite_utils.Database) -> None:
    """Limits every worker and node shares: the citizens' rate-limit buckets (used with PostgreSQL, see
    :mod:`contact.store.counters`) and the open chat sockets of every process (open-chat limits and whether
    a citizen is connected, :mod:`contact.store.chat_sockets`)."""
    db["rate_buckets"].create(  # type: ignore[union-attr]
        {"key": str, "tokens": float, "at": float, "passed": int},
        pk="key",
        not_null={"key", "tokens", "at", "passed"},
    )
    db["rate_buckets"].create_index(["at"])  # type: ignore[union-attr]
    db["chat_sockets"].create(  # type: ignore[union-attr]
        {"id": str, "process": str, "client": str, "session_id": str, "opened_at": float, "seen_at": float},
        pk="id",
        not_null={"id", "process", "client", "opened_at", "seen_at"},
    )
    db["chat_sockets"].create_index(["session_id"])  # type: ignore[union-attr]
    db["chat_sockets"].create_index(["client"])  # type: ignore[union-attr]
    db["chat_sockets"].create_index(["process"])  # type: ignore[union-attr]


MIGRATIONS: Sequence[Callable[[sqlite_utils.Database], None]] = (_v1, _v2, _v3, _v4, _v5, _v6, _v7)
"""Migration n (1-based) brings a database from version n-1 to n. Append, never edit."""


def connect(path: str, durability: str = "full") -> sqlite_utils.Database:
    """A connection to the log: a SQLite file (WAL), or PostgreSQL for a ``postgresql://`` URL. ``durability``
    is the setting (``full``, ``normal``) or ``off`` for the connection of rows that need not outlive a crash."""
    if pg.is_postgres(path):
        return pg.connect(path)  # type: ignore[return-value]  # the same calls; see contact.store.pg
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={ {'full': 'FULL', 'off': 'OFF'}.get(durability, 'NORMAL') }")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA foreign_keys=ON")
    return sqlite_utils.Database(conn)


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the schema to the latest version; return the version reached."""
    if isinstance(db, pg.PgDatabase):
        return pg.migrate(db, on_step=lambda version: log.info("db.migrated", version=version))
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    current = row[0] or 0
    for version, step in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        with db.atomic():
            step(db)
            db.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
        log.info("db.migrated", version=version)
    return len(MIGRATIONS)


def prepare_inquiry(inquiry: dict[str, Any]) -> dict[str, Any]:
    """The row to store for an inquiry: candidates as JSON, and its voice type (声の種類) from text and note
    unless one is given. Every inquiry goes through here, whatever its channel."""
    row = dict(inquiry)
    if isinstance(row.get("candidates"), (list, tuple)):
        row["candidates"] = json.dumps(row["candidates"], ensure_ascii=False)
    if not row.get("voice_type"):
        row["voice_type"] = voice.classify(row.get("text"), row.get("note"))
    return row


@dataclass
class _Job:
    table: str
    row: dict[str, Any]
    future: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop
    duplicate_ok: bool = False
    """A unique-key clash means the row is already there: success, not an error."""
    also: tuple[tuple[str, dict[str, Any]], ...] = ()
    """More (table, row) pairs committed in the same transaction (an inquiry's conversation state)."""

    def rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        yield self.table, self.row
        yield from self.also


_STOP = object()


class InquiryLog:
    """Durable, batched writes and executor reads of the inquiry log."""

    def __init__(self, path: str, durability: str = "full", max_batch: int = 256) -> None:
        self.path = path
        self.durability = durability
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._writer: sqlite_utils.Database | None = None
        self.last_error: str | None = None
        self.commits = 0
        self.rows_written = 0
        self._pool: Any = None  # PostgreSQL: a connection pool for reads
        self._local = threading.local()
        self._cached: list[sqlite_utils.Database] = []  # SQLite: the executor threads' kept connections
        self._ephemeral: concurrent.futures.ThreadPoolExecutor | None = None  # SQLite: see _write
        self._ephemeral_db: sqlite_utils.Database | None = None
        self._swept = time.monotonic()

    # -- lifecycle ------------------------------------------------------------------------------

    def open(self) -> None:
        """Open (creating or migrating) the database, check that it takes a write, start the writer thread.

        SQLite opens a file it may not write (a read-only mount, an immutable file, no permission) read-only
        without a word, and an up-to-date schema needs no write: such a log would start, report ready and
        fail the first inquiry. A write that changes nothing (:func:`touch`) finds out now; the error (a
        :data:`DATABASE_ERRORS`, see :func:`describe_error`) is the caller's to report.
        """
        self._writer = connect(self.path, self.durability)
        try:
            migrate(self._writer)
            if not pg.is_postgres(self.path):
                touch(self._writer)
        except BaseException:
            self._writer.conn.close()
            self._writer = None
            raise
        voice.backfill(self._writer)  # rows recorded before voice types were tagged
        if pg.is_postgres(self.path):
            self._pool = pg.pool(self.path)
        self._thread = threading.Thread(target=self._run, name="inquiry-log-writer", daemon=True)
        self._thread.start()

    async def close(self) -> None:
        """Commit everything queued, then stop the writer and close the file."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        await asyncio.get_running_loop().run_in_executor(None, self._thread.join)
        self._thread = None
        if self._writer is not None:
            self._writer.conn.close()
            self._writer = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._ephemeral is not None:
            self._ephemeral.shutdown(wait=True)
            self._ephemeral = None
        for db in self._cached:
            with contextlib.suppress(Exception):
                db.conn.close()
        self._cached.clear()
        self._ephemeral_db = None

    @property
    def healthy(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self.last_error is None

    # -- writing --------------------------------------------------------------------------------

    async def _submit(self, table: str, row: dict[str, Any], duplicate_ok: bool = False,
                      also: tuple[tuple[str, dict[str, Any]], ...] = ()) -> None:
        if self._thread is None:
            raise LogUnavailable("the inquiry log is not open")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put(_Job(table, row, future, loop, duplicate_ok, also))
        await future

    async def record(self, inquiry: dict[str, Any], conversation: Conversation | None = None) -> None:
        """Insert one inquiry row (and the session's new conversation state, in the same transaction); return
        once it is committed. Text must already be masked."""
        also = (("conversations", conversation.row()),) if conversation is not None else ()
        await self._submit("inquiries", prepare_inquiry(inquiry), also=also)

    async def save_conversation(self, conversation: Conversation) -> None:
        """Store a session's conversation state alone (a chat's hello that names the ward); committed."""
        await self._submit("conversations", conversation.row())

    async def conversation(self, session_id: str, ttl: float = CONVERSATION_TTL) -> Conversation:
        """The session's conversation state as the last process to answer it left it (a fresh one when
        unknown or expired). One primary-key read on a connection kept by the executor thread."""
        now = time.time()
        row = await self.read_cached(lambda db: conversations.select(db, session_id, now))
        return Conversation.from_row(session_id, row, ttl, now)

    async def publish(self, channel: str, payload: dict[str, Any], origin: str | None = None) -> None:
        """Append an event for every process of every node (:class:`contact.store.events.EventBus`);
        committed before returning. With PostgreSQL the commit also NOTIFYs the listening nodes."""
        await self._submit("events", {"at": time.time(), "channel": channel, "origin": origin,
                                      "payload": json.dumps(payload, ensure_ascii=False)})

    async def login_failures(self, keys: Sequence[str]) -> dict[str, tuple[int, float]]:
        """``key → (failed sign-ins, since when, wall-clock seconds)`` for the keys that have any."""
        return dict(await self.read(lambda db: dict(counters.failures(db, keys))))

    async def count_login_failure(self, keys: Sequence[str], window: float) -> None:
        """One more failed sign-in for each key (restarting a key's count when its window has passed);
        atomic in the database, so every worker and node counts into the same figures."""
        await self.read(lambda db: counters.count_failure(db, keys, time.time(), window))

    async def take_token(self, key: str, per_second: float, burst: float) -> float:
        """One request of ``key`` against its rate-limit bucket in the database, shared by every node
        (PostgreSQL): 0.0 when it may pass, else the seconds to wait (:func:`contact.store.counters.take_token`)."""
        return float(await self.read(lambda db: counters.take_token(db, key, per_second, burst)))

    # -- open chat sockets of every process (contact.store.chat_sockets) ---------------------------

    async def _write(self, fn: Callable[[sqlite_utils.Database], Any]) -> Any:
        """``fn(db)`` in one write transaction on a connection the executor thread keeps, for the rows that
        only matter while the processes live (open chat sockets). SQLite: that connection commits without
        waiting for the disk (``synchronous=OFF``; after a crash the rows are stale anyway, and the WAL stays
        consistent), so that opening a chat does not wait for an fsync; PostgreSQL: the read pool."""

        def run(db: sqlite_utils.Database) -> Any:
            with write_transaction(db):
                return fn(db)

        if self._pool is not None or self._thread is None:
            return await self.read(run)

        def work() -> Any:
            if self._ephemeral_db is None:
                self._ephemeral_db = connect(self.path, "off")
                self._cached.append(self._ephemeral_db)
            return run(self._ephemeral_db)

        if self._ephemeral is None:  # one thread: this process's writes never wait for each other's lock
            self._ephemeral = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="chat-sockets")
        return await asyncio.get_running_loop().run_in_executor(self._ephemeral, work)

    async def admit_chat_socket(self, socket_id: str, process: str, client: str, total_limit: int,
                                per_client_limit: int, force: bool = False) -> str | None:
        """Count an open chat socket for every process; None when admitted, else the limit that refused it."""
        now = time.time()
        refused = await self._write(lambda db: chat_sockets.admit(db, socket_id, process, client, now, total_limit,
                                                                  per_client_limit, force))
        return None if refused is None else str(refused)

    async def release_chat_socket(self, socket_id: str) -> None:
        await self._write(lambda db: chat_sockets.release(db, socket_id))

    async def bind_chat_socket(self, socket_id: str, session_id: str | None) -> None:
        now = time.time()
        await self._write(lambda db: chat_sockets.bind(db, socket_id, session_id, now))

    async def chat_sockets_heartbeat(self, process: str, stopping: bool = False) -> None:
        """Refresh this process's open sockets (or, ``stopping``, forget them)."""
        now = time.time()
        if stopping:
            await self._write(lambda db: chat_sockets.forget_process(db, process))
        else:
            await self._write(lambda db: chat_sockets.heartbeat(db, process, now))

    async def online_sessions(self, session_ids: Collection[str]) -> set[str]:
        """Those of ``session_ids`` whose citizen has a chat socket open on any process."""
        now = time.time()
        return set(await self.read_cached(lambda db: chat_sockets.online(db, session_ids, now)))

    async def open_chat_sockets(self) -> int:
        now = time.time()
        return int(await self.read_cached(lambda db: chat_sockets.count(db, now)))

    async def forget_login_failures(self, keys: Sequence[str]) -> None:
        """A successful sign-in: the name's failures no longer count."""
        await self.read(lambda db: counters.forget(db, keys))

    async def add_feedback(self, row: dict[str, Any]) -> None:
        await self._submit("feedback", row)

    async def add_audit(self, row: dict[str, Any]) -> None:
        """Append one audit row (who did what); return once it is committed."""
        await self._submit("audit", row)

    async def propose_phrasing(self, *, entry_id: str, text: str, origin: str, inquiry_id: str | None = None,
                               created_at: str | None = None) -> bool:
        """Propose ``text`` (a citizen's question, already masked) as another phrasing of ``entry_id``,
        pending an editor's decision; committed before returning. ``origin`` says who linked them:
        ``citizen`` (picked a candidate after a weak match) or ``operator`` (chose a suggestion).

        A proposal already made for the entry (any status) is left as it is. Returns False, storing
        nothing, when the text is not usable as a phrasing (empty, over 200 characters, or holding
        masked personal data).
        """
        cleaned = usable_phrasing(text)
        if cleaned is None or not entry_id:
            return False
        row = {"entry_id": entry_id, "text": cleaned, "origin": origin, "inquiry_id": inquiry_id,
               "created_at": created_at or dt.datetime.now(TOKYO).isoformat(timespec="milliseconds"),
               "status": "pending"}
        await self._submit("phrasings", row, duplicate_ok=True)
        return True

    def _run(self) -> None:
        assert self._writer is not None
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            batch: list[_Job] = [first]  # type: ignore[list-item]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            if self.last_error is not None and pg.is_postgres(self.path):
                self._reconnect()  # a lost server connection: try a new one for this batch
            assert self._writer is not None
            self._commit(self._writer, batch)
            if time.monotonic() - self._swept > SWEEP_SECONDS:
                self._sweep(self._writer)

    def _sweep(self, db: sqlite_utils.Database) -> None:
        """Forget expired conversations, old events and stale sign-in failures (once a minute, by the writer)."""
        self._swept = time.monotonic()
        now = time.time()
        try:
            with write_transaction(db):
                db.execute("DELETE FROM conversations WHERE expires_at < ?", [now])
                # the newest event stays, so that SQLite never hands out its id again to a listener that saw it
                db.execute("DELETE FROM events WHERE at < ? AND id < (SELECT MAX(id) FROM events)",
                           [now - events.KEEP_SECONDS])
                db.execute("DELETE FROM login_failures WHERE since < ?", [now - counters.KEEP_SECONDS])
                db.execute("DELETE FROM rate_buckets WHERE at < ?", [now - counters.BUCKET_KEEP_SECONDS])
        except DATABASE_ERRORS as exc:
            log.warning("db.sweep_failed", error=describe_error(exc))

    def _reconnect(self) -> None:
        try:
            fresh = connect(self.path, self.durability)
        except DATABASE_ERRORS as exc:
            log.error("db.reconnect_failed", error=f"{type(exc).__name__}: {exc}")
            return
        with contextlib.suppress(Exception):
            assert self._writer is not None
            self._writer.conn.close()
        self._writer = fresh

    def _commit(self, db: sqlite_utils.Database, batch: list[_Job]) -> None:
        error: BaseException | None = None
        try:
            with write_transaction(db):
                by_table: dict[str, list[dict[str, Any]]] = {}
                for job in batch:
                    for table, row in job.rows():
                        by_table.setdefault(table, []).append(row)
                for table, rows in by_table.items():
                    insert_rows(db, table, rows)
                if "events" in by_table and not isinstance(db.conn, sqlite3.Connection):
                    db.execute(f"SELECT pg_notify('{events.PG_CHANNEL}', '')")  # delivered at commit
            self.commits += 1
            self.rows_written += len(batch)
            self.last_error = None
        except INTEGRITY_ERRORS:
            # One bad row (e.g. feedback for an unknown inquiry) must not sink the batch: retry one by one.
            for job in batch:
                try:
                    with write_transaction(db):
                        for table, row in job.rows():
                            insert_row(db, table, row)
                    self.rows_written += 1
                    _resolve(job, None)
                except Exception as exc:
                    if job.duplicate_ok and isinstance(exc, INTEGRITY_ERRORS):
                        _resolve(job, None)  # already stored
                        continue
                    _resolve(job, LogUnavailable(str(exc)) if not isinstance(exc, INTEGRITY_ERRORS)
                             else exc)
            return
        except Exception as exc:
            self.last_error = describe_error(exc)
            log.error("db.commit_failed", error=self.last_error, rows=len(batch))
            error = LogUnavailable(self.last_error)
        _resolve_all(batch, error)

    # -- reading --------------------------------------------------------------------------------

    async def read(self, fn: Callable[[sqlite_utils.Database], Any]) -> Any:
        """Run ``fn(db)`` on a fresh connection in the executor.

        Mostly reads; small autocommitted writes that are not inquiries (accounts, sessions, handoff
        status) also run here, off the writer thread's queue.
        """

        def work() -> Any:
            if self._pool is not None:
                with self._pool.connection() as conn:
                    return fn(pg.PgDatabase(conn))  # type: ignore[arg-type]
            db = connect(self.path, self.durability)
            try:
                return fn(db)
            finally:
                db.conn.close()

        return await asyncio.get_running_loop().run_in_executor(None, work)

    async def read_cached(self, fn: Callable[[sqlite_utils.Database], Any]) -> Any:
        """Like :meth:`read`, on a connection the executor thread keeps (SQLite; PostgreSQL: the pool): for
        the small reads on every ask, which a new connection (its pragmas, WAL index) would outweigh."""
        if self._pool is not None or self._thread is None:
            return await self.read(fn)

        def work() -> Any:
            db = getattr(self._local, "db", None)
            if db is None:
                db = self._local.db = connect(self.path, self.durability)
                self._cached.append(db)
            return fn(db)

        return await asyncio.get_running_loop().run_in_executor(None, work)

    async def probe(self) -> bool:
        """Try one small write now; True (and healthy again) when it commits.

        ``/readyz`` calls this while the log is unhealthy, so that readiness returns once the disk has
        space or the file is writable again, without waiting for a citizen's inquiry to succeed first
        (a load balancer sends none while the service is not ready). SQLite: rewrites the header's
        ``user_version`` with its own value, a one-page transaction that changes nothing.
        """
        if self._thread is None or not self._thread.is_alive():
            return False
        if pg.is_postgres(self.path):
            return self.healthy

        try:
            await self.read(touch)
        except DATABASE_ERRORS as exc:
            self.last_error = describe_error(exc)
            return False
        self.last_error = None
        return True

    async def count(self, table: str = "inquiries") -> int:
        return int(await self.read(lambda db: db[table].count))

    async def exists(self, inquiry_id: str) -> bool:
        def check(db: sqlite_utils.Database) -> bool:
            return db.execute("SELECT 1 FROM inquiries WHERE id = ?", [inquiry_id]).fetchone() is not None

        return bool(await self.read(check))

    # -- handoffs (web chats waiting for an operator) -------------------------------------------

    _HANDOFF_FIELDS = frozenset({"status", "claimed_by", "claimed_at", "closed_at"})

    async def add_handoff(self, row: dict[str, Any]) -> None:
        """Insert one handoff row; return once it is committed."""
        await self._submit("handoffs", dict(row))

    async def update_handoff(self, handoff_id: str, changes: dict[str, Any], *,
                             only_if_status: str | None = None) -> bool:
        """Change a handoff's status fields, committed on its own connection; False when no row matched.

        With ``only_if_status`` the row changes only while it still has that status: a compare-and-set
        that lets exactly one of two concurrent claims win.
        """
        unknown = set(changes) - self._HANDOFF_FIELDS
        if unknown or not changes:
            raise ValueError(f"cannot update handoff fields {sorted(unknown) or '(none)'}")
        sql = "UPDATE handoffs SET " + ", ".join(f"{name} = ?" for name in changes) + " WHERE id = ?"
        params = [*changes.values(), handoff_id]
        if only_if_status is not None:
            sql += " AND status = ?"
            params.append(only_if_status)

        def update(db: sqlite_utils.Database) -> int:
            try:
                return int(db.execute(sql, params).rowcount)
            except DATABASE_ERRORS as exc:
                raise LogUnavailable(f"{type(exc).__name__}: {exc}") from exc

        return bool(await self.read(update))

    async def handoffs(self, status: str | None = None) -> list[dict[str, Any]]:
        """Handoff rows, oldest first, optionally of one status."""

        def select(db: sqlite_utils.Database) -> list[dict[str, Any]]:
            where, params = ("WHERE status = ?", [status]) if status else ("", [])
            cursor = db.execute(f"SELECT * FROM handoffs {where} ORDER BY created_at, rowid", params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        return list(await self.read(select))


_INSERTS: dict[tuple[str, tuple[str, ...], int], str] = {}
_MAX_VARIABLES = 999
"""Bound values per statement: SQLite's historical limit (newer builds allow more; this is always safe)."""


def touch(db: sqlite_utils.Database) -> None:
    """A write that changes nothing: rewrite the header's ``user_version`` with its own value and commit,
    then copy it into the file itself (a WAL checkpoint), so that a file that cannot be written fails here."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(f"PRAGMA user_version = {version}")
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    db.execute("PRAGMA wal_checkpoint(PASSIVE)")


def insert_row(db: sqlite_utils.Database, table: str, row: dict[str, Any]) -> None:
    """Insert one row in the writer's open transaction (see :func:`insert_rows`)."""
    insert_rows(db, table, [row])


def insert_rows(db: sqlite_utils.Database, table: str, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows in the writer's open transaction, rows with the same columns in one statement.

    SQLite: one cached multi-row ``INSERT … VALUES (…), (…)`` per table, set of columns and row count,
    values converted as sqlite_utils does (lists and dicts to JSON, dates to ISO text). sqlite_utils'
    ``insert`` reads the schema on every call (about 95 µs a row against 13 µs). And each statement
    releases the GIL while SQLite runs and must win it back from the event loop, which holds it while
    requests keep coming: one statement for a batch instead of one per row keeps the writer from
    queueing for the GIL row after row. Other stores (PostgreSQL): their own ``insert``.
    """
    key = UPSERT_KEYS.get(table)
    if key is not None:  # one row per key: the last state wins (and PostgreSQL refuses a key twice)
        rows = list({row[key]: row for row in rows}.values())
    store: Any = db  # a PgDatabase (contact.store.pg) behaves as a sqlite_utils.Database
    if not isinstance(store.conn, sqlite3.Connection):
        for row in rows:
            store[table].insert(row, upsert=key)
        return
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    for columns, same in groups.items():
        per_statement = max(1, _MAX_VARIABLES // len(columns))
        for start in range(0, len(same), per_statement):
            chunk = same[start:start + per_statement]
            db.conn.execute(_insert_sql(table, columns, len(chunk), key),
                            [jsonify_if_needed(v) for row in chunk for v in row.values()])


UPSERT_KEYS: dict[str, str] = {"conversations": "session_id"}
"""Tables whose rows replace the row with the same key (``INSERT … ON CONFLICT … DO UPDATE``)."""


def _insert_sql(table: str, columns: tuple[str, ...], count: int, upsert: str | None = None) -> str:
    sql = _INSERTS.get((table, columns, count))
    if sql is None:
        if len(_INSERTS) > 1024:
            _INSERTS.clear()
        names = ", ".join(f"[{c}]" for c in columns)
        values = ", ".join([f"({', '.join('?' * len(columns))})"] * count)
        sql = f"INSERT INTO [{table}] ({names}) VALUES {values}"
        if upsert is not None:
            sql += (f" ON CONFLICT ([{upsert}]) DO UPDATE SET "
                    + ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c != upsert))
        _INSERTS[(table, columns, count)] = sql
    return sql


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """One write transaction of the writer. SQLite: ``BEGIN IMMEDIATE`` takes the write lock first, so
    that when several processes write the file (``contact serve --workers N``) a commit waits for the
    others (:func:`_begin_immediate`) instead of failing with SQLITE_BUSY because another process
    committed after this transaction's first read (a deferred transaction cannot then become a writer)."""
    conn = db.conn
    if not isinstance(conn, sqlite3.Connection) or conn.in_transaction:
        with db.atomic():
            yield
        return
    _begin_immediate(conn)
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


SWEEP_SECONDS = 60.0
"""How often the writer deletes expired conversations, old events and stale sign-in failures."""

LOCK_POLL_SECONDS = 0.0005
LOCK_WAIT_SECONDS = 5.0


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting up to LOCK_WAIT_SECONDS for another process's write to end.

    Polled every half millisecond rather than with SQLite's busy handler, whose sleeps grow to 100 ms:
    other workers hold the lock only for one group commit (about a millisecond and an fsync)."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    busy_timeout = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise
            time.sleep(LOCK_POLL_SECONDS)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {busy_timeout}")


def _resolve(job: _Job, error: BaseException | None) -> None:
    _resolve_all([job], error)


def _resolve_all(jobs: Sequence[_Job], error: BaseException | None) -> None:
    """Settle the futures of a committed (or failed) batch: one wake-up of each waiting event loop for the
    whole batch, not one per row (each wake-up is a write to the loop's self-pipe)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for job in jobs:
        by_loop.setdefault(job.loop, []).append(job.future)

    def settle(futures: list[asyncio.Future[None]]) -> None:
        for future in futures:
            if future.done():
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)

    for loop, futures in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(settle, futures)
