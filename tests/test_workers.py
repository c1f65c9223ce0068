"""``contact serve --workers 2``: two processes on one port, both writing the one SQLite log."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from tests.server import Server


@pytest.mark.slow
def test_two_workers_answer_on_one_port_and_both_write_the_log(tmp_path: Path) -> None:
    """Asks over fresh connections reach both workers; every answer is a committed row; SIGTERM stops all."""
    server = Server(tmp_path, env={"CONTACT_WORKERS": "2", "CONTACT_RATE_LIMIT": "0"})
    try:
        deadline = time.monotonic() + 120
        while server.output().count("======== Running on") < 2:  # both workers listen
            assert time.monotonic() < deadline, server.output()
            assert server.proc.poll() is None, server.output()
            time.sleep(0.2)
        ids = []
        for i in range(40):  # urllib opens a new connection per request: the kernel spreads them
            status, body = server.post("/api/v1/ask", {"text": f"住民票の写しはいくらですか {i}"})
            assert status == 200, body
            ids.append(body["inquiry_id"])
    finally:
        output = server.stop()
    assert server.proc.returncode == 0, output
    rows = {r[0] for r in sqlite3.connect(server.db).execute("SELECT id FROM inquiries")}
    assert rows == set(ids)
    asks = [json.loads(line) for line in output.splitlines() if line.startswith("{") and '"event": "ask"' in line]
    assert {a["worker"] for a in asks} == {1, 2}, "both workers answered and logged"
    assert "workers.stopping" in output


def test_workers_setting_is_validated() -> None:
    from contact.config import ConfigError, Settings

    assert Settings(workers=4).workers == 4
    with pytest.raises(ConfigError):
        Settings(workers=0)


def test_a_writer_waits_for_another_process_holding_the_write_lock(tmp_path: Path) -> None:
    """The log's write transaction waits for another writer of the file (another worker's group commit)
    and then commits, instead of failing with SQLITE_BUSY; the connection's busy timeout is kept."""
    import threading

    from contact.store.inquiry_log import connect, insert_row, migrate, write_transaction

    path = str(tmp_path / "log.sqlite3")
    db = connect(path)
    migrate(db)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO audit (at, action) VALUES ('2026-11-20T10:00:00+09:00', 'other worker')")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    with write_transaction(db):
        insert_row(db, "audit", {"at": "2026-11-20T10:00:01+09:00", "action": "this worker", "detail": ["a", 1]})
    release.join()
    assert time.monotonic() - started >= 0.25
    rows = db.execute("SELECT action, detail FROM audit ORDER BY id").fetchall()
    assert rows == [("other worker", None), ("this worker", '["a", 1]')]
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
