"""The operators' desk: inquiry records, and web chats taken over from the bot (no aiohttp).

Records: :func:`parse_record` validates what an operator saves (``POST /api/v1/inquiries``, or the
resolution given when a chat is closed) against the knowledge base; :func:`record_inquiry` stores it
as one ``inquiries`` row, text and note PII-masked, and proposes the question as a new phrasing of the
entry the operator chose (``InquiryLog.propose_phrasing``, when the log offers it).

An operator record is a row with ``source = 'operator'`` and ``kind = 'operator'`` (the bot's rows
have the kind of its reply), the operator's name, ``channel`` (phone, fax, mail, visit, chat),
``resolution`` (answered 回答済, forwarded 転送, callback 折り返し, complaint 苦情・要望), the
``forwarded_to`` window or office id, the ``note``, and for a chat its ``session_id`` and ``handoff_id``.

Live chat (:class:`OperatorDesk`): the queue of chats handed off by the widget
(:class:`contact.chat.handoffs.HandoffQueue`) seen by every connected operator, claims (atomic in the queue:
the second operator gets :class:`Refused` ``already_claimed``), the chat's history (the session's
inquiries with the bot's answers and candidates, then the messages), replies (stored masked in
``chat_messages``, delivered to the citizen's widget as ``operator_message`` frames through the
:class:`contact.chat.hub.ChatHub`), the citizen's messages while the chat is claimed (to the operator, not
the bot), and the close with a resolution (an inquiry row on the chat channel). Live frames carry the
text as typed — an operator calling back needs the number the citizen gives — while everything stored,
and so every history, is masked.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from contact.chat.handoffs import Handoff, HandoffQueue
from contact.chat.hub import ChatHub
from contact.config import Clock
from contact.errors import BadRequest
from contact.masking import Masker
from contact.store import events
from contact.store.inquiry_log import InquiryLog, LogUnavailable
from knowledge.loader import KnowledgeBase
from knowledge.schema import WARDS

log = structlog.get_logger(__name__)

CHANNELS: dict[str, str] = {"phone": "電話", "fax": "FAX", "mail": "メール", "visit": "来庁", "chat": "チャット"}
"""Channels of operator records, with their labels in the console."""
RESOLUTIONS: dict[str, str] = {"answered": "回答済", "forwarded": "転送", "callback": "折り返し",
                               "complaint": "苦情・要望"}
"""How an operator resolved an inquiry, with its label."""
MAX_NOTE_CHARS = 2000
MAX_CATEGORY_CHARS = 100
MAX_REPLY_CHARS = 2000
HISTORY_INQUIRIES = 50
RELAY_CHANNEL = "chat"
"""Event-bus channel of live chat frames for sockets on other processes."""
PRESENCE_CHANNEL = "presence"
"""Event-bus channel of "this session's citizen connected or went away" (``{"session_id"}``)."""
CHAT_TEXT_CHARS = 1000
"""The text of a chat's record: the citizen's messages to the operator, joined, at most this long."""


# -- records ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One inquiry as an operator records it (validated)."""

    channel: str
    resolution: str
    text: str | None = None
    ward: str | None = None
    category: str | None = None
    forwarded_to: str | None = None
    note: str | None = None
    entry_id: str | None = None


def _string(body: dict[str, Any], name: str, limit: int, code: str = "text_too_long") -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string", "invalid_field")
    value = value.encode("utf-8", "replace").decode("utf-8").strip()
    if len(value) > limit:
        raise BadRequest(f"'{name}' must be at most {limit} characters", code)
    return value or None


def _code(body: dict[str, Any], name: str, choices: dict[str, str], default: str | None = None) -> str:
    value = body.get(name, default)
    if value is None:
        raise BadRequest(f"'{name}' is required (one of: {', '.join(choices)})", "missing_field")
    if not isinstance(value, str) or value not in choices:
        raise BadRequest(f"'{name}' must be one of: {', '.join(choices)}", "invalid_field")
    return value


def parse_record(body: Any, kb: KnowledgeBase, max_text_chars: int, *, channel: str | None = None) -> Record:
    """Validate an operator's record; :class:`BadRequest` (400) names the field and a code.

    ``channel`` fixes the channel (a chat's close) and makes ``text`` optional.
    """
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object", "invalid_body")
    chosen_channel = channel or _code(body, "channel", CHANNELS)
    resolution = _code(body, "resolution", RESOLUTIONS)
    text = _string(body, "text", max_text_chars)
    if channel is None and text is None:
        raise BadRequest("'text' is required: what the caller asked, in a few words", "missing_field")
    ward = _string(body, "ward", 10, "invalid_field")
    if ward is not None and ward not in WARDS:
        raise BadRequest(f"'ward' must be one of: {', '.join(WARDS)}", "invalid_field")
    entry_id = _string(body, "entry_id", 80, "invalid_field")
    if entry_id is not None and kb.get(entry_id) is None:
        raise BadRequest(f"no knowledge entry with id '{entry_id}'", "unknown_entry")
    forwarded_to = _string(body, "forwarded_to", 80, "invalid_field")
    if forwarded_to is not None and forwarded_to not in kb.windows and forwarded_to not in kb.offices:
        raise BadRequest(f"'forwarded_to' must be the id of a window or an office; '{forwarded_to}' is neither",
                         "unknown_target")
    if resolution == "forwarded" and forwarded_to is None:
        raise BadRequest("'forwarded_to' is required when the resolution is forwarded", "missing_target")
    category = _string(body, "category", MAX_CATEGORY_CHARS)
    if category is None and entry_id is not None:
        category = getattr(kb.get(entry_id), "category", None)
    return Record(channel=chosen_channel, resolution=resolution, text=text, ward=ward, category=category,
                  forwarded_to=forwarded_to, note=_string(body, "note", MAX_NOTE_CHARS), entry_id=entry_id)


def _entry_title(kb: KnowledgeBase, entry_id: str | None) -> str | None:
    entry = kb.get(entry_id) if entry_id else None
    if entry is None:
        return None
    return str(getattr(entry, "name", None) or getattr(entry, "question", None) or entry_id)


async def record_inquiry(store: InquiryLog, masker: Masker, clock: Clock, kb: KnowledgeBase, record: Record,
                         operator: str, *, text: str | None = None, session_id: str | None = None,
                         handoff_id: str | None = None) -> dict[str, Any]:
    """Store ``record`` (masked) and return ``{"id", "created_at", "phrasing_proposed"}`` once committed."""
    inquiry_id = uuid.uuid4().hex
    created_at = clock.now().isoformat(timespec="milliseconds")
    masked_text = masker.mask(text or record.text or "（本文なし）")
    await store.record({
        "id": inquiry_id, "created_at": created_at, "channel": record.channel, "session_id": session_id,
        "lang": "ja", "text": masked_text, "ward": record.ward, "kind": "operator", "entry_id": record.entry_id,
        "entry_title": _entry_title(kb, record.entry_id),
        "category": masker.mask(record.category) if record.category else None,  # free text: may hold a number
        "source": "operator",
        "resolution": record.resolution, "forwarded_to": record.forwarded_to,
        "note": masker.mask(record.note) if record.note else None, "operator": operator, "handoff_id": handoff_id,
    })
    proposed = False
    propose = getattr(store, "propose_phrasing", None)
    if propose is not None and record.entry_id and record.text:
        # The operator chose this entry for the caller's words: an editor may add them as a phrasing.
        try:
            result = propose(entry_id=record.entry_id, text=masked_text, origin="operator", inquiry_id=inquiry_id,
                             created_at=created_at)
            if inspect.isawaitable(result):
                result = await result
            proposed = result is not False  # False: not usable as a phrasing (e.g. it held personal data)
        except Exception:
            log.exception("operator.phrasing_failed", entry_id=record.entry_id)
    log.info("operator.recorded", inquiry_id=inquiry_id, channel=record.channel, resolution=record.resolution,
             entry_id=record.entry_id)
    return {"id": inquiry_id, "created_at": created_at, "phrasing_proposed": proposed}


# -- live chat --------------------------------------------------------------------------------------


class Refused(Exception):
    """An operator's request about a chat cannot be done: ``code`` and a message for the console."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class OperatorLink(Protocol):
    """One operator's connection (a console tab): who, and how to send it a frame."""

    operator: str

    async def send(self, frame: dict[str, Any]) -> None: ...


class OperatorDesk:
    """Live chats between citizens and operators, over the handoff queue and the citizens' chat hub."""

    def __init__(self, queue: HandoffQueue, hub: ChatHub, store: InquiryLog, masker: Masker, clock: Clock,
                 kb: Callable[[], KnowledgeBase]) -> None:
        self.queue = queue
        self.hub = hub
        self.store = store
        self.masker = masker
        self.clock = clock
        self.kb = kb
        self.links: set[OperatorLink] = set()
        self._previews: dict[str, str | None] = {}
        self._closing: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.presence: Callable[[Collection[str]], Awaitable[set[str]]] | None = None
        """Several processes: those of the given sessions with a chat socket open on any process (the
        store's ``chat_sockets``); None: this process's hub is the whole truth."""
        queue.listeners.append(self._on_queue_change)

    # -- connections ----------------------------------------------------------------------------

    def attach(self, link: OperatorLink) -> None:
        self.links.add(link)

    def detach(self, link: OperatorLink) -> None:
        self.links.discard(link)

    async def _send(self, links: Iterable[OperatorLink], frame: dict[str, Any]) -> None:
        async def one(link: OperatorLink) -> None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await link.send(frame)

        await asyncio.gather(*(one(link) for link in list(links)))  # a slow console does not hold up the others

    def _of(self, operator: str | None) -> list[OperatorLink]:
        return [link for link in self.links if link.operator == operator]

    def _on_queue_change(self, item: Handoff) -> None:
        event = {"waiting": "queued"}.get(item.status, item.status)
        if item.status in ("closed", "cancelled", "expired"):
            self._previews.pop(item.id, None)
        self._spawn_broadcast(event, item)

    def _spawn_broadcast(self, event: str, item: Handoff) -> None:
        if not self.links:
            return
        task = asyncio.get_running_loop().create_task(self.broadcast(event, item))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def presence_changed(self, session_id: str, origin: str | None = None) -> None:
        """The citizen of a session connected or went away (on this or, heard over the bus, another process):
        every operator gets the queue again with ``citizen_online`` as it is now (event ``presence``)."""
        item = self.queue.for_session(session_id)
        if item is not None and item.status in ("waiting", "claimed"):
            self._spawn_broadcast("presence", item)

    def presence_heard(self, payload: dict[str, Any], origin: str | None) -> None:
        """A :data:`PRESENCE_CHANNEL` event (from any process, this one included)."""
        session_id = payload.get("session_id")
        if isinstance(session_id, str):
            self.presence_changed(session_id, origin)

    async def broadcast(self, event: str, item: Handoff) -> None:
        """Tell every operator what changed in the queue, with the whole queue as it is now."""
        if item.status in ("waiting", "claimed"):
            await self._fill_previews([item])
        state, online = await self._state([item])
        frame = {"type": "queue", "event": event, "handoff": self._item(item, online), **state}
        await self._send(self.links, frame)

    # -- the queue as operators see it ----------------------------------------------------------

    async def _fill_previews(self, items: Iterable[Handoff]) -> None:
        missing = [h for h in items if h.id not in self._previews]
        if not missing:
            return
        sessions = sorted({h.session_id for h in missing})

        def select(db: Any) -> dict[str, str]:
            marks = ",".join("?" for _ in sessions)
            rows = db.query(f"SELECT session_id, text FROM inquiries WHERE session_id IN ({marks}) "
                            "AND kind NOT IN ('handoff', 'smalltalk', 'operator') ORDER BY created_at, rowid",
                            sessions)
            return {row["session_id"]: row["text"] for row in rows}  # the last question of each session

        try:
            last = await self.store.read(select)
        except Exception:
            log.exception("operator.preview_failed")
            last = {}
        for h in missing:
            self._previews[h.id] = last.get(h.session_id)

    async def _online(self, items: Iterable[Handoff]) -> set[str]:
        """The sessions of ``items`` whose citizen has a chat socket open (on any process, when several)."""
        sessions = {h.session_id for h in items}
        here = {s for s in sessions if self.hub.sessions.get(s)}
        if self.presence is None or not sessions - here:
            return here
        try:
            return here | await self.presence(sessions - here)
        except Exception:
            log.exception("operator.presence_failed")
            return here

    def _item(self, item: Handoff, online: set[str]) -> dict[str, Any]:
        data = item.to_json()
        data["position"] = self.queue.position(item.id)
        data["preview"] = self._previews.get(item.id)
        data["citizen_online"] = item.session_id in online or bool(self.hub.sessions.get(item.session_id))
        return data

    async def state(self) -> dict[str, list[dict[str, Any]]]:
        """``{"waiting": [...], "claimed": [...]}``: the open chats, oldest first."""
        return (await self._state())[0]

    async def _state(self, also: Iterable[Handoff] = ()) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
        """The state and the online sessions (of it and ``also``). The lists are taken again after the store
        has answered: a frame never shows the queue as it was before a claim or close made meanwhile (the
        console would close the chat it has just opened)."""
        items = [*self.queue.list(), *self.queue.claimed(), *also]
        await self._fill_previews(items)
        online = await self._online(items)
        waiting, claimed = list(self.queue.list()), list(self.queue.claimed())
        return ({"waiting": [self._item(h, online) for h in waiting],
                 "claimed": [self._item(h, online) for h in claimed]}, online)

    # -- claiming -------------------------------------------------------------------------------

    def _open(self, handoff_id: str) -> Handoff:
        item = self.queue.get(handoff_id)
        if item is None or item.status not in ("waiting", "claimed"):
            raise Refused("not_found", "このチャットは終了したか、取り消されました。")
        return item

    def _mine(self, handoff_id: str, operator: str) -> Handoff:
        item = self._open(handoff_id)
        if item.status != "claimed" or item.claimed_by != operator:
            raise Refused("not_yours", "このチャットを対応しているのは別のオペレーターです。"
                                       "先に「対応する」で引き受けてください。")
        return item

    async def claim(self, handoff_id: str, operator: str) -> Handoff:
        """Take a waiting chat; the operator who has it already gets it again (a second tab)."""
        item = self._open(handoff_id)
        if item.status == "claimed":
            if item.claimed_by == operator:
                return item
            raise Refused("already_claimed", f"このチャットは {item.claimed_by} さんが対応中です。")
        if not await self.queue.claim(handoff_id, operator):
            current = self.queue.get(handoff_id)
            if current is not None and current.status == "claimed" and current.claimed_by == operator:
                return current
            who = current.claimed_by if current is not None and current.claimed_by else "別のオペレーター"
            raise Refused("already_claimed", f"このチャットは {who} さんが対応中です。")
        await self._store_message(item, "system", operator, "オペレーターが対応を始めました。")
        return item

    async def claim_next(self, operator: str) -> Handoff:
        """Take the chat that has waited longest."""
        item = await self.queue.claim_next(operator)
        if item is None:
            raise Refused("queue_empty", "待っているチャットはありません。")
        await self._store_message(item, "system", operator, "オペレーターが対応を始めました。")
        return item

    # -- messages -------------------------------------------------------------------------------

    async def _store_message(self, item: Handoff, sender: str, operator: str | None, text: str) -> dict[str, Any]:
        row = {"handoff_id": item.id, "session_id": item.session_id,
               "at": self.clock.now().isoformat(timespec="milliseconds"), "sender": sender, "operator": operator,
               "text": self.masker.mask(text)}

        def insert(db: Any) -> int:
            table = db["chat_messages"]
            table.insert(row)
            return int(table.last_pk)

        message_id = await self.store.read(insert)
        return {"id": message_id, **row}

    async def reply(self, handoff_id: str, operator: str, text: str) -> dict[str, Any]:
        """The operator's message: stored masked, sent to the citizen's widget and to the operator's tabs."""
        item = self._mine(handoff_id, operator)
        text = text.strip()
        if not text:
            raise Refused("invalid_field", "メッセージを入力してください。")
        if len(text) > MAX_REPLY_CHARS:
            raise Refused("text_too_long", f"メッセージは{MAX_REPLY_CHARS}文字までです。")
        stored = await self._store_message(item, "operator", operator, text)
        to_citizen = {"type": "operator_message", "id": stored["id"], "handoff_id": item.id, "text": text,
                      "at": stored["at"]}
        delivered = await self.hub.send(item.session_id, to_citizen) > 0
        relayed = await self._relay(item.session_id, to_citizen, operator, None)
        if not delivered and relayed and self.presence is not None:
            delivered = bool(await self._online([item]))  # a widget socket of another process takes it
        # delivered: the citizen's widget is connected (to this or another process); relayed: handed to the others
        message = {**stored, "text": text, "delivered": delivered, "relayed": relayed}
        to_operator = {"type": "message", "handoff_id": item.id, "message": message}
        await self._send(self._of(operator), to_operator)
        await self._relay(None, None, operator, to_operator)  # the operator's tabs on other processes
        return message

    async def from_citizen(self, item: Handoff, text: str) -> dict[str, Any]:
        """A citizen's message while an operator has the chat: stored masked, sent to that operator's tabs."""
        stored = await self._store_message(item, "citizen", None, text)
        links = self._of(item.claimed_by)
        frame = {"type": "message", "handoff_id": item.id, "message": {**stored, "text": text}}
        await self._send(links, frame)
        relayed = await self._relay(None, None, item.claimed_by, frame)
        return {**stored, "delivered": bool(links), "relayed": relayed}

    async def _relay(self, session_id: str | None, to_citizen: dict[str, Any] | None, operator: str | None,
                     to_operator: dict[str, Any] | None) -> bool:
        """Hand frames to the sockets other workers and nodes hold (the store's event bus, :meth:`relayed`).
        The frames carry the text as typed, like the live frames here; the event row is deleted within
        minutes (``contact.store.events.KEEP_SECONDS``), while the stored messages stay masked."""
        publish = getattr(self.store, "publish", None)
        if publish is None:
            return False
        try:
            await publish(RELAY_CHANNEL, {"session_id": session_id, "to_citizen": to_citizen, "operator": operator,
                                          "to_operator": to_operator}, origin=events.PROCESS_ID)
        except LogUnavailable:
            log.warning("chat.relay_failed")
            return False
        return True

    def relayed(self, payload: dict[str, Any], origin: str | None) -> None:
        """A frame from another process (:meth:`_relay`) for the sockets this process holds."""
        if origin == events.PROCESS_ID:
            return
        session_id, to_citizen = payload.get("session_id"), payload.get("to_citizen")
        if isinstance(session_id, str) and isinstance(to_citizen, dict):
            self.hub.push(session_id, to_citizen)
        operator, to_operator = payload.get("operator"), payload.get("to_operator")
        links = self._of(operator) if isinstance(operator, str) else []
        if links and isinstance(to_operator, dict):
            task = asyncio.get_running_loop().create_task(self._send(links, to_operator))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def replay(self, session_id: str, after_id: int) -> list[dict[str, Any]]:
        """``operator_message`` frames of the session's open chat after message ``after_id`` (a reconnect)."""
        item = self.queue.for_session(session_id)
        if item is None or item.status != "claimed":
            return []

        def select(db: Any) -> list[dict[str, Any]]:
            return list(db.query("SELECT id, at, text FROM chat_messages WHERE handoff_id = ? AND sender = 'operator' "
                                 "AND id > ? ORDER BY id", [item.id, after_id]))

        rows = await self.store.read(select)
        return [{"type": "operator_message", "id": r["id"], "handoff_id": item.id, "text": r["text"], "at": r["at"],
                 "replayed": True} for r in rows]

    async def history(self, handoff_id: str) -> dict[str, Any]:
        """The chat so far: the session's questions to the bot (answers and candidates), then the messages."""
        item = self._open(handoff_id)
        kb = self.kb()

        def select(db: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            asked = list(db.query(
                "SELECT id, created_at, text, kind, entry_id, entry_title, confidence, candidates, ward "
                "FROM inquiries WHERE session_id = ? AND (source IS NULL OR source != 'operator') "
                "ORDER BY created_at DESC, rowid DESC LIMIT ?", [item.session_id, HISTORY_INQUIRIES]))
            said = list(db.query("SELECT id, at, sender, operator, text FROM chat_messages WHERE handoff_id = ? "
                                 "ORDER BY id", [item.id]))
            return asked[::-1], said

        asked, said = await self.store.read(select)
        await self._fill_previews([item])
        online = await self._online([item])
        for row in asked:
            ids = json.loads(row.pop("candidates") or "[]")
            row["candidates"] = [{"entry_id": i, "title": _entry_title(kb, i) or i} for i in ids[:5]]
        return {"type": "history", "handoff_id": item.id, "handoff": self._item(item, online), "inquiries": asked,
                "messages": said}

    # -- closing --------------------------------------------------------------------------------

    async def close(self, handoff_id: str, operator: str, record: Record) -> dict[str, Any]:
        """End the chat with a resolution: an inquiry row on the chat channel, then the citizen is told."""
        item = self._mine(handoff_id, operator)
        if handoff_id in self._closing:
            raise Refused("closing", "このチャットは終了処理中です。")
        self._closing.add(handoff_id)
        try:
            def citizen_text(db: Any) -> str | None:
                rows = db.query("SELECT text FROM chat_messages WHERE handoff_id = ? AND sender = 'citizen' "
                                "ORDER BY id", [item.id])
                return "\n".join(r["text"] for r in rows)[:CHAT_TEXT_CHARS] or None

            text = record.text or await self.store.read(citizen_text)
            if text is None:
                await self._fill_previews([item])
                text = self._previews.get(item.id) or "（オペレーターとのチャット）"
            saved = await record_inquiry(self.store, self.masker, self.clock, self.kb(), record, operator, text=text,
                                         session_id=item.session_id, handoff_id=item.id)
            await self._store_message(item, "system", operator,
                                      f"オペレーターがチャットを終了しました（{RESOLUTIONS[record.resolution]}）。")
            await self.queue.close(item.id)
        finally:
            self._closing.discard(handoff_id)
        result = {"type": "closed", "handoff_id": item.id, "inquiry_id": saved["id"], "resolution": record.resolution}
        await self._send(self._of(operator), result)
        return result
