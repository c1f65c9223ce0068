"""The queue of web chats waiting for an operator, mirrored durably in the store's ``handoffs`` table.

A citizen asks for a human in the chat (:mod:`contact.web.chat`); inside the contact center's hours
the chat joins :class:`HandoffQueue`; an operator claims it at the desk (:mod:`contact.chat.desk`).
Claims are atomic, so two operators never get the same chat; listeners (the chat hub) hear of every
change to tell the citizen.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import structlog

from contact.config import Clock
from contact.store.inquiry_log import InquiryLog, LogUnavailable

log = structlog.get_logger(__name__)

_STATUSES = ("waiting", "claimed", "closed", "cancelled", "expired")

HANDOFF_REASONS = ("request", "fallback")
"""Why a citizen asked for a human: asked for one (typed or the button), or after a fallback answer."""


@dataclass
class Handoff:
    """A chat waiting for (or taken by) an operator: one row of the ``handoffs`` table."""

    id: str
    session_id: str
    created_at: str
    reason: str
    lang: str = "ja"
    inquiry_id: str | None = None
    status: str = "waiting"
    """waiting → claimed → closed; or waiting → cancelled / expired."""
    claimed_by: str | None = None
    claimed_at: str | None = None
    closed_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class HandoffQueue:
    """Chats waiting for an operator, oldest first, mirrored durably in the ``handoffs`` table.

    Operators claim from it: :meth:`claim` is atomic (the check-and-set happens without an ``await``
    in between, and the row is updated only while its status is still ``waiting``), so two operators
    never get the same chat. Listeners (the chat hub) hear of every change to tell the citizen.

    >>> queue = HandoffQueue(None, Clock())  # no store: memory only
    >>> ticket = asyncio.run(queue.enqueue("session-1", "request"))
    >>> queue.position(ticket.id)
    1
    >>> [asyncio.run(queue.claim(ticket.id, op)) for op in ("op-1", "op-2")]
    [True, False]
    """

    def __init__(self, store: InquiryLog | None, clock: Clock, max_age: dt.timedelta = dt.timedelta(hours=2)) -> None:
        self.store = store
        self.clock = clock
        self.max_age = max_age
        self._waiting: OrderedDict[str, Handoff] = OrderedDict()
        self._by_id: dict[str, Handoff] = {}
        self.listeners: list[Callable[[Handoff], None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.publish: Callable[[Handoff], Awaitable[None]] | None = None
        """Tells the other processes of a change made here (the store's event bus; see :meth:`apply`)."""

    def _now(self) -> str:
        return self.clock.now().isoformat(timespec="seconds")

    async def load(self) -> int:
        """Restore the waiting chats from the table after a restart; expire those older than ``max_age``.

        Chats an operator had claimed are restored too (the operator goes on with them after a restart).
        """
        if self.store is None:
            return 0
        for row in await self.store.handoffs(status="claimed"):
            known: dict[str, Any] = {k: row.get(k) for k in Handoff.__dataclass_fields__}
            claimed = Handoff(**known)
            self._by_id[claimed.id] = claimed
        rows = await self.store.handoffs(status="waiting")
        cutoff = self.clock.now() - self.max_age
        for row in rows:
            fields: dict[str, Any] = {k: row.get(k) for k in Handoff.__dataclass_fields__}
            item = Handoff(**fields)
            if dt.datetime.fromisoformat(item.created_at) < cutoff:
                await self.store.update_handoff(item.id, {"status": "expired", "closed_at": self._now()},
                                                only_if_status="waiting")
                continue
            self._waiting[item.id] = item
            self._by_id[item.id] = item
        return len(self._waiting)

    def list(self) -> Sequence[Handoff]:
        """The waiting chats, oldest first."""
        return tuple(self._waiting.values())

    def claimed(self) -> Sequence[Handoff]:
        """The chats operators have taken and not closed yet, oldest first."""
        return tuple(sorted((h for h in self._by_id.values() if h.status == "claimed"), key=lambda h: h.created_at))

    def get(self, handoff_id: str) -> Handoff | None:
        return self._by_id.get(handoff_id)

    def for_session(self, session_id: str) -> Handoff | None:
        """The session's open handoff (waiting or claimed), if any."""
        for item in reversed(self._by_id.values()):
            if item.session_id == session_id and item.status in ("waiting", "claimed"):
                return item
        return None

    def position(self, handoff_id: str) -> int | None:
        """1 for the next chat an operator will take; None when not waiting."""
        for n, key in enumerate(self._waiting, start=1):
            if key == handoff_id:
                return n
        return None

    def __len__(self) -> int:
        return len(self._waiting)

    async def enqueue(self, session_id: str, reason: str, *, lang: str = "ja",
                      inquiry_id: str | None = None) -> Handoff:
        """Put a chat in the queue (durably) and return its ticket; a session already queued keeps its place."""
        existing = self.for_session(session_id)
        if existing is not None:
            return existing
        item = Handoff(id=uuid.uuid4().hex, session_id=session_id, created_at=self._now(), reason=reason,
                       lang=lang, inquiry_id=inquiry_id)
        if self.store is not None:
            await self.store.add_handoff(item.to_json())
        existing = self.for_session(session_id)  # a concurrent enqueue of the same session won the race
        if existing is not None:
            if self.store is not None:
                await self.store.update_handoff(item.id, {"status": "cancelled", "closed_at": self._now()})
            return existing
        self._waiting[item.id] = item
        self._by_id[item.id] = item
        log.info("handoff.queued", handoff_id=item.id, position=len(self._waiting), reason=reason)
        self._notify(item)
        return item

    async def claim(self, handoff_id: str, operator: str) -> bool:
        """Give a waiting chat to ``operator``; False when it is gone or another operator has it."""
        item = self._waiting.pop(handoff_id, None)
        if item is None:
            return False
        # From here no other claim can see the item: the check and the removal happened without an await.
        claimed_at = self._now()
        item.status, item.claimed_by, item.claimed_at = "claimed", operator, claimed_at
        if self.store is not None:
            try:
                won = await self.store.update_handoff(
                    handoff_id, {"status": "claimed", "claimed_by": operator, "claimed_at": claimed_at},
                    only_if_status="waiting")
            except LogUnavailable:
                won = False
            if not won:  # the store said no (another node, or the disk): put it back where it was
                item.status, item.claimed_by, item.claimed_at = "waiting", None, None
                self._waiting[handoff_id] = item
                self._waiting = OrderedDict(sorted(self._waiting.items(), key=lambda kv: kv[1].created_at))
                return False
        log.info("handoff.claimed", handoff_id=handoff_id, operator=operator)
        self._notify(item)
        return True

    async def claim_next(self, operator: str) -> Handoff | None:
        """Claim the oldest waiting chat, if any."""
        while self._waiting:
            handoff_id = next(iter(self._waiting))
            if await self.claim(handoff_id, operator):
                return self._by_id[handoff_id]
        return None

    async def cancel(self, handoff_id: str) -> bool:
        """The citizen no longer waits; False when the chat was not waiting."""
        return await self._finish(handoff_id, "cancelled", from_status="waiting")

    async def close(self, handoff_id: str) -> bool:
        """The operator has finished the chat."""
        return await self._finish(handoff_id, "closed", from_status="claimed")

    async def _finish(self, handoff_id: str, status: str, from_status: str) -> bool:
        item = self._by_id.get(handoff_id)
        if item is None or item.status != from_status:
            return False
        self._waiting.pop(handoff_id, None)
        item.status, item.closed_at = status, self._now()
        if self.store is not None:
            await self.store.update_handoff(handoff_id, {"status": status, "closed_at": item.closed_at})
        self._by_id.pop(handoff_id, None)
        log.info(f"handoff.{status}", handoff_id=handoff_id)
        self._notify(item)
        return True

    def apply(self, row: dict[str, Any]) -> Handoff | None:
        """A change another worker or node made (heard on the event bus): this queue takes the row's state,
        and its listeners hear of it as of a change made here (to tell this process's sockets)."""
        fields: dict[str, Any] = {k: row.get(k) for k in Handoff.__dataclass_fields__}
        if not isinstance(fields.get("id"), str) or fields.get("status") not in _STATUSES:
            return None
        incoming = Handoff(**fields)
        item = self._by_id.get(incoming.id)
        if item is None:
            if incoming.status not in ("waiting", "claimed"):
                return None  # never known here, already over
            item = self._by_id[incoming.id] = incoming
        else:
            item.status, item.claimed_by = incoming.status, incoming.claimed_by
            item.claimed_at, item.closed_at = incoming.claimed_at, incoming.closed_at
        if item.status == "waiting":
            self._waiting[item.id] = item
            self._waiting = OrderedDict(sorted(self._waiting.items(), key=lambda kv: kv[1].created_at))
        else:
            self._waiting.pop(item.id, None)
        if item.status not in ("waiting", "claimed"):
            self._by_id.pop(item.id, None)
        self._notify(item, local=False)
        return item

    def _notify(self, item: Handoff, local: bool = True) -> None:
        if local and self.publish is not None:
            task = asyncio.get_running_loop().create_task(self.publish(item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        for listener in self.listeners:
            try:
                listener(item)
            except Exception:
                log.exception("handoff.listener_failed")
