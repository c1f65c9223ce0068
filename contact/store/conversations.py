"""What a conversation remembers between questions — the ward, the topic (entry id of the last answer) and
the candidates offered after an unclear question — stored in the ``conversations`` table so that any
worker of any node continues any conversation.

The state is read with the ask (one primary-key read) and written in the same transaction as the
inquiry it follows (:meth:`contact.store.inquiry_log.InquiryLog.record`), so the group commit that makes
the inquiry durable makes the state durable too, at no extra commit. A conversation untouched for
:data:`CONVERSATION_TTL` seconds is forgotten (expired rows are ignored, and deleted by the writer).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

CONVERSATION_TTL = 3 * 3600.0
"""Seconds a conversation is remembered after its last question."""

Offered = tuple[str, str, tuple[str, ...]]
"""(inquiry id, masked text, candidate entry ids) of the last unclear question."""


@dataclass
class Conversation:
    """A session's state: ``ward``, ``topic``, ``offered`` and the number of ``turns`` so far."""

    session_id: str
    ward: str | None = None
    topic: str | None = None
    turns: int = 0
    offered: Offered | None = None
    """The candidates the citizen may pick next (``pick_of``): the pick is proposed as a phrasing."""
    ttl: float = CONVERSATION_TTL

    @classmethod
    def from_row(cls, session_id: str, row: dict[str, Any] | None, ttl: float = CONVERSATION_TTL,
                 now: float | None = None) -> Conversation:
        """The state in ``row`` (a fresh one for None or an expired row)."""
        if row is None or float(row["expires_at"]) <= (time.time() if now is None else now):
            return cls(session_id, ttl=ttl)
        offered: Offered | None = None
        if row.get("offered"):
            try:
                inquiry_id, text, ids = json.loads(row["offered"])
                offered = (str(inquiry_id), str(text), tuple(str(i) for i in ids))
            except (ValueError, TypeError):
                offered = None  # a row written by something else: nothing to pick from
        return cls(session_id, ward=row.get("ward"), topic=row.get("topic"), turns=int(row.get("turns") or 0),
                   offered=offered, ttl=ttl)

    def row(self) -> dict[str, Any]:
        """The ``conversations`` row of this state, expiring ``ttl`` seconds from now."""
        now = time.time()
        return {"session_id": self.session_id, "ward": self.ward, "topic": self.topic,
                "offered": json.dumps(self.offered, ensure_ascii=False) if self.offered else None,
                "turns": self.turns, "updated_at": now, "expires_at": now + self.ttl}


def select(db: Any, session_id: str, now: float) -> dict[str, Any] | None:
    """The session's unexpired row, or None."""
    cursor = db.execute("SELECT ward, topic, offered, turns, expires_at FROM conversations "
                        "WHERE session_id = ? AND expires_at > ?", [session_id, now])
    found = cursor.fetchone()
    if found is None:
        return None
    return dict(zip(("ward", "topic", "offered", "turns", "expires_at"), found, strict=True))
