"""The operator console in a real browser, with a citizen in the widget: Debian's Chromium driven by Playwright.

``tests/browser/operator.spec.mjs`` does the browsing in two browser contexts (a citizen on the demo page, an
operator who signs in at /login); this test runs the real server, makes the operator's account, and checks the
database after: the phone inquiry recorded from a suggestion and the closed chat with its resolution.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from contact.store import accounts
from contact.store.inquiry_log import connect, migrate
from tests.browser_runner import ARTIFACTS, BROWSER_DIR, ROOT, assert_no_serious_axe, assert_passed, last_result
from tests.conftest import PASSWORD
from tests.server import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_operator_takes_over_a_chat_in_a_real_browser(node: str, tmp_path: Path) -> None:
    """Sign-in, typeahead by keyboard, copy, a record saved with Ctrl+Enter, claim, messages both ways, close, axe."""
    db_path = tmp_path / "var" / "contact.sqlite3"
    db = connect(str(db_path))
    migrate(db)
    accounts.add_user(db, "sato", "operator", PASSWORD)
    db.conn.close()
    server = Server(tmp_path, db=db_path)
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        proc = subprocess.run(
            [node, str(BROWSER_DIR / "operator.spec.mjs"), server.base, str(ARTIFACTS), "sato", PASSWORD],
            capture_output=True, cwd=ROOT, text=True, timeout=240, check=False,
        )
    finally:
        server.stop()
    result = last_result(proc.stdout, "operator-browser-result.json")
    assert_passed(proc.returncode, result, proc.stderr)
    assert_no_serious_axe(result)

    with sqlite3.connect(db_path) as conn:
        records = conn.execute(
            "SELECT channel, resolution, operator, entry_id, forwarded_to, note, text, handoff_id, session_id "
            "FROM inquiries WHERE source = 'operator' ORDER BY created_at, rowid").fetchall()
        handoffs = conn.execute("SELECT id, status, claimed_by, session_id FROM handoffs").fetchall()
        senders = [r[0] for r in conn.execute("SELECT sender FROM chat_messages ORDER BY id")]
    assert len(records) == 2, records
    phone, chat = records
    assert phone[:4] == ("phone", "forwarded", "sato", "juminhyo") and phone[4].endswith("-kumin")  # a 区民課
    assert "1234-5678" not in phone[5] and phone[6] == "住民票の写し"
    [(handoff_id, status, claimed_by, session_id)] = handoffs
    assert (status, claimed_by) == ("closed", "sato")
    assert chat[:5] == ("chat", "answered", "sato", None, None) and chat[7:] == (handoff_id, session_id)
    assert "土曜日も取れますか" in chat[6] and chat[5] == "土曜開庁を案内"
    assert senders == ["system", "operator", "citizen", "operator", "system"]
