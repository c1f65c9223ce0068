"""End to end: the real `contact serve` process on a free port, real HTTP, real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import Server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path)
    yield s
    s.stop()


QUESTIONS = [
    pytest.param("土曜日に転入届って出せますか", "answer", id="saturday-moving-in"),
    pytest.param("住民票の写しはいくらですか", "answer", id="juminhyo-fee"),
    pytest.param("明日の天気は", "fallback", id="out-of-scope-weather"),
]


@pytest.mark.parametrize(("text", "kind"), QUESTIONS)
def test_real_questions_over_http(server: Server, text: str, kind: str) -> None:
    """The shipped knowledge base answers real questions through the running service."""
    status, body = server.post("/api/v1/ask", {"text": text})
    assert status == 200
    assert body["kind"] == kind
    if kind == "answer":
        assert body["answer"]["source_url"].startswith("http")
        assert body["answer"]["reviewed"]
    else:
        assert "044-200-3939" in body["message"]


def test_errors_over_http(server: Server) -> None:
    """Bad input over real HTTP: 400 for invalid JSON, 413 for a huge body, JSON 404 for unknown routes."""
    assert server.post("/api/v1/ask", b"{oops")[0] == 400
    assert server.post("/api/v1/ask", b'{"text": "' + b"x" * 70000 + b'"}')[0] == 413
    status, body = server.post("/api/v1/nothing", {"text": "x"})
    assert status == 404 and body["error"]["code"] == "not_found"


def test_sigterm_loses_no_logged_inquiry(server: Server) -> None:
    """Every inquiry answered before SIGTERM is in the database after a clean shutdown."""
    ids = [server.post("/api/v1/ask", {"text": f"犬の登録 {i}"})[1]["inquiry_id"] for i in range(20)]
    output = server.stop()
    assert server.proc.returncode == 0, output
    rows = {r[0] for r in sqlite3.connect(server.db).execute("SELECT id FROM inquiries")}
    assert set(ids) <= rows
    # The structured logs are JSON lines carrying a request id.
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(line.get("event") == "ask" and line.get("request_id") for line in lines)
