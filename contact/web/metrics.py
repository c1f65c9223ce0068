"""``GET /metrics``: Prometheus text format, one registry per app (prometheus_client).

Counted as they happen: HTTP requests by route template, method and status, with a latency
histogram; replies by kind. Read at scrape time: inquiry-log commits and rows, whether the log
is healthy, knowledge-base entries, hits and misses of the matcher's memo, chats waiting for an
operator, open chat sockets.

With ``--workers N`` one scrape reports the whole node: prometheus_client's multiprocess mode, in a
directory the parent makes before it forks (:data:`MULTIPROCESS_DIR`). Every worker's counters and
histograms are files there, summed at scrape time; the gauges read from a worker's resources are copied
into multiprocess gauges every :data:`STATE_SECONDS` and before each scrape, summed over the live workers
(``livesum``; ``contact_log_healthy`` and the encoder gauges: the smallest, so 0 when any worker is not;
the knowledge-base entries and the waiting chats: the largest).
Access: the admin token (``CONTACT_ADMIN_TOKEN``, else the file made at first start, ``admin_token_file``),
admins' sign-in or API tokens; loopback only with ``allow_loopback_admin`` (see :func:`contact.web.auth.require_admin`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from contact.web.auth import require_admin
from contact.web.keys import CHAT_HUB, HANDOFFS, INQUIRY_LOG, KNOWLEDGE

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Metrics:
    """The app's registry and its instruments."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("contact_http_requests", "HTTP requests answered.",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("contact_http_request_seconds", "Time to answer an HTTP request.", ["route"],
                                 buckets=(.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5),
                                 registry=self.registry)
        self.replies = Counter("contact_replies", "Replies of the assistant by kind.", ["kind"],
                               registry=self.registry)


METRICS = web.AppKey("metrics", Metrics)

MULTIPROCESS_DIR: str | None = None
"""Set by the parent of ``--workers N`` before it forks (``contact.ops.workers``); None: one process."""
STATE_SECONDS = 2.0
_MODES = {"contact_log_healthy": "livemin", "contact_encoder_active": "livemin",
          "contact_knowledge_entries": "livemax", "contact_handoffs_waiting": "livemax"}


class _StateCollector(Collector):
    """Gauges read from the app's resources when scraped."""

    def __init__(self, app: web.Application) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        app = self.app
        if INQUIRY_LOG in app:
            log = app[INQUIRY_LOG]
            yield GaugeMetricFamily("contact_log_commits", "Commit batches of the inquiry log.", value=log.commits)
            yield GaugeMetricFamily("contact_log_rows", "Rows written to the inquiry log.", value=log.rows_written)
            yield GaugeMetricFamily("contact_log_healthy", "1 when the inquiry log can commit.",
                                    value=int(log.healthy))
        if KNOWLEDGE in app and app[KNOWLEDGE].ready:
            engine = app[KNOWLEDGE].engine
            yield GaugeMetricFamily("contact_knowledge_entries", "Entries in the loaded knowledge base.",
                                    value=len(engine.kb))
            state = app[KNOWLEDGE]
            yield GaugeMetricFamily("contact_encoder_unavailable", "Times a sentence encoder failed to load "
                                    "(the matcher then answers without it).", value=state.encoder_failures)
            encoders = GaugeMetricFamily("contact_encoder_active", "1 for each sentence encoder the matcher uses.",
                                         labels=["encoder"])
            for name in state.encoder_names:
                encoders.add_metric([name], int(name in engine.dense))
            yield encoders
            yield GaugeMetricFamily("contact_dense_cascade_lexical", "New questions the cascade ranked with the "
                                    "lexical features alone: decisive and covered, no encoder asked.",
                                    value=engine.lexical_calls)
            yield GaugeMetricFamily("contact_dense_cascade_calls", "New questions for which the cascade asked the "
                                    "slower encoder too.", value=engine.slow_calls)
            yield GaugeMetricFamily("contact_dense_cascade_settled", "New questions the cascade left undecided "
                                    "that were answered without the slower encoder, because --dense-queue "
                                    "questions already waited for it.", value=engine.settled_calls)
            hits, misses = engine.memo_info()
            yield GaugeMetricFamily("contact_match_memo_hits", "Questions answered from the matcher's memo "
                                    "since the knowledge base was loaded.", value=hits)
            yield GaugeMetricFamily("contact_match_memo_misses", "Questions the matcher understood and ranked "
                                    "since the knowledge base was loaded.", value=misses)
        if HANDOFFS in app:
            yield GaugeMetricFamily("contact_handoffs_waiting", "Chats waiting for an operator.",
                                    value=len(app[HANDOFFS]))
        if CHAT_HUB in app:
            yield GaugeMetricFamily("contact_chat_sockets", "Open citizen chat WebSockets.",
                                    value=len(app[CHAT_HUB].sockets))


def _route(request: web.Request) -> str:
    info = request.match_info
    if info.http_exception is not None or info.route.resource is None:
        return "unmatched"  # never the raw path: unbounded label values
    return info.route.resource.canonical


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    metrics = request.app[METRICS]
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        route = _route(request)
        metrics.requests.labels(route, request.method, str(status)).inc()
        metrics.latency.labels(route).observe(time.perf_counter() - started)


class _SharedState:
    """A worker's :class:`_StateCollector` gauges, copied into multiprocess gauges (see the module doc)."""

    def __init__(self, app: web.Application) -> None:
        self.collector = _StateCollector(app)
        self.gauges: dict[str, Gauge] = {}

    def refresh(self) -> None:
        for family in self.collector.collect():
            for sample in family.samples:
                gauge = self.gauges.get(family.name)
                if gauge is None:
                    gauge = self.gauges[family.name] = Gauge(
                        family.name, family.documentation, list(sample.labels), registry=None,
                        multiprocess_mode=_MODES.get(family.name, "livesum"))  # type: ignore[arg-type]
                (gauge.labels(*sample.labels.values()) if sample.labels else gauge).set(sample.value)


_SHARED = web.AppKey("metrics_shared_state", _SharedState)


async def _refresh_ctx(app: web.Application) -> AsyncIterator[None]:
    shared = app[_SHARED]

    async def refresh() -> None:
        while True:
            shared.refresh()
            await asyncio.sleep(STATE_SECONDS)

    task = asyncio.create_task(refresh())
    yield
    task.cancel()


async def metrics_view(request: web.Request) -> web.Response:
    """The Prometheus text exposition: this process's metrics, or with ``--workers N`` the whole node's."""
    await require_admin(request)
    if _SHARED in request.app and MULTIPROCESS_DIR is not None:
        request.app[_SHARED].refresh()
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=MULTIPROCESS_DIR)
        body = generate_latest(registry)
    else:
        body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


def setup_metrics(app: web.Application) -> None:
    if MULTIPROCESS_DIR is not None:  # a worker of --workers N: values in the node's shared directory
        values.ValueClass = values.MultiProcessValue()
    metrics = Metrics()
    if MULTIPROCESS_DIR is not None:
        app[_SHARED] = _SharedState(app)
        app.cleanup_ctx.append(_refresh_ctx)
    else:
        metrics.registry.register(_StateCollector(app))
    app[METRICS] = metrics
    app.middlewares.insert(0, count_requests)  # outermost: sees the final status of every request
    app.router.add_get("/metrics", metrics_view)
