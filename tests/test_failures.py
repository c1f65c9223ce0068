"""Storage failures on the live server: a full disk, a database file that becomes read-only, a read-only
database at start. The service keeps answering what needs no disk, fails /readyz with the reason, loses
nothing it accepted, and recovers when the disk is writable again. (A bad knowledge base on reload:
tests/test_reload.py.)

The full disk is a small tmpfs mounted for the test and the read-only file is made immutable with
``chattr +i`` (root can write through chmod): both need root and are skipped cleanly without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MINI_KB, NOW
from tests.server import Server, free_port

pytestmark = pytest.mark.slow
ASK = {"text": "犬の登録はどこでできますか"}


def _run(*cmd: str) -> bool:
    return subprocess.run(cmd, capture_output=True).returncode == 0


def get(server: Server, path: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(server.base + path, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def stored_ids(db: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {row[0] for row in conn.execute("SELECT id FROM inquiries")}
    finally:
        conn.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs, or skip."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None or not _run("mount", "-t", "tmpfs", "-o", "size=4m",
                                                                        "tmpfs", str(mount)):
        pytest.skip("needs root and mount to make a small disk (tmpfs)")
    try:
        yield mount
    finally:
        _run("umount", "-l", str(mount))


def fill(directory: Path) -> Path:
    filler = directory / "filler"
    with filler.open("wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 65536)
            f.flush()
    return filler


def ask_until_refused(server: Server, accepted: list[str], tries: int = 200) -> dict[str, Any]:
    """Ask until one is refused (free pages inside the file may take a few more); keep what was accepted."""
    for _ in range(tries):
        status, body = server.post("/api/v1/ask", ASK)
        if status == 200:
            accepted.append(body["inquiry_id"])
            continue
        assert status == 503, body
        return dict(body)
    raise AssertionError("the full disk never refused an inquiry")


def test_full_disk(tmp_path: Path, small_disk: Path) -> None:
    """Disk full: asks get 503 (nothing half-stored), lookups still answer, /readyz says the disk is full;
    with space back /readyz recovers by itself and asks are recorded again; nothing accepted is lost."""
    db = small_disk / "contact.sqlite3"
    server = Server(tmp_path, db=db, env={"CONTACT_KB": str(MINI_KB)})
    try:
        accepted = [server.post("/api/v1/ask", ASK)[1]["inquiry_id"] for _ in range(10)]
        filler = fill(small_disk)
        refused = ask_until_refused(server, accepted)
        assert refused["error"]["code"] == "unavailable" and "044-200-3939" in refused["error"]["message"]
        status, ready = get(server, "/readyz")
        assert status == 503 and any("disk is full" in p for p in ready["problems"]), ready
        assert get(server, "/api/v1/offices")[0] == 200  # what needs no disk keeps answering
        assert get(server, "/healthz")[0] == 200
        filler.unlink()
        status, ready = get(server, "/readyz")
        assert status == 200 and ready["problems"] == [], ready
        status, body = server.post("/api/v1/ask", ASK)
        assert status == 200
        accepted.append(body["inquiry_id"])
        assert server.stop() and server.proc.returncode == 0
    finally:
        server.stop()
    assert set(accepted) <= stored_ids(db)


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[Any]:
    """chattr +i/-i on files under tmp_path, or skip (needs root and a file system with attributes)."""
    probe = tmp_path / "probe"
    probe.write_text("x")
    if shutil.which("chattr") is None or not _run("chattr", "+i", str(probe)):
        pytest.skip("needs chattr and a file system that supports the immutable attribute (as root)")
    _run("chattr", "-i", str(probe))
    changed: list[Path] = []

    def set_immutable(paths: list[Path], on: bool) -> None:
        for path in paths:
            assert _run("chattr", "+i" if on else "-i", str(path)), path
            if on:
                changed.append(path)

    yield set_immutable
    for path in changed:
        _run("chattr", "-i", str(path))


def test_database_becomes_read_only(tmp_path: Path, immutable: Any) -> None:
    """The database file and its WAL become unwritable while serving: 503 for asks, /readyz names the
    storage, lookups still answer; writable again: ready again, nothing accepted lost."""
    db = tmp_path / "var" / "contact.sqlite3"
    server = Server(tmp_path, db=db, env={"CONTACT_KB": str(MINI_KB)})
    try:
        accepted = [server.post("/api/v1/ask", ASK)[1]["inquiry_id"] for _ in range(10)]
        files = [db, db.with_name(db.name + "-wal")]  # not -shm: it is memory-mapped
        immutable(files, True)
        refused = ask_until_refused(server, accepted, tries=5)
        assert refused["error"]["code"] == "unavailable"
        status, ready = get(server, "/readyz")
        assert status == 503 and any("read-only" in p or "refused a write" in p for p in ready["problems"]), ready
        assert get(server, "/api/v1/entries/inu-toroku")[0] == 200
        immutable(files, False)
        assert get(server, "/readyz")[0] == 200
        status, body = server.post("/api/v1/ask", ASK)
        assert status == 200
        accepted.append(body["inquiry_id"])
        server.stop()
        assert server.proc.returncode == 0
    finally:
        server.stop()
    assert set(accepted) <= stored_ids(db)


def test_read_only_database_at_start_is_a_clear_error(tmp_path: Path) -> None:
    """A database that cannot be written at start: exit status 2 and one line saying why, no traceback."""
    source, view = tmp_path / "data", tmp_path / "ro"
    source.mkdir()
    view.mkdir()
    server = Server(tmp_path, db=source / "contact.sqlite3", env={"CONTACT_KB": str(MINI_KB)})
    server.stop()
    if os.geteuid() == 0 and _run("mount", "--bind", str(source), str(view)):
        try:
            assert _run("mount", "-o", "remount,bind,ro", str(view))
            db = view / "contact.sqlite3"
            expected = "read-only"
            proc = _serve(tmp_path, db)
        finally:
            _run("umount", "-l", str(view))
    else:  # without root: a database path whose directory cannot exist
        (tmp_path / "a-file").write_text("")
        expected = "cannot be opened"
        proc = _serve(tmp_path, tmp_path / "a-file" / "contact.sqlite3")
    assert proc.returncode == 2, proc.stderr
    assert "the inquiry log cannot be opened for writing" in proc.stderr and expected in proc.stderr
    assert "Traceback" not in proc.stderr


def _serve(cwd: Path, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONTACT_NOW": NOW, "CONTACT_DB": str(db), "CONTACT_KB": str(MINI_KB)}
    return subprocess.run([sys.executable, "-m", "contact", "serve", "--port", str(free_port())], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=60)


def _refused_at_start(proc: subprocess.CompletedProcess[str], db: Path) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    message = proc.stderr.strip().splitlines()
    assert len(message) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "the inquiry log cannot be opened for writing" in message[0] and str(db) in message[0], message
    assert "read-only" in message[0] or "refused a write" in message[0], message


def test_finding7_an_immutable_database_is_refused_at_start(tmp_path: Path, immutable: Any) -> None:
    """Finding 7: an existing, up-to-date database that cannot be written (immutable here) started and
    reported ready until the first ask failed. Now the start is refused with the reason, exit status 2."""
    db = tmp_path / "var" / "contact.sqlite3"
    server = Server(tmp_path, db=db, env={"CONTACT_KB": str(MINI_KB)})
    assert server.post("/api/v1/ask", ASK)[0] == 200
    server.stop()
    immutable([db], True)
    _refused_at_start(_serve(tmp_path, db), db)


def test_finding7_a_read_only_mount_after_a_crash_is_refused_at_start(tmp_path: Path) -> None:
    """Finding 7: the database (with the WAL and shared-memory files a crash leaves) on a read-only mount."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root and mount for a read-only bind mount")
    source, view = tmp_path / "data", tmp_path / "ro"
    source.mkdir()
    view.mkdir()
    server = Server(tmp_path, db=source / "contact.sqlite3", env={"CONTACT_KB": str(MINI_KB)})
    assert server.post("/api/v1/ask", ASK)[0] == 200
    server.kill()  # no checkpoint: contact.sqlite3-wal and -shm stay
    assert (source / "contact.sqlite3-wal").exists()
    if not _run("mount", "--bind", str(source), str(view)):
        pytest.skip("bind mounts are not allowed here")
    try:
        assert _run("mount", "-o", "remount,bind,ro", str(view))
        db = view / "contact.sqlite3"
        proc = _serve(tmp_path, db)
    finally:
        _run("umount", "-l", str(view))
    _refused_at_start(proc, db)
