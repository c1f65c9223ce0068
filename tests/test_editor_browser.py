"""The knowledge editor in a real browser: Debian's Chromium driven by Playwright (Node) against a real server on a
seeded log. ``tests/browser/editor.spec.mjs`` signs in as an editor, opens the planted プール gap cluster, writes the
missing FAQ with a source, previews and saves it, and asks the citizen's question in the widget; this test
prepares the log and the account and checks the store and the audit log afterwards."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from contact.ops import seed
from contact.store import accounts
from contact.store.inquiry_log import connect
from tests.browser_runner import ARTIFACTS, BROWSER_DIR, ROOT, assert_no_serious_axe, assert_passed, last_result
from tests.conftest import PASSWORD
from tests.server import Server
from tests.test_editor_nodes import POOL, QUESTION, _editor_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    db_path = tmp_path / "var" / "contact.sqlite3"
    db_path.parent.mkdir()
    seed.write(db_path, start=dt.date(2026, 8, 3))
    db = connect(str(db_path))
    accounts.add_user(db, "emi", "editor", PASSWORD)
    db.conn.close()
    running = Server(tmp_path, db=db_path)
    yield running
    running.stop()


def test_an_editor_closes_a_gap_and_the_widget_answers(node: str, server: Server) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    expected = {"user": "emi", "password": PASSWORD, "gap": "プール", "faq": POOL, "citizen_question": QUESTION["text"]}
    proc = subprocess.run([node, str(BROWSER_DIR / "editor.spec.mjs"), server.base, str(ARTIFACTS),
                           json.dumps(expected, ensure_ascii=False)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    result = last_result(proc.stdout, "editor-browser-result.json")
    assert_passed(proc.returncode, result, proc.stderr)
    assert_no_serious_axe(result)
    with sqlite3.connect(server.db) as conn:
        versions = conn.execute("SELECT entry_id, version, action, author FROM kb_edits").fetchall()
        audit = conn.execute("SELECT actor, action, target FROM audit "
                             "WHERE action LIKE 'kb.%' AND action != 'kb.search'").fetchall()
    assert versions == [(POOL["id"], 1, "create", "emi")]
    assert audit == [("emi", "kb.create", POOL["id"])]


@pytest.mark.postgres
def test_the_same_across_two_nodes_over_postgresql(node: str, tmp_path: Path) -> None:
    """The editor signs in on node A; the gap comes from citizens' questions asked on node A; the citizen who
    asks afterwards is served by node B, which heard the save through the store."""
    import shutil

    from tests.postgres import fresh_database, postgres_server
    from tests.test_scale import SHIPPED_KB, call

    with postgres_server() as server_url:
        url = fresh_database(server_url)
        _editor_token(url)  # the account emi (password PASSWORD) in the shared database
        kb = tmp_path / "kb"
        shutil.copytree(SHIPPED_KB, kb)
        env = {"CONTACT_DB": url, "CONTACT_ENCODERS": "none", "CONTACT_KB": str(kb), "CONTACT_RATE_LIMIT": "0"}
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
        a, b = (Server(tmp_path / name, env=env) for name in ("a", "b"))
        try:
            for text in ("市営プールは何時から営業していますか", "プールの営業時間を教えてください",
                         "温水プールの利用料金はいくら", "プールは夏休みも営業していますか",
                         "市民プールの料金を知りたい", "プールの営業時間を教えてください"):
                status, body, _ = call(a.base, "/api/v1/ask", {"text": text})
                assert status == 200 and (body["answer"] or {}).get("entry_id") != POOL["id"]
            expected = {"user": "emi", "password": PASSWORD, "gap": "プール", "faq": POOL,
                        "citizen_question": QUESTION["text"], "widget_base": b.base}
            proc = subprocess.run([node, str(BROWSER_DIR / "editor.spec.mjs"), a.base, str(ARTIFACTS / "nodes"),
                                   json.dumps(expected, ensure_ascii=False)],
                                  capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
            result = last_result(proc.stdout, "editor-nodes-browser-result.json")
            assert_passed(proc.returncode, result, proc.stderr)
            conn = connect(url)
            try:
                versions = conn.execute("SELECT entry_id, version, action, author FROM kb_edits").fetchall()
            finally:
                conn.conn.close()
            assert [tuple(v) for v in versions] == [(POOL["id"], 1, "create", "emi")]
        finally:
            a.stop()
            b.stop()
