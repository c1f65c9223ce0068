"""Regression tests of the outside security probe's findings on access (issue 16): admin credentials
(finding 1), live sockets of disabled operators (2), the sign-in lock-out (3), user-name timing (4),
personal data in ids, audit rows and records (8), and the session cookie and login CSRF (9)."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from contact.app import create_app
from contact.config import ConfigError, Settings
from contact.errors import StartupError
from contact.knowledge_state import KnowledgeState
from contact.store import accounts
from contact.web.auth import resolve_admin_token
from tests.conftest import admin_headers

# -- finding 1: admin needs a credential; reloads one at a time and rate limited -------------------------


async def test_finding1_loopback_is_no_credential_for_admin_or_metrics(aiohttp_client, settings) -> None:
    """With no admin token configured, a loopback client (every client behind a proxy on the same host)
    gets 401 from reload and /metrics; the token the first start made (mode 0600) is the credential."""
    client = await aiohttp_client(create_app(settings))
    for method, path in (("POST", "/api/v1/admin/reload"), ("GET", "/metrics")):
        for headers in ({}, {"X-Forwarded-For": "203.0.113.9"}, {"Authorization": "Bearer wrong-token-value!"}):
            resp = await client.request(method, path, headers=headers)
            assert resp.status == 401, (path, headers)
            assert (await resp.json())["error"]["code"] == "unauthorized"
    path = settings.admin_token_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (await client.get("/metrics", headers=admin_headers(settings))).status == 200
    assert (await client.post("/api/v1/admin/reload", headers=admin_headers(settings))).status == 200


async def test_finding1_a_forwarded_client_behind_a_trusted_proxy_never_reloads(aiohttp_client, settings) -> None:
    """With --trust-proxy 1, X-Forwarded-For: 203.0.113.9 from a loopback proxy is refused (no anonymous admin)."""
    client = await aiohttp_client(create_app(settings.with_(trust_proxy=1)))
    resp = await client.post("/api/v1/admin/reload", headers={"X-Forwarded-For": "203.0.113.9"})
    assert resp.status == 401


def test_finding1_allow_loopback_admin_refuses_to_combine_with_trust_proxy(settings) -> None:
    """--allow-loopback-admin 1 with --trust-proxy is a configuration error (behind a proxy all are loopback)."""
    with pytest.raises(ConfigError, match="trust_proxy"):
        settings.with_(allow_loopback_admin=1, trust_proxy=1)
    with pytest.raises(ConfigError):
        settings.with_(allow_loopback_admin=2)
    with pytest.raises(ConfigError, match="16"):
        settings.with_(admin_token="short")


async def test_finding1_allow_loopback_admin_passes_direct_loopback_only(aiohttp_client, settings) -> None:
    """With --allow-loopback-admin 1 a loopback client passes, but not one whose request came through a proxy."""
    client = await aiohttp_client(create_app(settings.with_(allow_loopback_admin=1)))
    assert (await client.get("/metrics")).status == 200
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        assert (await client.get("/metrics", headers={header: "203.0.113.9"})).status == 401, header


def test_finding1_the_admin_token_is_made_once_private_and_announced_without_the_secret(
        tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The first start writes 256 random bits to a 0600 file and prints its path (never the token); later
    starts and workers read the same token silently; a file others may read is refused at start."""
    settings = Settings(db=str(tmp_path / "var" / "c.sqlite3"))
    token = resolve_admin_token(settings)
    printed = capsys.readouterr().err
    assert str(settings.admin_token_path()) in printed and token not in printed
    assert len(token) >= 43 and settings.admin_token_path() == tmp_path / "var" / "admin-token"
    assert resolve_admin_token(settings) == token and capsys.readouterr().err == ""
    assert not [p for p in settings.admin_token_path().parent.iterdir() if p.name.startswith(".admin-token")]
    os.chmod(settings.admin_token_path(), 0o644)
    with pytest.raises(StartupError, match="chmod 600"):
        resolve_admin_token(settings)
    os.chmod(settings.admin_token_path(), 0o600)
    settings.admin_token_path().write_text("\n")
    with pytest.raises(StartupError, match="no usable token"):
        resolve_admin_token(settings)
    assert resolve_admin_token(settings.with_(admin_token="configured-token-value")) == "configured-token-value"


def test_finding1_concurrent_first_starts_agree_on_one_token(tmp_path: Path) -> None:
    """Two processes making the token at once (workers, two nodes) end up with the same file content."""
    path = tmp_path / "admin-token"
    made = [accounts.ensure_admin_token(path) for _ in range(3)]
    assert len({t for t, _ in made}) == 1 and [c for _, c in made] == [True, False, False]


async def test_finding1_thirty_parallel_reloads_run_one_build(aiohttp_client, settings, monkeypatch) -> None:
    """30 parallel reloads: one builds the matcher, 29 get 429 reload_running (JSON, Retry-After); a reload
    right after it gets 429 rate_limited until reload_interval has passed."""
    builds = []
    real = KnowledgeState._build

    def counting(self):  # type: ignore[no-untyped-def]
        builds.append(1)
        return real(self)

    client = await aiohttp_client(create_app(settings.with_(reload_interval=30.0)))
    monkeypatch.setattr(KnowledgeState, "_build", counting)
    headers = admin_headers(settings)
    responses = await asyncio.gather(*(client.post("/api/v1/admin/reload", headers=headers) for _ in range(30)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [200] + [429] * 29 and len(builds) == 1
    refused = [r for r in responses if r.status == 429]
    assert all(int(r.headers["Retry-After"]) > 0 for r in refused)
    assert {(await r.json())["error"]["code"] for r in refused} == {"reload_running"}
    again = await client.post("/api/v1/admin/reload", headers=headers)
    assert again.status == 429 and (await again.json())["error"]["code"] == "rate_limited"
    assert 0 < int(again.headers["Retry-After"]) <= 30 and len(builds) == 1


def test_finding1_the_reload_interval_counts_from_the_end_of_the_last_reload() -> None:
    """A reload that took longer than the interval does not let the next one start at once after it."""
    from contact.errors import TooManyRequests
    from contact.web.views import ReloadGate

    gate = ReloadGate()
    gate.enter(10.0, now=100.0)
    with pytest.raises(TooManyRequests):
        gate.enter(10.0, now=101.0)  # running
    gate.leave(now=125.0)  # the build took 25 s
    with pytest.raises(TooManyRequests) as refused:
        gate.enter(10.0, now=126.0)
    assert refused.value.headers["Retry-After"] == "9"
    gate.enter(10.0, now=135.0)


# -- finding 2: a disabled operator, a revoked token or an ended session loses the live chat ------------


def _disable(settings: Settings, name: str) -> None:
    """What ``contact users disable NAME`` does, from another connection (as the command line would)."""
    from contact.store.inquiry_log import connect

    db = connect(settings.db)
    try:
        accounts.set_disabled(db, name, True)
    finally:
        db.conn.close()


async def _closed_within(ws, seconds: float) -> list[dict]:  # type: ignore[no-untyped-def]
    """The frames the server sent until it closed the socket (fails when it stays open ``seconds``)."""
    from aiohttp import WSMsgType

    frames = []
    async with asyncio.timeout(seconds):
        while True:
            msg = await ws.receive()
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
                return frames
            if msg.type == WSMsgType.TEXT:
                frames.append(msg.json())


async def test_finding2_a_disabled_operator_cannot_claim_on_an_open_socket(aiohttp_client, settings, add_user) -> None:
    """After `contact users disable sato` the next frame of sato's open console is refused and the socket
    closed (1008); the citizen's chat stays in the queue, unclaimed."""
    from tests.test_operator import citizen_in_queue, db_rows, frame_of

    token = add_user("sato", "operator")
    client = await aiohttp_client(create_app(settings))
    citizen, _session, handoff_id = await citizen_in_queue(client)
    console = await client.ws_connect("/api/v1/operator/ws", headers={"Authorization": f"Bearer {token}"})
    await frame_of(console, "welcome")
    _disable(settings, "sato")
    await console.send_json({"type": "claim", "handoff_id": handoff_id})
    frames = await _closed_within(console, 5)
    assert [f["error"]["code"] for f in frames if f["type"] == "error"] == ["unauthorized"]
    assert not any(f["type"] == "claimed" for f in frames)
    assert console.close_code == 1008
    assert db_rows(client, "SELECT status, claimed_by FROM handoffs WHERE id = ?", (handoff_id,)) == [("waiting", None)]
    await citizen.close()


@pytest.mark.parametrize("how", ["disabled", "token revoked"])
async def test_finding2_an_idle_console_is_closed_when_its_credential_ends(
        aiohttp_client, settings, add_user, monkeypatch, how) -> None:  # type: ignore[no-untyped-def]
    """A console that sends nothing is closed within the re-check interval once its user is disabled or its
    token revoked, so it stops receiving the queue's pushes."""
    from contact.store.inquiry_log import connect
    from contact.web import operator
    from tests.test_operator import frame_of

    monkeypatch.setattr(operator, "RECHECK_SECONDS", 0.2)
    token = add_user("sato", "operator")
    client = await aiohttp_client(create_app(settings))
    console = await client.ws_connect("/api/v1/operator/ws", headers={"Authorization": f"Bearer {token}"})
    await frame_of(console, "welcome")
    await console.send_json({"type": "ping"})
    await frame_of(console, "pong")  # still valid: the check lets it through
    if how == "disabled":
        _disable(settings, "sato")
    else:
        db = connect(settings.db)
        assert accounts.revoke_token(db, token.split(".")[0])
        db.conn.close()
    frames = await _closed_within(console, 5)
    assert frames and frames[-1]["type"] == "error" and frames[-1]["error"]["code"] == "unauthorized"
    assert console.close_code == 1008


async def test_finding2_signing_out_closes_the_console_of_that_session(
        aiohttp_client, settings, add_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A console opened with the session cookie is closed once that session is signed out."""
    from contact.web import operator
    from tests.conftest import PASSWORD
    from tests.test_operator import frame_of

    monkeypatch.setattr(operator, "RECHECK_SECONDS", 0.2)
    add_user("sato", "operator")
    client = await aiohttp_client(create_app(settings))
    login = await client.post("/api/v1/login", json={"name": "sato", "password": PASSWORD})
    csrf = (await login.json())["csrf"]
    console = await client.ws_connect("/api/v1/operator/ws")
    await frame_of(console, "welcome")
    assert (await client.post("/api/v1/logout", headers={"X-CSRF-Token": csrf})).status == 200
    await _closed_within(console, 5)
    assert console.close_code == 1008


# -- finding 3: lock-out by name and by address (IPv6 by /64), never cleared wholesale ----------------


def test_finding3_filling_the_table_from_fresh_addresses_unlocks_nobody(tmp_path: Path) -> None:
    """A locked name stays locked while 5,001 failures from distinct addresses (and names) are counted: the
    counts live in the store, which is never cleared to make room (the writer's sweep only drops counts a
    day old), and a count restarts only when its own window has passed."""
    from contact.store import counters
    from contact.store.inquiry_log import connect, migrate

    db = connect(str(tmp_path / "lockout.sqlite3"))
    migrate(db)
    now = 1_000_000.0
    for i in range(5):
        counters.count_failure(db, ["user:sato", f"ip:192.0.2.{i}"], now, 300.0)
    for i in range(5001):
        counters.count_failure(db, [f"user:guess{i}", f"ip:10.{i // 65536}.{i // 256 % 256}.{i % 256}"],
                               now + i * 0.01, 300.0)
    assert dict(counters.failures(db, ["user:sato"])) == {"user:sato": (5, now)}
    counters.count_failure(db, ["user:sato"], now + 301.0, 300.0)  # a lock lasts its five minutes, no longer
    assert dict(counters.failures(db, ["user:sato"])) == {"user:sato": (1, now + 301.0)}
    counters.forget(db, ["user:sato"])
    assert dict(counters.failures(db, ["user:sato"])) == {}


async def test_finding3_a_name_is_locked_from_every_address_and_an_ipv6_64_is_one_address(
        aiohttp_client, settings, add_user) -> None:  # type: ignore[no-untyped-def]
    """Behind a trusted proxy: five wrong passwords for sato from five addresses lock sato everywhere (even the
    right password gets 429); five failures from five addresses of one IPv6 /64 lock that /64 for any name,
    while another /64 may still sign in."""
    from tests.conftest import PASSWORD

    add_user("sato", "operator")
    add_user("suzuki", "operator")
    add_user("tanaka", "operator")
    client = await aiohttp_client(create_app(settings.with_(trust_proxy=1)))

    async def login(name: str, password: str, address: str):  # type: ignore[no-untyped-def]
        return await client.post("/api/v1/login", json={"name": name, "password": password},
                                 headers={"X-Forwarded-For": address})

    for i in range(5):
        assert (await login("sato", "wrong password!", f"198.51.100.{i}")).status == 401
    locked = await login("sato", PASSWORD, "203.0.113.77")
    assert locked.status == 429 and int(locked.headers["Retry-After"]) > 0
    assert (await locked.json())["error"]["code"] == "rate_limited"
    for i in range(5):
        assert (await login(f"nobody{i}", "wrong password!", f"2001:db8:1:2::{i + 1}")).status == 401
    same_64 = await login("suzuki", PASSWORD, "2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert same_64.status == 429
    assert (await login("tanaka", PASSWORD, "2001:db8:1:3::1")).status == 200


# -- finding 4 (check): an unknown name costs the same password hash as a known one -------------------


async def test_finding4_every_failed_sign_in_computes_one_scrypt_hash(
        aiohttp_client, settings, add_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Through POST /api/v1/login: an unknown name, a known name with a wrong password, a token-only account
    and a disabled account each run scrypt exactly once with the stored passwords' parameters, so that the
    answer's timing does not tell which names exist."""
    import hashlib

    add_user("sato", "operator")
    add_user("bot", "staff", None)
    add_user("gone", "operator")
    _disable(settings, "gone")
    client = await aiohttp_client(create_app(settings))
    accounts._dummy_hash()  # made once per process (two hashes), before the first unknown name is tried
    calls: list[tuple[int, int, int]] = []
    real = hashlib.scrypt

    def counting(*args, **kw):  # type: ignore[no-untyped-def]
        calls.append((kw["n"], kw["r"], kw["p"]))
        return real(*args, **kw)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    for name in ("nobody", "sato", "bot", "gone", "x" * 64):
        calls.clear()
        resp = await client.post("/api/v1/login", json={"name": name, "password": "wrong password!"})
        assert resp.status == 401, name
        assert calls == [(16384, 8, 1)], (name, calls)


# -- finding 8: no personal data in clear in records, audit rows, session ids and request ids ----------

PHONE, MAIL = "090-8765-4321", "taro.yamada@example.jp"


async def test_finding8_an_operator_records_category_is_stored_masked(aiohttp_client, settings, add_user) -> None:
    """A free-text category holding a phone number and an e-mail address is stored masked, like the note."""
    from tests.test_operator import db_rows

    token = add_user("sato", "operator")
    client = await aiohttp_client(create_app(settings))
    resp = await client.post("/api/v1/inquiries", headers={"Authorization": f"Bearer {token}"}, json={
        "channel": "phone", "resolution": "callback", "text": "住民票について",
        "category": f"折り返し {PHONE} {MAIL}"})
    assert resp.status == 201
    [(category,)] = db_rows(client, "SELECT category FROM inquiries WHERE id = ?", ((await resp.json())["id"],))
    assert category.startswith("折り返し") and "8765" not in category and "taro" not in category


async def test_finding8_a_failed_sign_in_name_is_not_written_to_the_audit_log(
        aiohttp_client, settings, add_user) -> None:  # type: ignore[no-untyped-def]
    """A name that is no account (an e-mail address, a password typed in the wrong field) is audited as a keyed
    fingerprint, the same for the same text; a known account's failure names the account."""
    from tests.test_operator import db_rows

    add_user("sato", "operator")
    client = await aiohttp_client(create_app(settings))
    for name in (MAIL, "my secret password 123", MAIL, "sato"):
        assert (await client.post("/api/v1/login", json={"name": name, "password": "wrong password!"})).status == 401
    targets = [t for (t,) in db_rows(client, "SELECT target FROM audit WHERE action = 'login.failed' ORDER BY id")]
    assert targets[0] == targets[2] != targets[1] and targets[3] == "sato"
    assert all(t.startswith("unknown name #") for t in targets[:3])
    everything = str(db_rows(client, "SELECT * FROM audit"))
    assert "taro" not in everything and "my secret" not in everything


async def test_finding8_a_client_chosen_session_id_is_replaced_by_a_server_issued_one(client) -> None:
    """A 12-digit number (or any id the server did not issue) as session_id is neither stored nor echoed: the
    answer carries a new server-issued id; that id continues the conversation."""
    import re
    import sqlite3

    from contact.web.keys import INQUIRY_LOG

    chosen = "090876543210"
    body = await (await client.post("/api/v1/ask", json={"text": "中原区です", "session_id": chosen})).json()
    issued = body["session_id"]
    assert issued != chosen and re.fullmatch(r"[0-9a-f]{32}", issued)
    again = await (await client.post("/api/v1/ask", json={"text": "住民票はどこ", "session_id": issued})).json()
    assert again["session_id"] == issued
    with sqlite3.connect(client.app[INQUIRY_LOG].path) as conn:
        stored = {s for (s,) in conn.execute("SELECT session_id FROM inquiries")}
    assert stored == {issued}
    async with client.ws_connect("/api/v1/chat") as ws:
        await ws.send_json({"type": "hello", "session_id": chosen})
        welcome = await ws.receive_json()
    assert welcome["type"] == "welcome" and re.fullmatch(r"[0-9a-f]{32}", welcome["session_id"])


@pytest.mark.parametrize("incoming", [PHONE, MAIL, "09087654321000", "1234567890123456", "abcdef123456",
                                      "0f8fad5b-d9cb-469f-a165-70867728950ex", "11111111-2222-3333-4444-555555555555"])
async def test_finding8_an_x_request_id_that_is_no_uuid_is_replaced(client, incoming: str) -> None:
    """Only a UUID (hyphens optional, not all digits) is kept as the request id that every log line carries;
    a phone number, an e-mail address, a card number or anything else is replaced by a new id."""
    import re

    resp = await client.get("/healthz", headers={"X-Request-Id": incoming})
    assert resp.headers["X-Request-Id"] != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", resp.headers["X-Request-Id"])
    kept = await client.get("/healthz", headers={"X-Request-Id": "0F8FAD5BD9CB469FA16570867728950E"})
    assert kept.headers["X-Request-Id"] == "0F8FAD5BD9CB469FA16570867728950E"


# -- finding 9: Secure cookie behind a TLS proxy, login CSRF, the parser's errors -------------------------


@pytest.mark.parametrize(("trust_proxy", "secure"), [(1, True), (0, False)])
async def test_finding9_the_session_cookie_is_secure_behind_a_tls_proxy(
        aiohttp_client, settings, add_user, trust_proxy: int, secure: bool) -> None:  # type: ignore[no-untyped-def]
    """With --trust-proxy, X-Forwarded-Proto: https makes the cookie Secure (as it makes HSTS); from an untrusted
    client the header changes nothing."""
    from tests.conftest import PASSWORD

    add_user("sato", "operator")
    client = await aiohttp_client(create_app(settings.with_(trust_proxy=trust_proxy)))
    resp = await client.post("/api/v1/login", json={"name": "sato", "password": PASSWORD},
                             headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert resp.status == 200
    cookie = resp.headers["Set-Cookie"]
    assert ("Secure" in cookie) is secure and ("Strict-Transport-Security" in resp.headers) is secure


@pytest.mark.parametrize(("headers", "status", "code"), [
    pytest.param({"Content-Type": "text/plain"}, 415, "unsupported_media_type", id="text-plain"),
    pytest.param({"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", id="form"),
    pytest.param({"Content-Type": "application/json", "Origin": "https://evil.example"}, 403, "csrf_failed",
                 id="foreign-origin"),
    pytest.param({"Content-Type": "application/json", "Origin": "null"}, 403, "csrf_failed", id="null-origin"),
    pytest.param({"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, 403, "csrf_failed",
                 id="cross-site-fetch"),
    pytest.param({"Content-Type": "text/plain", "Origin": "https://evil.example"}, 415, "unsupported_media_type",
                 id="the-probe"),
])
async def test_finding9_login_csrf_is_refused(aiohttp_client, settings, add_user, headers, status, code) -> None:
    """A sign-in posted by another site (text/plain or a form, a foreign or null Origin) is refused before the
    password is checked: no cookie is set, nothing counts as a failed attempt."""
    import json

    from tests.conftest import PASSWORD

    add_user("sato", "operator")
    client = await aiohttp_client(create_app(settings.with_(widget_origins="https://evil.example")))
    body = json.dumps({"name": "sato", "password": PASSWORD})
    resp = await client.post("/api/v1/login", data=body, headers=headers)
    assert resp.status == status and (await resp.json())["error"]["code"] == code
    assert "Set-Cookie" not in resp.headers and "Access-Control-Allow-Origin" not in resp.headers
    own = await client.post("/api/v1/login", data=body, headers={
        "Content-Type": "application/json; charset=utf-8", "Origin": f"http://{client.host}:{client.port}",
        "Sec-Fetch-Site": "same-origin"})
    assert own.status == 200 and "Set-Cookie" in own.headers


@pytest.mark.parametrize("request_bytes", [
    pytest.param(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", id="request-line-over-8KiB"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", id="header-over-8KiB"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", id="bad-header-name"),
    pytest.param(b"G\x01T / HTTP/1.1\r\nHost: x\r\n\r\n", id="bad-method"),
])
async def test_finding9_the_http_parsers_400_is_json_with_nosniff(aiohttp_client, settings, request_bytes) -> None:
    """What aiohttp's parser refuses before the app runs is answered 400 with the JSON error body,
    nosniff and no-store, never echoing the offending bytes."""
    import json

    client = await aiohttp_client(create_app(settings))
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    writer.write(request_bytes)
    await writer.drain()
    async with asyncio.timeout(10):
        raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert lines[0].split()[1] == "400", lines[0]
    assert headers["x-content-type-options"] == "nosniff" and headers["content-type"].startswith("application/json")
    assert json.loads(body)["error"]["code"] == "bad_request"
    assert b"aaaa" not in body and b"bbbb" not in body
