"""The ask flow behind every channel: understand, decide, log durably, then reply.

Plain Python (no aiohttp): the HTTP handler and the chat WebSocket both call
:meth:`Assistant.ask`, which returns the response body of ``POST /api/v1/ask``
only after the inquiry has been committed to the log.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog

from contact.config import Clock
from contact.knowledge_state import KnowledgeState
from contact.masking import Masker
from contact.requests import AskRequest, FeedbackRequest
from contact.store.conversations import Conversation
from contact.store.inquiry_log import INTEGRITY_ERRORS, InquiryLog, LogUnavailable
from intents.engine import Context, Reply
from knowledge.schema import WARDS

log = structlog.get_logger(__name__)


class Assistant:
    def __init__(self, knowledge: KnowledgeState, inquiry_log: InquiryLog, clock: Clock, masker: Masker) -> None:
        self.knowledge = knowledge
        self.log = inquiry_log
        self.clock = clock
        self.masker = masker
        self.on_reply: Callable[[str], None] = lambda kind: None
        """Called with the kind of every reply (the /metrics counter)."""

    async def session_ward(self, session_id: str, ward: str | None = None) -> str | None:
        """The ward the session's conversation knows; ``ward`` becomes it when it knows none yet (the widget
        remembers the ward across a server restart and says it in its hello)."""
        state = await self.log.conversation(session_id)
        if state.ward is None and ward is not None:
            state.ward = ward
            await self.log.save_conversation(state)
        return state.ward

    async def ask(self, req: AskRequest) -> dict[str, Any]:
        started = time.perf_counter()
        # The conversation lives in the store: whichever worker or node answered the last question, this
        # one continues it (a new session has nothing to read).
        state = (await self.log.conversation(req.session_id) if req.session_id
                 else Conversation(uuid.uuid4().hex))
        session_id = state.session_id
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
        picked = self._picked(state, req, reply)
        state.offered = ((inquiry_id, masked, tuple(c.entry_id for c in reply.candidates[:5]))
                         if reply.kind in ("clarify", "fallback") and reply.candidates else None)
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
            },
            conversation=state,  # in the inquiry's transaction: no commit of its own
        )
        self.on_reply(reply.kind)
        if picked is not None:
            await self._learn_from_pick(picked, reply)
        log.info("ask", inquiry_id=inquiry_id, kind=reply.kind, entry_id=body["answer"] and body["answer"]["entry_id"],
                 confidence=reply.confidence, latency_ms=round(latency_ms, 2), channel=req.channel)
        return body

    @staticmethod
    def _picked(state: Conversation, req: AskRequest, reply: Reply) -> tuple[str, str] | None:
        """(inquiry id, masked text) of the unclear question whose offered candidate the citizen picked."""
        offered = state.offered
        if (req.pick_of and offered is not None and offered[0] == req.pick_of and reply.kind == "answer"
                and reply.answer is not None and reply.answer.entry_id in offered[2] and req.text not in WARDS):
            return offered[0], offered[1]
        return None

    async def _learn_from_pick(self, picked: tuple[str, str], reply: Reply) -> None:
        """A citizen picked a candidate offered after an unclear question: propose that question as a phrasing
        of the picked entry (for an editor to accept)."""
        assert reply.answer is not None
        try:
            await self.log.propose_phrasing(entry_id=reply.answer.entry_id, text=picked[1], origin="citizen",
                                            inquiry_id=picked[0])
        except Exception as exc:  # the answer is sent all the same; only the proposal is lost
            if not isinstance(exc, (LogUnavailable, *INTEGRITY_ERRORS)):
                raise
            log.warning("phrasing.not_recorded", inquiry_id=picked[0])

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
