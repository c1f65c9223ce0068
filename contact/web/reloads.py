"""Reload everywhere: one ``POST /api/v1/admin/reload`` or SIGHUP reloads every process of the service.

The process asked reloads its own base first (its answer says how that went), then publishes a
``reload`` event on the store's event bus (:mod:`contact.store.events`): every other worker of the node
(SQLite) and every process of every node (PostgreSQL, LISTEN/NOTIFY) hears it and reloads from its own
knowledge-base directory. A process whose last reload started after the event was published already
serves what the event asks for and skips it. SIGHUP to a single process does the same; with
``--workers N`` the parent hands a SIGHUP to one worker, which reloads and publishes (so that each worker
reloads once). ``/readyz`` shows the version (a hash of the directory's files) each process serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator
from typing import Any

import structlog
from aiohttp import web

from contact.knowledge_state import ReloadResult
from contact.store import events
from contact.store.events import EventBus
from contact.store.inquiry_log import DATABASE_ERRORS, LogUnavailable
from contact.web.keys import EVENTS, INQUIRY_LOG, KNOWLEDGE

log = structlog.get_logger(__name__)

CHANNEL = "reload"


async def reload_everywhere(app: web.Application) -> tuple[ReloadResult, bool]:
    """Reload this process's base, then tell every other process; (the result here, whether they were told).

    A base refused here is not broadcast: the others keep serving what they serve."""
    result = await app[KNOWLEDGE].reload()
    if not result.ok:
        return result, False
    try:
        await app[INQUIRY_LOG].publish(CHANNEL, {"at": time.time(), "version": result.version},
                                       origin=events.PROCESS_ID)  # set anew in each forked worker
    except (LogUnavailable, *DATABASE_ERRORS) as exc:
        log.error("kb.reload_not_broadcast", error=str(exc))
        return result, False
    return result, True


def _on_event(app: web.Application, tasks: set[asyncio.Task[Any]]) -> Any:
    def heard(payload: dict[str, Any], origin: str | None) -> None:
        knowledge = app[KNOWLEDGE]
        if origin == events.PROCESS_ID:
            return
        at = payload.get("at")
        if isinstance(at, (int, float)) and knowledge.reload_started >= at:
            return  # a reload that started after this one was asked for is already serving it
        log.info("kb.reload_heard", origin=origin, version=payload.get("version"))
        task = asyncio.get_running_loop().create_task(knowledge.reload())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return heard


async def _reloads_ctx(app: web.Application) -> AsyncIterator[None]:
    tasks: set[asyncio.Task[Any]] = set()
    bus: EventBus = app[EVENTS]
    bus.subscribe(CHANNEL, _on_event(app, tasks))
    loop = asyncio.get_running_loop()

    def on_sighup() -> None:
        task = loop.create_task(reload_everywhere(app))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    # Not the main thread (some test runners) or no SIGHUP on this platform: reload by HTTP only.
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGHUP, on_sighup)
    yield
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.remove_signal_handler(signal.SIGHUP)
    for task in list(tasks):
        task.cancel()


def setup_reloads(app: web.Application) -> None:
    """Reload on SIGHUP and on every other process's reload (after the event bus's cleanup context)."""
    app.cleanup_ctx.append(_reloads_ctx)

