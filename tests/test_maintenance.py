"""Retention and backup of the inquiry log (contact.store.maintenance, ``contact db purge|backup``), and learning
phrasings from traffic (InquiryLog.propose_phrasing, ``contact kb learned``, knowledge.learned)."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest

from contact.analysis import phrasings
from contact.cli import main
from contact.ops import seed
from contact.store.inquiry_log import InquiryLog, connect
from contact.store.maintenance import BackupError, backup, purge, purge_counts, retention_cutoff
from knowledge.errors import KnowledgeError
from knowledge.learned import LEARNED_FILE
from knowledge.loader import load
from tests.conftest import MINI_KB, NOW


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, seed.Manifest]:
    path = tmp_path_factory.mktemp("seeded") / "log.sqlite3"
    return path, seed.write(path, start=dt.date(2026, 8, 1))


@pytest.fixture
def copy(seeded: tuple[Path, seed.Manifest], tmp_path: Path) -> Path:
    target = tmp_path / "copy.sqlite3"
    shutil.copy(seeded[0], target)
    return target


def test_retention_cutoff() -> None:
    assert retention_cutoff(dt.date(2026, 11, 20), 0) is None
    assert retention_cutoff(dt.date(2026, 11, 20), 30) == dt.date(2026, 10, 21)


def test_purge_deletes_old_inquiries_and_what_hangs_on_them(copy: Path, seeded: tuple[Path, seed.Manifest]) -> None:
    manifest = seeded[1]
    db = connect(str(copy))
    db.execute("UPDATE phrasings SET status = 'accepted' WHERE id = (SELECT MIN(id) FROM phrasings)")
    accepted = db.execute("SELECT text FROM phrasings WHERE status = 'accepted'").fetchone()[0]
    old = db.execute("SELECT id FROM inquiries WHERE created_at < '2026-09-01' LIMIT 1").fetchone()[0]
    db["handoffs"].insert({"id": "h1", "session_id": "s1", "created_at": "2026-08-20T10:00:00+09:00",  # type: ignore[union-attr]
                           "status": "closed", "reason": "request", "inquiry_id": old})
    db["chat_messages"].insert({"handoff_id": "h1", "session_id": "s1", "at": "2026-08-20T10:01:00+09:00",  # type: ignore[union-attr]
                                "sender": "citizen", "text": "もしもし"})
    db.execute("UPDATE phrasings SET inquiry_id = ? WHERE text = ?", [old, accepted])
    cutoff = dt.date(2026, 9, 1)
    before = sum(n for day, n in manifest.by_day.items() if day < "2026-09-01")
    assert purge_counts(db, cutoff)["inquiries"] == before
    counts = purge(db, cutoff)
    assert counts["inquiries"] == before and counts["handoffs"] == 1 and counts["chat_messages"] == 1
    assert counts["feedback"] > 0
    assert db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == manifest.total - before
    assert db.execute("SELECT MIN(created_at) FROM inquiries").fetchone()[0] >= "2026-09-01"
    assert db.execute("SELECT COUNT(*) FROM feedback WHERE inquiry_id NOT IN (SELECT id FROM inquiries)"
                      ).fetchone()[0] == 0
    kept = db.execute("SELECT inquiry_id FROM phrasings WHERE text = ?", [accepted]).fetchone()
    assert kept == (None,)  # an accepted phrasing stays, unlinked
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    db.conn.close()


def test_the_purge_command_uses_the_retention_setting(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "purge", "--db", str(copy), "--now", NOW]) == 0
    assert "nothing purged" in capsys.readouterr().out
    assert main(["db", "purge", "--db", str(copy), "--now", NOW, "--retention-days", "60", "--dry-run"]) == 0
    assert "would delete everything recorded before 2026-09-21" in capsys.readouterr().out
    assert main(["db", "purge", "--db", str(copy), "--before", "2026-10-01"]) == 0
    assert "deleted everything recorded before 2026-10-01" in capsys.readouterr().out
    assert sqlite3.connect(copy).execute("SELECT MIN(created_at) >= '2026-10-01' FROM inquiries").fetchone()[0] == 1
    assert main(["db", "purge", "--db", str(copy), "--before", "yesterday"]) == 2


async def test_backup_while_the_service_writes(copy: Path, tmp_path: Path) -> None:
    """An online backup taken during a stream of commits is a consistent, complete file."""
    log = InquiryLog(str(copy))
    log.open()
    start = await log.count()
    stop = asyncio.Event()

    async def writer() -> int:
        n = 0
        while not stop.is_set():
            await log.record({"id": f"live-{n}", "created_at": "2026-11-20T10:00:00.000+09:00", "channel": "web",
                              "text": "住民票はどこで取れますか", "kind": "answer"})
            n += 1
        return n

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.05)
    result = await asyncio.to_thread(backup, str(copy), tmp_path / "b" / "backup.sqlite3")
    stop.set()
    written = await task
    await log.close()
    rows = result["rows"]
    assert isinstance(rows, dict) and start < rows["inquiries"] <= start + written
    copied = sqlite3.connect(tmp_path / "b" / "backup.sqlite3")
    assert copied.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copied.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copied.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0] == rows["inquiries"]
    with pytest.raises(BackupError, match="exists"):
        backup(str(copy), tmp_path / "b" / "backup.sqlite3")


def test_the_backup_command(copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "backup.sqlite3"
    assert main(["db", "backup", str(target), "--db", str(copy)]) == 0
    assert "integrity ok" in capsys.readouterr().out
    assert main(["db", "backup", str(target), "--db", str(copy)]) == 1
    assert main(["db", "backup", str(target), "--db", str(copy), "--force"]) == 0
    assert main(["db", "backup", str(target), "--db", str(tmp_path / "missing.sqlite3"), "--force"]) == 1


# -- learning from traffic -------------------------------------------------------------------------


async def test_proposals_are_committed_once_and_personal_data_is_not_proposed(tmp_path: Path) -> None:
    log = InquiryLog(str(tmp_path / "log.sqlite3"))
    log.open()
    results = await asyncio.gather(*(log.propose_phrasing(entry_id="juminhyo", text="じゅうみんひょう  ほしい",
                                                          origin="operator", inquiry_id=f"i{n}") for n in range(5)))
    assert results == [True] * 5
    assert not await log.propose_phrasing(entry_id="juminhyo", text="電話は＜電話番号＞です", origin="citizen")
    assert not await log.propose_phrasing(entry_id="juminhyo", text="x" * 201, origin="citizen")
    rows = await log.read(lambda db: list(db.query("SELECT * FROM phrasings")))
    await log.close()
    assert len(rows) == 1 and rows[0]["text"] == "じゅうみんひょう ほしい" and rows[0]["status"] == "pending"


def test_accepted_phrasings_reach_the_matcher(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Accept a proposal, run `contact kb learned`, load the base: the matcher answers the new phrasing."""
    from intents.engine import Context, Engine

    kb_dir = tmp_path / "kb"
    shutil.copytree(MINI_KB, kb_dir)
    db_path = tmp_path / "log.sqlite3"
    question = "ワンちゃんの鑑札ってどうするの"
    now = dt.datetime.fromisoformat(NOW)
    before = Engine(load(kb_dir)).respond(question, Context(now=now))
    assert before.answer is None or before.answer.entry_id != "inu-toroku"

    db = connect(str(db_path))
    from contact.store.inquiry_log import migrate

    migrate(db)
    for entry_id, text in (("inu-toroku", question), ("juminhyo", "住民票って何"), ("gone-entry", "消えたエントリ"),
                           ("faq-saturday-opening", "土曜って区役所あいてる？")):
        db["phrasings"].insert({"entry_id": entry_id, "text": text, "origin": "citizen",  # type: ignore[union-attr]
                                "created_at": NOW, "status": "pending"})
    ids = {r["text"]: r["id"] for r in db.query("SELECT id, text FROM phrasings")}
    for text in (question, "消えたエントリ", "土曜って区役所あいてる？"):
        assert phrasings.decide(db, ids[text], "accepted", "editor", NOW) is not None
    assert phrasings.decide(db, ids["住民票って何"], "rejected", "editor", NOW)["decided_by"] == "editor"
    assert phrasings.decide(db, 999, "accepted", "editor", NOW) is None
    listed = phrasings.list_phrasings(db, "accepted")
    assert listed["total"] == 3 and listed["counts"] == {"pending": 0, "accepted": 3, "rejected": 1}
    db.conn.close()

    assert main(["kb", "learned", "--into", str(kb_dir), "--db", str(db_path)]) == 0
    out = capsys.readouterr()
    assert "wrote 2 accepted phrasings of 2 entries" in out.out and "gone-entry" in out.err
    kb = load(kb_dir)
    assert question in kb.procedures["inu-toroku"].sample_questions
    assert "土曜って区役所あいてる？" in kb.faqs["faq-saturday-opening"].alternatives
    after = Engine(kb).respond(question, Context(now=now))
    assert after.answer is not None and after.answer.entry_id == "inu-toroku"
    assert main(["kb", "learned", "--into", str(kb_dir), "--db", str(db_path)]) == 0  # idempotent


def test_a_bad_learned_file_is_a_knowledge_problem(tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(MINI_KB, kb_dir)
    for text, message in (("nobody: [ほげ]\n", "unknown entry id"), ("juminhyo: 住民票\n", "list of non-empty"),
                          ("nakahara-kuyakusho-kumin: [窓口]\n", "take no phrasings"), ("- a\n", "must map")):
        (kb_dir / LEARNED_FILE).write_text(text, encoding="utf-8")
        with pytest.raises(KnowledgeError, match=message):
            load(kb_dir)
    assert load(kb_dir, learned=False).procedures["juminhyo"]
