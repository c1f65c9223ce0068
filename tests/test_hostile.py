"""Hostile input against the live server: every endpoint, hypothesis-generated, never a 500, always JSON errors.

What is thrown (see :data:`INJECTIONS` and the strategies below): control and format characters, lone
surrogate halves (as JSON escapes and as invalid UTF-8), 10 000 emoji and other oversized text, RTL and
bidi overrides, zero-width characters, SQL injection, HTML/JS injection, path traversal, format strings,
CRLF, NUL, huge and non-finite numbers (past Python's 4300-digit integer limit, 1e999999, NaN), deeply
nested JSON, wrong JSON types in every field, hostile query strings, path segments and headers, and the
same through the chat WebSocket. The browser part checks that injected HTML in answers (from a hostile
knowledge base) and in the citizen's own text is never executed by the widget.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
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
