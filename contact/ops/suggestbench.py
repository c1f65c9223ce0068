"""Benchmark GET /api/v1/suggest as operators type: N concurrent typists against a real server on loopback.

    scripts/bench-suggest [--typists 20] [--duration 20] [--interval 0.12] [--kb DIR] [--port 0]

Starts ``contact serve`` (a subprocess, shipped knowledge base, a temporary database with one operator
account and its API token), then runs ``--typists`` simulated operators for ``--duration`` seconds. Each
typist takes a real question (the labelled evaluation set, tests/data/eval_queries.jsonl, else the
knowledge base's sample questions), sends its successive prefixes one character at a time ("住", "住民",
"住民票" …) with ``--interval`` seconds (±50 % jitter) of typing between keystrokes — 0 sends the next
prefix as soon as the answer is in (a closed loop, the worst case) — then takes the next question.

Prints the client-measured latency and the server-side time from the ``Server-Timing`` header the
endpoint sets (``total``: credentials check + suggestions; ``suggest``: the suggestions alone), as
p50 / p95 / p99 / max in milliseconds, and the request rate. The issue's target is server-side p95 ≤ 20 ms
at 20 typists. Needs only the project's own dependencies (aiohttp).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp

from contact.store import accounts
from contact.store.inquiry_log import connect, migrate

ROOT = Path(__file__).resolve().parent.parent.parent

EVAL_SET = ROOT / "tests" / "data" / "eval_queries.jsonl"
_TIMING = re.compile(r"(\w+);dur=([0-9.]+)")


def questions(kb: str | None) -> list[str]:
    """Real questions: the labelled evaluation set, or the knowledge base's sample questions."""
    if EVAL_SET.exists() and kb is None:
        rows = [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
        found = [r["query"] for r in rows if r.get("query")]
        if found:
            return found
    from knowledge.loader import SHIPPED_DIR, load

    base = load(Path(kb) if kb else SHIPPED_DIR)
    found = [q for p in base.procedures.values() for q in p.sample_questions]
    found += [f.question for f in base.faqs.values()]
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(workdir: Path, port: int, kb: str | None) -> tuple[subprocess.Popen[bytes], str]:
    db_path = workdir / "bench.sqlite3"
    db = connect(str(db_path))
    try:
        migrate(db)
        accounts.add_user(db, "bench-operator", "operator", None)
        token = accounts.issue_token(db, "bench-operator", "bench-suggest")
    finally:
        db.conn.close()
    env = {**os.environ, "CONTACT_DB": str(db_path), "CONTACT_LOG_LEVEL": "warning"}
    if kb:
        env["CONTACT_KB"] = kb
    log = (workdir / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "contact", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}; see {workdir / 'server.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return proc, token
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not become ready within 120 s")


class Stats:
    def __init__(self) -> None:
        self.client: list[float] = []
        self.server: list[float] = []
        self.suggest: list[float] = []
        self.errors = 0
        self.empty = 0


async def typist(n: int, session: aiohttp.ClientSession, base: str, token: str, pool: list[str], stop: float,
                 interval: float, stats: Stats) -> None:
    rng = random.Random(n)
    headers = {"Authorization": f"Bearer {token}"}
    loop = asyncio.get_running_loop()
    while loop.time() < stop:
        question = rng.choice(pool)
        for end in range(1, len(question) + 1):
            prefix = question[:end].strip()
            if not prefix or loop.time() >= stop:
                continue
            started = time.perf_counter()
            try:
                async with session.get(base + "/api/v1/suggest", params={"q": prefix}, headers=headers) as resp:
                    body = await resp.read()
                    took = (time.perf_counter() - started) * 1000
                    if resp.status != 200:
                        stats.errors += 1
                        continue
                    timings = dict(_TIMING.findall(resp.headers.get("Server-Timing", "")))
            except aiohttp.ClientError:
                stats.errors += 1
                continue
            stats.client.append(took)
            stats.server.append(float(timings.get("total", "nan")))
            stats.suggest.append(float(timings.get("suggest", "nan")))
            if b'"suggestions": []' in body or b'"suggestions":[]' in body:
                stats.empty += 1
            if interval > 0:
                await asyncio.sleep(interval * rng.uniform(0.5, 1.5))


def percentiles(values: list[float]) -> str:
    if not values:
        return "no data"
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return f"p50 {q[49]:7.2f}   p95 {q[94]:7.2f}   p99 {q[98]:7.2f}   max {ordered[-1]:7.2f}"


async def run(args: argparse.Namespace, base: str, token: str, pool: list[str]) -> Stats:
    stats = Stats()
    connector = aiohttp.TCPConnector(limit=args.typists)
    async with aiohttp.ClientSession(connector=connector) as session:
        # Warm up: one request per typist's connection.
        await asyncio.gather(*(session.get(base + "/api/v1/suggest", params={"q": "住民票"},
                                           headers={"Authorization": f"Bearer {token}"}) for _ in range(args.typists)))
        stop = asyncio.get_running_loop().time() + args.duration
        await asyncio.gather(*(typist(n, session, base, token, pool, stop, args.interval, stats)
                               for n in range(args.typists)))
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench-suggest", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--typists", type=int, default=20, help="concurrent operators typing (default 20)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of typing (default 20)")
    parser.add_argument("--interval", type=float, default=0.12,
                        help="seconds between keystrokes, ±50%% jitter; 0: next prefix at once (default 0.12)")
    parser.add_argument("--kb", help="knowledge-base directory (default: the shipped one)")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    args = parser.parse_args()
    pool = questions(args.kb)
    port = args.port or free_port()
    with tempfile.TemporaryDirectory(prefix="bench-suggest-") as tmp:
        proc, token = start_server(Path(tmp), port, args.kb)
        try:
            began = time.perf_counter()
            stats = asyncio.run(run(args, f"http://127.0.0.1:{port}", token, pool))
            elapsed = time.perf_counter() - began
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    n = len(stats.client)
    print(f"GET /api/v1/suggest — {args.typists} typists, {args.duration:g} s, keystroke interval {args.interval:g} s "
          f"(±50 %), {len(pool)} real questions typed one character at a time")
    print(f"requests {n}  ({n / elapsed:.0f}/s)   errors {stats.errors}   no suggestion {stats.empty}")
    print(f"client round trip (ms)       {percentiles(stats.client)}")
    print(f"server total (ms)            {percentiles(stats.server)}   ← Server-Timing total (auth + suggest)")
    print(f"server suggestions only (ms) {percentiles(stats.suggest)}")
    server_p95 = statistics.quantiles(sorted(stats.server), n=100, method="inclusive")[94] if n > 1 else float("nan")
    verdict = "meets" if server_p95 <= 20.0 else "MISSES"
    print(f"server-side p95 {server_p95:.2f} ms {verdict} the target of 20 ms")
    return 0 if stats.errors == 0 and server_p95 <= 20.0 else 1


if __name__ == "__main__":
    sys.exit(main())
