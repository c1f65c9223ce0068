"""Shared fixtures: settings on a temporary SQLite file and the small fixture knowledge base."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from contact.config import Settings

TESTS = Path(__file__).parent
EMBEDDING_CACHE = TESTS.parent / "var" / "test-embeddings"
"""One embedding cache for the whole suite and the servers it starts (they inherit the variable): the
knowledge bases are embedded once per machine, not once per test."""
os.environ["CONTACT_CACHE_DIR"] = str(EMBEDDING_CACHE)
MINI_KB = TESTS / "fixtures" / "kb-mini"
SHARED = TESTS.parent.parent / "shared"
NOW = "2026-11-20T10:00:00+09:00"
"""A Friday. 2026-11-28 is the 4th Saturday, 2026-12-12 the 2nd Saturday of December."""


@pytest.fixture(autouse=True)
def _let_finished_apps_go():  # type: ignore[no-untyped-def]
    """aiohttp memoises each route's middleware chain with the application (an lru_cache of 1,024 entries
    in aiohttp.web_app): in a service that is one application, in this suite it kept every test's app, and
    its knowledge base and encoders, alive (10.8 GB after 342 tests). Cleared after each test."""
    yield
    from aiohttp import web_app

    cache = getattr(web_app, "_cached_build_middleware", None)
    if cache is not None and hasattr(cache, "cache_clear"):
        cache.cache_clear()


@pytest.fixture(scope="session")
def shipped_fused():  # type: ignore[no-untyped-def]
    """The matcher over the shipped base fused with both bundled encoders, as the service runs it (built
    once a run; its embeddings come from the shared cache)."""
    from intents.encoders import load_encoder
    from intents.engine import Engine
    from knowledge.loader import SHIPPED_DIR, load

    return Engine(load(SHIPPED_DIR), memo_size=0, encoders=[load_encoder("use"), load_encoder("e5")],
                  cache_dir=EMBEDDING_CACHE)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # rate_limit=0: tests fire many requests from one address; tests/test_security.py turns limits on
    return Settings(db=str(tmp_path / "contact.sqlite3"), kb=str(MINI_KB), now=NOW, rate_limit=0,
                    cache_dir=str(EMBEDDING_CACHE))


@pytest.fixture
def now() -> dt.datetime:
    return dt.datetime.fromisoformat(NOW)


@pytest.fixture
async def client(aiohttp_client, settings):  # type: ignore[no-untyped-def]
    from contact.app import create_app

    return await aiohttp_client(create_app(settings))


def admin_headers(settings: Settings) -> dict[str, str]:
    """``Authorization`` with the admin token of an app started on ``settings`` (the file it made at start)."""
    token = settings.admin_token or settings.admin_token_path().read_text(encoding="ascii").strip()
    return {"Authorization": f"Bearer {token}"}


PASSWORD = "correct horse battery"
"""The password of accounts made by the ``add_user`` fixture."""


@pytest.fixture
def add_user(settings: Settings):  # type: ignore[no-untyped-def]
    """``add_user(name, role) -> API token``: an account (password :data:`PASSWORD`) in the test database."""
    from contact.store import accounts
    from contact.store.inquiry_log import connect, migrate

    def make(name: str, role: str, password: str | None = PASSWORD) -> str:
        db = connect(settings.db)
        try:
            migrate(db)
            accounts.add_user(db, name, role, password)
            return accounts.issue_token(db, name, "test")
        finally:
            db.conn.close()

    return make


@pytest.fixture
def node() -> str:
    """The path of node for the browser tests (skipped where node is missing; see tests/browser_runner.py)."""
    from tests.browser_runner import require_node

    return require_node()
