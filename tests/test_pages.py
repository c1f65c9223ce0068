"""What every page shares: the site icon and a Japanese sans-serif font stack (never a monospaced CJK fallback)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from contact.analysis import report, svg

STATIC = Path(__file__).resolve().parent.parent / "contact" / "static"
MONOSPACED = re.compile(r"IPAGothic|MS Gothic|Osaka-Mono|Mono\b|monospace", re.IGNORECASE)


def _stacks() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for path in sorted(STATIC.glob("*")):
        if path.suffix in (".css", ".html", ".js"):
            text = path.read_text(encoding="utf-8")
            found += [(path.name, m) for m in re.findall(r"font-family:\s*([^;}']+)", text) if m.strip() != "inherit"]
            found += [(path.name, m) for m in re.findall(r"var FONTS = ((?:'[^']*'\s*\+?\s*)+);", text)]
    found.append(("report.py", re.search(r"font-family:([^;]+);", report.CSS).group(1)))  # type: ignore[union-attr]
    found.append(("svg.py", svg.FONT))
    return found


def test_every_font_stack_is_found() -> None:
    """The pages, the widget and the report each declare their stack (so the test below sees them all)."""
    assert {name for name, _ in _stacks()} >= {"console.css", "index.html", "widget.js", "report.py", "svg.py"}


@pytest.mark.parametrize(("where", "stack"), _stacks(), ids=lambda v: v if len(v) < 20 else "stack")
def test_font_stacks_are_japanese_sans_serif(where: str, stack: str) -> None:
    """Each stack names the Japanese faces of macOS, Linux/Android (Noto CJK) and Windows, ends with sans-serif and
    lists no monospaced face (IPAGothic, the fallback the pages fell to, is monospaced)."""
    for face in ("Hiragino Sans", "Noto Sans CJK JP", "Yu Gothic", "Meiryo"):
        assert face in stack, (where, face)
    assert stack.replace("'", "").replace('"', "").rstrip().endswith("sans-serif"), (where, stack)
    assert not MONOSPACED.search(stack), (where, stack)


async def test_the_favicon_is_served(client: Any) -> None:
    """GET /favicon.ico is an icon (16, 32 and 48 px), cached by browsers, not a 404 on every page view."""
    resp = await client.get("/favicon.ico")
    body = await resp.read()
    assert resp.status == 200 and resp.content_type == "image/vnd.microsoft.icon"
    assert body[:4] == b"\x00\x00\x01\x00" and int.from_bytes(body[4:6], "little") == 3
    assert "max-age" in resp.headers["Cache-Control"] and resp.headers["ETag"]
    again = await client.get("/favicon.ico", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status == 304
