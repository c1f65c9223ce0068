"""The citizens' web chat over HTTP: the WebSocket ``/api/v1/chat``, the widget and its demo page.

One ``<script src=".../widget.js">`` tag on a city page adds the chat (``contact/static/widget.js``);
``/`` is a mock city page embedding it. The widget talks JSON over the WebSocket and falls back to
``POST /api/v1/ask`` when a WebSocket cannot be opened.

Protocol (one JSON object per text frame; ``id`` is an optional client string of 1-64 printable ASCII
characters, echoed as ``reply_to``; every field is checked by :mod:`contact.chat.frames`)::

    client → server                                         server → client
    {"type": "hello", "session_id"?, "ward"?, "lang"?,      {"type": "welcome", "session_id", "ward", "contact",
     "last_message_id"?}                                      "handoff": {...} | null, "max_text_chars"}, then the
                                                             operator's messages after last_message_id (if any)
    {"type": "ask", "text", "session_id"?, "ward"?,         {"type": "answer", ...the POST /api/v1/ask body...}
     "lang"?, "id"?}                                          and, when its kind is "handoff", a "handoff" frame
    {"type": "handoff", "reason"?, "id"?}                   {"type": "handoff", "status": "queued" |
                                                              "outside_hours" | "claimed" | "cancelled" |
                                                              "closed", "queued": bool,
                                                              "position"?, "handoff_id"?, "message", "contact"}
    {"type": "cancel_handoff", "id"?}                       {"type": "handoff", "status": "cancelled", ...}
    {"type": "feedback", "inquiry_id", "helpful",           {"type": "feedback", "ok": true, "inquiry_id"}
     "comment"?, "id"?}
    {"type": "ping"}                                        {"type": "pong"}
    {"type": "ask", "text", "id"?} while an operator has    {"type": "received", "handoff_id", "message_id",
     the chat: it goes to the operator, not the bot           "reply_to"?}
                                                            {"type": "operator_message", "id", "handoff_id",
                                                              "text", "at"} (pushed: the operator's reply)
    anything invalid, too large or too fast                 {"type": "error", "error": {"code", "message"},
                                                              "reply_to"?, "retry_after"?}

Asks are validated by :func:`contact.requests.parse_ask` (channel ``web``) and answered by
:meth:`contact.assistant.Assistant.ask`, so they are logged exactly like HTTP asks. Bad frames get an
error frame, never a disconnect; only frames over the hard size limit (aiohttp closes with 1009) and a
client that keeps flooding past the rate limit (closed with 1008) lose the connection. The session's
conversation (ward, topic, offered candidates) lives in the store's ``conversations`` table, keyed by
``session_id``: a reconnect with the same id, on any worker or node, continues the conversation, and
``hello`` restores the ward the widget remembers when the store has forgotten it.

Handoff: inside the contact center's hours (サンキューコールかわさき, every day 8:00–21:00 Asia/Tokyo, by
the app's clock) the chat joins :class:`contact.chat.handoffs.HandoffQueue`, persisted in the
``handoffs`` table; outside them the citizen gets the phone number and the hours instead. An operator
takes the chat from the queue in the console (:mod:`contact.web.operator`,
:class:`contact.chat.desk.OperatorDesk`); the citizen is told by a ``handoff`` frame (claimed, later
closed) and talks to the operator in the same chat.

This module is the protocol over one socket (:class:`ChatConnection`) and its wiring on the app; the
objects it drives, the hub of open sockets, the queue and the desk, are in :mod:`contact.chat`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from contact.chat import frames
from contact.chat.desk import PRESENCE_CHANNEL
from contact.chat.handoffs import HANDOFF_REASONS, Handoff, HandoffQueue
from contact.chat.hub import ChatHub, ChatLimits, TokenBucket, contact_info, handoff_frame, send_frame
from contact.errors import ApiError, BadRequest, NotFound, Unavailable
from contact.requests import LANGS, parse_ask, parse_feedback
from contact.store import chat_sockets, events
from contact.store.inquiry_log import DATABASE_ERRORS, LogUnavailable
from contact.web.keys import (
    ASSISTANT,
    CHAT_HUB,
    CHAT_LIMITS,
    CLOCK,
    EVENTS,
    HANDOFFS,
    INQUIRY_LOG,
    KNOWLEDGE,
    LIMITS,
    OPERATOR_DESK,
    SETTINGS,
)
from contact.web.pages import static_response
from contact.web.ratelimit import CHAT_PLACE
from intents.compose import ContactPoint
from knowledge.schema import WARDS

log = structlog.get_logger(__name__)

routes = web.RouteTableDef()

HANDOFF_CHANNEL = "handoff"
"""Event-bus channel of handoff queue changes (every process keeps the same queue)."""


def center_of(app: web.Application) -> ContactPoint:
    """The loaded knowledge base's contact center (its defaults until a base is loaded)."""
    knowledge = app.get(KNOWLEDGE)
    return knowledge.engine.contact if knowledge is not None and knowledge.ready else ContactPoint()


@dataclass
class ChatConnection:
    """One citizen's WebSocket: its session, language and rate limit."""

    app: web.Application
    ws: web.WebSocketResponse
    limits: ChatLimits
    session_id: str | None = None
    lang: str = "ja"
    violations: int = 0
    touch: Callable[[], None] = field(default=lambda: None)
    """Called for each message that counts as the citizen's activity (any known type but ``ping``)."""
    place: str | None = None
    """This socket's row in the open chats of every process (``--workers N``, PostgreSQL), or None."""
    bucket: TokenBucket = field(init=False)

    def __post_init__(self) -> None:
        self.bucket = TokenBucket(self.limits.burst, self.limits.per_second)

    async def send(self, frame: dict[str, Any]) -> None:
        await send_frame(self.ws, frame, self.limits.send_timeout)

    async def error(self, code: str, message: str, reply_to: str | None = None, **extra: Any) -> None:
        frame: dict[str, Any] = {"type": "error", "error": {"code": code, "message": message}, **extra}
        if reply_to is not None:
            frame["reply_to"] = reply_to
        await self.send(frame)

    async def bind(self, session_id: str | None) -> None:
        """This socket speaks for ``session_id`` now (None: it is closing). The store's row first, then the
        hub, whose presence change tells the operators (of every process: they read the row)."""
        if session_id == self.session_id:
            return
        shared = self.app[LIMITS].shared_chats
        if shared is not None:
            await shared.bind(self.place, session_id)
        hub = self.app[CHAT_HUB]
        hub.discard(self.session_id, self.ws)
        self.session_id = session_id
        if session_id is not None:
            hub.add(session_id, self.ws)

    async def receive_text(self, data: str) -> None:
        if not self.bucket.take():
            self.violations += 1
            if self.violations > self.limits.max_violations:
                await self.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"too many messages")
                return
            retry = round(self.bucket.retry_after, 1)
            await self.error("rate_limited", f"too many messages; wait {retry} seconds and send again",
                             retry_after=retry)
            return
        if len(data) > self.limits.max_message_bytes or len(data.encode()) > self.limits.max_message_bytes:
            await self.error("payload_too_large",
                             f"message too large (limit {self.limits.max_message_bytes} bytes)")
            return
        try:
            message = json.loads(data)
        except (ValueError, RecursionError):  # ValueError: also integers past Python's 4300-digit limit
            await self.error("invalid_json", "the message is not valid JSON")
            return
        if not isinstance(message, dict):
            await self.error("invalid_message", "a message must be a JSON object with a 'type'")
            return
        try:
            reply_to = frames.frame_id(message)  # before anything is done: a bad id is refused, not half-answered
        except ApiError as exc:
            await self.error(exc.code, exc.message)
            return
        kind = message.get("type")
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.error("invalid_message", "'type' must be one of: " + ", ".join(_HANDLERS), reply_to)
            return
        if kind != "ping":
            self.touch()
        try:
            await handler(self, message, reply_to)
        except ApiError as exc:
            await self.error(exc.code, exc.message, reply_to)
        except LogUnavailable:
            await self.error("unavailable", f"the message could not be recorded; please try again or call "
                                            f"{center_of(self.app).phone}", reply_to)
        except ConnectionError:
            raise
        except Exception:
            log.exception("chat.unhandled_error", type=kind)
            await self.error("internal_error", "internal error; the request id identifies it in the logs", reply_to)

    # -- message handlers -------------------------------------------------------------------------

    async def on_hello(self, message: dict[str, Any], reply_to: str | None) -> None:
        session_id, ward, lang = (frames.text(message, name) for name in ("session_id", "ward", "lang"))
        last_seen = frames.count(message, "last_message_id")  # checked before the welcome, not after
        if lang is not None:
            if lang not in LANGS:
                raise BadRequest(f"'lang' must be one of: {', '.join(LANGS)}", "invalid_field")
            self.lang = lang
        if ward is not None and ward not in WARDS:
            raise BadRequest(f"'ward' must be one of: {', '.join(WARDS)}", "invalid_field")
        if session_id is not None:  # the same rules as an ask's: one the server did not issue is replaced
            session_id = parse_ask({"text": "-", "session_id": session_id}, 1).session_id
        await self.bind(session_id or uuid.uuid4().hex)
        assert self.session_id is not None
        known_ward = await self.app[ASSISTANT].session_ward(self.session_id, ward)
        now = self.app[CLOCK].now()
        queue = self.app[HANDOFFS]
        ticket = queue.for_session(self.session_id)
        center = center_of(self.app)
        frame: dict[str, Any] = {
            "type": "welcome", "session_id": self.session_id, "ward": known_ward, "lang": self.lang,
            "contact": contact_info(center, now, self.lang),
            "handoff": handoff_frame(ticket, queue, center, now, self.lang) if ticket else None,
            "max_text_chars": self.app[SETTINGS].max_text_chars,
            "process": events.PROCESS_ID,
        }
        if reply_to is not None:
            frame["reply_to"] = reply_to
        await self.send(frame)
        if last_seen is not None and ticket is not None and OPERATOR_DESK in self.app:
            for missed in await self.app[OPERATOR_DESK].replay(self.session_id, last_seen):
                await self.send(missed)  # operator messages sent while this widget was away

    async def on_ask(self, message: dict[str, Any], reply_to: str | None) -> None:
        body = {k: v for k, v in message.items() if k not in ("type", "id", "debug", "channel")}
        body.setdefault("session_id", self.session_id)
        if body.get("session_id") is None:
            body.pop("session_id")
        request = parse_ask(body, self.app[SETTINGS].max_text_chars)
        ticket = self.app[HANDOFFS].for_session(request.session_id) if request.session_id else None
        if ticket is not None and ticket.status == "claimed" and OPERATOR_DESK in self.app:
            await self.bind(ticket.session_id)  # an operator has the chat: the message is for them, not the bot
            sent = await self.app[OPERATOR_DESK].from_citizen(ticket, request.text)
            ack: dict[str, Any] = {"type": "received", "handoff_id": ticket.id, "message_id": sent["id"]}
            if reply_to is not None:
                ack["reply_to"] = reply_to
            await self.send(ack)
            return
        if not self.app[KNOWLEDGE].ready:
            raise Unavailable("the knowledge base is not loaded yet; please try again shortly")
        self.lang = request.lang
        answer = await self.app[ASSISTANT].ask(request)
        await self.bind(answer["session_id"])
        frame = {"type": "answer", **answer}
        if reply_to is not None:
            frame["reply_to"] = reply_to
        await self.send(frame)
        if answer["kind"] == "handoff":
            await self._handoff("request", reply_to, inquiry_id=answer["inquiry_id"])

    async def on_handoff(self, message: dict[str, Any], reply_to: str | None) -> None:
        reason = frames.text(message, "reason")
        reason = "request" if reason is None else reason
        if reason not in HANDOFF_REASONS:
            raise BadRequest(f"'reason' must be one of: {', '.join(HANDOFF_REASONS)}", "invalid_field")
        await self._handoff(reason, reply_to)

    async def _handoff(self, reason: str, reply_to: str | None, inquiry_id: str | None = None) -> None:
        if self.session_id is None:
            await self.bind(uuid.uuid4().hex)
        assert self.session_id is not None
        now = self.app[CLOCK].now()
        queue = self.app[HANDOFFS]
        ticket = None
        center = center_of(self.app)
        if center.is_open(now):
            ticket = await queue.enqueue(self.session_id, reason, lang=self.lang, inquiry_id=inquiry_id)
        else:
            log.info("handoff.outside_hours", reason=reason)
        frame = handoff_frame(ticket, queue, center, now, self.lang)
        frame["session_id"] = self.session_id
        if reply_to is not None:
            frame["reply_to"] = reply_to
        await self.send(frame)

    async def on_cancel_handoff(self, message: dict[str, Any], reply_to: str | None) -> None:
        queue = self.app[HANDOFFS]
        ticket = queue.for_session(self.session_id) if self.session_id else None
        if ticket is None or not await queue.cancel(ticket.id):
            raise NotFound("this chat is not waiting for an operator")
        # the queue listener tells every socket of the session, this one included

    async def on_feedback(self, message: dict[str, Any], reply_to: str | None) -> None:
        request = parse_feedback({k: v for k, v in message.items() if k not in ("type", "id")},
                                 self.app[SETTINGS].max_text_chars)
        if not await self.app[ASSISTANT].feedback(request):
            raise NotFound(f"no inquiry with id '{request.inquiry_id}'")
        frame: dict[str, Any] = {"type": "feedback", "ok": True, "inquiry_id": request.inquiry_id}
        if reply_to is not None:
            frame["reply_to"] = reply_to
        await self.send(frame)

    async def on_ping(self, message: dict[str, Any], reply_to: str | None) -> None:
        await self.send({"type": "pong"})


_HANDLERS: dict[str, Callable[[ChatConnection, dict[str, Any], str | None], Any]] = {
    "hello": ChatConnection.on_hello,
    "ask": ChatConnection.on_ask,
    "handoff": ChatConnection.on_handoff,
    "cancel_handoff": ChatConnection.on_cancel_handoff,
    "feedback": ChatConnection.on_feedback,
    "ping": ChatConnection.on_ping,
}


@routes.get("/api/v1/chat")
async def chat(request: web.Request) -> web.StreamResponse:
    """The widget's chat over WebSocket (see the module docstring for the protocol)."""
    limits = request.app[CHAT_LIMITS]
    ws = web.WebSocketResponse(heartbeat=limits.heartbeat, max_msg_size=limits.hard_max_bytes)
    if not ws.can_prepare(request).ok:
        raise BadRequest("this endpoint speaks WebSocket only (GET with Upgrade: websocket)", "websocket_required")
    await ws.prepare(request)
    hub = request.app[CHAT_HUB]
    loop = asyncio.get_running_loop()
    idle = asyncio.timeout(limits.idle_timeout)

    def expire() -> None:  # the chat is busy and this one idle: end it now, as its idle timeout would
        with contextlib.suppress(RuntimeError):  # already ending
            idle.reschedule(loop.time())

    def touch() -> None:
        with contextlib.suppress(RuntimeError):
            idle.reschedule(loop.time() + limits.idle_timeout)
        hub.touch(ws)

    hub.opened(ws, expire)
    conn = ChatConnection(request.app, ws, limits, touch=touch, place=request.get(CHAT_PLACE))
    log.info("chat.open")
    try:
        async with idle:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await conn.receive_text(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await conn.error("invalid_message", "send JSON in text frames, not binary frames")
                elif msg.type == WSMsgType.ERROR:
                    break
    except ConnectionError:
        pass  # the citizen went away while we were answering; the inquiry is logged all the same
    except TimeoutError:  # idle: the widget reconnects when the citizen comes back
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5.0):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"idle")
    except Exception:  # a bug: close the socket properly instead of writing an HTTP 500 into it
        log.exception("chat.unhandled_error")
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5.0):
                await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"internal error")
    finally:
        try:
            with contextlib.suppress(Exception):
                await conn.bind(None)  # the citizen is gone (from the shared row first, then from the hub)
        finally:
            hub.closed(ws)
            log.info("chat.close", code=ws.close_code)
    return ws


# -- pages ------------------------------------------------------------------------------------------


@routes.get("/widget.js")
async def widget_js(request: web.Request) -> web.Response:
    """The embeddable widget: cached for an hour by browsers and CDNs, then revalidated by ETag."""
    response = static_response(request, "widget.js", "text/javascript", "public, max-age=3600")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@routes.get("/")
async def demo_page(request: web.Request) -> web.Response:
    """A mock city page with the widget embedded."""
    return static_response(request, "index.html", "text/html", "no-cache")  # CSP etc.: contact.web.security


@routes.get("/favicon.ico")
async def favicon(request: web.Request) -> web.Response:
    """The site icon browsers ask for on every page (a speech bubble, 16/32/48 px): cached for a day."""
    return static_response(request, "favicon.ico", "image/vnd.microsoft.icon", "public, max-age=86400")


# -- wiring -----------------------------------------------------------------------------------------


async def _chat_ctx(app: web.Application) -> AsyncIterator[None]:
    queue = HandoffQueue(app[INQUIRY_LOG], app[CLOCK])
    restored = await queue.load()
    if restored:
        log.info("handoff.restored", waiting=restored)
    hub = app[CHAT_HUB]

    def tell_citizen(item: Handoff) -> None:
        if item.status == "waiting":
            return  # the socket that asked was answered directly
        hub.push(item.session_id, handoff_frame(item, queue, center_of(app), app[CLOCK].now(), item.lang))

    queue.listeners.append(tell_citizen)
    store = app[INQUIRY_LOG]

    async def publish(item: Handoff) -> None:
        """Every other worker and node hears of the change (their operators' queues, their citizens' sockets)."""
        try:
            await store.publish(HANDOFF_CHANNEL, item.to_json(), origin=events.PROCESS_ID)
        except LogUnavailable:
            log.warning("handoff.not_broadcast", handoff_id=item.id, status=item.status)

    def heard(payload: dict[str, Any], origin: str | None) -> None:
        if origin != events.PROCESS_ID:
            queue.apply(payload)

    queue.publish = publish
    app[EVENTS].subscribe(HANDOFF_CHANNEL, heard)
    app[HANDOFFS] = queue
    limits, chats = app[CHAT_LIMITS], app[LIMITS].chats

    def with_operator(session_id: str) -> bool:
        return queue.for_session(session_id) is not None  # waiting for or talking to an operator

    def make_room() -> bool:
        """Every place is taken: end the chat idle longest (past busy_idle_timeout) for a new one (of this
        process's chats: each process ends its own)."""
        made = hub.expire_idle(limits.busy_idle_timeout, with_operator, limit=1) > 0
        if made:
            log.info("chat.idle_replaced", open_here=len(hub.sockets))
        return made

    async def sweep() -> None:
        """While the chat is busy (counting every process's chats), end the chats idle for busy_idle_timeout."""
        interval = min(5.0, limits.busy_idle_timeout / 4)
        while True:
            await asyncio.sleep(interval)
            if chats.total_limit and await app[LIMITS].open_chats() >= limits.busy_share * chats.total_limit:
                ended = hub.expire_idle(limits.busy_idle_timeout, with_operator)
                if ended:
                    log.info("chat.busy_idle_closed", closed=ended, open_here=len(hub.sockets))

    async def heartbeat() -> None:
        """Several processes: keep this process's rows of open chats alive (a dead process's go stale)."""
        while True:
            await asyncio.sleep(chat_sockets.HEARTBEAT_SECONDS)
            if shared_chats is not None:
                await shared_chats.flush()
            if hub.sockets:
                with contextlib.suppress(LogUnavailable, *DATABASE_ERRORS):
                    await store.chat_sockets_heartbeat(events.PROCESS_ID)

    def presence(session_id: str) -> None:
        """A session's first socket opened or its last one closed: the operators see whether the citizen is
        connected (every process's operators when several processes serve: over the event bus)."""
        if queue.for_session(session_id) is None:
            return  # nobody waits for or talks to an operator: no console shows it
        if shared:
            task = asyncio.get_running_loop().create_task(
                _publish_quietly(store, PRESENCE_CHANNEL, {"session_id": session_id}))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        elif OPERATOR_DESK in app:
            app[OPERATOR_DESK].presence_changed(session_id)

    shared_chats = app[LIMITS].shared_chats
    shared = shared_chats is not None
    tasks: set[asyncio.Task[None]] = set()
    hub.on_presence.append(presence)
    app[LIMITS].make_room = make_room
    background = [asyncio.get_running_loop().create_task(sweep())]
    if shared:
        background.append(asyncio.get_running_loop().create_task(heartbeat()))
    yield
    for task in background:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if shared:
        with contextlib.suppress(LogUnavailable, *DATABASE_ERRORS):
            await store.chat_sockets_heartbeat(events.PROCESS_ID, stopping=True)


async def _publish_quietly(store: Any, channel: str, payload: dict[str, Any]) -> None:
    try:
        await store.publish(channel, payload, origin=events.PROCESS_ID)
    except LogUnavailable:
        log.warning("chat.presence_not_broadcast")


async def _close_sockets(app: web.Application) -> None:
    """On shutdown, close chats with 1001 so widgets reconnect at once instead of holding up the exit."""
    for ws in list(app[CHAT_HUB].sockets):
        with contextlib.suppress(Exception):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server restarting")


def setup_chat(app: web.Application) -> None:
    """Register the chat routes, the handoff queue and the chat hub on the app."""
    settings = app[SETTINGS]
    app[CHAT_LIMITS] = ChatLimits(hard_max_bytes=max(settings.max_body_bytes, 32 * 1024),
                                  send_timeout=settings.chat_send_timeout, idle_timeout=settings.chat_idle_timeout,
                                  busy_idle_timeout=settings.chat_busy_idle_timeout)
    app[CHAT_HUB] = ChatHub(send_timeout=settings.chat_send_timeout)
    app.cleanup_ctx.append(_chat_ctx)
    app.on_shutdown.append(_close_sockets)
    app.add_routes(routes)
