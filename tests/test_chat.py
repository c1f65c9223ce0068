"""The chat WebSocket /api/v1/chat, the handoff queue and the widget's pages, through the app factory."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSCloseCode, WSMsgType

from contact.app import create_app
from contact.chat.handoffs import HandoffQueue
from contact.chat.hub import ChatLimits, TokenBucket, send_frame
from contact.config import Clock, Settings
from contact.store.inquiry_log import InquiryLog
from contact.web.keys import ASSISTANT, CHAT_LIMITS, HANDOFFS, INQUIRY_LOG
from tests.conftest import MINI_KB

AFTER_HOURS = "2026-11-20T22:30:00+09:00"


async def receive(ws: Any) -> dict[str, Any]:
    msg = await ws.receive(timeout=10.0)
    assert msg.type == WSMsgType.TEXT, msg
    return dict(msg.json())


async def hello(ws: Any, **fields: Any) -> dict[str, Any]:
    await ws.send_json({"type": "hello", **fields})
    frame = await receive(ws)
    assert frame["type"] == "welcome", frame
    return frame


def db_rows(client: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(client.app[INQUIRY_LOG].path) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
async def after_hours_client(aiohttp_client, settings: Settings):  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(settings.with_(now=AFTER_HOURS)))


class TestAsk:
    """Questions over the WebSocket behave like POST /api/v1/ask."""

    async def test_ask_returns_the_ask_body_and_is_logged(self, client) -> None:
        """An ask frame gets an answer frame with the /api/v1/ask body, logged on the web channel."""
        async with client.ws_connect("/api/v1/chat") as ws:
            welcome = await hello(ws)
            assert welcome["session_id"] and welcome["contact"]["phone"] == "044-200-3939"
            assert welcome["contact"]["open"] is True and welcome["handoff"] is None
            await ws.send_json({"type": "ask", "text": "住民票はいくらですか", "id": "m1"})
            frame = await receive(ws)
        assert frame["type"] == "answer" and frame["reply_to"] == "m1"
        assert frame["session_id"] == welcome["session_id"]
        assert frame["kind"] == "answer" and frame["answer"]["entry_id"] == "juminhyo"
        assert set(frame["answer"]) >= {"source_url", "department", "reviewed"}
        assert set(frame) >= {"inquiry_id", "confidence", "candidates", "clarify", "follow_ups"}
        rows = db_rows(client, "SELECT channel, session_id FROM inquiries WHERE id = ?", (frame["inquiry_id"],))
        assert rows == [("web", welcome["session_id"])]

    async def test_same_answer_as_http(self, client) -> None:
        """The chat and the HTTP API give the same answer to the same question."""
        http = await (await client.post("/api/v1/ask", json={"text": "転入届を出したい"})).json()
        async with client.ws_connect("/api/v1/chat") as ws:
            await ws.send_json({"type": "ask", "text": "転入届を出したい"})
            frame = await receive(ws)
        assert frame["answer"] == http["answer"] and frame["follow_ups"] == http["follow_ups"]

    async def test_feedback_over_the_socket_is_stored(self, client) -> None:
        """Feedback frames are stored like POST /api/v1/feedback; an unknown inquiry is an error frame."""
        async with client.ws_connect("/api/v1/chat") as ws:
            await ws.send_json({"type": "ask", "text": "住民票はいくらですか"})
            answer = await receive(ws)
            await ws.send_json({"type": "feedback", "inquiry_id": answer["inquiry_id"], "helpful": False,
                                "comment": "窓口の場所も知りたい 090-1234-5678", "id": "f1"})
            ok = await receive(ws)
            await ws.send_json({"type": "feedback", "inquiry_id": "nope", "helpful": True})
            missing = await receive(ws)
        assert ok == {"type": "feedback", "ok": True, "inquiry_id": answer["inquiry_id"], "reply_to": "f1"}
        assert missing["type"] == "error" and missing["error"]["code"] == "not_found"
        [(helpful, comment)] = db_rows(client, "SELECT helpful, comment FROM feedback WHERE inquiry_id = ?",
                                       (answer["inquiry_id"],))
        assert helpful == 0 and "窓口の場所" in comment and "1234-5678" not in comment


class TestSession:
    """The session remembers the ward across reconnects and restarts."""

    async def test_reconnect_with_the_same_session_keeps_the_ward(self, client) -> None:
        """A new socket that says hello with the old session id continues with the same ward."""
        async with client.ws_connect("/api/v1/chat") as ws:
            session_id = (await hello(ws))["session_id"]
            await ws.send_json({"type": "ask", "text": "中原区です"})
            first = await receive(ws)
        assert first["ward"] == "中原区"
        async with client.ws_connect("/api/v1/chat") as ws:
            welcome = await hello(ws, session_id=session_id)
            await ws.send_json({"type": "ask", "text": "住民票はどこで取れますか"})
            second = await receive(ws)
        assert welcome["session_id"] == session_id and welcome["ward"] == "中原区"
        assert second["session_id"] == session_id and second["ward"] == "中原区"

    async def test_hello_restores_the_ward_the_widget_remembers(self, client) -> None:
        """After a server restart the server has no session: the widget's remembered ward restores it."""
        async with client.ws_connect("/api/v1/chat") as ws:
            welcome = await hello(ws, session_id="5e1ec7ed" * 4, ward="高津区", lang="en")
            await ws.send_json({"type": "ask", "text": "住民票はどこで取れますか"})
            answer = await receive(ws)
        assert welcome["ward"] == "高津区" and welcome["lang"] == "en"
        assert answer["ward"] == "高津区"


class TestBadInput:
    """Invalid frames get error frames; the connection stays usable."""

    @pytest.mark.parametrize(
        ("frame", "code"),
        [
            pytest.param("{not json", "invalid_json", id="invalid-json"),
            pytest.param("[1, 2]", "invalid_message", id="array"),
            pytest.param('{"text": "住民票"}', "invalid_message", id="no-type"),
            pytest.param('{"type": "shout"}', "invalid_message", id="unknown-type"),
            pytest.param('{"type": "ask"}', "missing_field", id="ask-without-text"),
            pytest.param('{"type": "ask", "text": "  "}', "invalid_field", id="blank-text"),
            pytest.param('{"type": "ask", "text": 3}', "invalid_field", id="text-not-string"),
            pytest.param('{"type": "ask", "text": "%s"}' % ("あ" * 1001), "text_too_long", id="text-too-long"),
            pytest.param('{"type": "ask", "text": "hi", "ward": "港区"}', "invalid_field", id="unknown-ward"),
            pytest.param('{"type": "ask", "text": "hi", "lang": "fr"}', "invalid_field", id="unknown-lang"),
            pytest.param('{"type": "ask", "text": "hi", "session_id": 7}', "invalid_field", id="session-not-string"),
            pytest.param('{"type": "hello", "session_id": ["../../etc"]}', "invalid_field", id="bad-hello-session"),
            pytest.param('{"type": "feedback", "inquiry_id": "x"}', "invalid_field", id="feedback-no-helpful"),
            pytest.param('{"type": "handoff", "reason": "bored"}', "invalid_field", id="bad-handoff-reason"),
            pytest.param('{"type": "cancel_handoff"}', "not_found", id="cancel-without-handoff"),
        ],
    )
    async def test_invalid_frames_get_an_error_frame(self, client, frame: str, code: str) -> None:
        """Each malformed message is answered by an error frame with a code, and a ping still works after."""
        async with client.ws_connect("/api/v1/chat") as ws:
            await ws.send_str(frame)
            error = await receive(ws)
            await ws.send_json({"type": "ping"})
            pong = await receive(ws)
        assert error["type"] == "error" and error["error"]["code"] == code and error["error"]["message"]
        assert pong == {"type": "pong"}

    async def test_binary_frames_are_refused_politely(self, client) -> None:
        """A binary frame is an error frame, not a disconnect."""
        async with client.ws_connect("/api/v1/chat") as ws:
            await ws.send_bytes(b"\x00\x01")
            error = await receive(ws)
            await ws.send_json({"type": "ping"})
            assert (await receive(ws))["type"] == "pong"
        assert error["error"]["code"] == "invalid_message"

    async def test_error_frames_echo_the_message_id(self, client) -> None:
        """A client can match an error to the message that caused it."""
        async with client.ws_connect("/api/v1/chat") as ws:
            await ws.send_json({"type": "ask", "text": "", "id": "m7"})
            error = await receive(ws)
        assert error["reply_to"] == "m7"

    async def test_oversize_message_is_an_error_frame(self, client) -> None:
        """A frame over the message limit gets payload_too_large naming the limit; the chat continues."""
        limit = client.app[CHAT_LIMITS].max_message_bytes
        async with client.ws_connect("/api/v1/chat") as ws:
            await ws.send_json({"type": "ask", "text": "a" * limit})
            error = await receive(ws)
            await ws.send_json({"type": "ping"})
            assert (await receive(ws))["type"] == "pong"
        assert error["error"]["code"] == "payload_too_large" and str(limit) in error["error"]["message"]

    async def test_huge_frame_closes_the_connection(self, client) -> None:
        """A frame over the hard limit is refused by the WebSocket layer with close code 1009."""
        async with client.ws_connect("/api/v1/chat") as ws:
            await ws.send_str("x" * (client.app[CHAT_LIMITS].hard_max_bytes + 1))
            msg = await ws.receive(timeout=10)
            assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
        assert ws.close_code == WSCloseCode.MESSAGE_TOO_BIG

    async def test_an_internal_error_is_an_error_frame(self, client, monkeypatch) -> None:
        """A bug behind an ask answers internal_error without a stack trace; the chat goes on."""
        async def broken(request: Any) -> dict[str, Any]:
            raise RuntimeError("boom /secret/path")

        monkeypatch.setattr(client.app[ASSISTANT], "ask", broken)
        async with client.ws_connect("/api/v1/chat") as ws:
            await ws.send_json({"type": "ask", "text": "住民票", "id": "m1"})
            error = await receive(ws)
            await ws.send_json({"type": "ping"})
            assert (await receive(ws))["type"] == "pong"
        assert error["error"]["code"] == "internal_error" and "boom" not in error["error"]["message"]

    @pytest.mark.parametrize("frame", [
        pytest.param('{"type": "hello", "id": "\\ud800"}', id="hello-surrogate-id"),
        pytest.param('{"type": "ask", "text": "住民票はいくら", "id": "\\udfff"}', id="ask-surrogate-id"),
        pytest.param('{"type": "ping", "id": 7}', id="id-not-a-string"),
        pytest.param(json.dumps({"type": "ping", "id": "x" * 65}), id="id-too-long"),
        pytest.param('{"type": "ping", "id": "a b"}', id="id-with-space"),
        pytest.param(json.dumps({"type": "hello", "last_message_id": 2**64}), id="message-id-past-64-bits"),
        pytest.param('{"type": "hello", "last_message_id": -1}', id="negative-message-id"),
        pytest.param('{"type": "hello", "ward": 5}', id="ward-not-a-string"),
        pytest.param('{"type": "handoff", "reason": ["request"]}', id="reason-not-a-string"),
    ])
    async def test_finding6_bad_frame_fields_get_an_error_frame_and_the_socket_stays(self, client, frame) -> None:
        """Finding 6: a lone surrogate in ``id`` broke the socket with an HTTP 500 written into the upgraded
        stream, after the question was logged. Every field is validated first: an error frame, nothing
        logged, and the chat goes on."""
        async with client.ws_connect("/api/v1/chat") as ws:
            await ws.send_str(frame)
            error = await receive(ws)
            await ws.send_json({"type": "ask", "text": "住民票はいくらですか", "id": "after"})
            answer = await receive(ws)
        assert error["type"] == "error" and error["error"]["code"] == "invalid_field", error
        assert "reply_to" not in error or error["reply_to"].isascii()
        assert answer["type"] == "answer" and answer["reply_to"] == "after"
        assert db_rows(client, "SELECT text FROM inquiries") == [("住民票はいくらですか",)]  # the refused one is not

    async def test_finding6_huge_integers_are_invalid_json_not_internal_errors(self, client) -> None:
        """An integer past Python's 4300-digit limit anywhere in a frame is invalid_json; the chat goes on."""
        async with client.ws_connect("/api/v1/chat") as ws:
            for field in ("id", "last_message_id", "session_id", "text"):
                await ws.send_str(f'{{"type": "hello", "{field}": ' + "9" * 4400 + "}")
                assert (await receive(ws))["error"]["code"] == "invalid_json"
            await ws.send_json({"type": "ping"})
            assert (await receive(ws)) == {"type": "pong"}

    async def test_finding6_an_unencodable_frame_is_sent_as_json_escapes(self) -> None:
        """The last line of defence: should a lone surrogate reach a reply, it goes out as a \\u escape
        instead of failing the send (which broke the socket)."""
        sent: list[str] = []

        class Socket:
            async def send_json(self, data: Any, dumps: Any) -> None:
                await self.send_str(dumps(data))

            async def send_str(self, text: str) -> None:
                text.encode("utf-8")  # what aiohttp does before writing: raises for a lone surrogate
                sent.append(text)

        await send_frame(Socket(), {"type": "error", "reply_to": "\ud800"}, 1.0)  # type: ignore[arg-type]
        assert sent == ['{"type": "error", "reply_to": "\\ud800"}']

    async def test_plain_get_is_a_json_400(self, client) -> None:
        """GET /api/v1/chat without a WebSocket upgrade is a JSON 400, not a stack trace."""
        resp = await client.get("/api/v1/chat")
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "websocket_required"


class TestRateLimit:
    """Each connection has a message rate limit."""

    async def test_messages_past_the_burst_are_rate_limited(self, aiohttp_client, settings) -> None:
        """Past the burst a message gets rate_limited with retry_after; the connection stays open."""
        app = create_app(settings)
        app[CHAT_LIMITS] = ChatLimits(burst=3, per_second=0.5)
        client = await aiohttp_client(app)
        async with client.ws_connect("/api/v1/chat") as ws:
            for _ in range(3):
                await ws.send_json({"type": "ping"})
                assert (await receive(ws))["type"] == "pong"
            await ws.send_json({"type": "ask", "text": "住民票はいくらですか"})
            error = await receive(ws)
            assert not ws.closed
        assert error["error"]["code"] == "rate_limited" and "wait" in error["error"]["message"]
        assert 0 < error["retry_after"] <= 2

    async def test_a_flooding_client_is_disconnected(self, aiohttp_client, settings) -> None:
        """A client that keeps sending past the limit is closed with 1008 (policy violation)."""
        app = create_app(settings)
        app[CHAT_LIMITS] = ChatLimits(burst=1, per_second=0.01, max_violations=3)
        client = await aiohttp_client(app)
        async with client.ws_connect("/api/v1/chat") as ws:
            for _ in range(6):
                await ws.send_json({"type": "ping"})
            frames = []
            while True:
                msg = await ws.receive(timeout=10)
                if msg.type != WSMsgType.TEXT:
                    break
                frames.append(msg.json())
        assert ws.close_code == WSCloseCode.POLICY_VIOLATION
        assert [f["type"] for f in frames] == ["pong", "error", "error", "error"]

    def test_token_bucket_refills(self) -> None:
        """The bucket allows the burst, refuses the next, and refills at its rate."""
        now = [0.0]
        bucket = TokenBucket(burst=2, per_second=1.0, now=lambda: now[0])
        assert [bucket.take(), bucket.take(), bucket.take()] == [True, True, False]
        assert bucket.retry_after == pytest.approx(1.0)
        now[0] = 1.0
        assert bucket.take() and not bucket.take()


class TestHandoff:
    """A citizen can ask for a human; in hours the chat joins the operator queue."""

    async def test_in_hours_the_chat_is_queued(self, client) -> None:
        """"オペレーターと話したい" inside 8:00–21:00 queues the chat, durably, with its position."""
        async with client.ws_connect("/api/v1/chat") as ws:
            session_id = (await hello(ws))["session_id"]
            await ws.send_json({"type": "ask", "text": "オペレーターと話したい", "id": "h1"})
            answer = await receive(ws)
            handoff = await receive(ws)
        assert answer["type"] == "answer" and answer["kind"] == "handoff"
        assert handoff["type"] == "handoff" and handoff["status"] == "queued"
        assert handoff["queued"] is True and handoff["position"] == 1 and handoff["reply_to"] == "h1"
        assert "1番目" in handoff["message"] and "044-200-3939" in handoff["message"]
        queue = client.app[HANDOFFS]
        [ticket] = queue.list()
        assert ticket.session_id == session_id and ticket.inquiry_id == answer["inquiry_id"]
        rows = db_rows(client, "SELECT session_id, status, reason, inquiry_id FROM handoffs")
        assert rows == [(session_id, "waiting", "request", answer["inquiry_id"])]

    async def test_positions_follow_arrival_and_a_repeat_keeps_the_place(self, client) -> None:
        """The second chat is number 2; asking again does not queue the same chat twice."""
        async with client.ws_connect("/api/v1/chat") as first, client.ws_connect("/api/v1/chat") as second:
            await first.send_json({"type": "handoff", "reason": "fallback"})
            one = await receive(first)
            await second.send_json({"type": "handoff"})
            two = await receive(second)
            await first.send_json({"type": "handoff"})
            again = await receive(first)
        assert (one["position"], two["position"], again["position"]) == (1, 2, 1)
        assert again["handoff_id"] == one["handoff_id"]
        assert len(client.app[HANDOFFS]) == 2

    async def test_the_contact_center_comes_from_the_knowledge_base(self, aiohttp_client, settings: Settings,
                                                                   tmp_path: Path) -> None:
        """The number and hours the chat gives are the base's: a base with another number gives that one."""
        import shutil

        kb = tmp_path / "kb"
        shutil.copytree(MINI_KB, kb)
        offices = (kb / "offices.yaml").read_text(encoding="utf-8")
        (kb / "offices.yaml").write_text(offices.replace("phone: 044-200-3939", "phone: 044-200-0000")
                                         .replace('"毎日 8:00〜21:00"', '"毎日 8:00〜21:00（試験）"'), encoding="utf-8")
        client = await aiohttp_client(create_app(settings.with_(now=AFTER_HOURS, kb=str(kb))))
        async with client.ws_connect("/api/v1/chat") as ws:
            welcome = await hello(ws)
            await ws.send_json({"type": "handoff", "reason": "request"})
            handoff = await receive(ws)
        assert welcome["contact"] == {"name": "サンキューコールかわさき", "phone": "044-200-0000",
                                      "hours": "毎日 8:00〜21:00（試験）", "open": False}
        assert "044-200-0000" in handoff["message"] and "044-200-3939" not in handoff["message"]

    async def test_outside_hours_the_widget_gets_the_phone_number(self, after_hours_client) -> None:
        """At 22:30 nothing is queued; the reply gives 044-200-3939 and the hours."""
        client = after_hours_client
        async with client.ws_connect("/api/v1/chat") as ws:
            welcome = await hello(ws)
            await ws.send_json({"type": "ask", "text": "オペレーターと話したい"})
            await receive(ws)
            handoff = await receive(ws)
        assert welcome["contact"]["open"] is False
        assert handoff["queued"] is False and handoff["status"] == "outside_hours" and "position" not in handoff
        assert "044-200-3939" in handoff["message"] and "8:00" in handoff["message"]
        assert "時間外" in handoff["message"]
        assert len(client.app[HANDOFFS]) == 0
        assert db_rows(client, "SELECT COUNT(*) FROM handoffs") == [(0,)]

    async def test_cancel_leaves_the_queue(self, client) -> None:
        """The citizen can stop waiting; the row is marked cancelled."""
        async with client.ws_connect("/api/v1/chat") as ws:
            await ws.send_json({"type": "handoff"})
            queued = await receive(ws)
            await ws.send_json({"type": "cancel_handoff"})
            cancelled = await receive(ws)
        assert cancelled["status"] == "cancelled" and cancelled["queued"] is False
        assert len(client.app[HANDOFFS]) == 0
        assert db_rows(client, "SELECT status FROM handoffs WHERE id = ?", (queued["handoff_id"],)) == [("cancelled",)]

    async def test_a_claim_is_pushed_to_the_citizen(self, client) -> None:
        """When an operator claims the chat, the citizen's socket hears it."""
        async with client.ws_connect("/api/v1/chat") as ws:
            await ws.send_json({"type": "handoff"})
            queued = await receive(ws)
            assert await client.app[HANDOFFS].claim(queued["handoff_id"], "operator-7")
            claimed = await receive(ws)
        assert claimed["type"] == "handoff" and claimed["status"] == "claimed" and claimed["queued"] is False
        assert db_rows(client, "SELECT status, claimed_by FROM handoffs") == [("claimed", "operator-7")]

    async def test_two_concurrent_claims_one_wins(self, client) -> None:
        """Two operators claiming the same chat at once: exactly one gets it."""
        async with client.ws_connect("/api/v1/chat") as ws:
            await ws.send_json({"type": "handoff"})
            handoff_id = (await receive(ws))["handoff_id"]
        queue = client.app[HANDOFFS]
        results = await asyncio.gather(*(queue.claim(handoff_id, f"op-{i}") for i in range(5)))
        assert sorted(results) == [False, False, False, False, True]
        winner = f"op-{results.index(True)}"
        assert db_rows(client, "SELECT claimed_by FROM handoffs") == [(winner,)]
        assert queue.get(handoff_id).claimed_by == winner  # type: ignore[union-attr]
        assert queue.list() == ()

    async def test_waiting_chats_survive_a_restart(self, aiohttp_client, settings) -> None:
        """The queue is restored from the table; the citizen reconnecting is still in line."""
        first = await aiohttp_client(create_app(settings))
        async with first.ws_connect("/api/v1/chat") as ws:
            session_id = (await hello(ws))["session_id"]
            await ws.send_json({"type": "handoff"})
            queued = await receive(ws)
        await first.close()
        second = await aiohttp_client(create_app(settings))
        async with second.ws_connect("/api/v1/chat") as ws:
            welcome = await hello(ws, session_id=session_id)
        assert [h.id for h in second.app[HANDOFFS].list()] == [queued["handoff_id"]]
        assert welcome["handoff"]["handoff_id"] == queued["handoff_id"] and welcome["handoff"]["position"] == 1


class TestHandoffQueue:
    """The queue object operators claim from."""

    async def test_claims_across_two_nodes_sharing_the_table(self, tmp_path: Path) -> None:
        """Two queues over one database (two nodes) racing for a chat: the table's compare-and-set picks one."""
        store = InquiryLog(str(tmp_path / "c.sqlite3"))
        store.open()
        try:
            clock = Clock(dt.datetime.fromisoformat("2026-11-20T10:00:00+09:00"))
            ticket = await HandoffQueue(store, clock).enqueue("session-abc", "request")
            node_a, node_b = HandoffQueue(store, clock), HandoffQueue(store, clock)
            assert await node_a.load() == await node_b.load() == 1
            results = await asyncio.gather(node_a.claim(ticket.id, "op-a"), node_b.claim(ticket.id, "op-b"))
            assert sorted(results) == [False, True]
            [row] = await store.handoffs()
            assert row["status"] == "claimed" and row["claimed_by"] == ("op-a" if results[0] else "op-b")
            loser = node_b if results[0] else node_a
            assert [h.id for h in loser.list()] == [ticket.id]  # the loser still shows it until it refreshes
        finally:
            await store.close()

    async def test_claim_next_takes_the_oldest(self) -> None:
        """claim_next gives operators the chat that has waited longest."""
        queue = HandoffQueue(None, Clock())
        first = await queue.enqueue("session-1", "request")
        await queue.enqueue("session-2", "fallback")
        taken = await queue.claim_next("op-1")
        assert taken is first and queue.position(queue.list()[0].id) == 1
        assert await queue.close(first.id) and not await queue.close(first.id)

    async def test_old_waiting_chats_expire_at_load(self, tmp_path: Path) -> None:
        """A chat left waiting for hours (e.g. over night) is not put back in line."""
        store = InquiryLog(str(tmp_path / "c.sqlite3"))
        store.open()
        try:
            then = Clock(dt.datetime.fromisoformat("2026-11-20T10:00:00+09:00"))
            later = Clock(dt.datetime.fromisoformat("2026-11-20T13:00:00+09:00"))
            await HandoffQueue(store, then).enqueue("session-old", "request")
            assert await HandoffQueue(store, later).load() == 0
            assert [r["status"] for r in await store.handoffs()] == ["expired"]
        finally:
            await store.close()

    @pytest.mark.parametrize(
        ("now", "is_open"),
        [
            pytest.param("2026-11-20T07:59:59+09:00", False, id="before-8"),
            pytest.param("2026-11-20T08:00:00+09:00", True, id="at-8"),
            pytest.param("2026-11-22T20:59:00+09:00", True, id="sunday-evening"),
            pytest.param("2026-11-20T21:00:00+09:00", False, id="at-21"),
            pytest.param("2027-01-01T12:00:00+09:00", True, id="new-year"),
            pytest.param("2026-11-20T23:30:00+00:00", True, id="utc-input-is-0830-tokyo"),
        ],
    )
    def test_contact_center_hours(self, now: str, is_open: bool) -> None:
        """サンキューコールかわさき takes chats 8:00–21:00 Tokyo time every day: by the shipped base's calendar
        (its contact-center profile), and by the defaults for a base without a calendar (the fixture)."""
        from intents.compose import contact_point
        from knowledge.loader import SHIPPED_DIR, load

        shipped, mini = contact_point(load(SHIPPED_DIR)), contact_point(load(MINI_KB))
        assert shipped.calendar is not None and mini.calendar is None
        at = dt.datetime.fromisoformat(now)
        assert shipped.is_open(at) is is_open and mini.is_open(at) is is_open


class TestPages:
    """The demo page and the widget script."""

    async def test_widget_js_is_served_with_caching_headers(self, client) -> None:
        """/widget.js is JavaScript with Cache-Control and an ETag; a matching If-None-Match is a 304."""
        resp = await client.get("/widget.js")
        assert resp.status == 200
        assert resp.content_type == "text/javascript" and resp.charset == "utf-8"
        assert "max-age" in resp.headers["Cache-Control"] and resp.headers["X-Content-Type-Options"] == "nosniff"
        etag = resp.headers["ETag"]
        body = await resp.read()
        assert b"/api/v1/chat" in body and len(body) < 40_000
        for sink in (b"innerHTML", b"outerHTML", b"insertAdjacentHTML", b"document.write", b"eval("):
            assert sink not in body, f"server text must be set with textContent, found {sink!r}"
        again = await client.get("/widget.js", headers={"If-None-Match": etag})
        assert again.status == 304
        gzipped = await client.get("/widget.js", headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
        assert gzipped.headers["Content-Encoding"] == "gzip" and len(await gzipped.read()) < len(body) / 2

    async def test_demo_page_embeds_the_widget(self, client) -> None:
        """/ is an HTML page in Japanese with one script tag for the widget."""
        resp = await client.get("/")
        assert resp.status == 200 and resp.content_type == "text/html"
        html = await resp.text()
        assert '<html lang="ja"' in html and 'src="/widget.js"' in html
        assert "Content-Security-Policy" in resp.headers and resp.headers["Cache-Control"] == "no-cache"
