"""Limits, CORS, security headers and timeouts (contact.web.ratelimit, contact.web.security, the chat's timeouts)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import WSCloseCode, WSMsgType, web
from multidict import CIMultiDict

from contact.app import create_app
from contact.chat.hub import ChatLimits, send_frame
from contact.config import ConfigError, Settings
from contact.web.keys import CHAT_LIMITS, LIMITS
from contact.web.limiters import ConnectionLimiter, RateLimiter
from contact.web.ratelimit import client_key
from contact.web.security import API_CSP, PAGE_CSP
from knowledge.loader import SHIPPED_DIR
from tests.conftest import MINI_KB
from tests.server import Server

WIDGET_ORIGIN = "https://www.city.kawasaki.jp"
ASK = {"text": "住民票はいくらですか"}


async def make_client(aiohttp_client: Any, settings: Settings, **changes: Any) -> Any:
    return await aiohttp_client(create_app(settings.with_(**changes)))


def error_code(body: dict[str, Any]) -> str:
    return str(body["error"]["code"])


# -- rate limits ---------------------------------------------------------------------------------------


class TestRateLimit:
    async def test_past_the_burst_a_429_with_retry_after(self, aiohttp_client, settings) -> None:
        """The burst passes; the next citizen request is 429 rate_limited with a whole-second Retry-After."""
        client = await make_client(aiohttp_client, settings, rate_limit=6, rate_limit_burst=3)
        statuses = [(await client.post("/api/v1/ask", json=ASK)).status for _ in range(3)]
        refused = await client.post("/api/v1/ask", json=ASK)
        assert statuses == [200, 200, 200]
        assert refused.status == 429
        body = await refused.json()
        assert error_code(body) == "rate_limited" and "seconds" in body["error"]["message"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 10  # 6/minute: one token every 10 s
        assert refused.headers["X-Content-Type-Options"] == "nosniff"

    async def test_lookups_share_the_bucket_and_other_endpoints_are_not_limited(self, aiohttp_client,
                                                                                settings) -> None:
        """offices, entries, openings and asks take from one bucket; health and the spec never do."""
        client = await make_client(aiohttp_client, settings, rate_limit=1, rate_limit_burst=3)
        assert (await client.get("/api/v1/offices")).status == 200
        assert (await client.get("/api/v1/entries/juminhyo")).status == 200
        assert (await client.post("/api/v1/ask", json=ASK)).status == 200
        assert (await client.get("/api/v1/openings", params={"office": "x"})).status == 429
        assert (await client.head("/api/v1/offices")).status == 429
        for path in ("/healthz", "/readyz", "/api/v1/openapi.json", "/", "/widget.js"):
            assert (await client.get(path)).status == 200, path

    async def test_a_refused_ask_is_not_logged(self, aiohttp_client, settings) -> None:
        """429 is answered before the handler: nothing is recorded for it."""
        client = await make_client(aiohttp_client, settings, rate_limit=1, rate_limit_burst=1)
        assert (await client.post("/api/v1/ask", json=ASK)).status == 200
        assert (await client.post("/api/v1/ask", json=ASK)).status == 429
        from contact.web.keys import INQUIRY_LOG
        assert await client.app[INQUIRY_LOG].count() == 1

    async def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(self, aiohttp_client, settings) -> None:
        """Without trust_proxy a client cannot escape its bucket by inventing X-Forwarded-For."""
        client = await make_client(aiohttp_client, settings, rate_limit=1, rate_limit_burst=2)
        statuses = [(await client.get("/api/v1/offices", headers={"X-Forwarded-For": f"192.0.2.{i}"})).status
                    for i in range(3)]
        assert statuses == [200, 200, 429]

    async def test_with_one_trusted_proxy_the_last_hop_is_the_client(self, aiohttp_client, settings) -> None:
        """trust_proxy=1: the address the proxy appended counts; what the client put in front does not."""
        client = await make_client(aiohttp_client, settings, rate_limit=1, rate_limit_burst=1, trust_proxy=1)

        async def get(xff: str) -> int:
            return (await client.get("/api/v1/offices", headers={"X-Forwarded-For": xff})).status

        assert await get("198.51.100.7") == 200
        assert await get("1.1.1.1, 198.51.100.7") == 429  # spoofed first entry, same real client
        assert await get("198.51.100.8") == 200  # another citizen behind the same proxy
        assert await get("not-an-ip") == 200  # unreadable: the peer (the proxy) is the key
        assert await get("garbage") == 429

    def test_ipv6_clients_share_their_64(self) -> None:
        """An IPv6 client is limited by its /64 (one phone or household); IPv4-mapped addresses are IPv4."""

        class Req:
            def __init__(self, remote: str, xff: str | None = None) -> None:
                self.remote = remote
                self.headers = CIMultiDict({"X-Forwarded-For": xff} if xff else {})

        assert client_key(Req("2001:db8:1:2::5"), 0) == client_key(Req("2001:db8:1:2:ffff::1"), 0)
        assert client_key(Req("2001:db8:1:3::5"), 0) != client_key(Req("2001:db8:1:2::5"), 0)
        assert client_key(Req("::ffff:192.0.2.9"), 0) == "192.0.2.9"
        assert client_key(Req("10.0.0.1", "[2001:db8::1]:443"), 1) == "2001:db8::/64"

    def test_memory_is_bounded(self) -> None:
        """Full (idle) buckets are forgotten; past max_keys the least recently used goes."""
        clock = [0.0]
        limiter = RateLimiter(per_minute=60, burst=5, max_keys=100, now=lambda: clock[0])
        for i in range(1000):
            limiter.hit(f"10.0.{i // 250}.{i % 250}")
        assert len(limiter) <= 100
        clock[0] = 5.0  # 5 tokens at 1/s: every bucket is full again
        limiter.hit("10.9.9.9")
        assert len(limiter) == 1

    def test_refill_and_retry_after(self) -> None:
        clock = [0.0]
        limiter = RateLimiter(per_minute=30, burst=2, now=lambda: clock[0])
        assert [limiter.hit("a"), limiter.hit("a")] == [0.0, 0.0]
        assert limiter.hit("a") == pytest.approx(2.0)
        clock[0] = 1.0
        assert limiter.hit("a") == pytest.approx(1.0)  # refused requests take nothing
        clock[0] = 2.0
        assert limiter.hit("a") == 0.0

    async def test_off_means_off(self, aiohttp_client, settings) -> None:
        client = await make_client(aiohttp_client, settings, rate_limit=0)
        assert client.app[LIMITS].requests is None
        assert all([(await client.get("/api/v1/offices")).status == 200 for _ in range(80)])


class TestChatConnections:
    async def test_per_address_limit(self, aiohttp_client, settings) -> None:
        """Past max_chats_per_ip the upgrade is refused with 429; closing one frees the place."""
        client = await make_client(aiohttp_client, settings, max_chats_per_ip=2)
        first = await client.ws_connect("/api/v1/chat")
        second = await client.ws_connect("/api/v1/chat")
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect("/api/v1/chat")
        assert refused.value.status == 429
        assert client.app[LIMITS].chats.total == 2
        await first.close()
        for _ in range(50):
            if client.app[LIMITS].chats.total < 2:
                break
            await asyncio.sleep(0.02)
        third = await client.ws_connect("/api/v1/chat")
        await third.send_json({"type": "ping"})
        assert (await third.receive_json(timeout=5))["type"] == "pong"
        await second.close()
        await third.close()

    async def test_overall_limit_is_503(self, aiohttp_client, settings) -> None:
        client = await make_client(aiohttp_client, settings, max_chats=1)
        async with client.ws_connect("/api/v1/chat"):
            resp = await client.get("/api/v1/chat", headers={"Connection": "Upgrade", "Upgrade": "websocket",
                                                            "Sec-WebSocket-Version": "13",
                                                            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
            assert resp.status == 503
            body = await resp.json()
            assert error_code(body) == "too_many_chats" and "044-200-3939" in body["error"]["message"]
            assert int(resp.headers["Retry-After"]) > 0

    @staticmethod
    async def _fill(client: Any, addresses: int, per_address: int, first: int = 1) -> list[Any]:
        """``per_address`` chats from each of ``addresses`` client addresses (trust_proxy 1), each said hello."""
        sockets = []
        for n in range(first, first + addresses):
            for _ in range(per_address):
                ws = await client.ws_connect("/api/v1/chat", headers={"X-Forwarded-For": f"203.0.113.{n}"})
                await ws.send_json({"type": "hello"})
                assert (await ws.receive_json(timeout=5))["type"] == "welcome"
                sockets.append(ws)
        return sockets

    @staticmethod
    async def _ended(ws: Any, within: float) -> bool:
        try:
            msg = await ws.receive(timeout=within)
        except TimeoutError:
            return False
        assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING), msg
        assert ws.close_code == WSCloseCode.GOING_AWAY
        return True

    async def test_finding10_idle_sockets_from_many_addresses_are_closed_when_the_chat_is_busy(
            self, aiohttp_client, settings) -> None:
        """Finding 10, scaled down (2,000 sockets from 100 addresses held every place for 30 minutes): the
        per-address cap refuses the address's next socket with 429; while 80 % of max_chats are open, chats
        idle for chat_busy_idle_timeout are closed (1001), but not one waiting for an operator; a citizen
        then gets in and is answered."""
        client = await make_client(aiohttp_client, settings, trust_proxy=1, max_chats=20, max_chats_per_ip=4,
                                   chat_busy_idle_timeout=0.5, rate_limit=0)
        assert client.app[CHAT_LIMITS].busy_idle_timeout == 0.5
        waiting = await client.ws_connect("/api/v1/chat", headers={"X-Forwarded-For": "198.51.100.7"})
        await waiting.send_json({"type": "handoff"})
        assert (await waiting.receive_json(timeout=5))["status"] == "queued"
        idle = await self._fill(client, addresses=4, per_address=4) + await self._fill(client, 1, 3, first=5)
        assert client.app[LIMITS].chats.total == 20
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect("/api/v1/chat", headers={"X-Forwarded-For": "203.0.113.1"})
        assert refused.value.status == 429
        ended = await asyncio.gather(*(self._ended(ws, 5.0) for ws in idle))
        assert all(ended), ended
        await waiting.send_json({"type": "ping"})
        assert (await waiting.receive_json(timeout=5)) == {"type": "pong"}  # the operator's chat is kept
        async with client.ws_connect("/api/v1/chat", headers={"X-Forwarded-For": "192.0.2.50"}) as citizen:
            await citizen.send_json({"type": "ask", "text": "住民票はいくらですか"})
            assert (await citizen.receive_json(timeout=10))["type"] == "answer"
        await waiting.close()

    async def test_finding10_when_every_place_is_taken_a_new_chat_replaces_the_longest_idle(
            self, aiohttp_client, settings) -> None:
        """All places taken: a newcomer is refused (503) while every chat is recent, and once they have been
        idle for chat_busy_idle_timeout it takes the place of the one idle longest, at once."""
        app = create_app(settings.with_(trust_proxy=1, max_chats=6, max_chats_per_ip=0, rate_limit=0))
        app[CHAT_LIMITS] = ChatLimits(busy_idle_timeout=0.4, busy_share=2.0)  # 2.0: no sweeps, only replacing
        client = await aiohttp_client(app)
        sockets = await self._fill(client, addresses=6, per_address=1)
        for ws in sockets[1:]:
            await ws.send_json({"type": "hello"})  # activity
            assert (await ws.receive_json(timeout=5))["type"] == "welcome"
        await sockets[0].send_json({"type": "ping"})  # not activity: the first stays the one idle longest
        assert (await sockets[0].receive_json(timeout=5)) == {"type": "pong"}
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect("/api/v1/chat", headers={"X-Forwarded-For": "192.0.2.50"})
        assert refused.value.status == 503
        await asyncio.sleep(0.5)
        newcomer = await client.ws_connect("/api/v1/chat", headers={"X-Forwarded-For": "192.0.2.50"})
        assert await self._ended(sockets[0], 5.0)
        assert not any(await asyncio.gather(*(self._ended(ws, 0.3) for ws in sockets[1:])))
        await newcomer.send_json({"type": "ping"})
        assert (await newcomer.receive_json(timeout=5)) == {"type": "pong"}
        for _ in range(50):
            if client.app[LIMITS].chats.total == 6:
                break
            await asyncio.sleep(0.02)
        assert client.app[LIMITS].chats.total == 6
        for ws in [newcomer, *sockets[1:]]:
            await ws.close()

    def test_finding10_the_busy_idle_timeout_is_a_setting(self) -> None:
        assert Settings().chat_busy_idle_timeout == 60.0
        with pytest.raises(ConfigError):
            Settings(chat_busy_idle_timeout=0)

    def test_counter(self) -> None:
        limiter = ConnectionLimiter(total_limit=3, per_key_limit=2)
        assert [limiter.acquire("a"), limiter.acquire("a"), limiter.acquire("a")] == [None, None, "per_client"]
        assert limiter.acquire("b") is None and limiter.acquire("c") == "total"
        limiter.release("a")
        assert limiter.acquire("c") is None and limiter.by_key == {"a": 1, "b": 1, "c": 1}


class TestChatTimeouts:
    async def test_an_idle_chat_is_closed_even_while_it_answers_pings(self, aiohttp_client, settings) -> None:
        """Heartbeat pongs do not count as activity: a silent chat is closed (1001) after idle_timeout."""
        app = create_app(settings)
        app[CHAT_LIMITS] = ChatLimits(idle_timeout=0.6, heartbeat=0.2)
        client = await aiohttp_client(app)
        async with client.ws_connect("/api/v1/chat") as ws:
            await ws.send_json({"type": "ping"})
            assert (await ws.receive_json(timeout=5))["type"] == "pong"
            started = time.monotonic()
            msg = await ws.receive(timeout=5)
            waited = time.monotonic() - started
        assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
        assert ws.close_code == WSCloseCode.GOING_AWAY and 0.4 < waited < 3

    async def test_a_client_that_does_not_answer_pings_is_dropped(self, aiohttp_client, settings) -> None:
        app = create_app(settings)
        app[CHAT_LIMITS] = ChatLimits(heartbeat=0.2)
        client = await aiohttp_client(app)
        async with client.ws_connect("/api/v1/chat", autoping=False) as ws:
            types = []
            for _ in range(5):
                msg = await ws.receive(timeout=5)
                types.append(msg.type)
                if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING, WSMsgType.ERROR):
                    break
        assert WSMsgType.PING in types and types[-1] in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)

    async def test_a_send_to_a_client_that_does_not_read_times_out(self) -> None:
        """A frame that cannot be written within the send timeout drops the connection."""

        class Stuck:
            closed_with: int | None = None

            async def send_json(self, data: Any, dumps: Any = None) -> None:
                await asyncio.sleep(3600)

            async def close(self, *, code: int, message: bytes = b"", drain: bool = True) -> bool:
                self.closed_with = code
                return True

        ws = Stuck()
        started = time.monotonic()
        with pytest.raises(ConnectionResetError):
            await send_frame(ws, {"type": "pong"}, 0.2)
        assert time.monotonic() - started < 2 and ws.closed_with == WSCloseCode.GOING_AWAY

    async def test_message_size_and_rate_limits_come_from_settings(self, client) -> None:
        """The chat's timeouts are the settings'; the frame limits are those of ChatLimits (tested in test_chat)."""
        limits = client.app[CHAT_LIMITS]
        assert limits.send_timeout == 10.0 and limits.idle_timeout == 1800.0
        assert limits.max_message_bytes < limits.hard_max_bytes


# -- CORS and headers ------------------------------------------------------------------------------------


class TestCors:
    @pytest.fixture
    async def cors_client(self, aiohttp_client, settings):  # type: ignore[no-untyped-def]
        return await make_client(aiohttp_client, settings, widget_origins=WIDGET_ORIGIN + ", http://localhost:3000")

    async def test_a_widget_origin_may_ask(self, cors_client) -> None:
        resp = await cors_client.post("/api/v1/ask", json=ASK, headers={"Origin": WIDGET_ORIGIN})
        assert resp.status == 200
        assert resp.headers["Access-Control-Allow-Origin"] == WIDGET_ORIGIN
        assert "Origin" in resp.headers["Vary"]
        assert "Access-Control-Allow-Credentials" not in resp.headers
        bad = await cors_client.post("/api/v1/ask", json={"text": ""}, headers={"Origin": WIDGET_ORIGIN})
        assert bad.status == 400 and bad.headers["Access-Control-Allow-Origin"] == WIDGET_ORIGIN  # errors readable

    async def test_other_origins_get_no_cors_headers(self, cors_client) -> None:
        for origin in ("https://evil.example", "null", WIDGET_ORIGIN + ".evil.example", "*"):
            resp = await cors_client.post("/api/v1/ask", json=ASK, headers={"Origin": origin})
            assert "Access-Control-Allow-Origin" not in resp.headers, origin
            assert "Origin" in resp.headers["Vary"]
        plain = await cors_client.get("/api/v1/offices")
        assert "Access-Control-Allow-Origin" not in plain.headers and "Origin" in plain.headers["Vary"]

    async def test_preflight(self, cors_client) -> None:
        """OPTIONS from a widget origin: 204 with the methods; from another origin or with other headers: 403."""
        ok = await cors_client.options("/api/v1/ask", headers={
            "Origin": WIDGET_ORIGIN, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert ok.status == 204
        assert ok.headers["Access-Control-Allow-Origin"] == WIDGET_ORIGIN
        assert ok.headers["Access-Control-Allow-Methods"] == "POST"
        assert "Content-Type" in ok.headers["Access-Control-Allow-Headers"]
        assert int(ok.headers["Access-Control-Max-Age"]) > 0 and "Origin" in ok.headers["Vary"]
        entry = await cors_client.options("/api/v1/entries/juminhyo", headers={
            "Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"})
        assert entry.status == 204 and entry.headers["Access-Control-Allow-Methods"] == "GET"
        evil = await cors_client.options("/api/v1/ask", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert evil.status == 403 and error_code(await evil.json()) == "origin_forbidden"
        assert "Access-Control-Allow-Origin" not in evil.headers
        creds = await cors_client.options("/api/v1/ask", headers={
            "Origin": WIDGET_ORIGIN, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization"})
        assert creds.status == 403 and error_code(await creds.json()) == "cors_forbidden"
        staff = await cors_client.options("/api/v1/audit", headers={
            "Origin": WIDGET_ORIGIN, "Access-Control-Request-Method": "GET"})
        assert "Access-Control-Allow-Origin" not in staff.headers  # not a citizen endpoint: no CORS

    async def test_chat_from_foreign_pages_is_refused(self, cors_client) -> None:
        """The chat accepts its own pages, the widget origins and non-browser clients; other origins get 403."""
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await cors_client.ws_connect("/api/v1/chat", headers={"Origin": "https://evil.example"})
        assert refused.value.status == 403
        own = f"http://{cors_client.host}:{cors_client.port}"
        for headers in ({"Origin": WIDGET_ORIGIN}, {"Origin": own}, {}):
            async with cors_client.ws_connect("/api/v1/chat", headers=headers) as ws:
                await ws.send_json({"type": "ping"})
                assert (await ws.receive_json(timeout=5))["type"] == "pong"

    def test_origins_are_validated(self) -> None:
        for bad in ("*", "https://x.example/path", "x.example", "https://a.example, *"):
            with pytest.raises(ConfigError):
                Settings(widget_origins=bad)
        assert Settings(widget_origins=" HTTPS://WWW.City.Example.jp/ ").widget_origin_set() == {
            "https://www.city.example.jp"}


class TestHeaders:
    async def test_pages_get_the_strict_policy(self, aiohttp_client, settings) -> None:
        """/, /login and any HTML page (including ones other modules add under /staff/) get CSP and no framing."""
        app = create_app(settings)

        async def staff_page(request: web.Request) -> web.Response:
            return web.Response(text="<!doctype html><title>staff</title>", content_type="text/html")

        app.router.add_get("/staff/", staff_page)
        app.router.add_get("/elsewhere.html", staff_page)
        client = await aiohttp_client(app)
        for path in ("/", "/login", "/staff/", "/elsewhere.html"):
            resp = await client.get(path)
            assert resp.status == 200, path
            assert resp.headers["Content-Security-Policy"] == PAGE_CSP, path
            assert resp.headers["X-Frame-Options"] == "DENY"
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
            assert "camera=()" in resp.headers["Permissions-Policy"]
        assert "script-src 'self';" in PAGE_CSP and "unsafe-inline" not in PAGE_CSP.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in PAGE_CSP

    async def test_api_responses(self, client) -> None:
        """JSON answers and errors: nosniff, no caching, a CSP that runs nothing, no framing by a page."""
        for method, path, status in (("POST", "/api/v1/ask", 200), ("GET", "/api/v1/nothing", 404),
                                     ("GET", "/api/v1/entries/none", 404), ("PUT", "/api/v1/ask", 405)):
            resp = await client.request(method, path, json=ASK)
            assert resp.status == status
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            assert resp.headers["Cache-Control"] == "no-store"
            assert resp.headers["Content-Security-Policy"] == API_CSP
            assert resp.content_type == "application/json"
        assert "Strict-Transport-Security" not in resp.headers  # plain HTTP

    async def test_hsts_behind_a_trusted_tls_proxy(self, aiohttp_client, settings) -> None:
        client = await make_client(aiohttp_client, settings, trust_proxy=1)
        resp = await client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
        untrusted = await (await make_client(aiohttp_client, settings)).get(
            "/healthz", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" not in untrusted.headers

    async def test_the_widget_script_can_be_embedded_anywhere(self, client) -> None:
        resp = await client.get("/widget.js")
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert resp.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert "Content-Security-Policy" not in resp.headers


# -- timeouts and logs against the real server -------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path, env={"CONTACT_KB": str(MINI_KB), "CONTACT_BODY_TIMEOUT": "0.5",
                              "CONTACT_KEEPALIVE_TIMEOUT": "1"})
    yield s
    s.stop()


def _read_all(sock: socket.socket, deadline: float, until_response: bool = False) -> bytes:
    """Read until the peer closes (or, with ``until_response``, until one whole response has arrived)."""
    data = b""
    while time.monotonic() < deadline:
        if until_response and b"\r\n\r\n" in data:
            head, _, body = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            if len(body) >= length:
                break
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        if not chunk:
            break
        data += chunk
    return data


def test_a_slow_body_gets_408_and_slow_headers_are_cut_off(server: Server) -> None:
    """A body that stops arriving is 408 request_timeout after body_timeout; a client that never finishes
    its request headers is disconnected after keepalive_timeout (the server's run_app setting)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=0.2) as sock:
        sock.sendall(b"POST /api/v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"text\": ")
        started = time.monotonic()
        data = _read_all(sock, started + 10, until_response=True)
        elapsed = time.monotonic() - started
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), data[:200]
    assert b"connection: close" in head.lower()
    assert json.loads(body)["error"]["code"] == "request_timeout"
    assert 0.4 < elapsed < 5

    with socket.create_connection(("127.0.0.1", server.port), timeout=0.2) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never the blank line
        started = time.monotonic()
        data = _read_all(sock, started + 10)
        elapsed = time.monotonic() - started
    assert data == b"" and elapsed < 5


def test_logs_hold_no_personal_data_or_secrets(server: Server) -> None:
    """Citizen text, phone numbers and e-mail addresses in bodies or paths, and tokens, never reach the logs."""
    phone, mail, token = "090-8765-4321", "taro.yamada@example.jp", "s3cr3t-t0ken-value"
    assert server.post("/api/v1/ask", {"text": f"住民票 電話は{phone} メールは{mail}"})[0] == 200
    server.post(f"/api/v1/nothing/{phone}/{mail}", {"text": "x"})
    server.post("/api/v1/feedback", {"inquiry_id": phone, "helpful": True, "comment": mail})
    import urllib.request
    req = urllib.request.Request(server.base + "/api/v1/admin/reload", method="POST", data=b"",
                                 headers={"Authorization": f"Bearer {token}", "Cookie": f"contact_session={token}"})
    try:
        urllib.request.urlopen(req, timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code in (401, 403)
    output = server.stop()
    assert '"http"' in output or "http" in output
    for secret in (phone, "8765-4321", mail, "taro.yamada", token):
        assert secret not in output, secret


@pytest.mark.parametrize("path", ["/api/v1/ask", "/api/v1/feedback", "/api/v1/login", "/api/v1/inquiries",
                                  "/api/v1/phrasings/1"])
async def test_finding_5_a_body_that_does_not_match_its_content_encoding_is_a_400(
        client, path, caplog) -> None:  # type: ignore[no-untyped-def]
    """Security probe finding 5: ``Content-Encoding: gzip`` over a plain body was a 500 with a traceback in
    the log. It is a 400 with the JSON error body and nothing is logged as an error; a real gzip body is
    still read."""
    import asyncio
    import gzip
    import logging

    caplog.set_level(logging.ERROR, logger="aiohttp")

    bad = await client.post(path, data=b'{"text": "x"}', headers={"Content-Type": "application/json",
                                                                   "Content-Encoding": "gzip"})
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_body"
    await asyncio.sleep(0.05)  # aiohttp would log a failed drain of the body after the response
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    if path == "/api/v1/ask":
        good = await client.post(path, data=gzip.compress('{"text": "住民票"}'.encode()),
                                 headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
        assert good.status == 200


EDGE_DATES = [
    ("/api/v1/openings?office=nakahara-kuyakusho&from=9999-12-31&to=9999-12-31", None),
    ("/api/v1/openings?office=nakahara-kuyakusho&from=0001-01-01&to=0001-01-02", None),
    ("/api/v1/openings.ics?office=nakahara-kuyakusho&from=9999-12-30&to=9999-12-31", None),
    ("/api/v1/suggest?q=住民票&date=9999-12-31", "operator"),
    ("/api/v1/inquiries?from=9999-12-31", "staff"),
    ("/api/v1/inquiries.csv?to=0001-01-01", "staff"),
    ("/api/v1/stats/summary?from=0001-01-01", "staff"),
    ("/api/v1/stats/volume?from=9999-12-01&period=week", "staff"),
    ("/api/v1/reports/monthly?month=9999-12", "staff"),
    ("/api/v1/reports/monthly?month=0001-01", "staff"),
]


@pytest.mark.parametrize(("path", "role"), EDGE_DATES)
async def test_finding_5_dates_at_the_edges_of_the_calendar_are_a_400(
        aiohttp_client, settings, add_user, path, role) -> None:  # type: ignore[no-untyped-def]
    """Security probe finding 5: 9999-12-31 and 0001-01-01 (where the day after or before overflows) were
    500s with tracebacks on openings, suggest, every staff endpoint and the monthly report. Every date a
    request carries is now checked against one range (contact.analysis.filters.FIRST_DATE … LAST_DATE)."""
    from dataclasses import replace

    from contact.app import create_app
    headers = {"Authorization": f"Bearer {add_user('edge-' + role, role)}"} if role else {}
    client = await aiohttp_client(create_app(replace(settings, kb=str(SHIPPED_DIR), encoders="none")))
    response = await client.get(path, headers=headers)
    assert response.status == 400, await response.text()
    assert "between 1900-01-01 and 2199-12-31" in (await response.json())["error"]["message"]


async def test_finding_5_a_phrasing_id_beyond_sqlite_integers_is_a_404(client, add_user) -> None:  # type: ignore[no-untyped-def]
    """Security probe finding 5: a 20-digit phrasing id overflowed SQLite's integer (500). It names no row: 404."""
    headers = {"Authorization": f"Bearer {add_user('editor-20', 'staff')}"}
    for phrasing_id in ("99999999999999999999", "0", "-1"):
        response = await client.post(f"/api/v1/phrasings/{phrasing_id}", json={"status": "accepted"}, headers=headers)
        assert response.status == 404 and (await response.json())["error"]["code"] == "not_found", phrasing_id
