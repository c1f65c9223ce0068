"""The open chat sockets and what is said on them: frame sending with a timeout, per-connection limits,
the contact center as the widget shows it, and the ``handoff`` frame that tells a citizen where their
request for an operator stands.

Plain objects over aiohttp WebSockets: the WebSocket endpoint (:mod:`contact.web.chat`) and the
operators' desk (:mod:`contact.chat.desk`) both send through :class:`ChatHub`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import WSCloseCode, web

from contact.chat.handoffs import Handoff, HandoffQueue
from intents.compose import ContactPoint

log = structlog.get_logger(__name__)

_dumps = functools.partial(json.dumps, ensure_ascii=False)


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
    """Seconds without a message from the client before it is closed (heartbeat pongs and ``ping`` frames
    do not count: a socket that only keeps itself alive is idle)."""
    busy_idle_timeout: float = 60.0
    """The idle time that closes a chat while the chat is busy (see :attr:`busy_share`), so that idle
    sockets cannot hold every place; a chat waiting for or talking to an operator is never closed for it."""
    busy_share: float = 0.8
    """Busy: this share of ``max_chats`` is open. When every place is taken, a new chat takes the place of
    the one idle longest (past ``busy_idle_timeout``) instead of being refused."""
    heartbeat: float = 30.0
    """Seconds between WebSocket pings; a client that does not answer one in half that time is disconnected."""


async def send_frame(ws: web.WebSocketResponse, frame: dict[str, Any], wait: float) -> None:
    """Send one JSON frame; a client that does not take it within ``wait`` seconds is disconnected.

    Raises :class:`ConnectionResetError` then (as when the client has gone), so callers treat both alike.
    """
    try:
        async with asyncio.timeout(wait):
            try:
                await ws.send_json(frame, dumps=_dumps)
            except UnicodeEncodeError:  # a lone surrogate got through validation: send it as a JSON escape
                log.warning("chat.unencodable_frame", type=frame.get("type"))
                await ws.send_str(json.dumps(frame, ensure_ascii=True))
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


@dataclass(eq=False)
class Presence:
    """One open chat socket: when its citizen last did something, and how to end it as idle."""

    expire: Callable[[], None]
    """Ends the chat as idle (its handler closes it with 1001, as for ``idle_timeout``)."""
    last_active: float
    session_id: str | None = None
    expiring: bool = False


class ChatHub:
    """The open chat sockets by session, so that queue changes (and later operators) reach the citizen."""

    def __init__(self, send_timeout: float = 10.0, now: Callable[[], float] = time.monotonic) -> None:
        self.send_timeout = send_timeout
        self.sessions: dict[str, set[web.WebSocketResponse]] = {}
        self.present: dict[web.WebSocketResponse, Presence] = {}
        """Every open chat socket, with or without a session yet (closed on shutdown), and its activity."""
        self._now = now
        self._tasks: set[asyncio.Task[int]] = set()
        self.on_presence: list[Callable[[str], None]] = []
        """Called with a session id when its first socket opens or its last one closes."""

    @property
    def sockets(self) -> Collection[web.WebSocketResponse]:
        return self.present.keys()

    def opened(self, ws: web.WebSocketResponse, expire: Callable[[], None]) -> Presence:
        presence = self.present[ws] = Presence(expire, self._now())
        return presence

    def closed(self, ws: web.WebSocketResponse) -> None:
        presence = self.present.pop(ws, None)
        if presence is not None:
            self.discard(presence.session_id, ws)

    def touch(self, ws: web.WebSocketResponse) -> None:
        """The citizen did something on this socket (a message other than ``ping``)."""
        presence = self.present.get(ws)
        if presence is not None:
            presence.last_active = self._now()

    def expire_idle(self, idle_for: float, keep: Callable[[str], bool], limit: int | None = None) -> int:
        """End up to ``limit`` chats idle for ``idle_for`` seconds or more, the longest idle first, except
        those whose session ``keep`` says to keep; return how many."""
        now = self._now()
        idle = sorted((p for p in self.present.values() if not p.expiring and now - p.last_active >= idle_for
                       and not (p.session_id is not None and keep(p.session_id))), key=lambda p: p.last_active)
        for presence in idle[:limit]:
            presence.expiring = True
            presence.expire()
        return len(idle[:limit])

    def add(self, session_id: str, ws: web.WebSocketResponse) -> None:
        sockets = self.sessions.setdefault(session_id, set())
        first = not sockets
        sockets.add(ws)
        presence = self.present.get(ws)
        if presence is not None:
            presence.session_id = session_id
        if first:
            self._presence_changed(session_id)

    def discard(self, session_id: str | None, ws: web.WebSocketResponse) -> None:
        if session_id is None:
            return
        sockets = self.sessions.get(session_id)
        if sockets is not None:
            sockets.discard(ws)
            if not sockets:
                del self.sessions[session_id]
                self._presence_changed(session_id)

    def _presence_changed(self, session_id: str) -> None:
        for listener in self.on_presence:
            try:
                listener(session_id)
            except Exception:
                log.exception("chat.presence_listener_failed")


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
