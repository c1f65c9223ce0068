"""HTTP handlers: parse and validate, call the plain-Python core, return JSON."""

from __future__ import annotations

import hmac
import json
from typing import Any

from aiohttp import web

from contact.accounts import Principal
from contact.auth import COOKIE, audit, require
from contact.errors import BadRequest, Forbidden, NotFound, Unavailable
from contact.inquiry_log import LogUnavailable
from contact.keys import ASSISTANT, INQUIRY_LOG, KNOWLEDGE, SETTINGS
from contact.requests import parse_ask, parse_feedback
from intents.engine import Engine
from knowledge.schema import Sourced

routes = web.RouteTableDef()


async def read_json(request: web.Request) -> Any:
    """The request body as JSON; 413 past the size limit (aiohttp), 400 when it is not JSON."""
    raw = await request.read()
    if not raw:
        raise BadRequest("the request body is empty; send a JSON object", "invalid_json")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadRequest("the request body must be UTF-8", "invalid_json") from exc
    except (ValueError, RecursionError) as exc:  # ValueError: also integers past Python's 4300-digit limit
        raise BadRequest("the request body is not valid JSON", "invalid_json") from exc


def ready_engine(request: web.Request) -> Engine:
    """The loaded matcher (and its knowledge base); 503 while the knowledge base is not loaded yet."""
    knowledge = request.app[KNOWLEDGE]
    if not knowledge.ready:
        raise Unavailable("the knowledge base is not loaded yet")
    return knowledge.engine


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


async def require_admin(request: web.Request) -> Principal | None:
    """Admin endpoints: a signed-in admin or an admin's API token; also the configured
    ``CONTACT_ADMIN_TOKEN``, or (none configured) a loopback client, for deployment scripts."""
    token = request.app[SETTINGS].admin_token
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return None
    if not token and not given and request.remote in ("127.0.0.1", "::1") and COOKIE not in request.cookies:
        return None
    if not given and COOKIE not in request.cookies:
        raise Forbidden("admin endpoints need an admin's sign-in or API token"
                        + ("" if token else ", or a loopback client"))
    return await require(request, "admin")


@routes.post("/api/v1/admin/reload")
async def reload_knowledge(request: web.Request) -> web.Response:
    """Reload the knowledge base; a base with problems is refused and the old one keeps serving."""
    principal = await require_admin(request)
    result = await request.app[KNOWLEDGE].reload()
    await audit(request, principal, "knowledge.reload", ok=result.ok, entries=result.entries)
    body = {"ok": result.ok, "entries": result.entries, "seconds": round(result.seconds, 3),
            "problems": list(result.problems[:100])}
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
        "matcher": "fused" if knowledge.encoders_active else "lexical",
        "encoders": list(knowledge.encoders_active),
        "encoder_problems": knowledge.encoder_problems,
    }
    return web.json_response(body, status=200 if not problems else 503)
