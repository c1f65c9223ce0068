"""The ask flow behind every channel: understand, decide, log durably, then reply.

Plain Python (no aiohttp): the HTTP handler and the chat WebSocket both call
:meth:`Assistant.ask`, which returns the response body of ``POST /api/v1/ask``
only after the inquiry has been committed to the log.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from contact.config import Clock
from contact.knowledge_state import KnowledgeState
from contact.masking import Masker
from contact.requests import AskRequest, FeedbackRequest
from contact.store.inquiry_log import INTEGRITY_ERRORS, InquiryLog, LogUnavailable
from intents.engine import Context, Reply
from knowledge.schema import WARDS

log = structlog.get_logger(__name__)


@dataclass
class SessionState:
    ward: str | None = None
    topic: str | None = None
    turns: int = 0
    updated: float = field(default_factory=time.monotonic)
    offered: tuple[str, str, tuple[str, ...]] | None = None
    """(inquiry id, masked text, candidate entry ids) of the last unclear question, whose candidates the
    citizen may pick next (``pick_of``): the pick is proposed as a phrasing of the picked entry."""


class Sessions:
    """What each chat session remembers (ward, topic), bounded in number and age."""

    def __init__(self, max_sessions: int = 50_000, ttl_seconds: float = 3 * 3600) -> None:
        self._items: OrderedDict[str, SessionState] = OrderedDict()
        self.max_sessions = max_sessions
        self.ttl = ttl_seconds

    def get(self, session_id: str) -> SessionState:
        state = self._items.get(session_id)
        now = time.monotonic()
        if state is None or now - state.updated > self.ttl:
            state = SessionState()
        self._items[session_id] = state
        self._items.move_to_end(session_id)
        state.updated = now
        while len(self._items) > self.max_sessions:
            self._items.popitem(last=False)
        return state

    def __len__(self) -> int:
        return len(self._items)


class Assistant:
    def __init__(self, knowledge: KnowledgeState, inquiry_log: InquiryLog, clock: Clock, masker: Masker) -> None:
        self.knowledge = knowledge
        self.log = inquiry_log
        self.clock = clock
        self.masker = masker
        self.sessions = Sessions()
        self.on_reply: Callable[[str], None] = lambda kind: None
        """Called with the kind of every reply (the /metrics counter)."""

    async def ask(self, req: AskRequest) -> dict[str, Any]:
        started = time.perf_counter()
        session_id = req.session_id or uuid.uuid4().hex
        state = self.sessions.get(session_id)
        if req.ward:
            state.ward = req.ward
        engine = self.knowledge.engine
        now = self.clock.now()
        reply = await self.knowledge.respond(req.text, Context(now=now, ward=state.ward, topic=state.topic,
                                                               lang=req.lang))
        if reply.ward:
            state.ward = reply.ward
        state.topic = reply.topic if reply.kind in ("answer", "clarify") else state.topic
        state.turns += 1
        inquiry_id = uuid.uuid4().hex
        body = response_body(inquiry_id, session_id, reply, debug=req.debug)
        latency_ms = (time.perf_counter() - started) * 1000
        entry = engine.kb.get(reply.answer.entry_id) if reply.answer else None
        masked = self.masker.mask(req.text)
        await self.log.record(
            {
                "id": inquiry_id,
                "created_at": now.isoformat(timespec="milliseconds"),
                "channel": req.channel,
                "session_id": session_id,
                "lang": req.lang,
                "text": masked,
                "ward": reply.ward,
                "kind": reply.kind,
                "entry_id": reply.answer.entry_id if reply.answer else None,
                "entry_title": reply.answer.title if reply.answer else None,
                "category": getattr(entry, "category", None),
                "confidence": reply.confidence,
                "latency_ms": round(latency_ms, 3),
                "candidates": [c.entry_id for c in reply.candidates],
            }
        )
        self.on_reply(reply.kind)
        await self._learn_from_pick(state, req, reply, inquiry_id, masked)
        log.info("ask", inquiry_id=inquiry_id, kind=reply.kind, entry_id=body["answer"] and body["answer"]["entry_id"],
                 confidence=reply.confidence, latency_ms=round(latency_ms, 2), channel=req.channel)
        return body

    async def _learn_from_pick(self, state: SessionState, req: AskRequest, reply: Reply, inquiry_id: str,
                               masked: str) -> None:
        """A citizen picked a candidate offered after an unclear question: propose that question as a phrasing
        of the picked entry (for an editor to accept). Remember this question's candidates when it is unclear."""
        offered, state.offered = state.offered, None
        if (req.pick_of and offered is not None and offered[0] == req.pick_of and reply.kind == "answer"
                and reply.answer is not None and reply.answer.entry_id in offered[2] and req.text not in WARDS):
            try:
                await self.log.propose_phrasing(entry_id=reply.answer.entry_id, text=offered[1], origin="citizen",
                                                inquiry_id=offered[0])
            except Exception as exc:  # the answer is sent all the same; only the proposal is lost
                if not isinstance(exc, (LogUnavailable, *INTEGRITY_ERRORS)):
                    raise
                log.warning("phrasing.not_recorded", inquiry_id=offered[0])
        if reply.kind in ("clarify", "fallback") and reply.candidates:
            state.offered = (inquiry_id, masked, tuple(c.entry_id for c in reply.candidates[:5]))

    async def feedback(self, req: FeedbackRequest) -> bool:
        """Store feedback; False when the inquiry id is unknown."""
        if not await self.log.exists(req.inquiry_id):
            return False
        await self.log.add_feedback(
            {
                "inquiry_id": req.inquiry_id,
                "created_at": self.clock.now().isoformat(timespec="milliseconds"),
                "helpful": int(req.helpful),
                "comment": self.masker.mask(req.comment) if req.comment else None,
            }
        )
        return True


def response_body(inquiry_id: str, session_id: str, reply: Reply, debug: bool = False) -> dict[str, Any]:
    """The ``POST /api/v1/ask`` response of DESIGN.md for a reply."""
    top_score = reply.candidates[0].score if reply.candidates else 0.0
    answer = None
    if reply.answer is not None:
        a = reply.answer
        answer = {
            "entry_id": a.entry_id, "title": a.title, "text": a.text, "source_url": a.source_url,
            "department": a.department, "reviewed": a.reviewed,
        }
        if a.checklist:
            answer["checklist"] = list(a.checklist)
    message = (reply.answer.text if reply.answer else reply.clarify.question if reply.clarify else reply.text)
    body: dict[str, Any] = {
        "inquiry_id": inquiry_id,
        "session_id": session_id,
        "kind": reply.kind,
        "message": message,
        "answer": answer,
        "confidence": reply.confidence,
        "candidates": [
            {
                "entry_id": c.entry_id,
                "title": c.title,
                "score": round(min(1.0, c.coverage) * (c.score / top_score if top_score else 0.0), 3),
                "matched": list(c.matched),
            }
            for c in reply.candidates[:5]
        ],
        "clarify": ({"question": reply.clarify.question, "options": list(reply.clarify.options)}
                    if reply.clarify else None),
        "follow_ups": list(reply.follow_ups),
        "ward": reply.ward,
        "lang": reply.lang,
    }
    if debug:
        body["explain"] = reply.explain
    return body
