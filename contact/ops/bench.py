"""``scripts/bench``: the matcher's and the service's speed, measured against baselines on this machine.

One invocation prints one table (see docs/benchmarks.md, "Benchmarks"):

- **Matcher**, per question, in process: p50/p99 latency of :meth:`intents.engine.Engine.respond`
  over a realistic question set, index build time and memory, and top-1 where the questions are
  labelled — for the shipped knowledge base (``tests/data/eval_queries.jsonl``), each public FAQ set
  under ``../shared/data/public-faq/`` (imported with :mod:`knowledge.transfer` into a temporary
  directory; skipped when absent), and synthetic bases of 3,000 and 30,000 entries
  (:mod:`knowledge.synthetic`). The two baselines of :mod:`intents.baselines` are measured the same
  way, side by side. Each base is measured in a fresh process, so that memory figures are its own.
- **Service**: requests/s and p50/p99 latency of ``POST /api/v1/ask`` on a real ``contact serve``
  (loopback, fixed ``CONTACT_NOW``, a temporary SQLite log with the default durable commits) with 1
  and 2 workers, against a bare aiohttp JSON endpoint started in the same run, driven by Debian's
  ``wrk`` at 50 connections with several different questions in rotation. The headline is the ratio
  ask/bare. After each run the log is checked: its row count equals the 2xx answers the service sent.
- The resident memory of one worker with the shipped knowledge base after the load (warm).

``--quick`` is a smoke run (1-second runs, a 300-entry synthetic base, fewer questions) for the
test suite. Internal modes (``--measure-kb``, ``--bare-server``) run in child processes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EVAL_QUERIES = REPO / "tests" / "data" / "eval_queries.jsonl"
PUBLIC_FAQ = REPO.parent / "shared" / "data" / "public-faq"
NOW = "2026-11-20T10:00:00+09:00"
"""The fixed clock of every measurement (a Friday), as in the tests."""

QUESTIONS = (
    "住民票の写しはどこで取れますか",
    "土曜日に転入届って出せますか",
    "住民票 いくら",
    "印鑑登録をしたいのですが何が必要ですか",
    "粗大ごみを出したい",
    "国民健康保険の保険料が払えないときは",
    "児童手当の申請はどこでしますか",
    "マイナンバーカードをなくしました",
    "中原区役所は何時まで開いていますか",
    "犬を飼い始めたら何をすればいいですか",
    "引っ越しのときの手続きを教えて",
    "明日の天気は",
)
"""The questions wrk sends in rotation: answers, a clarification, opening hours, a life event and one
out-of-scope question, like a contact center's day."""

TARGETS = {
    "ratio": 0.30,
    "p99_ms": 20.0,
    "matcher_p50_ms_30k": 3.0,
    "rss_mb": 300.0,
}


@dataclass(frozen=True)
class Plan:
    quick: bool
    seconds: int
    warmup: int
    connections: int
    synthetic: tuple[int, ...]
    query_limit: int | None
    """At most this many questions per base (None: all of them; synthetic bases always use a sample)."""
    synthetic_queries: int

    @classmethod
    def make(cls, quick: bool, seconds: int | None, connections: int) -> Plan:
        if quick:
            return cls(True, seconds or 1, 1, connections, (300,), 60, 60)
        return cls(False, seconds or 10, 3, connections, (3000, 30000), None, 300)


# -- matcher --------------------------------------------------------------------------------------


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """Resident set size of a process in MiB (Linux /proc); ``field="RssAnon"``: its private part only,
    without file pages such as the memory-mapped Sudachi dictionary, which processes share."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def kb_specs(plan: Plan, public_faq: Path) -> list[str]:
    """The bases to measure: ``shipped``, ``public:DIR`` for each FAQ set present, ``synthetic:N``."""
    specs = ["shipped"]
    if not plan.quick and public_faq.is_dir():
        specs += [f"public:{d}" for d in sorted(public_faq.iterdir()) if (d / "faq.jsonl").is_file()]
    specs += [f"synthetic:{n}" for n in plan.synthetic]
    return specs


def _prepare(spec: str, tmp: Path, synthetic_queries: int) -> tuple[str, Path, list[Any]]:
    """(name, knowledge directory, labelled questions) of a base spec."""
    from intents.evaluate import LabelledQuery, load_queries
    from knowledge.loader import SHIPPED_DIR

    if spec == "shipped":
        if EVAL_QUERIES.is_file():
            return "shipped", SHIPPED_DIR, load_queries(EVAL_QUERIES)
        from knowledge.loader import load

        samples = [LabelledQuery(q, (e.id,)) for e in load(SHIPPED_DIR).entries()  # type: ignore[attr-defined]
                   for q in getattr(e, "sample_questions", ())]
        return "shipped", SHIPPED_DIR, samples
    kind, _, arg = spec.partition(":")
    if kind == "public":
        from knowledge.transfer import read_faq_rows, write_faqs

        source = Path(arg)
        imported = read_faq_rows(source / "faq.jsonl", source_url="https://example.jp/", reviewed=dt.date(2019, 1, 1))
        write_faqs(imported.faqs, tmp / "kb")
        files = sorted(source.glob("queries*.jsonl"))
        queries = load_queries(files[0]) if files else [LabelledQuery(f.question, (f.id,)) for f in imported.faqs]
        return source.name, tmp / "kb", queries
    if kind == "synthetic":
        import random

        from knowledge.synthetic import generate
        from knowledge.transfer import write_faqs

        base = generate(int(arg))
        write_faqs(base.faqs, tmp / "kb")
        sample = random.Random(7).sample(base.queries, min(synthetic_queries, len(base.queries)))
        return f"synthetic-{int(arg)}", tmp / "kb", [LabelledQuery(q, (i,)) for q, i in sample]
    raise ValueError(f"unknown knowledge-base spec {spec!r}")


def measure_kb(spec: str, query_limit: int | None, synthetic_queries: int, baselines: bool) -> Iterator[dict[str, Any]]:
    """Rows of the matcher table for one base (run in a fresh process: see :func:`matcher_rows`)."""
    from intents.baselines import FuzzyBaseline, SurfaceBM25Baseline
    from intents.engine import Engine
    from intents.evaluate import Result, engine_runner, evaluate
    from knowledge.loader import load

    now = dt.datetime.fromisoformat(NOW)
    with tempfile.TemporaryDirectory(prefix="contact-bench-") as tmp:
        name, directory, queries = _prepare(spec, Path(tmp), synthetic_queries)
        if query_limit is not None:
            queries = queries[:query_limit]
        started = time.perf_counter()
        kb = load(directory)
        load_s = time.perf_counter() - started

        def row(system: str, build_s: float, build_mb: float, result: Result) -> dict[str, Any]:
            s = result.summary()
            return {"kb": name, "entries": len(kb), "system": system, "load_s": load_s, "build_s": build_s,
                    "build_mb": build_mb, "rss_mb": rss_mb(), "queries": len(queries), "p50_ms": s["p50_ms"],
                    "p99_ms": s["p99_ms"], "top1": s["top1"] if s["n"] else None}

        def timed(build: Callable[[], Any]) -> tuple[Any, float, float]:
            gc.collect()
            before, started = rss_mb(), time.perf_counter()
            built = build()
            seconds = time.perf_counter() - started
            gc.collect()
            return built, seconds, rss_mb() - before

        engine, build_s, build_mb = timed(lambda: Engine(kb, memo_size=0))  # no memo: every question is matched
        runner = engine_runner(engine, now)
        for q in queries[:10]:  # warm-up: first calls fill caches (regexes, Sudachi, numpy)
            runner(q.query)
        yield row("matcher", build_s, build_mb, evaluate("matcher", queries, runner))
        if not baselines:
            return
        for make in (lambda: FuzzyBaseline(engine.docs), lambda: SurfaceBM25Baseline(engine.docs, engine.tokenizer)):
            baseline, build_s, build_mb = timed(make)

            def run(q: str, b: Any = baseline) -> tuple[list[str], str | None]:
                ranked = b.rank(q)
                return [i for i, _ in ranked], None if b.rejects(ranked) else ranked[0][0]

            for q in queries[:10]:
                run(q.query)
            yield row(baseline.name, build_s, build_mb, evaluate(baseline.name, queries, run))


def matcher_rows(plan: Plan, public_faq: Path, progress: Callable[[str], None]) -> list[dict[str, Any]]:
    """Measure every base, each in a child process (``--measure-kb``), so that RSS deltas are its own."""
    rows: list[dict[str, Any]] = []
    for spec in kb_specs(plan, public_faq):
        progress(f"matcher: {spec}")
        cmd = [sys.executable, "-m", "contact.ops.bench", "--measure-kb", spec,
               "--synthetic-queries", str(plan.synthetic_queries)]
        if plan.query_limit is not None:
            cmd += ["--query-limit", str(plan.query_limit)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO)
        if done.returncode != 0:
            raise RuntimeError(f"measuring {spec} failed:\n{done.stderr[-3000:]}")
        rows += [json.loads(line[len("ROW "):]) for line in done.stdout.splitlines() if line.startswith("ROW ")]
    return rows


# -- service --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bare_server(port: int) -> None:
    """The reference: a bare aiohttp app that parses the same JSON body and answers a small JSON object."""
    from aiohttp import web

    async def ask(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"kind": "answer", "text": body.get("text"), "answer": None})

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/api/v1/ask", ask)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


_SUMMARY_LUA = (
    "done = function(summary, latency, requests)\n"
    "  local e = summary.errors\n"
    '  io.write(string.format("BENCH_JSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"p50_us\\": %d, '
    '\\"p99_us\\": %d, \\"non_2xx\\": %d, \\"socket_errors\\": %d}\\n", summary.requests, summary.duration, '
    "latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))\n"
    "end\n"
)
"""wrk Lua: print a JSON summary at the end."""


def wrk_script(directory: Path) -> Path:
    """A wrk Lua script: POST the questions in rotation; print a JSON summary at the end."""
    bodies = ",\n".join(f"  [[{json.dumps({'text': q})}]]" for q in QUESTIONS)  # ASCII JSON (\\u escapes)
    script = directory / "ask.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"local bodies = {{\n{bodies}\n}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i + 1\n"
        "  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])\n"
        "end\n" + _SUMMARY_LUA,
        encoding="utf-8",
    )
    return script


def wrk_get_script(directory: Path) -> Path:
    """A wrk Lua script for plain GETs of the URL, with the same summary."""
    script = directory / "get.lua"
    script.write_text(_SUMMARY_LUA, encoding="utf-8")
    return script


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> int:
        return self.requests - self.non_2xx


def run_wrk(url: str, script: Path, seconds: int, connections: int) -> Load:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=seconds + 120)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            r = json.loads(line[len("BENCH_JSON "):])
            return Load(r["requests"], r["duration_us"] / 1e6, r["p50_us"] / 1000, r["p99_us"] / 1000,
                        r["non_2xx"], r["socket_errors"])
    raise RuntimeError(f"wrk printed no summary (exit {done.returncode}): {done.stdout[-500:]} {done.stderr[-500:]}")


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, running: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        started = log.read_text(errors="replace").count("======== Running on") if running > 1 else 1
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200 and started >= running:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout} s")


@contextmanager
def server(cmd: Sequence[str], ready_path: str, port: int, log: Path, env: dict[str, str],
           running: int = 1) -> Iterator[subprocess.Popen[bytes]]:
    """A server process on ``port``, ready; stopped with SIGTERM (and waited for) on exit."""
    with log.open("wb") as out:
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        try:
            _wait_ready(f"http://127.0.0.1:{port}{ready_path}", proc, log, running)
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def worker_pids(proc: subprocess.Popen[bytes], workers: int) -> list[int]:
    if workers == 1:
        return [proc.pid]
    with open(f"/proc/{proc.pid}/task/{proc.pid}/children", encoding="ascii") as f:
        return [int(p) for p in f.read().split()]


@dataclass
class ServiceRun:
    name: str
    workers: int
    load: Load
    rss_mb: float | None = None
    private_mb: float | None = None
    rows: int | None = None
    answered_2xx: int | None = None
    wrk_ok: int = 0
    consistent: bool | None = None
    memo: bool = False
    """The matcher's memo was on and the questions repeat: each is matched once, then taken from the memo."""


@dataclass(frozen=True)
class ServiceSetup:
    """One ``contact serve`` started for the service runs."""

    workers: int
    memo: bool
    healthz: bool = False
    """Also measure GET /healthz on it: the same HTTP stack and middlewares with no work behind them."""
    encoders: str = "use,e5"
    """The matcher: fused with these encoders, or ``none`` (lexical only, the baseline of the same run)."""
    dense_queue: int | None = None
    """``--dense-queue`` of the service; None: its default."""

    @property
    def name(self) -> str:
        workers = f"{self.workers} worker{'s' if self.workers > 1 else ''}"
        matcher = "lexical" if self.encoders == "none" else "fused"
        queue = "" if self.dense_queue is None else f", dense queue {self.dense_queue or 'unbounded'}"
        return f"ask, {workers}, {matcher}, {'memo' if self.memo else 'matched'}{queue}"


SETUPS = (ServiceSetup(1, memo=False, healthz=True, encoders="none"), ServiceSetup(1, memo=False),
          ServiceSetup(1, memo=False, dense_queue=0), ServiceSetup(1, memo=True), ServiceSetup(2, memo=False))
"""Every question matched (the memo off: what a question never asked before costs), lexically and fused
(with the default ``--dense-queue`` and with no bound on it), with 1 and 2 workers, and the same rotating
questions with the memo on (what a repeated question costs)."""


def _answered(log: Path) -> int:
    """2xx responses to POST /api/v1/ask that the service logged (one "http" line per request).

    Two threads of a process printing at once can run two JSON lines together: every object counts."""
    decoder = json.JSONDecoder()
    n = 0
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        at = line.find("{")
        while at != -1:
            try:
                event, end = decoder.raw_decode(line, at)
            except json.JSONDecodeError:
                break
            if isinstance(event, dict) and event.get("event") == "http" and event.get("path") == "/api/v1/ask" \
                    and 200 <= int(event.get("status", 0)) < 300:
                n += 1
            at = line.find("{", end)
    return n


def service_runs(plan: Plan, progress: Callable[[str], None]) -> list[ServiceRun]:
    runs: list[ServiceRun] = []
    # The service's own defaults, but the embedding cache where the caller keeps it (its files are keyed
    # by model and text: the bench measures a warm service, not a first start's embedding).
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACT_") or k == "CONTACT_CACHE_DIR"}
    with tempfile.TemporaryDirectory(prefix="contact-bench-") as tmp_name:
        tmp = Path(tmp_name)
        script = wrk_script(tmp)
        get_script = wrk_get_script(tmp)

        port = free_port()
        progress("service: bare aiohttp")
        with server([sys.executable, "-m", "contact.ops.bench", "--bare-server", str(port)], "/healthz", port,
                    tmp / "bare.log", env):
            url = f"http://127.0.0.1:{port}/api/v1/ask"
            run_wrk(url, script, plan.warmup, plan.connections)
            runs.append(ServiceRun("bare aiohttp", 1, run_wrk(url, script, plan.seconds, plan.connections)))

        for setup in SETUPS:
            if plan.quick and setup.dense_queue is not None:
                continue  # a comparison of settings, not a smoke test of the service
            workers = setup.workers
            progress(f"service: contact serve --workers {workers}, memo {'on' if setup.memo else 'off'}")
            port = free_port()
            tag = f"{workers}-{setup.memo}-{setup.encoders}-{setup.dense_queue}"
            db, log = tmp / f"ask-{tag}.sqlite3", tmp / f"ask-{tag}.log"
            serve_env = {**env, "CONTACT_NOW": NOW, "CONTACT_LOG_LEVEL": "info", "CONTACT_RATE_LIMIT": "0",
                         "CONTACT_MATCH_MEMO": "2048" if setup.memo else "0", "CONTACT_ENCODERS": setup.encoders,
                         **({} if setup.dense_queue is None else {"CONTACT_DENSE_QUEUE": str(setup.dense_queue)})}
            cmd = [sys.executable, "-m", "contact", "serve", "--host", "127.0.0.1", "--port", str(port),
                   "--db", str(db), "--workers", str(workers)]
            with server(cmd, "/readyz", port, log, serve_env, running=workers) as proc:
                if setup.healthz:
                    health = f"http://127.0.0.1:{port}/healthz"
                    run_wrk(health, get_script, plan.warmup, plan.connections)
                    runs.append(ServiceRun("GET /healthz", workers, run_wrk(health, get_script, plan.seconds,
                                                                             plan.connections)))
                url = f"http://127.0.0.1:{port}/api/v1/ask"
                warm = run_wrk(url, script, plan.warmup, plan.connections)
                measured = run_wrk(url, script, plan.seconds, plan.connections)
                pids = worker_pids(proc, workers)
                rss = max(rss_mb(pid) for pid in pids)
                private = max(rss_mb(pid, "RssAnon") for pid in pids)
            run = ServiceRun(setup.name, workers, measured, rss, private, memo=setup.memo)
            with sqlite3.connect(db) as conn:
                run.rows = int(conn.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0])
            run.answered_2xx = _answered(log)
            run.wrk_ok = warm.ok + measured.ok
            # wrk counts the answers it read; requests in flight when a run ends are answered (and logged)
            # by the service after wrk has stopped reading: at most one per connection and run.
            run.consistent = (run.rows == run.answered_2xx
                              and run.wrk_ok <= run.rows <= run.wrk_ok + 2 * plan.connections)
            runs.append(run)
    return runs


# -- the table --------------------------------------------------------------------------------------


@dataclass
class Table:
    lines: list[str] = field(default_factory=list)

    def add(self, *cells: object, widths: Sequence[int]) -> None:
        out = []
        for cell, width in zip(cells, widths, strict=True):
            text = "-" if cell is None else str(cell)
            out.append(text.ljust(-width) if width < 0 else text.rjust(width))
        self.lines.append("  ".join(out).rstrip())


def _f(value: float | None, digits: int = 2) -> str | None:
    return None if value is None else f"{value:.{digits}f}"


def render(plan: Plan, matcher: list[dict[str, Any]], service: list[ServiceRun] | None, skipped: str | None) -> str:
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    load1, _, _ = os.getloadavg()
    t = Table()
    t.lines += [
        f"contact bench{' --quick' if plan.quick else ''} — {now}; {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {load1:.2f} at the end; Python {platform.python_version()}",
        "",
        "Matcher: per question, in process (build MB: RSS growth while indexing; RSS MB: the whole process)",
    ]
    name_width = max([len("kb"), *(len(r["kb"]) for r in matcher)])
    w = (-name_width, 7, -13, 6, 7, 8, 6, 7, 7, 7, 6)
    t.add("kb", "entries", "system", "load s", "build s", "build MB", "RSS MB", "queries", "p50 ms", "p99 ms",
          "top-1", widths=w)
    for r in matcher:
        t.add(r["kb"], r["entries"], r["system"], _f(r["load_s"]), _f(r["build_s"]), _f(r["build_mb"], 1),
              _f(r["rss_mb"], 0), r["queries"], _f(r["p50_ms"], 3), _f(r["p99_ms"], 3), _f(r["top1"], 3), widths=w)
    t.lines.append("")
    if service is None:
        t.lines.append(f"Service: skipped ({skipped})")
        return "\n".join(t.lines)
    t.lines.append(f"Service: POST /api/v1/ask with durable SQLite logging vs a bare aiohttp endpoint; "
                   f"wrk, {plan.connections} connections, {plan.seconds} s per run after {plan.warmup} s warm-up")
    w2 = (-34, 7, 9, 7, 8, 7, 7, 7, 8, 9, 8)
    t.add("target", "workers", "requests", "req/s", "p50 ms", "p99 ms", "non-2xx", "RSS MB", "private", "log rows",
          "log=2xx", widths=w2)
    for run in service:
        ld = run.load
        t.add(run.name, run.workers, ld.requests, _f(ld.rps, 0), _f(ld.p50_ms), _f(ld.p99_ms),
              ld.non_2xx + ld.socket_errors, _f(run.rss_mb, 0), _f(run.private_mb, 0), run.rows,
              None if run.consistent is None else ("yes" if run.consistent else "NO"), widths=w2)
    t.lines.append("(RSS of the largest worker after the load; private: without shared file pages, mostly the "
                   "memory-mapped Sudachi dictionary that all workers share)")
    bare = service[0].load.rps
    health = next((r for r in service if r.name == "GET /healthz"), None)
    asks = [r for r in service if r.rows is not None]
    # The headline is the service as shipped (fused); the lexical row is the same run's baseline.
    one = next((r for r in asks if r.workers == 1 and not r.memo and "fused" in r.name),
               next(r for r in asks if r.workers == 1 and not r.memo))
    memo = next((r for r in asks if r.memo), None)
    two = next((r for r in asks if r.workers == 2), None)
    t.lines.append("(matched: the memo off, every question understood and ranked; memo: the same rotating questions "
                   "with the memo on, so each is matched once and then taken from it)")
    t.lines.append("")
    def share(rps: float, of: float, fmt: str = ".1%") -> str:
        """A ratio of two rates; "n/a" when the one compared with answered nothing (the table still prints)."""
        return format(rps / of, fmt) if of else "n/a"

    t.lines.append(f"HEADLINE ask/bare, 1 worker: every question matched {share(one.load.rps, bare)}"
                   + (f"; repeated questions (memo) {share(memo.load.rps, bare)}" if memo else "")
                   + (f"; 2 workers, matched {share(two.load.rps, bare)} "
                      f"({share(two.load.rps, one.load.rps, '.2f')}x 1 worker)" if two else ""))
    if health is not None:
        t.lines.append(f"ceiling: GET /healthz through the same server and middlewares, no work behind it: "
                       f"{share(health.load.rps, bare)} of bare")
    for run in asks:
        t.lines.append(f"log check, {run.name}: {run.rows} rows = {run.answered_2xx} 2xx answers sent "
                       f"(wrk read {run.wrk_ok}; the rest were in flight when wrk stopped): "
                       + ("OK" if run.consistent else "MISMATCH"))
    t.lines += ["", "Targets"]
    w3 = (-46, 10, 10, -7)
    t.add("target", "measured", "goal", "", widths=w3)

    def target(label: str, value: float, goal: float, fmt: str, higher: bool) -> None:
        met = value >= goal if higher else value <= goal
        t.add(label, format(value, fmt), format(goal, fmt), "met" if met else "NOT met", widths=w3)

    for run, how in ((one, "matched"), (memo, "memo")):
        if run is not None:
            target(f"ask throughput / bare, 1 worker, {how}", run.load.rps / bare, TARGETS["ratio"], ".1%", True)
            target(f"ask p99 ms at {plan.connections} connections, 1 worker, {how}", run.load.p99_ms,
                   TARGETS["p99_ms"], ".1f", False)
    large = [r for r in matcher if r["system"] == "matcher" and r["entries"] >= 30000]
    if large:
        target("matcher p50 ms on 30,000 entries", large[0]["p50_ms"], TARGETS["matcher_p50_ms_30k"], ".2f", False)
    if one.rss_mb is not None:
        target("worker RSS MB, shipped KB, warm", one.rss_mb, TARGETS["rss_mb"], ".0f", False)
    return "\n".join(t.lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 s runs, small synthetic base")
    parser.add_argument("--seconds", type=int, help="seconds per measured wrk run (default 10; quick 1)")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    parser.add_argument("--only", choices=["matcher", "service"], help="run one part only")
    parser.add_argument("--public-faq", type=Path, default=PUBLIC_FAQ,
                        help=f"folder of public FAQ sets (default {PUBLIC_FAQ}; skipped when absent)")
    parser.add_argument("--no-baselines", action="store_true", help="measure the matcher only, not the baselines")
    parser.add_argument("--json", type=Path, help="also write the measurements as JSON to this file")
    parser.add_argument("--measure-kb", help=argparse.SUPPRESS)
    parser.add_argument("--query-limit", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--synthetic-queries", type=int, default=300, help=argparse.SUPPRESS)
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.bare_server is not None:
        bare_server(args.bare_server)
        return 0
    if args.measure_kb is not None:
        for row in measure_kb(args.measure_kb, args.query_limit, args.synthetic_queries, not args.no_baselines):
            print("ROW " + json.dumps(row), flush=True)
        return 0

    plan = Plan.make(args.quick, args.seconds, args.connections)

    def progress(message: str) -> None:
        print(f"… {message}", file=sys.stderr, flush=True)

    matcher = [] if args.only == "service" else matcher_rows(plan, args.public_faq, progress)
    service: list[ServiceRun] | None = None
    skipped = "--only matcher" if args.only == "matcher" else None
    if args.only != "matcher":
        if shutil.which("wrk") is None:
            skipped = "wrk is not installed: run scripts/install-bench"
        else:
            service = service_runs(plan, progress)
    print(render(plan, matcher, service, skipped), flush=True)
    if args.json:
        args.json.write_text(json.dumps({
            "matcher": matcher,
            "service": [{**run.__dict__, "load": {**run.load.__dict__, "rps": run.load.rps}} for run in service or ()],
        }, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if service is None or all(r.consistent is not False for r in service) else 1


if __name__ == "__main__":
    sys.exit(main())
