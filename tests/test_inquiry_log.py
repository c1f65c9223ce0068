"""The inquiry log: migrations, durable group commit, clean close."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from contact.store.inquiry_log import MIGRATIONS, InquiryLog, LogUnavailable, connect, migrate


def _row(i: int) -> dict[str, object]:
    return {"id": f"id{i}", "created_at": "2026-11-20T10:00:00+09:00", "channel": "web", "text": "t",
            "kind": "answer", "candidates": ["a", "b"]}


async def test_concurrent_records_are_all_committed_in_batches(tmp_path: Path) -> None:
    """Many concurrent writers are all committed, in fewer commits than rows (group commit)."""
    log = InquiryLog(str(tmp_path / "log.sqlite3"))
    log.open()
    await asyncio.gather(*(log.record(_row(i)) for i in range(300)))
    assert await log.count() == 300
    assert log.commits < 300
    await log.close()
    conn = sqlite3.connect(tmp_path / "log.sqlite3")
    assert conn.execute("SELECT candidates FROM inquiries WHERE id='id7'").fetchone()[0] == '["a", "b"]'
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_close_commits_what_was_queued(tmp_path: Path) -> None:
    """Closing the log commits every row already handed to it."""
    log = InquiryLog(str(tmp_path / "log.sqlite3"))
    log.open()
    tasks = [asyncio.create_task(log.record(_row(i))) for i in range(50)]
    await asyncio.sleep(0)
    await log.close()
    await asyncio.gather(*tasks)
    assert sqlite3.connect(tmp_path / "log.sqlite3").execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == 50


async def test_a_bad_row_fails_alone(tmp_path: Path) -> None:
    """A row violating a constraint fails its own request; the rest of the batch is committed."""
    log = InquiryLog(str(tmp_path / "log.sqlite3"))
    log.open()
    results = await asyncio.gather(log.record(_row(1)), log.record(_row(1)), log.record(_row(2)),
                                   return_exceptions=True)
    assert sum(isinstance(r, Exception) for r in results) == 1
    assert await log.count() == 2
    await log.close()


async def test_record_after_close_is_refused(tmp_path: Path) -> None:
    """A closed log refuses writes with LogUnavailable instead of dropping them silently."""
    log = InquiryLog(str(tmp_path / "log.sqlite3"))
    log.open()
    await log.close()
    with pytest.raises(LogUnavailable):
        await log.record(_row(1))


def test_migrate_is_idempotent_and_versioned(tmp_path: Path) -> None:
    """Migrating twice is harmless and schema_version records the latest version."""
    db = connect(str(tmp_path / "m.sqlite3"))
    assert migrate(db) == len(MIGRATIONS)
    assert migrate(db) == len(MIGRATIONS)
    assert db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == len(MIGRATIONS)
    assert {"inquiries", "feedback"} <= set(db.table_names())


def test_chat_sockets_of_a_process_that_is_gone_stop_counting(tmp_path) -> None:
    """The shared open-chat counts: a limit refuses past its count, a process's heartbeat keeps its rows,
    and the rows of a process that stopped refreshing them (a crash) no longer hold places after 20 s."""
    from contact.store import chat_sockets

    db = connect(str(tmp_path / "log.sqlite3"))
    migrate(db)
    client = chat_sockets.client_digest("192.0.2.1")
    assert chat_sockets.admit(db, "s1", "dead", client, 0.0, 2, 0) is None
    assert chat_sockets.admit(db, "s2", "alive", client, 0.0, 2, 0) is None
    assert chat_sockets.admit(db, "s3", "alive", client, 1.0, 2, 0) == "total"
    assert chat_sockets.admit(db, "s3", "alive", client, 1.0, 0, 2) == "per_client"
    chat_sockets.bind(db, "s2", "session-a", 1.0)
    assert chat_sockets.online(db, ["session-a", "session-b"], 2.0) == {"session-a"}
    chat_sockets.heartbeat(db, "alive", 15.0)
    assert chat_sockets.count(db, 25.0) == 1  # "dead" last seen at 0
    assert chat_sockets.admit(db, "s3", "alive", client, 25.0, 2, 0) is None
    chat_sockets.heartbeat(db, "alive", 30.0)
    assert [r[0] for r in db.execute("SELECT id FROM chat_sockets ORDER BY id")] == ["s2", "s3"]
    assert "192.0.2.1" not in client
    db.conn.close()


async def test_shared_chat_places_are_given_back_once_the_store_answers_again(tmp_path) -> None:
    """--max-chats 2 counted in the store: two chats take both places; a chat that ends while the log is
    unavailable keeps its place only until the store answers again (the next release or heartbeat)."""
    from contact.web.limiters import ConnectionLimiter, SharedChats

    log = InquiryLog(str(tmp_path / "log.sqlite3"))
    log.open()
    try:
        available: list[InquiryLog | None] = [log]
        places = SharedChats(2, 0, lambda: available[0], lambda: "process-1", fallback=ConnectionLimiter(2, 0))
        (none1, first), (none2, second) = [await places.acquire("192.0.2.1") for _ in range(2)]
        assert none1 is None and none2 is None and first and second
        assert await places.acquire("192.0.2.2") == ("total", None)
        available[0] = None  # the log is unhealthy: the row cannot be deleted now
        await places.release("192.0.2.1", first)
        available[0] = log
        assert await log.open_chat_sockets() == 2
        assert (await places.acquire("192.0.2.2"))[0] == "total"
        await places.flush()  # what the heartbeat does
        assert await log.open_chat_sockets() == 1
        refused, third = await places.acquire("192.0.2.2")
        assert refused is None and third is not None and await places.total() == 2
    finally:
        await log.close()
