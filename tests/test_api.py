"""The HTTP API contract of POST /api/v1/ask and friends, through the app factory."""

from __future__ import annotations

import sqlite3

import pytest

from contact.web.keys import INQUIRY_LOG


async def test_ask_returns_the_contract_shape(client) -> None:
    """An answer carries every field DESIGN.md promises, with sane types."""
    resp = await client.post("/api/v1/ask", json={"text": "住民票はいくらですか"})
    assert resp.status == 200
    body = await resp.json()
    assert set(body) >= {"inquiry_id", "session_id", "kind", "answer", "confidence", "candidates",
                         "clarify", "follow_ups"}
    assert body["kind"] == "answer"
    assert body["answer"]["entry_id"] == "juminhyo"
    assert set(body["answer"]) >= {"entry_id", "title", "text", "source_url", "department", "reviewed"}
    assert body["answer"]["source_url"].startswith("https://")
    assert 0 <= body["confidence"] <= 1
    assert 1 <= len(body["candidates"]) <= 5
    assert all(set(c) >= {"entry_id", "title", "score"} for c in body["candidates"])


async def test_ask_is_committed_before_the_response(client) -> None:
    """The inquiry is in the SQLite file, with its masked text, when the response arrives."""
    resp = await client.post("/api/v1/ask", json={"text": "住民票 電話は090-1234-5678です", "channel": "web"})
    body = await resp.json()
    db_path = client.app[INQUIRY_LOG].path
    row = sqlite3.connect(db_path).execute(
        "SELECT text, kind, entry_id, channel, confidence, latency_ms FROM inquiries WHERE id = ?",
        [body["inquiry_id"]],
    ).fetchone()
    assert row is not None
    text, kind, entry_id, channel, confidence, latency_ms = row
    assert "090-1234-5678" not in text and "1234" not in text
    assert kind == body["kind"] and channel == "web"
    assert entry_id == (body["answer"] or {}).get("entry_id")
    assert confidence == body["confidence"]
    assert latency_ms >= 0


async def test_out_of_scope_is_a_fallback_with_the_contact_center(client) -> None:
    """A question the base cannot answer gets an honest fallback with the phone number, not a guess."""
    body = await (await client.post("/api/v1/ask", json={"text": "おすすめのラーメン屋を教えて"})).json()
    assert body["kind"] == "fallback"
    assert body["answer"] is None
    assert "044-200-3939" in body["message"]


async def test_session_remembers_the_topic(client) -> None:
    """A follow-up without a topic ("土曜は？") continues the previous answer's entry."""
    first = await (await client.post("/api/v1/ask", json={"text": "転入届を出したい"})).json()
    assert first["answer"]["entry_id"] == "tennyu"
    second = await (await client.post(
        "/api/v1/ask", json={"text": "土曜は？", "session_id": first["session_id"]})).json()
    assert second["kind"] == "answer"
    assert second["answer"]["entry_id"] == "tennyu"
    assert "土曜" in second["answer"]["text"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        pytest.param(b"{not json", "invalid_json", id="invalid-json"),
        pytest.param(b"", "invalid_json", id="empty-body"),
        pytest.param(b"\xff\xfe", "invalid_json", id="not-utf8"),
        pytest.param(b"[1, 2]", "invalid_body", id="array-body"),
        pytest.param(b"{}", "missing_field", id="missing-text"),
        pytest.param(b'{"text": "   "}', "invalid_field", id="blank-text"),
        pytest.param(b'{"text": 42}', "invalid_field", id="text-not-string"),
        pytest.param(b'{"text": null}', "invalid_field", id="text-null"),
        pytest.param('{"text": "%s"}' % ("あ" * 1001), "text_too_long", id="text-too-long"),
        pytest.param(b'{"text": "hi", "channel": "pigeon"}', "invalid_field", id="bad-channel"),
        pytest.param(b'{"text": "hi", "lang": 3}', "invalid_field", id="lang-not-string"),
        pytest.param('{"text": "hi", "ward": "港区"}', "invalid_field", id="unknown-ward"),
        pytest.param(b'{"text": "hi", "session_id": 12}', "invalid_field", id="session-id-not-string"),
        pytest.param(b'{"text": "hi", "debug": "yes"}', "invalid_field", id="debug-not-bool"),
        pytest.param(b"[" * 100000 + b"]" * 100000, "payload_too_large", id="deeply-nested-too-big"),
    ],
)
async def test_bad_input_is_a_json_error(client, payload, code) -> None:
    """Bad input gets a 4xx JSON error body naming the problem, never a 500."""
    data = payload.encode() if isinstance(payload, str) else payload
    resp = await client.post("/api/v1/ask", data=data, headers={"Content-Type": "application/json"})
    assert 400 <= resp.status < 500
    body = await resp.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]


async def test_deep_nesting_within_the_size_limit_is_a_400(client) -> None:
    """JSON nested deeper than the parser allows is rejected as invalid, not a crash."""
    resp = await client.post("/api/v1/ask", data=b"[" * 30000 + b"]" * 30000)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "invalid_json"


async def test_body_over_64_kib_is_413(client) -> None:
    """A body over the 64 KiB limit is refused with 413 and a JSON body."""
    resp = await client.post("/api/v1/ask", data=b'{"text": "' + b"a" * (70 * 1024) + b'"}')
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "payload_too_large"


async def test_unknown_route_is_a_json_404(client) -> None:
    """An unknown path answers 404 with a JSON error body."""
    resp = await client.get("/no/such/page")
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "not_found"


async def test_wrong_method_is_a_json_405(client) -> None:
    """GET on a POST-only route answers 405 with a JSON body and an Allow header."""
    resp = await client.get("/api/v1/ask")
    assert resp.status == 405
    assert resp.headers["Allow"] == "POST"
    assert (await resp.json())["error"]["code"] == "method_not_allowed"


async def test_health_and_readiness(client) -> None:
    """/healthz is always ok; /readyz reports the loaded base and a writable log."""
    assert (await (await client.get("/healthz")).json())["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["entries"] > 0


async def test_feedback_is_stored_and_unknown_ids_are_404(client) -> None:
    """Feedback on a logged inquiry is stored; feedback on an unknown id is a 404."""
    asked = await (await client.post("/api/v1/ask", json={"text": "犬の登録"})).json()
    ok = await client.post("/api/v1/feedback", json={"inquiry_id": asked["inquiry_id"], "helpful": True,
                                                      "comment": "連絡先は a@example.com"})
    assert ok.status == 201
    row = sqlite3.connect(client.app[INQUIRY_LOG].path).execute(
        "SELECT helpful, comment FROM feedback WHERE inquiry_id = ?", [asked["inquiry_id"]]).fetchone()
    assert row[0] == 1 and "a@example.com" not in row[1]
    missing = await client.post("/api/v1/feedback", json={"inquiry_id": "nope", "helpful": False})
    assert missing.status == 404


async def test_entries_and_offices_lookups(client) -> None:
    """Knowledge lookups return entries by id and offices by ward; unknown ids are 404."""
    office = await (await client.get("/api/v1/entries/nakahara-kuyakusho")).json()
    assert office["name"] == "中原区役所" and office["type"] == "office"
    offices = await (await client.get("/api/v1/offices", params={"ward": "中原区"})).json()
    assert [o["id"] for o in offices["offices"]] == ["nakahara-kuyakusho"]
    assert (await client.get("/api/v1/entries/nope")).status == 404


async def test_request_id_is_echoed(client) -> None:
    """Each response carries X-Request-Id; a sane incoming id is kept."""
    resp = await client.get("/healthz", headers={"X-Request-Id": "0f8fad5b-d9cb-469f-a165-70867728950e"})
    assert resp.headers["X-Request-Id"] == "0f8fad5b-d9cb-469f-a165-70867728950e"


async def test_lone_surrogates_and_control_characters_are_stored_not_500(client) -> None:
    """JSON-escaped lone surrogates and control characters are accepted and logged, never a 500."""
    resp = await client.post("/api/v1/ask", data=b'{"text": "\\ud800\\u0000\\u202e\\u4f4f\\u6c11\\u7968"}',
                             headers={"Content-Type": "application/json"})
    assert resp.status == 200
    body = await resp.json()
    row = sqlite3.connect(client.app[INQUIRY_LOG].path).execute(
        "SELECT text FROM inquiries WHERE id = ?", [body["inquiry_id"]]).fetchone()
    assert row is not None and "住民票" in row[0]
