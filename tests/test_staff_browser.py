"""The staff dashboard in a real browser: Debian's Chromium driven by Playwright (Node) against a real server on
a seeded log. The Node script ``tests/browser/staff.spec.mjs`` does the browsing (sign-in, every tab, keyboard,
axe-core); this test prepares the log and the account and checks the database afterwards."""

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

pytestmark = [pytest.mark.browser, pytest.mark.slow]

@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, seed.Manifest]]:
    db_path = tmp_path / "var" / "contact.sqlite3"
    db_path.parent.mkdir()
    manifest = seed.write(db_path, start=dt.date(2026, 8, 3))
    db = connect(str(db_path))
    accounts.add_user(db, "hiroko", "staff", PASSWORD)
    db.conn.close()
    running = Server(tmp_path, db=db_path)
    yield running, manifest
    running.stop()


def test_the_staff_dashboard_in_a_real_browser(node: str, server: tuple[Server, seed.Manifest], tmp_path: Path) -> None:
    """Sign-in redirect, overview figures, list and filters, gaps, rising topics, KWIC, accepting a proposal, the
    report link, keyboard tabs, axe-core on every tab, a phone-sized screen."""
    running, manifest = server
    ARTIFACTS.mkdir(exist_ok=True)
    expected = {"user": "hiroko", "password": PASSWORD, "total": manifest.total, "benefit": manifest.gaps["給付金"]}
    proc = subprocess.run([node, str(BROWSER_DIR / "staff.spec.mjs"), running.base, str(ARTIFACTS),
                           json.dumps(expected, ensure_ascii=False)],
                          capture_output=True, text=True, cwd=ROOT, timeout=240, check=False)
    result = last_result(proc.stdout, "staff-browser-result.json")
    assert_passed(proc.returncode, result, proc.stderr)
    assert_no_serious_axe(result)
    assert (ARTIFACTS / "staff-overview.png").stat().st_size > 10_000

    with sqlite3.connect(running.db) as conn:
        accepted = conn.execute("SELECT decided_by FROM phrasings WHERE status = 'accepted'").fetchall()
        reads = {row[0] for row in conn.execute("SELECT target FROM audit WHERE action = 'inquiries.read'")}
    assert accepted == [("hiroko",)]
    assert {"summary", "list", "gaps", "rising", "words", "kwic", "crosstab", "report"} <= reads
