"""``contact serve --workers N``: N server processes sharing one port.

Python runs one request at a time per process, so one process uses one core. With ``--workers N``
the parent process:

1. creates and migrates the inquiry log once (workers opening a new file at the same moment would
   race to create its tables);
2. reserves the port: it binds a socket with ``SO_REUSEPORT`` (``--port 0`` resolves to one free port
   here, shared by all workers) and keeps it, unlistened, until it exits;
3. forks N workers. Each builds its own app — knowledge base, matcher, and its own inquiry-log writer
   on the same SQLite file (WAL; each group commit takes the write lock up front and waits up to 5 s
   for the other workers' commits, see ``contact.store.inquiry_log.write_transaction``; every inquiry is
   still committed before its answer is sent) — and listens on the port with ``SO_REUSEPORT``, so
   the kernel spreads new connections over the workers;
4. forwards SIGTERM and SIGINT (clean stop: in-flight requests finish, accepted inquiries are
   committed) to every worker, and SIGHUP (knowledge reload) to one worker, which reloads and tells the
   others over the store's event bus (``contact.web.reloads``), and waits for them;
5. reports a worker that dies (its exit status or signal, on stderr and in the JSON log). A worker
   that dies after it has served for a while is started again; one that fails while starting (a
   bad knowledge base, a port in use) is not, and when no worker is left the parent exits.

Exit status of the parent: 0 when every worker stopped cleanly after SIGTERM/SIGINT, 2 when the
workers could not start, 1 otherwise. Workers tag their log lines with ``"worker": i``.

Before forking it also makes what the workers share: the rate-limit buckets in shared memory
(``contact.web.limiters.SharedBuckets``) and the directory of prometheus_client's multiprocess mode, so
that ``/metrics`` reports the whole node. Conversations, handoffs, chat relays, reloads, sign-in
lock-outs, the open-chat limits and whether a citizen is connected go through the store
(``contact.store.conversations``, ``events``, ``counters``, ``chat_sockets``), so any worker continues what
another began. See docs/scale-out.md ("Several worker processes").
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web
from prometheus_client import multiprocess

from contact.config import Settings
from contact.store import events
from contact.web import metrics
from contact.web.limiters import share_between_workers

log = structlog.get_logger(__name__)

RESTART_AFTER_SECONDS = 10.0
"""A worker that dies after serving at least this long is restarted; sooner, it failed to start."""

PARENT_CHECK_SECONDS = 1.0
"""How often a worker checks that its parent is still alive (it stops cleanly when orphaned)."""

_FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@dataclass
class _Worker:
    index: int
    pid: int
    started: float


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound with SO_REUSEPORT to (host, port), not listening: it fixes the port (a free one
    for port 0) for the workers and fails early when another program holds the port."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def serve_workers(settings: Settings) -> int:
    """Run ``settings.workers`` server processes on one port until SIGTERM/SIGINT; see the module doc."""
    from contact.errors import StartupError
    from contact.store.inquiry_log import DATABASE_ERRORS, connect, describe_error, migrate
    from contact.web.auth import resolve_admin_token

    if not hasattr(socket, "SO_REUSEPORT") or not hasattr(os, "fork"):
        print("contact: --workers needs SO_REUSEPORT and fork (Linux)", file=sys.stderr)
        return 2
    cannot_open: tuple[type[BaseException], ...] = (*DATABASE_ERRORS, OSError)
    try:
        db = connect(settings.db, settings.durability)
        try:
            migrate(db)
        finally:
            db.conn.close()
    except cannot_open as exc:
        print(f"contact: the inquiry log cannot be opened for writing: {describe_error(exc)}", file=sys.stderr)
        return 2
    try:
        resolve_admin_token(settings)  # made (and announced) once, here; the workers read the same file
    except StartupError as exc:
        print(f"contact: {exc}", file=sys.stderr)
        return 2
    try:
        reserved = reserve_port(settings.host, settings.port)
    except OSError as exc:
        print(f"contact: cannot listen on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return 2
    settings = settings.with_(port=reserved.getsockname()[1])
    share_between_workers(settings.rate_limit, settings.rate_limit_burst)  # one rate limit for the node
    metrics.MULTIPROCESS_DIR = tempfile.mkdtemp(prefix="contact-metrics-")  # one /metrics for the node
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics.MULTIPROCESS_DIR  # where prometheus_client writes values
    print(f"contact: {settings.workers} workers on http://{settings.host}:{settings.port}", flush=True)
    try:
        return _supervise(settings, reserved)
    finally:
        reserved.close()
        shutil.rmtree(metrics.MULTIPROCESS_DIR, ignore_errors=True)


def _supervise(settings: Settings, reserved: socket.socket) -> int:
    parent = os.getpid()
    workers: dict[int, _Worker] = {}
    stopping = False
    failures = 0

    def spawn(index: int) -> int:
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the parent's code
            code = 1
            try:
                reserved.close()
                code = _worker(settings, index, parent)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        workers[pid] = _Worker(index, pid, time.monotonic())
        return pid

    def forward(signum: int, frame: object) -> None:
        nonlocal stopping
        if signum != signal.SIGHUP:
            if stopping:
                return  # each worker gets one stop signal: a second would cut its clean shutdown short
            stopping = True
            log.info("workers.stopping", signal=signal.Signals(signum).name, workers=len(workers))
        targets = list(workers)
        if signum == signal.SIGHUP and targets:
            # One worker reloads and tells the others over the store's event bus (contact.web.reloads):
            # each worker then reloads once, and with PostgreSQL every node does too.
            targets = [min(targets, key=lambda pid: workers[pid].index)]
        for pid in targets:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    for index in range(1, settings.workers + 1):
        spawn(index)
    previous = {sig: signal.signal(sig, forward) for sig in _FORWARDED}
    try:
        while workers:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            worker = workers.pop(pid, None)
            if worker is None:
                continue
            if metrics.MULTIPROCESS_DIR is not None:
                multiprocess.mark_process_dead(pid, metrics.MULTIPROCESS_DIR)  # its live gauges go
            code = os.waitstatus_to_exitcode(status)
            if code == 0 and stopping:
                continue
            failures += 1
            how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
            served = time.monotonic() - worker.started
            log.error("worker.died", worker=worker.index, pid=pid, status=how, seconds=round(served, 1))
            print(f"contact: worker {worker.index} (pid {pid}) died: {how}", file=sys.stderr, flush=True)
            if not stopping and served >= RESTART_AFTER_SECONDS:
                log.info("worker.restarted", worker=worker.index, pid=spawn(worker.index))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not failures:
        return 0
    return 1 if stopping else 2


def _worker(settings: Settings, index: int, parent: int) -> int:
    """One worker (in the forked child): the usual server, on the shared port."""
    from contact.app import run_server

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until the app listens for it (knowledge reload)
    events.new_process_id()  # this worker's own origin on the event bus
    processors = structlog.get_config()["processors"]
    if isinstance(processors, list):
        processors.insert(0, _tag(index))
    watchers: list[asyncio.Task[None]] = []

    async def started(app: web.Application) -> None:
        _stop_once()
        watchers.append(asyncio.create_task(_watch_parent(parent)))

    async def stopping(app: web.Application) -> None:
        for task in watchers:
            task.cancel()

    def setup(app: web.Application) -> None:
        app.on_startup.append(started)
        app.on_shutdown.append(stopping)

    return run_server(settings, reuse_port=True, setup=setup)


def _tag(index: int) -> Callable[[Any, str, MutableMapping[str, Any]], MutableMapping[str, Any]]:
    def add_worker(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        event["worker"] = index
        return event

    return add_worker


def _stop_once() -> None:
    """Stop cleanly on the first SIGTERM/SIGINT and ignore later ones: the parent forwards one, and a
    terminal or a service manager may send the whole process group another, which would otherwise cut
    the clean shutdown short."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: None)
        raise web.GracefulExit()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)


async def _watch_parent(parent: int) -> None:
    """Stop cleanly when the parent is gone (killed with SIGKILL, so it could not forward a signal)."""
    while True:
        await asyncio.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:
            break
    log.warning("worker.orphaned", parent=parent)
    os.kill(os.getpid(), signal.SIGTERM)
