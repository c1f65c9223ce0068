"""End to end: the real `contact serve` process on a free port, real HTTP, real SQLite file."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import NOW


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, tmp_path: Path) -> None:
        self.port = _free_port()
        self.db = tmp_path / "var" / "contact.sqlite3"
        self.base = f"http://127.0.0.1:{self.port}"
        self.output: str | None = None
        env = {**os.environ, "CONTACT_NOW": NOW, "CONTACT_DB": str(self.db)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "contact", "serve", "--port", str(self.port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.stop()}")
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise RuntimeError("server did not become ready")

    def post(self, path: str, payload: object) -> tuple[int, dict]:  # type: ignore[type-arg]
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        req = urllib.request.Request(self.base + path, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        if self.output is None:
            assert self.proc.stdout is not None
            self.output = self.proc.stdout.read().decode()
            self.proc.stdout.close()
        return self.output


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
