"""Load test of ``POST /api/v1/ask`` with a zero-loss check, and the crash test (``scripts/load``).

Long form (docs/security.md, "Load and crash test")::

    scripts/load --duration 60 --connections 100

Without ``--url`` it starts ``contact serve`` itself on a free loopback port with a fresh database in a
temporary directory (rate limiting off unless ``--rate-limit``), keeps ``--connections`` connections
asking questions for ``--duration`` seconds, counts the answers by status and keeps the
``inquiry_id`` of every 200, stops the server with SIGTERM, and then checks the database: it must open
cleanly (``PRAGMA integrity_check``), hold exactly as many inquiries as there were 200 answers, and hold
every one of the collected ids. 429 answers (``--rate-limit``) are deliberate and are not errors.

``--crash-after S`` kills the server with SIGKILL S seconds into the run, keeps the load going against
the dead port for ``--down`` seconds, restarts the server on the same port and database and carries
on. Then every inquiry that got a 200 must still be there; inquiries committed whose answer was lost
in the crash may add rows (reported as ``committed_unanswered``).

``--url URL --db FILE`` loads a server you started; the check then compares the row count before and
after (so nothing else may write to that database meanwhile).

Exit status 0 when every check passed. ``--json FILE`` (``-`` for stdout) writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

QUESTIONS = (
    "住民票の写しはどこで取れますか", "土曜日に転入届って出せますか", "住民票はいくらですか", "印鑑登録をしたい",
    "マイナンバーカードの受け取り", "子どもが生まれたときの手続き", "区役所の開庁時間は", "次の土曜開庁日はいつ",
    "粗大ごみの出し方", "犬の登録", "国民健康保険に入りたい", "引っ越しの手続きを教えて", "戸籍謄本を取りたい",
    "年末は何日まで開いてる", "中原区役所の場所", "児童手当の申請", "転出届はどこで出せますか",
    "婚姻届を出したい", "死亡届の手続き", "コンビニで住民票は取れる？", "パスポートの申請", "明日の天気は",
    "電話番号は090-1234-5678です、住民票を郵送で", "I want a copy of my residence certificate",
)


@dataclass
class Tally:
    """What the load saw."""

    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    ids: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    retry_after_missing: int = 0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + sum(self.errors.values())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnServer:
    """``contact serve`` started by this script, restartable on the same port and database."""

    def __init__(self, workdir: Path, env: dict[str, str], port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.db = workdir / "contact.sqlite3"
        self.env = {**os.environ, "CONTACT_DB": str(self.db), "CONTACT_LOG_LEVEL": "warning", **env}
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 90.0) -> float:
        """Start and wait until /readyz answers 200; return the seconds it took."""
        self.starts += 1
        log = (self.workdir / f"server-{self.starts}.log").open("wb")
        started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "contact", "serve", "--port", str(self.port)],
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        log.close()
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {log.name}")
            with contextlib.suppress(OSError), urllib.request.urlopen(self.base + "/readyz", timeout=1) as r:
                if r.status == 200:
                    return time.monotonic() - started
            time.sleep(0.05)
        raise RuntimeError("the server did not become ready")

    def kill(self) -> None:
        """Crash it: SIGKILL, no shutdown at all."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> int:
        """SIGTERM (clean shutdown: every accepted inquiry committed); the exit status."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
        return int(self.proc.returncode or 0)


@dataclass
class Deadline:
    """When the askers stop (loop time); the crash test moves it to keep loading after the restart."""

    at: float


async def _asker(session: aiohttp.ClientSession, url: str, stop: Deadline, tally: Tally, offset: int) -> None:
    loop = asyncio.get_running_loop()
    n = offset
    while loop.time() < stop.at:
        n += 1
        payload = {"text": QUESTIONS[n % len(QUESTIONS)], "channel": "web"}
        started = loop.time()
        try:
            async with session.post(url, json=payload) as resp:
                body = await resp.read()
                tally.statuses[resp.status] += 1
                if resp.status == 200:
                    tally.ids.append(json.loads(body)["inquiry_id"])
                    tally.latencies.append(loop.time() - started)
                elif resp.status == 429:
                    if not resp.headers.get("Retry-After", "").isdigit():
                        tally.retry_after_missing += 1
                    await asyncio.sleep(0.01)
        except (aiohttp.ClientError, TimeoutError, ConnectionError, ValueError, KeyError) as exc:
            tally.errors[type(exc).__name__] += 1
            await asyncio.sleep(0.05)  # the server is down (crash test): do not spin


async def run_load(url: str, connections: int, duration: float, tally: Tally, stop: Deadline | None = None) -> None:
    """``connections`` concurrent askers on as many keep-alive connections for ``duration`` seconds."""
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections)
    timeout = aiohttp.ClientTimeout(total=30)
    stop = stop or Deadline(0.0)
    stop.at = asyncio.get_running_loop().time() + duration
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(_asker(session, url, stop, tally, i * 7) for i in range(connections)))


def check_database(db: Path, tally: Tally, rows_before: int = 0, exact: bool = True) -> dict[str, Any]:
    """Open the database read-only, check its integrity and that every 200 was recorded."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        stored = {row[0] for row in conn.execute("SELECT id FROM inquiries")}
    finally:
        conn.close()
    ok_count = tally.statuses.get(200, 0)
    rows = len(stored) - rows_before
    missing = [i for i in tally.ids if i not in stored]
    return {
        "integrity": integrity, "rows": rows, "answered_200": ok_count, "missing": len(missing),
        "missing_sample": missing[:5], "committed_unanswered": rows - ok_count,
        "ok": integrity == "ok" and not missing and (rows == ok_count if exact else rows >= ok_count),
    }


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(tally: Tally, seconds: float) -> dict[str, Any]:
    unexpected = {str(k): v for k, v in tally.statuses.items() if k not in (200, 429)}
    return {
        "seconds": round(seconds, 2),
        "requests": tally.requests,
        "status": {str(k): v for k, v in sorted(tally.statuses.items())},
        "errors": dict(tally.errors),
        "unexpected_status": unexpected,
        "ok_per_second": round(tally.statuses.get(200, 0) / seconds, 1) if seconds else 0.0,
        "latency_ms": {f"p{int(q * 100)}": round(_percentile(tally.latencies, q) * 1000, 1)
                       for q in (0.5, 0.95, 0.99)},
        "retry_after_missing": tally.retry_after_missing,
    }


async def _crash_run(server: OwnServer, args: argparse.Namespace, tally: Tally) -> dict[str, Any]:
    url = server.base + "/api/v1/ask"
    stop = Deadline(0.0)
    load = asyncio.create_task(run_load(url, args.connections, args.duration, tally, stop))
    await asyncio.sleep(args.crash_after)
    before = tally.statuses.get(200, 0)
    server.kill()
    killed_at = time.monotonic()
    # Keep asking until the restarted server has been loaded for --after-restart seconds, however long the
    # restart takes (loading the encoders can outlast --duration): the deadline is set once it is ready.
    stop.at = float("inf")
    await asyncio.sleep(args.down)
    ready_after = await asyncio.to_thread(server.start)
    down = time.monotonic() - killed_at
    during = dict(tally.errors)
    stop.at = asyncio.get_running_loop().time() + args.after_restart  # load the restarted server too
    await load
    return {"crash_after": args.crash_after, "answered_before_kill": before, "down_seconds": round(down, 2),
            "restart_ready_seconds": round(ready_after, 2), "errors_while_down": during}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--connections", type=int, default=100, help="concurrent connections (default 100)")
    parser.add_argument("--url", help="load this running server instead of starting one (with --db)")
    parser.add_argument("--db", help="with --url: the server's database file, for the checks")
    parser.add_argument("--kb", help="knowledge-base directory of the started server (default: the shipped one)")
    parser.add_argument("--rate-limit", type=int, default=0,
                        help="CONTACT_RATE_LIMIT of the started server (default 0: off)")
    parser.add_argument("--rate-limit-burst", type=int, default=60, help="CONTACT_RATE_LIMIT_BURST (default 60)")
    parser.add_argument("--workers", type=int, default=1, help="CONTACT_WORKERS of the started server")
    parser.add_argument("--durability", choices=["full", "normal"], default="full", help="CONTACT_DURABILITY")
    parser.add_argument("--crash-after", type=float, help="kill -9 the started server after this many seconds")
    parser.add_argument("--down", type=float, default=1.0, help="seconds the crashed server stays down (default 1)")
    parser.add_argument("--after-restart", type=float, default=2.0,
                        help="keep loading at least this many seconds after the restart (default 2)")
    parser.add_argument("--json", help="write the figures as JSON to this file ('-': stdout)")
    args = parser.parse_args(argv)
    if args.url and not args.db:
        parser.error("--url needs --db (the server's database file) for the checks")
    if args.crash_after is not None and (args.url or not 0 < args.crash_after < args.duration):
        parser.error("--crash-after needs a started server (no --url) and must be within --duration")

    tally = Tally()
    report: dict[str, Any] = {"connections": args.connections, "duration": args.duration}
    with tempfile.TemporaryDirectory(prefix="contact-load-") as tmp:
        if args.url:
            db = Path(args.db)
            rows_before = check_database(db, Tally())["rows"] if db.exists() else 0
            started = time.monotonic()
            asyncio.run(run_load(args.url.rstrip("/") + "/api/v1/ask", args.connections, args.duration, tally))
            report["load"] = summary(tally, time.monotonic() - started)
            report["database"] = check_database(db, tally, rows_before)
        else:
            env = {"CONTACT_RATE_LIMIT": str(args.rate_limit), "CONTACT_RATE_LIMIT_BURST": str(args.rate_limit_burst),
                   "CONTACT_DURABILITY": args.durability}
            if args.workers != 1:
                env["CONTACT_WORKERS"] = str(args.workers)
            if args.kb:
                env["CONTACT_KB"] = str(Path(args.kb).resolve())
            server = OwnServer(Path(tmp), env)
            report["server_ready_seconds"] = round(server.start(), 2)
            started = time.monotonic()
            if args.crash_after is not None:
                report["crash"] = asyncio.run(_crash_run(server, args, tally))
            else:
                asyncio.run(run_load(server.base + "/api/v1/ask", args.connections, args.duration, tally))
            report["load"] = summary(tally, time.monotonic() - started)
            report["server_exit"] = server.stop()
            report["database"] = check_database(server.db, tally, exact=args.crash_after is None)
    load, database = report["load"], report["database"]
    crash = args.crash_after is not None
    checks = {
        "no errors except 429": (not load["errors"] or crash) and not load["unexpected_status"],
        "every 429 has Retry-After": load["retry_after_missing"] == 0,
        "database intact": database["integrity"] == "ok",
        "every 200 is in the database": database["missing"] == 0,
        ("rows >= 200s" if crash else "rows == 200s"): database["ok"],
        "answered something": load["status"].get("200", 0) > 0,
    }
    if not args.url:
        checks["clean shutdown"] = report["server_exit"] == 0
    report["checks"] = checks
    report["ok"] = all(checks.values())
    _print(report)
    if args.json:
        text = json.dumps(report, ensure_ascii=False, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0 if report["ok"] else 1


def _print(report: dict[str, Any]) -> None:
    load, db = report["load"], report["database"]
    print(f"load: {report['connections']} connections, {load['seconds']} s, {load['requests']} requests, "
          f"{load['ok_per_second']} answers/s; status {load['status']}; errors {load['errors'] or 'none'}; "
          f"latency of 200s {load['latency_ms']}", file=sys.stderr)
    if "crash" in report:
        c = report["crash"]
        print(f"crash: kill -9 after {c['crash_after']} s ({c['answered_before_kill']} answered by then), "
              f"restarted and ready in {c['restart_ready_seconds']} s; errors while down {c['errors_while_down']}",
              file=sys.stderr)
    print(f"database: integrity {db['integrity']}, {db['rows']} rows for {db['answered_200']} answers, "
          f"{db['missing']} missing, {db['committed_unanswered']} committed but unanswered", file=sys.stderr)
    for name, ok in report["checks"].items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
