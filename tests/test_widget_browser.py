"""The chat widget in a real browser: Debian's Chromium driven by Playwright (Node) against the real server.

The Node script ``tests/browser/widget.spec.mjs`` does the browsing; this test runs the server, restarts
it on the same port and database when the script asks (mid-conversation), and checks the database after.
Screenshots (desktop 1280x800, phone 390x844) go to ``test-artifacts/``. ``scripts/install-browser``
installs Chromium, Node and the npm packages.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser_runner import ARTIFACTS, BROWSER_DIR, ROOT, assert_no_serious_axe, assert_passed, last_result
from tests.server import Server, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def test_widget_in_a_real_browser(node: str, tmp_path: Path, servers: list[Server]) -> None:
    """Keyboard, IME, answers with sources, follow-ups, feedback, a server crash, handoff, axe, phone and desktop."""
    port, db = free_port(), tmp_path / "var" / "contact.sqlite3"
    servers.append(Server(tmp_path, port, db))
    ARTIFACTS.mkdir(exist_ok=True)
    stderr = (tmp_path / "node-stderr.log").open("wb")
    proc = subprocess.Popen(
        [node, str(BROWSER_DIR / "widget.spec.mjs"), servers[0].base, str(ARTIFACTS)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, cwd=ROOT, text=True,
    )
    watchdog = threading.Timer(240, proc.kill)
    watchdog.start()
    lines: list[str] = []
    try:
        assert proc.stdout is not None and proc.stdin is not None
        for line in proc.stdout:
            event = json.loads(line)
            lines.append(line)
            if event["event"] == "restart-server":
                servers[-1].kill()
                proc.stdin.write("down\n")
                proc.stdin.flush()
            elif event["event"] == "start-server":
                servers.append(Server(tmp_path, port, db))
                proc.stdin.write("up\n")
                proc.stdin.flush()
        code = proc.wait(timeout=30)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
        stderr.close()
    result = last_result(lines, "widget-browser-result.json")
    assert_passed(code, result, (tmp_path / "node-stderr.log").read_text())

    names = {c["name"] for c in result["checks"]}
    for expected in ("IME Enter does not send", "follow-up answered", "the ward is remembered across the restart",
                     "HTTP fallback answers without a WebSocket", "handoff queued with position and phone"):
        assert expected in names
    assert_no_serious_axe(result)
    for shot in ("desktop-open.png", "phone-open.png"):
        assert (ARTIFACTS / shot).stat().st_size > 10_000

    # What the browser did is in the database: web inquiries, both feedback rows, the queued handoff.
    with sqlite3.connect(db) as conn:
        channels = {row[0] for row in conn.execute("SELECT DISTINCT channel FROM inquiries")}
        feedback = conn.execute("SELECT helpful, comment FROM feedback ORDER BY id").fetchall()
        handoffs = conn.execute("SELECT status, reason FROM handoffs").fetchall()
    assert channels == {"web"}
    assert feedback == [(1, None), (1, "土曜日の受付時間も知りたいです")]
    assert handoffs == [("waiting", "request")]
