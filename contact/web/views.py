"""HTTP handlers: parse and validate, call the plain-Python core, return JSON."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from contact.errors import NotFound, TooManyRequests, Unavailable
from contact.requests import parse_ask, parse_feedback
from contact.store import events
from contact.store.inquiry_log import LogUnavailable
from contact.web.auth import audit, require_admin
from contact.web.common import read_json, ready_engine
from contact.web.keys import ASSISTANT, INQUIRY_LOG, KNOWLEDGE, SETTINGS
from contact.web.reloads import reload_everywhere
from knowledge.schema import Sourced

routes = web.RouteTableDef()


@routes.post("/api/v1/ask")
async def ask(request: web.Request) -> web.Response:
    ask_request = parse_ask(await read_json(request), request.app[SETTINGS].max_text_chars)
    ready_engine(request)
    try:
        body = await request.app[ASSISTANT].ask(ask_request)
    except LogUnavailable as exc:
        raise Unavailable("the inquiry could not be recorded; please try again or call 044-200-3939") from exc
    return web.json_response(body)


@routes.post("/api/v1/feedback")
async def feedback(request: web.Request) -> web.Response:
    req = parse_feedback(await read_json(request), request.app[SETTINGS].max_text_chars)
    try:
        found = await request.app[ASSISTANT].feedback(req)
    except LogUnavailable as exc:
        raise Unavailable("the feedback could not be recorded; please try again") from exc
    if not found:
        raise NotFound(f"no inquiry with id '{req.inquiry_id}'")
    return web.json_response({"ok": True}, status=201)


def entry_json(entry: Sourced) -> dict[str, Any]:
    data = entry.model_dump(mode="json", exclude_none=True)
    data["type"] = type(entry).__name__.lower()
    return data


@routes.get("/api/v1/offices")
async def offices(request: web.Request) -> web.Response:
    kb = ready_engine(request).kb
    ward = request.query.get("ward")
    items = [entry_json(o) for o in kb.offices.values() if ward is None or o.ward == ward]
    return web.json_response({"offices": items})


@routes.get("/api/v1/entries/{entry_id}")
async def entry(request: web.Request) -> web.Response:
    kb = ready_engine(request).kb
    found = kb.get(request.match_info["entry_id"])
    if found is None:
        raise NotFound(f"no entry with id '{request.match_info['entry_id']}'")
    return web.json_response(entry_json(found))


@dataclass
class ReloadGate:
    """Reloads over HTTP, one at a time and ``reload_interval`` seconds apart (from the end of one to the start
    of the next): each builds a whole new matcher (CPU and memory), so a burst of them must not pile up."""

    running: bool = False
    finished: float = -math.inf

    def enter(self, interval: float, now: float) -> None:
        """Take the gate, or raise 429 with Retry-After (a reload is running, or the last ended too recently)."""
        if self.running:
            raise TooManyRequests("a knowledge reload is running; try again when it has finished", "reload_running",
                                  headers={"Retry-After": str(max(1, math.ceil(interval)))})
        wait = self.finished + interval - now
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise TooManyRequests(f"the knowledge base was reloaded moments ago; try again in {seconds} s",
                                  headers={"Retry-After": str(seconds)})
        self.running = True

    def leave(self, now: float) -> None:
        self.running, self.finished = False, now


RELOAD_GATE = web.AppKey("reload_gate", ReloadGate)


@routes.post("/api/v1/admin/reload")
async def reload_knowledge(request: web.Request) -> web.Response:
    """Reload the knowledge base; a base with problems is refused and the old one keeps serving."""
    principal = await require_admin(request)
    gate = request.app[RELOAD_GATE]
    gate.enter(request.app[SETTINGS].reload_interval, time.monotonic())
    try:
        result, broadcast = await reload_everywhere(request.app)  # every worker, and with PostgreSQL every node
    finally:
        gate.leave(time.monotonic())
    await audit(request, principal, "knowledge.reload", ok=result.ok, entries=result.entries)
    body = {"ok": result.ok, "entries": result.entries, "seconds": round(result.seconds, 3),
            "problems": list(result.problems[:100]), "version": result.version, "broadcast": broadcast}
    return web.json_response(body, status=200 if result.ok else 422)


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Readiness: the knowledge base is loaded and the inquiry log can commit."""
    knowledge = request.app[KNOWLEDGE]
    inquiry_log = request.app[INQUIRY_LOG]
    problems = []
    if not knowledge.ready:
        problems.append("knowledge base not loaded")
    if not inquiry_log.healthy and not await inquiry_log.probe():  # recovers when space returns
        problems.append(f"inquiry log unavailable: {inquiry_log.last_error or 'writer stopped'}")
    body: dict[str, Any] = {
        "status": "ok" if not problems else "unavailable",
        "problems": problems,
        "entries": len(knowledge.engine.kb) if knowledge.ready else 0,
        "kb_problems": list(knowledge.last_problems[:20]),
        "kb_version": knowledge.version,
        "kb_loaded_at": knowledge.loaded_at.isoformat(timespec="seconds") if knowledge.loaded_at else None,
        "process": events.PROCESS_ID,
        "matcher": "fused" if knowledge.encoders_active else "lexical",
        "encoders": list(knowledge.encoders_active),
        "encoder_problems": knowledge.encoder_problems,
    }
    return web.json_response(body, status=200 if not problems else 503)
