"""PostgreSQL behind the inquiry log's interface, for deployments with several service nodes.

``contact serve --db postgresql://user@host/dbname`` selects it (psycopg 3; install the
``postgres`` extra). Every node writes to and reads from the one database: the writer thread's group
commit, reads in the executor and the handoff queue's compare-and-set claim work unchanged, so two
operators on two nodes still cannot claim the same chat.

:class:`PgDatabase` offers the small part of sqlite-utils' ``Database`` that the service uses —
``execute``, ``query``, ``db[table].insert``/``.count``/``.last_pk``, ``atomic()``,
``table_names()`` and ``conn.close()`` — and turns SQLite's ``?`` parameters into psycopg's ``%s``.
SQL run through it must therefore stay portable (ISO-8601 text timestamps compared as strings,
``substr``, ``COUNT``, ``COALESCE``; no ``strftime`` or ``INSERT OR IGNORE``).

The schema is the same as SQLite's, written as PostgreSQL DDL in :data:`MIGRATIONS` (one step per
SQLite migration: tests compare the two schemas column by column).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

try:
    import psycopg
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool
except ImportError:  # pragma: no cover - the "postgres" extra is not installed
    psycopg = None  # type: ignore[assignment]

URL_PREFIXES = ("postgresql://", "postgres://")


def is_postgres(target: str) -> bool:
    return target.startswith(URL_PREFIXES)


def to_pyformat(sql: str) -> str:
    """SQLite's ``?`` placeholders as psycopg's ``%s`` (``%`` escaped; quoted text left alone)."""
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if ch == "%":
            out.append("%%")
        elif quote:
            out.append(ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        else:
            out.append(ch)
    return "".join(out)


class PgTable:
    """``db[name]``: insert a row, count rows."""

    def __init__(self, db: PgDatabase, name: str) -> None:
        self.db = db
        self.name = name
        self.last_pk: Any = None

    def insert(self, row: dict[str, Any], upsert: str | None = None) -> PgTable:
        """Insert ``row``; with ``upsert`` (a key column) replace the row with the same key instead."""
        columns = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("%s" for _ in row)
        returning = " RETURNING id" if self.db.has_column(self.name, "id") else ""
        conflict = ""
        if upsert is not None:
            conflict = (f' ON CONFLICT ("{upsert}") DO UPDATE SET '
                        + ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in row if c != upsert))
        with self.db.conn.cursor() as cur:
            cur.execute(f'INSERT INTO "{self.name}" ({columns}) VALUES ({marks}){conflict}{returning}',
                        list(row.values()))
            if returning:
                fetched = cur.fetchone()
                self.last_pk = fetched[0] if fetched else None
        return self

    @property
    def count(self) -> int:
        with self.db.conn.cursor() as cur:
            cur.execute(f'SELECT COUNT(*) FROM "{self.name}"')
            fetched = cur.fetchone()
            return int(fetched[0]) if fetched else 0


class PgDatabase:
    """A psycopg connection (autocommit) with the sqlite-utils calls the service makes."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self._columns: dict[str, set[str]] = {}

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> psycopg.Cursor[Any]:
        cur = self.conn.cursor()
        cur.execute(to_pyformat(sql), list(params or ()))
        return cur

    def query(self, sql: str, params: Sequence[Any] | None = None) -> Iterator[dict[str, Any]]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(to_pyformat(sql), list(params or ()))
            yield from cur.fetchall()

    def __getitem__(self, name: str) -> PgTable:
        return PgTable(self, name)

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    def table_names(self) -> list[str]:
        rows = self.query("SELECT table_name FROM information_schema.tables "
                          "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1")
        return [r["table_name"] for r in rows]

    def columns(self, table: str) -> set[str]:
        if table not in self._columns:
            rows = self.query("SELECT column_name FROM information_schema.columns "
                              "WHERE table_schema = current_schema() AND table_name = ?", [table])
            self._columns[table] = {r["column_name"] for r in rows}
        return self._columns[table]

    def has_column(self, table: str, column: str) -> bool:
        return column in self.columns(table)


class NotInstalled(RuntimeError):
    """A postgresql:// URL was given but psycopg is not installed."""


def _require() -> None:
    if psycopg is None:
        raise NotInstalled("PostgreSQL needs the 'postgres' extra: pip install 'contact-kawasaki[postgres]' "
                           "(or -e '.[postgres]')")


def errors() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """(integrity errors, all database errors) of psycopg; empty when it is not installed."""
    return ((psycopg.IntegrityError,), (psycopg.Error,)) if psycopg is not None else ((), ())


def connect(url: str) -> PgDatabase:
    _require()
    return PgDatabase(psycopg.connect(url, autocommit=True, connect_timeout=10))


def pool(url: str, size: int = 8) -> ConnectionPool:
    """Connections for reads in the executor (opening one per read would cost milliseconds)."""
    _require()
    return ConnectionPool(url, min_size=1, max_size=size, kwargs={"autocommit": True, "connect_timeout": 10},
                          open=True, name="contact-reads")


_V1 = """
CREATE TABLE inquiries (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL, channel TEXT NOT NULL, session_id TEXT, lang TEXT,
    text TEXT NOT NULL, ward TEXT, kind TEXT NOT NULL, entry_id TEXT, entry_title TEXT, category TEXT,
    confidence DOUBLE PRECISION, latency_ms DOUBLE PRECISION, candidates TEXT);
CREATE INDEX idx_inquiries_created_at ON inquiries (created_at);
CREATE INDEX idx_inquiries_kind ON inquiries (kind);
CREATE TABLE feedback (
    id BIGSERIAL PRIMARY KEY, inquiry_id TEXT NOT NULL REFERENCES inquiries (id), created_at TEXT NOT NULL,
    helpful BIGINT NOT NULL, comment TEXT);
CREATE INDEX idx_feedback_inquiry_id ON feedback (inquiry_id);
"""

_V2 = """
CREATE TABLE handoffs (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL, created_at TEXT NOT NULL, status TEXT NOT NULL,
    reason TEXT NOT NULL, lang TEXT, inquiry_id TEXT REFERENCES inquiries (id), claimed_by TEXT,
    claimed_at TEXT, closed_at TEXT,
    rowid BIGSERIAL);  -- SQLite's implicit insertion order, which the queue sorts by
CREATE INDEX idx_handoffs_status_created_at ON handoffs (status, created_at);
CREATE INDEX idx_handoffs_session_id ON handoffs (session_id);
"""

_V3 = """
ALTER TABLE inquiries ADD COLUMN source TEXT, ADD COLUMN resolution TEXT, ADD COLUMN forwarded_to TEXT,
    ADD COLUMN note TEXT, ADD COLUMN operator TEXT, ADD COLUMN voice_type TEXT, ADD COLUMN handoff_id TEXT;
CREATE INDEX idx_inquiries_channel ON inquiries (channel);
CREATE INDEX idx_inquiries_ward ON inquiries (ward);
CREATE INDEX idx_inquiries_category ON inquiries (category);
CREATE INDEX idx_inquiries_entry_id ON inquiries (entry_id);
CREATE INDEX idx_inquiries_session_id ON inquiries (session_id);
CREATE VIEW latest_feedback AS SELECT f.inquiry_id, f.helpful, f.comment, f.created_at FROM feedback f
    WHERE f.id = (SELECT MAX(g.id) FROM feedback g WHERE g.inquiry_id = f.inquiry_id);
CREATE TABLE phrasings (
    id BIGSERIAL PRIMARY KEY, entry_id TEXT NOT NULL, text TEXT NOT NULL, origin TEXT NOT NULL, inquiry_id TEXT,
    created_at TEXT NOT NULL, status TEXT NOT NULL, decided_by TEXT, decided_at TEXT);
CREATE UNIQUE INDEX idx_phrasings_entry_id_text ON phrasings (entry_id, text);
CREATE INDEX idx_phrasings_status ON phrasings (status);
CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT,
    disabled BIGINT NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
CREATE UNIQUE INDEX idx_users_name ON users (name);
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users (id), salt TEXT NOT NULL, hash TEXT NOT NULL,
    label TEXT, created_at TEXT NOT NULL, last_used_at TEXT, revoked_at TEXT);
CREATE TABLE web_sessions (
    id TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users (id), salt TEXT NOT NULL, hash TEXT NOT NULL,
    csrf TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, actor TEXT, role TEXT, action TEXT NOT NULL, target TEXT,
    detail TEXT, ip TEXT);
CREATE INDEX idx_audit_at ON audit (at);
"""

_V4 = """
CREATE TABLE chat_messages (
    id BIGSERIAL PRIMARY KEY, handoff_id TEXT, session_id TEXT NOT NULL, at TEXT NOT NULL, sender TEXT NOT NULL,
    operator TEXT, text TEXT NOT NULL);
CREATE INDEX idx_chat_messages_session_id_id ON chat_messages (session_id, id);
CREATE INDEX idx_chat_messages_handoff_id ON chat_messages (handoff_id);
"""

_V5 = """
CREATE TABLE conversations (
    session_id TEXT PRIMARY KEY, ward TEXT, topic TEXT, offered TEXT, turns BIGINT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL);
CREATE INDEX idx_conversations_expires_at ON conversations (expires_at);
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY, at DOUBLE PRECISION NOT NULL, channel TEXT NOT NULL, origin TEXT, payload TEXT NOT NULL);
CREATE INDEX idx_events_at ON events (at);
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY, count BIGINT NOT NULL, since DOUBLE PRECISION NOT NULL);
"""

_V6 = """
CREATE TABLE kb_edits (
    id BIGSERIAL PRIMARY KEY, entry_id TEXT NOT NULL, kind TEXT NOT NULL, version BIGINT NOT NULL,
    action TEXT NOT NULL, document TEXT, author TEXT, at TEXT NOT NULL);
CREATE UNIQUE INDEX idx_kb_edits_entry_id_version ON kb_edits (entry_id, version);
CREATE TABLE synonym_edits (
    id BIGSERIAL PRIMARY KEY, section TEXT NOT NULL, term TEXT NOT NULL, value TEXT NOT NULL, action TEXT NOT NULL,
    author TEXT, at TEXT NOT NULL);
"""

_V7 = """
ALTER TABLE inquiries ADD COLUMN rowid BIGSERIAL;  -- SQLite's insertion order: the console's previews and
                                                   -- histories sort a session's questions by it
CREATE TABLE rate_buckets (
    key TEXT PRIMARY KEY, tokens DOUBLE PRECISION NOT NULL, at DOUBLE PRECISION NOT NULL, passed BIGINT NOT NULL);
CREATE INDEX idx_rate_buckets_at ON rate_buckets (at);
CREATE TABLE chat_sockets (
    id TEXT PRIMARY KEY, process TEXT NOT NULL, client TEXT NOT NULL, session_id TEXT,
    opened_at DOUBLE PRECISION NOT NULL, seen_at DOUBLE PRECISION NOT NULL);
CREATE INDEX idx_chat_sockets_session_id ON chat_sockets (session_id);
CREATE INDEX idx_chat_sockets_client ON chat_sockets (client);
CREATE INDEX idx_chat_sockets_process ON chat_sockets (process);
"""

MIGRATIONS: Sequence[str] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7)
"""Step n brings a database from version n-1 to n, as :data:`contact.store.inquiry_log.MIGRATIONS` does."""

_LOCK_KEY = 7_302_014  # pg_advisory_xact_lock: one node migrates at a time


def migrate(db: PgDatabase, on_step: Callable[[int], None] = lambda version: None) -> int:
    """Bring the schema to the latest version (safe when several nodes start at once)."""
    with db.atomic():
        db.execute("SELECT pg_advisory_xact_lock(?)", [_LOCK_KEY])
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        fetched = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = (fetched[0] if fetched else None) or 0
        for version, ddl in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            db.conn.execute(ddl)
            db.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
            on_step(version)
    db._columns.clear()
    return len(MIGRATIONS)
