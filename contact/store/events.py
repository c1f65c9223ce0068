"""The event bus between the processes of one service: every worker of every node hears every event.

Events are rows of the ``events`` table, appended through the writer's group commit
(:meth:`contact.store.inquiry_log.InquiryLog.publish`): a knowledge reload, a change in the handoff
queue, a chat message for a socket another process holds. :class:`EventBus` is each process's listener:

* SQLite (one node, ``--workers N``): a thread reads the rows after the last one it has seen, every
  :data:`POLL_SECONDS` (one indexed range read on its own connection);
* PostgreSQL (several nodes): the writer's commit also runs ``pg_notify`` (:data:`PG_CHANNEL`) and the
  thread waits on ``LISTEN``, reading the new rows as soon as one arrives (and every second anyway).
  Ids of concurrent transactions may commit out of order, so it rereads :data:`PG_LOOKBACK_SECONDS` of
  events and skips those it has delivered.

Nothing is lost when the listener's connection drops: it reconnects and reads from where it was.
Events older than :data:`KEEP_SECONDS` are deleted by the writer (what must last — chat messages,
handoffs — has its own table; an event only says "look again"). Subscribers run on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog

from contact.store import pg

log = structlog.get_logger(__name__)

PG_CHANNEL = "contact_events"
POLL_SECONDS = 0.1
PG_LOOKBACK_SECONDS = 5.0
KEEP_SECONDS = 600.0

PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
"""This process, as the ``origin`` of the events it publishes (set again in each forked worker)."""

Subscriber = Callable[[dict[str, Any], str | None], None]
"""Called on the event loop with an event's payload and its origin (a :data:`PROCESS_ID`)."""


def new_process_id() -> str:
    """A fresh :data:`PROCESS_ID` (a forked worker must not share its parent's)."""
    global PROCESS_ID
    PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return PROCESS_ID


class EventBus:
    """This process's listener on the ``events`` table (see the module docstring)."""

    def __init__(self, target: str, connect: Callable[[], Any], poll: float = POLL_SECONDS) -> None:
        self.target = target
        self._connect = connect
        self.poll = poll
        self.subscribers: dict[str, list[Subscriber]] = {}
        self.delivered = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_id = 0
        self._seen: dict[int, float] = {}

    def subscribe(self, channel: str, subscriber: Subscriber) -> None:
        self.subscribers.setdefault(channel, []).append(subscriber)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start listening: events committed from now on are delivered (earlier ones are not)."""
        self._loop = loop
        db = self._connect()
        try:
            fetched = db.execute("SELECT MAX(id) FROM events").fetchone()
            self._last_id = int(fetched[0] or 0) if fetched else 0
        finally:
            db.conn.close()
        self._thread = threading.Thread(target=self._run, name="event-bus", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- the listener thread ----------------------------------------------------------------------

    def _run(self) -> None:
        postgres = pg.is_postgres(self.target)
        while not self._stop.is_set():
            try:
                if postgres:
                    self._listen_pg()
                else:
                    self._poll_sqlite()
            except Exception as exc:  # a lost connection: read on from the last event after a pause
                log.warning("events.listener_failed", error=f"{type(exc).__name__}: {exc}")
                self._stop.wait(1.0)

    def _poll_sqlite(self) -> None:
        db = self._connect()
        try:
            while not self._stop.is_set():
                rows = db.execute("SELECT id, channel, origin, payload FROM events WHERE id > ? ORDER BY id LIMIT 1000",
                                  [self._last_id]).fetchall()
                if rows:
                    self._last_id = int(rows[-1][0])
                    self._hand_over(rows)
                if len(rows) < 1000:
                    self._stop.wait(self.poll)
        finally:
            with contextlib.suppress(sqlite3.Error):
                db.conn.close()

    def _listen_pg(self) -> None:
        db = pg.connect(self.target)
        conn = db.conn
        try:
            conn.execute(f"LISTEN {PG_CHANNEL}")
            while not self._stop.is_set():
                since = time.time() - PG_LOOKBACK_SECONDS
                rows = db.execute("SELECT id, channel, origin, payload FROM events WHERE id > ? OR at > ? "
                                  "ORDER BY id LIMIT 5000", [self._last_id, since]).fetchall()
                fresh = [r for r in rows if int(r[0]) not in self._seen]
                now = time.time()
                for r in fresh:
                    self._seen[int(r[0])] = now
                if fresh:
                    self._last_id = max(self._last_id, *(int(r[0]) for r in fresh))
                    self._hand_over(fresh)
                for key in [k for k, at in self._seen.items() if at < now - 2 * PG_LOOKBACK_SECONDS]:
                    del self._seen[key]
                for _ in conn.notifies(timeout=1.0, stop_after=1):
                    pass  # woken by a commit (or a second passed): read again
        finally:
            with contextlib.suppress(Exception):
                conn.close()

    def _hand_over(self, rows: list[Any]) -> None:
        events = []
        for _id, channel, origin, payload in rows:
            try:
                events.append((str(channel), json.loads(payload), origin))
            except ValueError:
                log.warning("events.unreadable", id=_id)
        loop = self._loop
        if loop is not None and events:
            with contextlib.suppress(RuntimeError):  # the loop has closed: the process is stopping
                loop.call_soon_threadsafe(self._deliver, events)

    def _deliver(self, events: list[tuple[str, dict[str, Any], str | None]]) -> None:
        for channel, payload, origin in events:
            for subscriber in self.subscribers.get(channel, ()):
                try:
                    subscriber(payload, origin)
                except Exception:
                    log.exception("events.subscriber_failed", channel=channel)
            self.delivered += 1
