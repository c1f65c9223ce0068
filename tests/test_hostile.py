"""Hostile input against the live server: every endpoint, hypothesis-generated, never a 500, always JSON errors.

What is thrown (see :data:`INJECTIONS` and the strategies below): control and format characters, lone
surrogate halves (as JSON escapes and as invalid UTF-8), 10 000 emoji and other oversized text, RTL and
bidi overrides, zero-width characters, SQL injection, HTML/JS injection, path traversal, format strings,
CRLF, NUL, huge and non-finite numbers (past Python's 4300-digit integer limit, 1e999999, NaN), deeply
nested JSON, wrong JSON types in every field, hostile query strings, path segments and headers, and the
same through the chat WebSocket. The browser part checks that injected HTML in answers (from a hostile
knowledge base) and in the citizen's own text is never executed by the widget.

:func:`test_hostile_run_over_every_endpoint_and_frame_type` is the CI run of issue #16: 10,000+ inputs
over every operation of the OpenAPI description and every frame type of both WebSockets, 24 at a time
against one server, with 0 5xx and no traceback in its log as the bar (it prints its counts; ``-rP``).
"""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import random
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.browser_runner import ARTIFACTS, BROWSER_DIR, ROOT, assert_passed, last_result
from tests.conftest import MINI_KB
from tests.server import Server

INJECTIONS = [
    "'; DROP TABLE inquiries; --", "1' OR '1'='1", "\" OR 1=1 --", "1; SELECT * FROM users", "' UNION SELECT "
    "password_hash FROM users --", "%' AND 1=0 UNION SELECT sql FROM sqlite_master --", "?", "?1", ":name",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"><svg onload=alert(1)>", "javascript:alert(1)",
    "<iframe src=javascript:alert(1)>", "{{7*7}}", "${7*7}", "#{7*7}", "%s%s%s%n", "{0.__class__}",
    "../../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "\\\\server\\share", "\r\nSet-Cookie: x=1", "\x00",
    "\u202e\u2066evil\u2069", "\ufeff", "\u200b\u200c\u200d", "𝕳𝖊𝖑𝖑𝖔", "Z̷̧̛͎a̶l̸g̵o", "住民票\x00いくら",
    "住民票" * 400, "0" * 5000, "-1", "1e309", "NaN", "null", "true", "[]", "{}",
]
EMOJI = ["😀", "👨‍👩‍👧‍👦", "🇯🇵", "🏳️‍🌈", "🧑🏽‍💻"]

weird_chars = st.characters(categories=("Cc", "Cf", "Cs", "Co", "Zs", "Zl", "Zp", "Mn", "Me"))
hostile_text = st.one_of(
    st.text(alphabet=weird_chars, max_size=300),
    st.text(max_size=1200),
    st.sampled_from(INJECTIONS),
    st.builds(lambda e, n: e * n, st.sampled_from(EMOJI), st.integers(1, 12_000)),  # up to 10k+ emoji
    st.builds(lambda a, b, c: a + b + c, st.sampled_from(INJECTIONS), st.text(alphabet=weird_chars, max_size=20),
              st.sampled_from(["住民票はいくら", "土曜日に転入届", "\u202e", ""])),
)
huge_numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([10**400, -(10**400), 2**63, 2**64 + 1]),
)
json_leaf = st.one_of(st.none(), st.booleans(), huge_numbers, hostile_text)
json_values = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
RAW_BODIES = [
    b"[" * 20_000 + b"]" * 20_000, b'{"text": ' + b"[" * 5000 + b"]" * 5000 + b"}", b'{"text": 1e999999}',
    b'{"text": ' + b"9" * 6000 + b"}", b'{"text": "hi", "debug": NaN}', b'{"text": Infinity}', b"\xef\xbb\xbf{}",
    b'{"text": "\\ud800"}', b'{"text": "\xed\xa0\x80"}', b'{"text": "a", "text": 1}', b'{"text": "x"} trailing',
    b"\x00" * 100, b"null", b'"just a string"', b"", b"{" * 10, "{\"text\": \"\u202e住民票\"}".encode(),
]
MAX_TARGET = 8190
"""aiohttp's HTTP parser refuses a request target (path and query) over 8190 bytes with a plain-text 400
before the app runs (measured: a target of 8190 bytes reaches the app, 8191 does not). The threshold was
8000, which let a generated path between the two fail at random (a 404 from the app, not the parser's 400)."""
VALID_RAW_BODIES = {b'{"text": "\\ud800"}', "{\"text\": \"\u202e住民票\"}".encode()}
"""Bodies an ask accepts: a lone surrogate escape is replaced, an RTL override is text like any other."""
ENDPOINT_SETTINGS = settings(max_examples=60, deadline=None, derandomize=False,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                                    HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("hostile"), env={"CONTACT_RATE_LIMIT": "0"})
    yield server
    output = server.stop()
    assert "unhandled_error" not in output and "Traceback" not in output, output[-3000:]


class Http:
    """A keep-alive HTTP/1.1 client that sends exactly the bytes it is given."""

    def __init__(self, server: Server) -> None:
        self.port = server.port
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=all_headers)
                response = self.conn.getresponse()
                return response.status, response.getheader("Content-Type", ""), response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def http_client(live: Server) -> Iterator[Http]:
    client = Http(live)
    yield client
    client.conn.close()


def check(status: int, content_type: str, body: bytes, what: object) -> Any:
    """No 5xx; errors are the project's JSON error body without internals; JSON answers parse."""
    assert status < 500, (status, body[:300], what)
    if content_type.startswith("text/calendar"):
        assert status == 200
        return None
    assert content_type.startswith("application/json"), (status, content_type, what)
    data = json.loads(body)
    if status >= 400:
        error = data["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
        assert "Traceback" not in error["message"] and "/work/" not in error["message"] and ".py" not in \
            error["message"], error
    return data


def encode(document: Any, utf8: bool) -> bytes:
    """JSON with \\u escapes (lone surrogates stay escapes), or raw UTF-8 (lone surrogates become invalid bytes)."""
    if not utf8:
        return json.dumps(document, ensure_ascii=True).encode()
    return json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")


@given(text=hostile_text, extra=st.dictionaries(
    st.sampled_from(["session_id", "ward", "channel", "lang", "debug", "text"]), json_values, max_size=3),
    utf8=st.booleans())
@ENDPOINT_SETTINGS
def test_ask(http_client: Http, text: str, extra: dict[str, Any], utf8: bool) -> None:
    document = {"text": text, **extra}
    status, ctype, body = http_client.request("POST", "/api/v1/ask", encode(document, utf8))
    data = check(status, ctype, body, document)
    if status == 200:
        assert data["kind"] in ("answer", "clarify", "fallback", "handoff", "smalltalk") and data["message"]


@given(document=st.one_of(json_values, st.fixed_dictionaries(
    {"inquiry_id": json_values, "helpful": json_values}, optional={"comment": json_values})), utf8=st.booleans())
@ENDPOINT_SETTINGS
def test_feedback(http_client: Http, document: Any, utf8: bool) -> None:
    check(*http_client.request("POST", "/api/v1/feedback", encode(document, utf8)), document)


@pytest.mark.parametrize("body", RAW_BODIES, ids=range(len(RAW_BODIES)))
@pytest.mark.parametrize("path", ["/api/v1/ask", "/api/v1/feedback", "/api/v1/login", "/api/v1/admin/reload"])
def test_raw_bodies(http_client: Http, path: str, body: bytes) -> None:
    """Malformed, nested, non-finite and oversized documents are 4xx JSON errors on every JSON endpoint."""
    if path == "/api/v1/admin/reload" and body:
        body = body[:1000]  # reload ignores its body; keep the run short
    status, ctype, data = http_client.request("POST", path, body)
    check(status, ctype, data, body[:80])
    if path in ("/api/v1/ask", "/api/v1/feedback") and body not in VALID_RAW_BODIES:
        assert 400 <= status < 500


query_value = st.one_of(hostile_text.filter(lambda t: len(t) < 2000), st.sampled_from(
    ["city-hall", "2026-11-20", "9999-12-31", "0000-00-00", "2026-02-30", "+020260-01-01", "99999999999"]))


@given(params=st.dictionaries(st.sampled_from(["office", "from", "to", "window", "ward", "q"]), query_value,
                              max_size=4),
       path=st.sampled_from(["/api/v1/openings", "/api/v1/openings.ics", "/api/v1/offices", "/api/v1/audit"]))
@ENDPOINT_SETTINGS
def test_queries(http_client: Http, params: dict[str, str], path: str) -> None:
    """Hostile query strings (percent-encoded, surrogates replaced) on every GET endpoint."""
    query = urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in params.items()})
    status, ctype, body = http_client.request("GET", f"{path}?{query}")
    if len(path) + 1 + len(query) > MAX_TARGET:
        assert status == 400  # refused by aiohttp's HTTP parser before the app (plain text, not logged)
    else:
        check(status, ctype, body, params)


@given(segment=hostile_text.filter(lambda t: 0 < len(t) < 1500))
@ENDPOINT_SETTINGS
def test_path_segments(http_client: Http, segment: str) -> None:
    """Entry ids and unknown paths: traversal, encoded slashes, NUL, invalid UTF-8 — 4xx JSON."""
    quoted = quote(segment.encode("utf-8", "surrogatepass"), safe="")
    for path in (f"/api/v1/entries/{quoted}", f"/api/v1/{quoted}", f"/{quoted}"):
        status, ctype, body = http_client.request("GET", path)
        assert status < 500, (path, body[:200])
        if len(path) > MAX_TARGET:
            assert status == 400  # refused by aiohttp's HTTP parser before the app
        elif path.startswith("/api/"):
            check(status, ctype, body, path)


header_value = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
                       max_size=300)


@given(request_id=header_value, forwarded=header_value, origin=header_value, ctype=header_value)
@ENDPOINT_SETTINGS
def test_headers(http_client: Http, request_id: str, forwarded: str, origin: str, ctype: str) -> None:
    """Hostile X-Request-Id, X-Forwarded-For, Origin and Content-Type never break a request."""
    headers = {"X-Request-Id": request_id, "X-Forwarded-For": forwarded, "Origin": origin, "Content-Type": ctype}
    status, content_type, body = http_client.request("POST", "/api/v1/ask", '{"text": "住民票"}'.encode(), headers)
    check(status, content_type, body, headers)
    options = http_client.request("OPTIONS", "/api/v1/ask", None, {**headers, "Access-Control-Request-Method": "POST"})
    assert options[0] < 500


async def _chat(port: int, frames: list[str | bytes]) -> list[dict[str, Any]]:
    replies: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(f"http://127.0.0.1:{port}/api/v1/chat") as ws:
        for frame in frames:
            await (ws.send_bytes(frame) if isinstance(frame, bytes) else ws.send_str(frame))
            msg = await ws.receive(timeout=15)
            if msg.type != aiohttp.WSMsgType.TEXT:
                replies.append({"closed": ws.close_code})
                break
            replies.append(json.loads(msg.data))
            while replies[-1].get("type") == "answer" and replies[-1].get("kind") == "handoff":
                replies.append(json.loads((await ws.receive(timeout=15)).data))
    return replies


ws_frame = st.one_of(
    st.builds(lambda t, extra: json.dumps({"type": "ask", "text": t, **extra}),
              hostile_text.filter(lambda t: len(t) < 3000),
              st.dictionaries(st.sampled_from(["session_id", "ward", "lang", "id"]), json_values, max_size=2)),
    st.builds(lambda d: json.dumps(d), st.dictionaries(st.sampled_from(["type", "inquiry_id", "helpful", "comment",
                                                                        "session_id", "reason"]), json_values)),
    st.builds(lambda t: json.dumps({"type": t}), hostile_text.filter(lambda t: len(t) < 200)),
    hostile_text.filter(lambda t: len(t) < 3000).map(lambda t: t.encode("utf-8", "surrogatepass").decode(
        "utf-8", "replace")),
    st.sampled_from([b"\x00\xff binary", "[" * 5000 + "]" * 5000, '{"type": "ask", "text": ' + "9" * 6000 + "}",
                     '{"type": "hello", "lang": NaN}']),
)


AFTER_HOURS = "2026-11-20T22:30:00+09:00"
"""The hostile run's clock: outside the contact center's hours, so that a chat's handoff is answered with the
phone number instead of joining the queue. In hours, the run's ~1,000 handoff frames would each queue a chat,
and every queue change pushes the whole queue to every operator socket (see the closing note of #16)."""
HARD_MAX_FRAME = 64 * 1024
"""contact.chat.hub.ChatLimits.hard_max_bytes with the default max_body_bytes."""


@given(frames=st.lists(ws_frame, min_size=1, max_size=4))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_chat_frames(live: Server, frames: list[str | bytes]) -> None:
    """Every hostile frame gets an answer or an error frame; never internal_error, never a dropped chat."""
    replies = asyncio.run(_chat(live.port, frames))
    for frame, reply in zip(frames, replies, strict=False):
        size = len(frame if isinstance(frame, bytes) else frame.encode("utf-8", "surrogatepass"))
        if size > HARD_MAX_FRAME:  # refused by the WebSocket layer: "message too big", the chat is closed
            assert reply == {"closed": 1009}, (size, reply)
            return
        assert "closed" not in reply, (reply, frames)
        assert reply.get("type") in ("answer", "error", "welcome", "handoff", "feedback", "pong"), reply
        if reply["type"] == "error":
            assert reply["error"]["code"] != "internal_error", (reply, frames)


# -- the widget in a browser ---------------------------------------------------------------------------

HOSTILE_FAQ = """
- id: faq-xss-check
  question: '粗大ごみの出し方 <img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
  alternatives: [粗大ごみを出したい, 粗大ごみの申し込み]
  answer: '<img src=x onerror="window.__xss=3"> <script>window.__xss=4</script>
    <a href="javascript:window.__xss=5">こちら</a> <svg onload="window.__xss=6"></svg>
    <iframe src="javascript:window.__xss=7"></iframe>'
  category: '<b onmouseover="window.__xss=8">くらし</b>'
  department: '<img src=x onerror="window.__xss=9">環境局'
  source_url: 'javascript:window.__xss=10'
  reviewed: 2026-11-20
"""


@pytest.mark.browser
@pytest.mark.slow
def test_the_widget_never_runs_injected_html(node: str, tmp_path: Path) -> None:
    """Answers and echoes carrying <img onerror>, <script>, <svg onload> and javascript: URLs stay text."""
    kb = tmp_path / "kb"
    shutil.copytree(MINI_KB, kb)
    with (kb / "faqs.yaml").open("a", encoding="utf-8") as faqs:
        faqs.write(HOSTILE_FAQ)
    server = Server(tmp_path, env={"CONTACT_KB": str(kb)})
    try:
        proc = subprocess.Popen([node, str(BROWSER_DIR / "hostile.spec.mjs"), server.base, str(ARTIFACTS)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, text=True)
        watchdog = threading.Timer(120, proc.kill)
        watchdog.start()
        try:
            out, err = proc.communicate()
        finally:
            watchdog.cancel()
    finally:
        server.stop()
    result = last_result(out)
    assert_passed(proc.returncode, result, err)
    names = {c["name"] for c in result["checks"]}
    assert {"nothing injected ran", "no element was created from server or user text",
            "no CSP violation and no error under the CSP", "the widget connects over WebSocket under the CSP"} <= names


# -- the hostile run: 10,000+ generated inputs over every endpoint and frame type, one server, concurrent ----

RUN_INPUTS = 11_000
"""Inputs of the run. hypothesis draws pools of hostile atoms (texts, JSON values, header values, frames:
generation only, no shrinking, about 10 s), and a seeded random composes them into requests and frames
for every operation and frame type, sent concurrently to one server."""
CONCURRENCY = 24
CHAT_TYPES = ["hello", "ask", "handoff", "cancel_handoff", "feedback", "ping"]
OPERATOR_TYPES = ["claim", "claim_next", "history", "reply", "close", "ping"]
CHAT_FIELDS = ["id", "text", "session_id", "ward", "lang", "last_message_id", "reason", "inquiry_id", "helpful",
               "comment", "debug", "channel", "pick_of"]
OPERATOR_FIELDS = ["id", "handoff_id", "text", "resolution", "note", "category", "forwarded_to", "entry_id", "ward",
                   "channel"]
NO_CREDENTIALS = {"/api/v1/admin/reload", "/api/v1/logout"}
"""Sent without the admin's credentials: a real reload costs seconds, and logout would end the token's use."""
DIRECT_REPLIES = {"answer", "error", "welcome", "handoff", "feedback", "pong", "received", "claimed", "history",
                  "message", "closed"}
SPECIAL_VALUES = ["", "1", "0", "-1", "501", "2026-11-20", "2026-11-20T10:00", "none", "true", "juminhyo",
                  "city-hall", "中原区", "9" * 30, "1e999", "NaN"]


def _pool(strategy: st.SearchStrategy[Any], n: int) -> list[Any]:
    drawn: list[Any] = []

    @given(strategy)
    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    def draw(value: Any) -> None:
        drawn.append(value)

    draw()
    return drawn


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, operation) for path, ops in sorted(spec["paths"].items())
            for method, operation in sorted(ops.items()) if path not in ("/api/v1/chat", "/api/v1/operator/ws")]


def _enum_values(schema: dict[str, Any]) -> list[str]:
    values = list(schema.get("enum", []))
    for alternative in schema.get("anyOf", []):
        values += _enum_values(alternative)
    return [v for v in values if isinstance(v, str)]


def _frame_text(document: Any, escaped: bool) -> str:
    """A frame as the client sends it: lone surrogates as \\u escapes, or replaced (a text frame is UTF-8)."""
    if escaped:
        return json.dumps(document)
    return json.dumps(document, ensure_ascii=False).encode("utf-8", "replace").decode("utf-8")


def _inputs(spec: dict[str, Any], seed: int = 20261120) -> list[dict[str, Any]]:
    """RUN_INPUTS inputs (a request or a frame each) over every operation and both sockets' frame types."""
    texts = _pool(hostile_text, 300) + _pool(query_value, 200)
    values = _pool(json_values, 300)
    headers = _pool(header_value, 60)
    raw_frames = [f for f in _pool(ws_frame, 200) if isinstance(f, str)]
    rng = random.Random(seed)
    operations = _operations(spec)
    inputs: list[dict[str, Any]] = []
    count = 0

    def frames(types: list[str], fields: list[str]) -> list[str]:
        out = []
        for _ in range(rng.randint(1, 10)):  # at most the chat's burst on one socket
            if rng.random() < 0.2:
                out.append(rng.choice(raw_frames))
                continue
            kind: Any = rng.choice(types) if rng.random() < 0.9 else rng.choice(values)
            document = {"type": kind, **{rng.choice(fields): rng.choice(values + texts) for _ in range(rng.randint(
                0, 4))}}
            out.append(_frame_text(document, rng.random() < 0.5))
        return out

    while count < RUN_INPUTS:
        pick = rng.randrange(len(operations) + 4)
        if pick >= len(operations):  # about one input in nine is a socket, with up to 10 frames
            url, types, fields = (("/api/v1/chat", CHAT_TYPES, CHAT_FIELDS) if pick % 2 else
                                  ("/api/v1/operator/ws", OPERATOR_TYPES, OPERATOR_FIELDS))
            item: dict[str, Any] = {"kind": "ws", "url": url, "frames": frames(types, fields)}
            count += len(item["frames"])
        else:
            method, path, operation = operations[pick]
            params = [p for p in operation.get("parameters", []) if p["in"] == "query"]
            query = {}
            for _ in range(rng.randint(0, 4)):
                param = rng.choice(params) if params and rng.random() < 0.85 else None
                name = param["name"] if param else rng.choice(texts)[:20]
                good = _enum_values(param["schema"]) if param else []
                roll = rng.random()
                query[name] = rng.choice(good) if good and roll < 0.3 else rng.choice(SPECIAL_VALUES) \
                    if roll < 0.5 else rng.choice(texts)[:2000]
            body = None
            if "requestBody" in operation:
                props = list(operation["requestBody"]["content"]["application/json"]["schema"].get("properties", {}))
                roll = rng.random()
                document: Any = {rng.choice(props or ["x"]): rng.choice(values + texts) for _ in range(rng.randint(
                    0, 6))} if roll < 0.6 else rng.choice(values)
                body = rng.choice(RAW_BODIES) if roll > 0.85 else encode(document, rng.random() < 0.5)
            item = {"kind": "http", "method": method, "path": path, "query": query,
                    "segment": rng.choice([*texts, "juminhyo", "1", "99999999999999999999"]) or "x", "body": body,
                    "auth": path not in NO_CREDENTIALS and rng.random() < 0.85,
                    "headers": {rng.choice(["X-Request-Id", "Origin", "Content-Type", "X-Forwarded-For",
                                            "Content-Encoding", "Accept"]): rng.choice(headers)}
                    if rng.random() < 0.15 else {}}
            count += 1
        inputs.append(item)
    return inputs


class Tally:
    """What the run saw, for the assertions and the closing line."""

    def __init__(self) -> None:
        self.inputs = 0
        self.server_errors: list[object] = []
        self.bad: list[object] = []
        self.statuses: dict[int, int] = {}


async def _send_http(session: aiohttp.ClientSession, base: str, token: str, item: dict[str, Any],
                     tally: Tally) -> None:
    path = item["path"].replace("{entry_id}", quote(item["segment"].encode("utf-8", "surrogatepass"), safe="")) \
        .replace("{phrasing_id}", quote(item["segment"].encode("utf-8", "surrogatepass"), safe=""))
    query = urlencode({k.encode("utf-8", "surrogatepass"): v.encode("utf-8", "surrogatepass")
                       for k, v in item["query"].items()})
    target = f"{path}?{query}" if query else path
    headers = {"Content-Type": "application/json", **item["headers"]}
    if item["auth"]:
        headers["Authorization"] = f"Bearer {token}"
    tally.inputs += 1
    try:
        body = io.BytesIO(item["body"]) if item["body"] is not None else None  # raw bytes: a ResourceWarning
        async with session.request(item["method"], base + target, data=body, headers=headers,
                                   skip_auto_headers=["Content-Type"] if "Content-Type" in headers else None,
                                   allow_redirects=False) as resp:
            body = await resp.read()
            status, ctype = resp.status, resp.headers.get("Content-Type", "")
    except (aiohttp.ClientError, ValueError, UnicodeError) as exc:
        if len(target) > MAX_TARGET or any(c in v for v in item["headers"].values() for c in "\r\n\x00"):
            return  # refused by the client or the HTTP parser before the app
        tally.bad.append((target[:200], repr(exc)))
        return
    tally.statuses[status] = tally.statuses.get(status, 0) + 1
    if status >= 500:
        tally.server_errors.append((item["method"], target[:200], status, body[:200]))
    elif status >= 400 and ctype.startswith("application/json"):
        error = json.loads(body)["error"]
        if not (isinstance(error["code"], str) and isinstance(error["message"], str)) or "Traceback" in \
                error["message"]:
            tally.bad.append((target[:200], error))
    elif status >= 400 and not (status == 400 and ctype.startswith("text/plain")):  # the parser's own 400
        tally.bad.append((target[:200], status, ctype))


async def _send_frames(session: aiohttp.ClientSession, url: str, frames: list[str], tally: Tally,
                       headers: dict[str, str] | None = None) -> None:
    too_big = False  # a frame over the hard limit was sent: the server closes (1009), maybe mid-write (1006)
    async with session.ws_connect(url, headers=headers, max_msg_size=0) as ws:
        for frame in frames:
            tally.inputs += 1
            too_big = too_big or len(frame.encode("utf-8", "surrogatepass")) > HARD_MAX_FRAME
            try:
                await ws.send_str(frame)
            except ConnectionError:  # the server closed the socket while a too large frame was being written
                if not too_big:
                    tally.bad.append(("closed while sending", ws.close_code, frame[:200]))
                return
            while True:  # the reply, past pushed queue events and chat messages
                try:
                    msg = await ws.receive(timeout=30)
                except TimeoutError:
                    tally.bad.append(("no reply", frame[:200]))
                    return
                if msg.type != aiohttp.WSMsgType.TEXT:
                    if not too_big or ws.close_code not in (1006, 1009):
                        tally.bad.append(("closed", ws.close_code, frame[:200]))
                    return
                reply = json.loads(msg.data)
                if reply.get("type") == "error" and reply["error"]["code"] == "internal_error":
                    tally.server_errors.append(("internal_error", frame[:200]))
                if reply.get("type") in DIRECT_REPLIES:
                    break


async def _hostile_run(base: str, token: str, inputs: list[dict[str, Any]]) -> Tally:
    tally = Tally()
    gate = asyncio.Semaphore(CONCURRENCY)
    ws_base = base.replace("http://", "ws://")
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        async def one(item: dict[str, Any]) -> None:
            async with gate:
                if item["kind"] == "http":
                    await _send_http(session, base, token, item, tally)
                else:
                    await _send_frames(session, ws_base + item["url"], item["frames"], tally,
                                       {"Authorization": f"Bearer {token}"} if "operator" in item["url"] else None)

        await asyncio.gather(*(one(item) for item in inputs))
    return tally


@pytest.mark.slow
def test_hostile_run_over_every_endpoint_and_frame_type(tmp_path: Path) -> None:
    """10,000+ hypothesis-generated inputs (every operation of the OpenAPI description, with and without an
    admin's token, and every frame type of both WebSockets), 24 at a time against one server: no 5xx, no
    internal_error frame, JSON error bodies, sockets kept, and no traceback or unhandled error in its log."""
    db = tmp_path / "var" / "contact.sqlite3"
    db.parent.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "contact", "users", "add", "hostile-admin", "--role", "admin",
                    "--no-password", "--db", str(db)], capture_output=True, check=True)
    token = subprocess.run([sys.executable, "-m", "contact", "users", "token", "hostile-admin", "--db", str(db)],
                           capture_output=True, text=True, check=True).stdout.strip()
    server = Server(tmp_path, db=db, env={"CONTACT_RATE_LIMIT": "0", "CONTACT_ADMIN_TOKEN": "x" * 40,
                                          "CONTACT_MAX_CHATS_PER_IP": "0", "CONTACT_NOW": AFTER_HOURS})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(server.base + "/api/v1/openapi.json", timeout=10) as r:
            inputs = _inputs(json.loads(r.read()))
        generated = time.monotonic()
        tally = asyncio.run(_hostile_run(server.base, token, inputs))
    finally:
        output = server.stop()
    seconds = time.monotonic() - started
    logged_5xx = len(re.findall(r'"status": 5\d\d', output))
    tracebacks = output.count("Traceback")
    kinds = sorted({str(b[:2]) for b in tally.bad})[:10]
    print(f"hostile run: {tally.inputs} inputs, {len(tally.server_errors)} 5xx or internal errors seen, "
          f"{len(tally.bad)} other faults {kinds}, "
          f"{logged_5xx} 5xx logged, {tracebacks} tracebacks, {seconds:.0f} s "
          f"(generation {generated - started:.0f} s); statuses {dict(sorted(tally.statuses.items()))}")
    assert tally.inputs >= 10_000
    assert not tally.server_errors, tally.server_errors[:10]
    assert not tally.bad, tally.bad[:10]
    assert logged_5xx == 0 and tracebacks == 0 and "unhandled_error" not in output, output[-3000:]
