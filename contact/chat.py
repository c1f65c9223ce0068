"""The citizens' web chat: the WebSocket ``/api/v1/chat``, the widget and demo page, the operator handoff queue.

One ``<script src=".../widget.js">`` tag on a city page adds the chat (``contact/static/widget.js``);
``/`` is a mock city page embedding it. The widget talks JSON over the WebSocket and falls back to
``POST /api/v1/ask`` when a WebSocket cannot be opened.

Protocol (one JSON object per text frame; ``id`` is an optional client string echoed as ``reply_to``)::

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
client that keeps flooding past the rate limit (closed with 1008) lose the connection. The session
(ward, topic) lives in the assistant's sessions, keyed by ``session_id``: a reconnect with the same id
continues the conversation, and ``hello`` restores the ward the widget remembers after a server restart.

Handoff: inside the contact center's hours (サンキューコールかわさき, every day 8:00–21:00 Asia/Tokyo, by
the app's clock) the chat joins :class:`HandoffQueue`, persisted in the ``handoffs`` table; outside
them the citizen gets the phone number and the hours instead. An operator takes the chat from the queue
in the console (:mod:`contact.operator`, :class:`contact.desk.OperatorDesk`); the citizen is told by a
``handoff`` frame (claimed, later closed) and talks to the operator in the same chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from contact.config import Clock
from contact.errors import ApiError, BadRequest, NotFound, Unavailable
from contact.inquiry_log import InquiryLog, LogUnavailable
from contact.keys import (
    ASSISTANT,
    CHAT_HUB,
    CHAT_LIMITS,
    CLOCK,
    HANDOFFS,
    INQUIRY_LOG,
    KNOWLEDGE,
    OPERATOR_DESK,
    SETTINGS,
)
from contact.pages import static_response
from contact.requests import LANGS, parse_ask, parse_feedback
from intents.compose import ContactPoint
from knowledge.schema import WARDS

log = structlog.get_logger(__name__)

routes = web.RouteTableDef()

HANDOFF_REASONS = ("request", "fallback")
"""Why a citizen asked for a human: asked for one (typed or the button), or after a fallback answer."""

_dumps = functools.partial(json.dumps, ensure_ascii=False)


def center_of(app: web.Application) -> ContactPoint:
    """The loaded knowledge base's contact center (its defaults until a base is loaded)."""
    knowledge = app.get(KNOWLEDGE)
    return knowledge.engine.contact if knowledge is not None and knowledge.ready else ContactPoint()


def contact_info(center: ContactPoint, now: dt.datetime, lang: str = "ja") -> dict[str, Any]:
    """The contact center as the widget shows it (from the knowledge base), and whether it is open now."""
    en = lang == "en"
    return {"name": center.name_en if en else center.name, "phone": center.phone,
            "hours": center.hours_en if en else center.hours, "open": center.is_open(now)}


@dataclass(frozen=True)
class ChatLimits:
    """Per-connection limits of the chat WebSocket."""

    max_message_bytes: int = 16 * 1024
    """Larger text frames get a ``payload_too_large`` error frame (a question is at most 1000 characters)."""
    hard_max_bytes: int = 64 * 1024
    """Frames above this are refused by aiohttp, which closes the connection (1009)."""
    burst: int = 10
    """Messages a connection may send at once."""
    per_second: float = 1.0
    """Sustained messages per second (token bucket refill rate)."""
    max_violations: int = 30
    """Rate-limited messages tolerated before the connection is closed (1008)."""
    send_timeout: float = 10.0
    """Seconds a frame may wait for a client that does not read; then the connection is dropped."""
    idle_timeout: float = 1800.0
    """Seconds without a message from the client (heartbeat pongs do not count) before it is closed."""
    heartbeat: float = 30.0
    """Seconds between WebSocket pings; a client that does not answer one in half that time is disconnected."""


async def send_frame(ws: web.WebSocketResponse, frame: dict[str, Any], wait: float) -> None:
    """Send one JSON frame; a client that does not take it within ``wait`` seconds is disconnected.

    Raises :class:`ConnectionResetError` then (as when the client has gone), so callers treat both alike.
    """
    try:
        async with asyncio.timeout(wait):
            await ws.send_json(frame, dumps=_dumps)
    except TimeoutError:
        log.info("chat.send_timeout")
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1.0):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"not reading", drain=False)
        raise ConnectionResetError("the chat client does not read its messages") from None


class TokenBucket:
    """A token bucket: ``take()`` is True when a message may pass, else :attr:`retry_after` says when."""

    def __init__(self, burst: int, per_second: float, now: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(burst)
        self.rate = per_second
        self.tokens = float(burst)
        self._now = now
        self._last = now()

    def take(self) -> bool:
        now = self._now()
        self.tokens = min(self.capacity, self.tokens + (now - self._last) * self.rate)
        self._last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    @property
    def retry_after(self) -> float:
        return max(0.0, (1.0 - self.tokens) / self.rate) if self.rate > 0 else 60.0


# -- the handoff queue ------------------------------------------------------------------------------


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

    def _notify(self, item: Handoff) -> None:
        for listener in self.listeners:
            try:
                listener(item)
            except Exception:
                log.exception("handoff.listener_failed")


# -- connections ------------------------------------------------------------------------------------


class ChatHub:
    """The open chat sockets by session, so that queue changes (and later operators) reach the citizen."""

    def __init__(self, send_timeout: float = 10.0) -> None:
        self.send_timeout = send_timeout
        self.sessions: dict[str, set[web.WebSocketResponse]] = {}
        self.sockets: set[web.WebSocketResponse] = set()
        """Every open chat socket, with or without a session yet (closed on shutdown)."""
        self._tasks: set[asyncio.Task[int]] = set()

    def add(self, session_id: str, ws: web.WebSocketResponse) -> None:
        self.sessions.setdefault(session_id, set()).add(ws)

    def discard(self, session_id: str | None, ws: web.WebSocketResponse) -> None:
        if session_id is None:
            return
        sockets = self.sessions.get(session_id)
        if sockets is not None:
            sockets.discard(ws)
            if not sockets:
                del self.sessions[session_id]


    async def send(self, session_id: str, frame: dict[str, Any]) -> int:
        """Send a frame to every socket of a session; return how many got it."""
        sent = 0
        for ws in list(self.sessions.get(session_id, ())):
            if ws.closed:
                continue
            with contextlib.suppress(ConnectionError, RuntimeError):
                await send_frame(ws, frame, self.send_timeout)
                sent += 1
        return sent

    def push(self, session_id: str, frame: dict[str, Any]) -> None:
        """Send in the background (for synchronous callers such as queue listeners)."""
        task = asyncio.get_running_loop().create_task(self.send(session_id, frame))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def handoff_frame(item: Handoff | None, queue: HandoffQueue, center: ContactPoint, now: dt.datetime,
                  lang: str) -> dict[str, Any]:
    """The ``handoff`` frame telling the citizen where their request stands."""
    en = lang == "en"
    contact = contact_info(center, now, lang)
    phone, phone_en = center.line("ja"), center.line("en")
    if item is None:
        message = (f"Operators are available {center.hours_en}; it is outside those hours now. Please call "
                   f"{phone_en} during those hours, or ask for an operator here again then." if en else
                   f"ただいまオペレーターの対応時間外です。対応時間は{center.hours}です。"
                   f"対応時間内に{center.name}（{center.phone}）へお電話いただくか、"
                   "このチャットで改めてお申し込みください。")
        return {"type": "handoff", "status": "outside_hours", "queued": False, "message": message,
                "contact": contact}
    status = "queued" if item.status == "waiting" else item.status
    frame: dict[str, Any] = {"type": "handoff", "status": status, "queued": item.status == "waiting",
                             "handoff_id": item.id, "contact": contact}
    if item.status == "waiting":
        position = queue.position(item.id) or 1
        frame["position"] = position
        frame["message"] = (
            f"You are in the queue for an operator (number {position}). Please keep this chat open; an operator "
            f"will answer here. If it is urgent, call {phone_en}." if en else
            f"オペレーターの順番待ちに登録しました（{position}番目）。このままチャットを開いてお待ちください。"
            f"オペレーターがこの画面でお答えします。お急ぎの場合は{phone}へお電話ください。")
    elif item.status == "claimed":
        frame["message"] = ("An operator has taken your chat and will answer here shortly." if en else
                            "オペレーターが対応します。この画面でお待ちください。")
    elif item.status == "cancelled":
        frame["message"] = ("You have left the operator queue." if en else
                            "オペレーターの順番待ちを取り消しました。")
    else:
        frame["message"] = ("The operator has ended the chat. Thank you." if en else
                            "オペレーターとのチャットを終了しました。ありがとうございました。")
    return frame


@dataclass
class ChatConnection:
    """One citizen's WebSocket: its session, language and rate limit."""

    app: web.Application
    ws: web.WebSocketResponse
    limits: ChatLimits
    session_id: str | None = None
    lang: str = "ja"
    violations: int = 0
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

    def bind(self, session_id: str) -> None:
        if session_id == self.session_id:
            return
        hub = self.app[CHAT_HUB]
        hub.discard(self.session_id, self.ws)
        self.session_id = session_id
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
        reply_to = message.get("id") if isinstance(message.get("id"), str) and len(message["id"]) <= 64 else None
        handler = _HANDLERS.get(str(message.get("type")))
        if handler is None:
            await self.error("invalid_message", "'type' must be one of: " + ", ".join(_HANDLERS), reply_to)
            return
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
            log.exception("chat.unhandled_error", type=message.get("type"))
            await self.error("internal_error", "internal error; the request id identifies it in the logs", reply_to)

    # -- message handlers -------------------------------------------------------------------------

    async def on_hello(self, message: dict[str, Any], reply_to: str | None) -> None:
        session_id, ward, lang = message.get("session_id"), message.get("ward"), message.get("lang")
        if lang is not None:
            if lang not in LANGS:
                raise BadRequest(f"'lang' must be one of: {', '.join(LANGS)}", "invalid_field")
            self.lang = lang
        if ward is not None and ward not in WARDS:
            raise BadRequest(f"'ward' must be one of: {', '.join(WARDS)}", "invalid_field")
        if session_id is not None:
            parse_ask({"text": "-", "session_id": session_id}, 1)  # the same rules as an ask's session_id
        self.bind(session_id or uuid.uuid4().hex)
        assert self.session_id is not None
        state = self.app[ASSISTANT].sessions.get(self.session_id)
        if state.ward is None and ward is not None:
            state.ward = ward  # the widget remembers the ward across a server restart
        now = self.app[CLOCK].now()
        queue = self.app[HANDOFFS]
        ticket = queue.for_session(self.session_id)
        center = center_of(self.app)
        frame: dict[str, Any] = {
            "type": "welcome", "session_id": self.session_id, "ward": state.ward, "lang": self.lang,
            "contact": contact_info(center, now, self.lang),
            "handoff": handoff_frame(ticket, queue, center, now, self.lang) if ticket else None,
            "max_text_chars": self.app[SETTINGS].max_text_chars,
        }
        if reply_to is not None:
            frame["reply_to"] = reply_to
        await self.send(frame)
        last_seen = message.get("last_message_id")
        if last_seen is not None and (not isinstance(last_seen, int) or isinstance(last_seen, bool) or last_seen < 0):
            raise BadRequest("'last_message_id' must be an integer >= 0", "invalid_field")
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
            self.bind(ticket.session_id)  # an operator has the chat: the message is for them, not the bot
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
        self.bind(answer["session_id"])
        frame = {"type": "answer", **answer}
        if reply_to is not None:
            frame["reply_to"] = reply_to
        await self.send(frame)
        if answer["kind"] == "handoff":
            await self._handoff("request", reply_to, inquiry_id=answer["inquiry_id"])

    async def on_handoff(self, message: dict[str, Any], reply_to: str | None) -> None:
        reason = message.get("reason", "request")
        if reason not in HANDOFF_REASONS:
            raise BadRequest(f"'reason' must be one of: {', '.join(HANDOFF_REASONS)}", "invalid_field")
        await self._handoff(reason, reply_to)

    async def _handoff(self, reason: str, reply_to: str | None, inquiry_id: str | None = None) -> None:
        if self.session_id is None:
            self.bind(uuid.uuid4().hex)
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
    conn = ChatConnection(request.app, ws, limits)
    hub = request.app[CHAT_HUB]
    hub.sockets.add(ws)
    log.info("chat.open")
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(limits.idle_timeout) as idle:
            async for msg in ws:
                idle.reschedule(loop.time() + limits.idle_timeout)
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
    finally:
        hub.sockets.discard(ws)
        hub.discard(conn.session_id, ws)
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
    return static_response(request, "index.html", "text/html", "no-cache")  # CSP etc.: contact.security


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
    app[HANDOFFS] = queue
    yield


async def _close_sockets(app: web.Application) -> None:
    """On shutdown, close chats with 1001 so widgets reconnect at once instead of holding up the exit."""
    for ws in list(app[CHAT_HUB].sockets):
        with contextlib.suppress(Exception):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server restarting")


def setup_chat(app: web.Application) -> None:
    """Register the chat routes, the handoff queue and the chat hub on the app."""
    settings = app[SETTINGS]
    app[CHAT_LIMITS] = ChatLimits(hard_max_bytes=max(settings.max_body_bytes, 32 * 1024),
                                  send_timeout=settings.chat_send_timeout, idle_timeout=settings.chat_idle_timeout)
    app[CHAT_HUB] = ChatHub(send_timeout=settings.chat_send_timeout)
    app.cleanup_ctx.append(_chat_ctx)
    app.on_shutdown.append(_close_sockets)
    app.add_routes(routes)
