"""The load test and the crash test in their short CI form (``scripts/load``, contact/ops/loadtest.py).

The long form is documented in docs/security.md: ``scripts/load --duration 60 --connections 100``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def run_load(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "load.json"
    proc = subprocess.run([sys.executable, "-m", "contact.ops.loadtest", "--json", str(out), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert out.exists(), proc.stderr[-3000:]
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert proc.returncode == (0 if report["ok"] else 1)
    return report


def test_load_loses_nothing(tmp_path: Path) -> None:
    """A few seconds at 20 connections: only 200s, and exactly one row per 200, every id present."""
    report = run_load(tmp_path, "--duration", "3", "--connections", "20")
    load, db = report["load"], report["database"]
    assert report["ok"], report
    assert load["errors"] == {} and set(load["status"]) == {"200"}
    assert db["integrity"] == "ok" and db["rows"] == db["answered_200"] == load["status"]["200"] > 100
    assert db["missing"] == 0 and report["server_exit"] == 0


def test_rate_limited_load_answers_429_and_still_loses_nothing(tmp_path: Path) -> None:
    """With the rate limit on, loopback is one client: the rest are deliberate 429s with Retry-After."""
    report = run_load(tmp_path, "--duration", "2", "--connections", "10", "--rate-limit", "120",
                      "--rate-limit-burst", "20")
    load, db = report["load"], report["database"]
    assert report["ok"], report
    assert load["status"]["429"] > load["status"]["200"] >= 20 and load["retry_after_missing"] == 0
    assert load["unexpected_status"] == {} and load["errors"] == {}
    assert db["rows"] == load["status"]["200"] and db["missing"] == 0


def test_kill_9_during_load_loses_no_answered_inquiry(tmp_path: Path) -> None:
    """SIGKILL mid-load, restart on the same database: it opens cleanly and every 200 is there."""
    report = run_load(tmp_path, "--duration", "6", "--connections", "20", "--crash-after", "2", "--down", "0.5")
    crash, db = report["crash"], report["database"]
    assert report["ok"], report
    assert crash["answered_before_kill"] > 50 and sum(crash["errors_while_down"].values()) > 0
    assert db["integrity"] == "ok" and db["missing"] == 0
    assert db["answered_200"] > crash["answered_before_kill"]  # answers resumed after the restart
    assert 0 <= db["committed_unanswered"] <= 20  # at most the requests in flight at the kill
