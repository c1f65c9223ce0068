"""The application factory: ``create_app(settings)`` is used by ``contact serve`` and every test;
``run_server(settings)`` runs one server process (``contact serve``, or one worker of ``--workers N``).

This is where the rooms are wired together: the web layer's routes and middlewares
(:mod:`contact.web`), the chat and the operators' desk (:mod:`contact.chat`), the service core
(:mod:`contact.assistant`, :mod:`contact.knowledge_state`) and the inquiry log (:mod:`contact.store`),
each resource opened and closed in a ``cleanup_ctx``. See docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from contact.assistant import Assistant
from contact.config import Settings
from contact.errors import StartupError
from contact.knowledge_state import KnowledgeState
from contact.masking import Masker
from contact.store import kb_edits
from contact.store.events import EventBus
from contact.store.inquiry_log import DATABASE_ERRORS, InquiryLog, connect, describe_error
from contact.store.pg import is_postgres
from contact.web import auth, chat, editor, kb_report, openapi, openings, operator, staff, views
from contact.web.keys import ASSISTANT, CLOCK, EVENTS, INQUIRY_LOG, KNOWLEDGE, SETTINGS
from contact.web.metrics import METRICS, setup_metrics
from contact.web.middleware import json_errors, request_context
from contact.web.ratelimit import citizen_limits, setup_limits
from contact.web.reloads import setup_reloads
from contact.web.security import cors, read_body, setup_security


async def _inquiry_log_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    inquiry_log = InquiryLog(settings.db, durability=settings.durability)
    try:
        inquiry_log.open()
    except (*DATABASE_ERRORS, OSError) as exc:  # read-only file, mount or directory, full disk, not a database …
        where = "" if is_postgres(settings.db) else f" ({settings.db})"  # a URL may hold a password
        raise StartupError(f"the inquiry log cannot be opened for writing{where}: {describe_error(exc)}; "
                           "make the file and its directory writable, or point --db elsewhere") from exc
    app[INQUIRY_LOG] = inquiry_log
    yield
    await inquiry_log.close()  # commits everything already accepted


async def _knowledge_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    knowledge = KnowledgeState(Path(settings.kb), settings.match_memo, settings.encoder_names(),
                               Path(settings.cache_dir), settings.dense_queue,
                               overlay=kb_edits.overlay(settings.db, settings.durability))
    result = await knowledge.reload()
    if not result.ok:
        raise StartupError(
            "the knowledge base is invalid:\n" + "\n".join(f"  - {p}" for p in result.problems[:50])
        )
    app[KNOWLEDGE] = knowledge
    kb = knowledge.engine.kb
    public_phones = [p for o in kb.offices.values() for p in (o.phone, o.fax) if p]
    public_phones += [w.phone for w in kb.windows.values() if w.phone]  # the masker normalises formats
    public_addresses = [f"〒{o.postal_code} {o.address}" if o.postal_code else o.address
                        for o in kb.offices.values() if o.address]
    masker = Masker(allow=public_phones, public_addresses=public_addresses)
    app[ASSISTANT] = Assistant(knowledge, app[INQUIRY_LOG], app[CLOCK], masker)
    replies = app[METRICS].replies
    app[ASSISTANT].on_reply = lambda kind: replies.labels(kind).inc()
    yield
    knowledge.matcher.shutdown(wait=False)
    knowledge.slow_encoders.shutdown(wait=False)


async def _events_ctx(app: web.Application) -> AsyncIterator[None]:
    """This process's listener on the store's event bus (reloads, handoffs and chats of other processes)."""
    settings = app[SETTINGS]
    bus = EventBus(settings.db, lambda: connect(settings.db, settings.durability))
    app[EVENTS] = bus
    try:
        await asyncio.get_running_loop().run_in_executor(None, bus.start, asyncio.get_running_loop())
    except (*DATABASE_ERRORS, OSError) as exc:
        raise StartupError(f"the event bus cannot read the database: {describe_error(exc)}") from exc
    yield
    await asyncio.get_running_loop().run_in_executor(None, bus.stop)


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        # outermost first: limits and CORS answer before the handler; read_body's 408/413 become JSON
        middlewares=[request_context, cors, citizen_limits, json_errors, read_body],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[CLOCK] = settings.clock()
    setup_limits(app)
    setup_security(app)
    app.cleanup_ctx.append(_inquiry_log_ctx)
    app.cleanup_ctx.append(_knowledge_ctx)
    app.cleanup_ctx.append(_events_ctx)
    setup_reloads(app)
    app.add_routes(views.routes)
    app[views.RELOAD_GATE] = views.ReloadGate()
    chat.setup_chat(app)
    operator.setup_operator(app)  # after the chat: the desk works on its queue and hub
    app.add_routes(openings.routes)
    app.add_routes(openapi.routes)
    staff.setup_staff(app)
    editor.setup_editor(app)
    app.add_routes(kb_report.routes)
    auth.setup_auth(app)
    setup_metrics(app)
    return app


def run_server(settings: Settings, *, reuse_port: bool | None = None,
               setup: Callable[[Any], None] | None = None) -> int:
    """One server process until SIGINT/SIGTERM: ``contact serve``, or one worker of ``--workers N``
    (``reuse_port`` shares the port; ``setup(app)`` adds the worker's hooks)."""
    app = create_app(settings)
    if setup is not None:
        setup(app)
    try:
        web.run_app(
            app, host=settings.host, port=settings.port, shutdown_timeout=settings.shutdown_timeout,
            access_log=None, print=lambda msg: print(msg, flush=True), handle_signals=True,
            keepalive_timeout=settings.keepalive_timeout,  # also bounds slow request headers
            backlog=1024, reuse_port=reuse_port,
        )
    except StartupError as exc:
        print(f"contact: {exc}", file=sys.stderr)
        return 2
    return 0
