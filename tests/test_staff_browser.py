"""The staff dashboard in a real browser: Debian's Chromium driven by Playwright (Node) against a real server on
a seeded log. The Node script ``tests/browser/staff.spec.mjs`` does the browsing (sign-in, every tab, keyboard,
axe-core); this test prepares the log and the account and checks the database afterwards."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from contact import accounts
from contact.analysis import seed
from contact.inquiry_log import connect
from tests.conftest import PASSWORD
from tests.server import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
BROWSER_DIR = ROOT / "tests" / "browser"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.skip("node is not installed (scripts/install-browser installs it)")
    for needed in (BROWSER_DIR / "node_modules" / "playwright-core", BROWSER_DIR / "node_modules" / "axe-core"):
        assert needed.exists(), f"{needed} is missing: run scripts/install-browser"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run scripts/install-browser (as root)"
    return path


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
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    result = events[-1] if events else {}
    (ARTIFACTS / "staff-browser-result.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    failed = [c for c in result.get("checks", []) if not c["ok"]]
    assert proc.returncode == 0 and result.get("ok"), (
        f"exit {proc.returncode}; failed: {failed}; error: {result.get('error')}; stderr: {proc.stderr[-2000:]}")
    for label, axe in result["axe"].items():
        assert not [v for v in axe["violations"] if v["impact"] in ("serious", "critical")], label
    assert (ARTIFACTS / "staff-overview.png").stat().st_size > 10_000

    with sqlite3.connect(running.db) as conn:
        accepted = conn.execute("SELECT decided_by FROM phrasings WHERE status = 'accepted'").fetchall()
        reads = {row[0] for row in conn.execute("SELECT target FROM audit WHERE action = 'inquiries.read'")}
    assert accepted == [("hiroko",)]
    assert {"summary", "list", "gaps", "rising", "words", "kwic", "crosstab", "report"} <= reads
