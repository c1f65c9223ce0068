"""One chat across two nodes in a real browser: the citizen's widget on node A, the operator's console on node B,
two ``contact serve`` processes on one real PostgreSQL (Debian's Chromium driven by Playwright).

The browsing is ``tests/browser/operator.spec.mjs`` — the same script as the one-server test, given node B as the
operator's address: sign-in, suggestions and a phone record on node B; then the chat the citizen queued on node
A is claimed on node B, messages go both ways, and the chat is closed with a resolution. Afterwards the
database shows one closed handoff, its messages in order and the chat's record with its resolution.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from contact.store import accounts, pg
from contact.store.inquiry_log import connect, migrate
from tests.browser_runner import ARTIFACTS, BROWSER_DIR, ROOT, assert_no_serious_axe, assert_passed, last_result
from tests.conftest import PASSWORD
from tests.postgres import fresh_database, postgres_server
from tests.server import Server

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]


def test_a_chat_with_the_widget_on_one_node_and_the_console_on_another(node: str, tmp_path: Path) -> None:
    """Queue on node A, claim on node B, messages both ways, close with a resolution: one service."""
    with postgres_server() as server_url:
        url = fresh_database(server_url)
        db = connect(url)
        migrate(db)
        accounts.add_user(db, "sato", "operator", PASSWORD)
        db.conn.close()
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
        env = {"CONTACT_DB": url, "CONTACT_ENCODERS": "none"}
        a, b = (Server(tmp_path / name, env=env) for name in ("a", "b"))
        try:
            ARTIFACTS.mkdir(exist_ok=True)
            proc = subprocess.run(
                [node, str(BROWSER_DIR / "operator.spec.mjs"), a.base, str(ARTIFACTS / "nodes"), "sato", PASSWORD,
                 b.base],
                capture_output=True, cwd=ROOT, text=True, timeout=300, check=False,
            )
        finally:
            a_log, b_log = a.stop(), b.stop()
        result = last_result(proc.stdout, "nodes-browser-result.json")
        assert_passed(proc.returncode, result, proc.stderr)
        assert_no_serious_axe(result)

        db = pg.connect(url)
        try:
            records = [tuple(r.values()) for r in db.query(
                "SELECT channel, resolution, operator, note, text, handoff_id, session_id FROM inquiries "
                "WHERE source = 'operator' ORDER BY created_at")]
            handoffs = [tuple(r.values()) for r in db.query("SELECT id, status, claimed_by, session_id FROM handoffs")]
            senders = [r["sender"] for r in db.query("SELECT sender FROM chat_messages ORDER BY id")]
        finally:
            db.conn.close()
    assert len(records) == 2, records
    phone, chat = records
    assert phone[:3] == ("phone", "forwarded", "sato") and "1234-5678" not in phone[3]
    [(handoff_id, status, claimed_by, session_id)] = handoffs
    assert (status, claimed_by) == ("closed", "sato")
    assert chat[:4] == ("chat", "answered", "sato", "土曜開庁を案内") and chat[5:] == (handoff_id, session_id)
    assert "土曜日も取れますか" in chat[4]
    assert senders == ["system", "operator", "citizen", "operator", "system"]
    # the widget's chat was node A's, the console's node B's
    assert '"path": "/api/v1/chat"' in a_log and '"path": "/api/v1/chat"' not in b_log
    assert '"path": "/api/v1/operator/ws"' in b_log and '"path": "/api/v1/operator/ws"' not in a_log
