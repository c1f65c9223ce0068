"""What the browser tests share: where Chromium and the Node scripts are, and how a script's result is read.

Each ``tests/browser/*.spec.mjs`` prints JSON lines; its last line is the result ``{"ok", "checks", "axe",
"error"}``. ``scripts/install-browser`` installs Chromium, Node and the npm packages.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BROWSER_DIR = ROOT / "tests" / "browser"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def require_node() -> str:
    """The path of node, after checking Chromium and the npm packages are installed (skip without node)."""
    path = shutil.which("node")
    if path is None:
        pytest.skip("node is not installed (scripts/install-browser installs it)")
    for needed in (BROWSER_DIR / "node_modules" / "playwright-core", BROWSER_DIR / "node_modules" / "axe-core"):
        assert needed.exists(), f"{needed} is missing: run scripts/install-browser"
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run scripts/install-browser (as root)"
    return path


def last_result(lines: list[str] | str, save_as: str | None = None) -> dict[str, Any]:
    """The script's result (its last JSON line), saved under test-artifacts/ when ``save_as`` is given."""
    text = lines.splitlines() if isinstance(lines, str) else lines
    events = [json.loads(line) for line in text if line.startswith("{")]
    result: dict[str, Any] = events[-1] if events else {}
    if save_as is not None:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / save_as).write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return result


def assert_passed(code: int | None, result: dict[str, Any], stderr: str) -> None:
    """The script exited 0 and every check passed; else say which failed, its error and stderr's end."""
    failed = [c for c in result.get("checks", []) if not c["ok"]]
    assert code == 0 and result.get("ok"), (
        f"exit {code}; failed: {failed}; error: {result.get('error')}; stderr: {stderr[-2000:]}")


def assert_no_serious_axe(result: dict[str, Any]) -> None:
    """axe-core found no serious or critical violation on any page or state the script checked."""
    for label, axe in result["axe"].items():
        serious = [v for v in axe["violations"] if v["impact"] in ("serious", "critical")]
        assert not serious, (label, serious)
