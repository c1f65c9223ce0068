"""Reloading the knowledge base: a good base replaces the old whole, a bad one never does."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from contact.app import create_app
from contact.config import Settings
from tests.conftest import MINI_KB, NOW, admin_headers


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(MINI_KB, target)
    return target


@pytest.fixture
def settings(tmp_path: Path, kb_dir: Path) -> Settings:
    return Settings(db=str(tmp_path / "c.sqlite3"), kb=str(kb_dir), now=NOW, rate_limit=0, reload_interval=0)


@pytest.fixture
async def client(aiohttp_client, settings: Settings):  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(settings))
    client.session.headers.update(admin_headers(settings))  # the admin token the app made at start
    return client


async def test_bad_base_is_refused_and_the_old_one_keeps_answering(client, kb_dir: Path) -> None:
    """A reload of an invalid base answers 422 with the problems; asks still get the old answers."""
    (kb_dir / "faqs.yaml").write_text("- id: broken\n", encoding="utf-8")
    resp = await client.post("/api/v1/admin/reload")
    assert resp.status == 422
    body = await resp.json()
    assert body["ok"] is False and any("broken" in p for p in body["problems"])
    ask = await (await client.post("/api/v1/ask", json={"text": "犬の登録"})).json()
    assert ask["answer"]["entry_id"] == "inu-toroku"
    ready = await (await client.get("/readyz")).json()
    assert ready["status"] == "ok" and ready["kb_problems"]


async def test_reload_under_concurrent_asks_never_serves_a_half_built_index(client, kb_dir: Path) -> None:
    """While reloads swap in a base with a new entry, every concurrent ask gets a complete, valid answer."""
    (kb_dir / "faqs.yaml").write_text(
        (kb_dir / "faqs.yaml").read_text(encoding="utf-8")
        + "- id: faq-new\n  question: 新しい質問の窓口はどこ\n  answer: 新しい答えです。\n  category: その他\n"
          "  department: 区民課\n  source_url: https://example.jp\n  reviewed: 2026-11-20\n",
        encoding="utf-8",
    )

    async def ask(i: int) -> dict:  # type: ignore[type-arg]
        resp = await client.post("/api/v1/ask", json={"text": "犬の登録 料金" if i % 2 else "住民票 いくら"})
        assert resp.status == 200
        return await resp.json()  # type: ignore[no-any-return]

    results = await asyncio.gather(*(ask(i) for i in range(60)),
                                   *(client.post("/api/v1/admin/reload") for _ in range(3)))
    answers = results[:60]
    assert all(a["answer"]["entry_id"] in ("inu-toroku", "juminhyo") for a in answers)
    reloads = results[60:]
    assert sorted(r.status for r in reloads) == [200, 429, 429]  # one at a time: the others are told to wait
    after = await (await client.post("/api/v1/ask", json={"text": "新しい質問の窓口はどこ"})).json()
    assert after["answer"]["entry_id"] == "faq-new"


async def test_reload_requires_the_admin_token_when_one_is_set(aiohttp_client, tmp_path: Path) -> None:
    """With CONTACT_ADMIN_TOKEN set, reload without the bearer token is 401 and with it 200."""
    settings = Settings(db=str(tmp_path / "c.sqlite3"), kb=str(MINI_KB), now=NOW, admin_token="s3cret-token-value")
    client = await aiohttp_client(create_app(settings))
    assert (await client.post("/api/v1/admin/reload")).status == 401
    ok = await client.post("/api/v1/admin/reload", headers={"Authorization": "Bearer s3cret-token-value"})
    assert ok.status == 200
    assert not settings.admin_token_path().exists()  # a configured token: no file is made


async def test_a_reload_lets_the_old_engine_go_and_gives_its_memory_back(kb_dir: Path) -> None:
    """After a reload nothing holds the old engine (its index is freed, not kept beside the new one), not
    even the operator's suggester built over it; on glibc the freed heap is handed back with malloc_trim
    (knowledge_state.release_freed_heap)."""
    import datetime as dt
    import platform
    import weakref

    from contact import knowledge_state
    from contact.knowledge_state import KnowledgeState

    if platform.libc_ver()[0] == "glibc":
        assert knowledge_state._MALLOC_TRIM is not None
    from contact.chat.suggest import suggester_for

    state = KnowledgeState(kb_dir)
    assert (await state.reload()).ok
    old = weakref.ref(state.engine)
    assert suggester_for(state.engine).suggest("住民票", dt.datetime(2026, 11, 20, 10))  # the operator's view
    assert (await state.reload()).ok
    assert old() is None, "the old engine is still held (the operator's suggester kept it alive)"
    assert suggester_for(state.engine).suggest("住民票", dt.datetime(2026, 11, 20, 10))
    assert state.engine.kb.get("juminhyo") is not None
