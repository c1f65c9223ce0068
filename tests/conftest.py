"""Shared fixtures: settings on a temporary SQLite file and the small fixture knowledge base."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from contact.config import Settings

TESTS = Path(__file__).parent
MINI_KB = TESTS / "fixtures" / "kb-mini"
SHARED = TESTS.parent.parent / "shared"
NOW = "2026-11-20T10:00:00+09:00"
"""A Friday. 2026-11-28 is the 4th Saturday, 2026-12-12 the 2nd Saturday of December."""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db=str(tmp_path / "contact.sqlite3"), kb=str(MINI_KB), now=NOW)


@pytest.fixture
def now() -> dt.datetime:
    return dt.datetime.fromisoformat(NOW)


@pytest.fixture
async def client(aiohttp_client, settings):  # type: ignore[no-untyped-def]
    from contact.app import create_app

    return await aiohttp_client(create_app(settings))
