"""The operator console over HTTP: suggestions, inquiry records, the live-chat WebSocket and the page.

Every endpoint needs the ``operator`` role (admin passes every role check; ``staff`` does not: the 広聴
staff analyse inquiries, they do not take calls or chats). The page ``/operator/`` signs in through
``/login`` and sends the session's CSRF token with its POSTs; scripts use an API token
(``Authorization: Bearer …``).

* ``GET /api/v1/suggest?q=&ward=&date=YYYY-MM-DD&limit=`` — ranked suggestions as the operator types
  (:mod:`contact.chat.suggest`); ``Server-Timing`` tells the time spent on the server.
* ``POST /api/v1/inquiries`` — record one inquiry (:func:`contact.chat.desk.parse_record`); 201 with its id.
* ``GET /api/v1/operator/directory`` — what the record form offers: channels, resolutions, wards,
  categories, and every window and office to forward to, with phone numbers.
* ``GET /api/v1/operator/ws`` — the live-chat WebSocket (JSON text frames; ``id``, 1-64 printable ASCII
  characters, is echoed as ``reply_to``; fields are checked by :mod:`contact.chat.frames`)::

    operator → server                                   server → operator
    (on connect)                                        {"type": "welcome", "operator", "role", "waiting": [...],
                                                          "claimed": [...]}
    {"type": "claim", "handoff_id"}                     {"type": "claimed", "handoff"} then {"type": "history", …}
                                                        or {"type": "error", "error": {"code": "already_claimed"
                                                          | "not_found", "message"}, "handoff_id"}
    {"type": "claim_next"}                              the same for the chat that has waited longest
                                                          ("queue_empty" when none)
    {"type": "history", "handoff_id"}                   {"type": "history", "handoff_id", "handoff",
                                                          "inquiries": [...], "messages": [...]}
    {"type": "reply", "handoff_id", "text"}             {"type": "message", "handoff_id", "message"} to each of
                                                          the operator's tabs; the citizen gets operator_message
    {"type": "close", "handoff_id", "resolution",       {"type": "closed", "handoff_id", "inquiry_id",
     "note"?, "category"?, "forwarded_to"?,               "resolution"}; the citizen is told
     "entry_id"?, "ward"?, "text"?}
    {"type": "ping"}                                    {"type": "pong"}
                                                        pushed: {"type": "queue", "event": "queued" | "claimed" |
                                                          "closed" | "cancelled" | "expired" | "presence"
                                                          (the citizen connected or went away), "handoff",
                                                          "waiting", "claimed"} to every operator;
                                                          {"type": "message", …} with the citizen's messages
                                                          to the operator who has the chat

  Handoff items carry the queue row (id, session_id, created_at, reason, lang, status, claimed_by …) and
  ``position``, ``preview`` (the citizen's last question to the bot, masked) and ``citizen_online``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from contact.analysis.filters import FIRST_DATE, LAST_DATE
from contact.chat import frames
from contact.chat.desk import (
    CHANNELS,
    PRESENCE_CHANNEL,
    RELAY_CHANNEL,
    RESOLUTIONS,
    OperatorDesk,
    Refused,
    parse_record,
    record_inquiry,
)
from contact.chat.suggest import MAX_QUERY_CHARS, suggester_for
from contact.errors import ApiError, BadRequest, Unavailable
from contact.store import events
from contact.store.accounts import Principal
from contact.store.inquiry_log import LogUnavailable
from contact.web.auth import audit, recheck, require
from contact.web.common import read_json, ready_engine
from contact.web.keys import (
    ASSISTANT,
    CHAT_HUB,
    CLOCK,
    EVENTS,
    HANDOFFS,
    INQUIRY_LOG,
    KNOWLEDGE,
    LIMITS,
    OPERATOR_DESK,
    SETTINGS,
)
from contact.web.pages import asset_route
from knowledge.schema import WARDS

log = structlog.get_logger(__name__)

routes = web.RouteTableDef()

ROLE = "operator"
MAX_FRAME_BYTES = 16 * 1024
SEND_TIMEOUT = 10.0
RECHECK_SECONDS = 5.0
"""How often an idle console's credential is read again: a disabled user, a revoked token or an ended
session loses the socket (and the queue pushes with citizens' questions) within this time; every frame the
console sends is checked at once."""
_dumps = functools.partial(json.dumps, ensure_ascii=False)
_sockets: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("operator_sockets")
"""The open console sockets (closed on shutdown so that the server does not wait for them)."""


# -- suggestions ------------------------------------------------------------------------------------


@routes.get("/api/v1/suggest")
async def suggest(request: web.Request) -> web.Response:
    """Ranked suggestions for what the operator has typed (``q``), in the ward and on the date given."""
    started = time.perf_counter()
    await require(request, ROLE)
    authorised = time.perf_counter()
    query = request.query
    text = query.get("q", "").strip()
    if not text:
        raise BadRequest("'q' is required: what the caller is asking, as typed so far", "missing_field")
    if len(text) > MAX_QUERY_CHARS:
        raise BadRequest(f"'q' must be at most {MAX_QUERY_CHARS} characters", "text_too_long")
    ward = query.get("ward") or None
    if ward is not None and ward not in WARDS:
        raise BadRequest(f"'ward' must be one of: {', '.join(WARDS)}", "invalid_field")
    day = None
    if query.get("date"):
        try:
            day = dt.date.fromisoformat(query["date"])
        except ValueError:
            raise BadRequest("'date' must be a date as YYYY-MM-DD", "invalid_field") from None
        if not FIRST_DATE <= day <= LAST_DATE:
            raise BadRequest(f"'date' must be between {FIRST_DATE} and {LAST_DATE}", "invalid_field")
    try:
        limit = int(query.get("limit", "5"))
    except ValueError:
        raise BadRequest("'limit' must be an integer from 1 to 10", "invalid_field") from None
    if not 1 <= limit <= 10:
        raise BadRequest("'limit' must be an integer from 1 to 10", "invalid_field")
    suggester = suggester_for(ready_engine(request))
    ranked = await request.app[KNOWLEDGE].prepare(suggester.engine, suggester.query_of(text), ward)
    result = suggester.suggest(text, request.app[CLOCK].now(), ward=ward, day=day, limit=limit, ranked=ranked)
    response = web.json_response(result.to_json(), dumps=_dumps)
    done = time.perf_counter()  # the body is serialised: what is left is aiohttp writing it out
    response.headers["Server-Timing"] = (f"auth;dur={(authorised - started) * 1000:.3f}, "
                                         f"suggest;dur={(done - authorised) * 1000:.3f}, "
                                         f"total;dur={(done - started) * 1000:.3f}")
    return response


# -- records ----------------------------------------------------------------------------------------


@routes.post("/api/v1/inquiries")
async def record(request: web.Request) -> web.Response:
    """Record one inquiry taken by phone, FAX, mail, at the counter or in a chat; 201 with its id."""
    principal = await require(request, ROLE)
    body = await read_json(request)
    kb = ready_engine(request).kb
    parsed = parse_record(body, kb, request.app[SETTINGS].max_text_chars)
    try:
        saved = await record_inquiry(request.app[INQUIRY_LOG], request.app[ASSISTANT].masker, request.app[CLOCK],
                                     kb, parsed, principal.name)
    except LogUnavailable as exc:
        raise Unavailable("the inquiry could not be recorded; please try again") from exc
    await audit(request, principal, "inquiry.record", saved["id"], channel=parsed.channel,
                resolution=parsed.resolution)
    return web.json_response(saved, status=201, dumps=_dumps)


@routes.get("/api/v1/operator/directory")
async def directory(request: web.Request) -> web.Response:
    """Choices of the record form: channels, resolutions, wards, categories and forwarding targets."""
    await require(request, ROLE)
    engine = ready_engine(request)
    kb = engine.kb
    categories = sorted({c for c in (getattr(e, "category", None) for e in kb.entries()) if c})
    body = {
        "channels": [{"code": k, "label": v} for k, v in CHANNELS.items()],
        "resolutions": [{"code": k, "label": v} for k, v in RESOLUTIONS.items()],
        "wards": list(WARDS),
        "categories": categories,
        "targets": [t.to_json() for t in suggester_for(engine).directory.all()],
    }
    return web.json_response(body, dumps=_dumps)


# -- live chat --------------------------------------------------------------------------------------


class _Link:
    """One console tab's WebSocket."""

    def __init__(self, operator: str, ws: web.WebSocketResponse) -> None:
        self.operator = operator
        self.ws = ws

    async def send(self, frame: dict[str, Any]) -> None:
        if self.ws.closed:
            raise ConnectionResetError("the operator's socket is closed")
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                await self.ws.send_json(frame, dumps=_dumps)
        except TimeoutError:
            with contextlib.suppress(Exception):
                await self.ws.close(code=WSCloseCode.GOING_AWAY, message=b"not reading")
            raise ConnectionResetError("the operator's console does not read its messages") from None


async def _on_frame(request: web.Request, principal: Principal, desk: OperatorDesk, link: _Link,
                    frame: dict[str, Any]) -> None:
    kind = frame.get("type")
    operator = principal.name
    frames.frame_id(frame)  # a bad id is refused before anything is done
    if kind == "ping":
        await link.send({"type": "pong"})
    elif kind in ("claim", "claim_next"):
        item = await (desk.claim(frames.handoff_id(frame), operator) if kind == "claim" else desk.claim_next(operator))
        await audit(request, principal, "chat.claim", item.id)
        await link.send({"type": "claimed", "handoff": item.to_json()} | _reply_to(frame))
        await link.send(await desk.history(item.id))
    elif kind == "history":
        await link.send(await desk.history(frames.handoff_id(frame)) | _reply_to(frame))
    elif kind == "reply":
        text = frames.text(frame, "text")
        if text is None:
            raise BadRequest("'text' is required: the message to the citizen", "missing_field")
        await desk.reply(frames.handoff_id(frame), operator, text)
    elif kind == "close":
        handoff_id = frames.handoff_id(frame)
        fields = {k: v for k, v in frame.items() if k not in ("type", "id", "handoff_id", "channel")}
        parsed = parse_record(fields, ready_engine(request).kb, request.app[SETTINGS].max_text_chars, channel="chat")
        result = await desk.close(handoff_id, operator, parsed)
        await audit(request, principal, "chat.close", handoff_id, inquiry_id=result["inquiry_id"],
                    resolution=parsed.resolution)
    else:
        raise BadRequest("'type' must be one of: claim, claim_next, history, reply, close, ping", "invalid_message")


def _kind(frame: dict[str, Any] | None) -> str | None:
    kind = frame.get("type") if frame is not None else None
    return kind[:20] if isinstance(kind, str) else None


def _reply_to(frame: dict[str, Any]) -> dict[str, Any]:
    try:
        reply_to = frames.frame_id(frame)
    except ApiError:
        return {}  # a bad id is refused by its own error frame, never echoed
    return {"reply_to": reply_to} if reply_to is not None else {}


async def _error(link: _Link, frame: dict[str, Any] | None, code: str, message: str) -> None:
    out: dict[str, Any] = {"type": "error", "error": {"code": code, "message": message}}
    if frame is not None:
        out |= _reply_to(frame)
        echoed = frames.echo_handoff_id(frame)
        if echoed is not None:
            out["handoff_id"] = echoed
    await link.send(out)


async def _signed_out(request: web.Request, link: _Link) -> bool:
    """Close the console's socket (1008) when its credential no longer names an operator: the user was
    disabled (``contact users disable``), the token revoked, or the session ended or expired."""
    current = await recheck(request)
    if current is not None and current.has(ROLE):
        return False
    log.info("operator.signed_out", operator=link.operator)
    with contextlib.suppress(Exception):
        await _error(link, None, "unauthorized", "サインインが無効になりました (the account was disabled, the token "
                     "revoked or the session ended): sign in again")
    await link.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"signed out")
    return True


async def _watch_credential(request: web.Request, link: _Link) -> None:
    """While the console is open, re-read its credential every :data:`RECHECK_SECONDS`."""
    while not link.ws.closed:
        await asyncio.sleep(RECHECK_SECONDS)
        try:
            if await _signed_out(request, link):
                return
        except Exception as exc:  # the store cannot be read just now: keep the socket, try again later
            log.warning("operator.recheck_failed", operator=link.operator, error=type(exc).__name__)


@routes.get("/api/v1/operator/ws")
async def operator_ws(request: web.Request) -> web.StreamResponse:
    """The operators' live-chat WebSocket (see the module docstring for the protocol)."""
    principal = await require(request, ROLE)
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=4 * MAX_FRAME_BYTES)
    if not ws.can_prepare(request).ok:
        raise BadRequest("this endpoint speaks WebSocket only (GET with Upgrade: websocket)", "websocket_required")
    await ws.prepare(request)
    desk = request.app[OPERATOR_DESK]
    link = _Link(principal.name, ws)
    desk.attach(link)
    request.app[_sockets].add(ws)
    log.info("operator.connected", operator=principal.name)
    watcher = asyncio.get_running_loop().create_task(_watch_credential(request, link))
    try:
        await link.send({"type": "welcome", "operator": principal.name, "role": principal.role,
                         "process": events.PROCESS_ID, **await desk.state()})
        async for msg in ws:
            if msg.type == WSMsgType.ERROR:
                break
            if msg.type != WSMsgType.TEXT:
                await _error(link, None, "invalid_message", "send JSON in text frames")
                continue
            frame: dict[str, Any] | None = None
            try:
                if await _signed_out(request, link):  # every frame: the account may have ended meanwhile
                    break
                if len(msg.data) > MAX_FRAME_BYTES:
                    raise BadRequest(f"message too large (limit {MAX_FRAME_BYTES} bytes)", "payload_too_large")
                try:
                    parsed = json.loads(msg.data)
                except (ValueError, RecursionError):  # ValueError: also integers past the 4300-digit limit
                    raise BadRequest("the message is not valid JSON", "invalid_json") from None
                if not isinstance(parsed, dict):
                    raise BadRequest("a message must be a JSON object with a 'type'", "invalid_message")
                frame = parsed
                await _on_frame(request, principal, desk, link, frame)
            except Refused as exc:
                await _error(link, frame, exc.code, exc.message)
            except ApiError as exc:
                await _error(link, frame, exc.code, exc.message)
            except LogUnavailable:
                await _error(link, frame, "unavailable", "記録できませんでした。もう一度お試しください。")
            except ConnectionError:
                raise
            except Exception:
                log.exception("operator.unhandled_error", type=_kind(frame))
                await _error(link, frame, "internal_error", "internal error; the request id identifies it in the logs")
    except ConnectionError:
        pass
    finally:
        watcher.cancel()
        desk.detach(link)
        request.app[_sockets].discard(ws)
        log.info("operator.disconnected", operator=principal.name, code=ws.close_code)
    return ws


# -- wiring -----------------------------------------------------------------------------------------


@routes.get("/operator")
async def operator_page_redirect(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/operator/")


async def _desk_ctx(app: web.Application) -> AsyncIterator[None]:
    app[OPERATOR_DESK] = OperatorDesk(app[HANDOFFS], app[CHAT_HUB], app[INQUIRY_LOG], app[ASSISTANT].masker,
                                      app[CLOCK], lambda: app[KNOWLEDGE].engine.kb)
    app[EVENTS].subscribe(RELAY_CHANNEL, app[OPERATOR_DESK].relayed)  # frames for sockets held here
    if app[LIMITS].shared_chats is not None:  # several processes: a citizen may be connected to another one
        app[OPERATOR_DESK].presence = app[INQUIRY_LOG].online_sessions
        app[EVENTS].subscribe(PRESENCE_CHANNEL, app[OPERATOR_DESK].presence_heard)
    suggester_for(app[KNOWLEDGE].engine)  # index the names before the first operator types
    yield


async def _close_sockets(app: web.Application) -> None:
    sockets: set[web.WebSocketResponse] = app[_sockets]
    for ws in tuple(sockets):
        with contextlib.suppress(Exception):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server restarting")


def setup_operator(app: web.Application) -> None:
    """Register the console's API, WebSocket and page (after :func:`contact.web.chat.setup_chat`)."""
    app[_sockets] = set()
    app.add_routes(routes)
    app.add_routes([asset_route("/operator/", "operator.html"), asset_route("/static/operator.js", "operator.js"),
                    asset_route("/static/operator.css", "operator.css")])
    app.cleanup_ctx.append(_desk_ctx)
    app.on_shutdown.append(_close_sockets)
