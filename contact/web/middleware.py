"""Middlewares: request id + access log, and the one place where errors become JSON bodies."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from contact.errors import ApiError
from contact.masking import mask
from contact.web.keys import SETTINGS

log = structlog.get_logger(__name__)

REQUEST_ID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
"""An incoming X-Request-Id kept as the request's id: a UUID, with or without its hyphens (nginx's
``$request_id`` is 32 hex digits)."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    408: "request_timeout", 413: "payload_too_large", 415: "unsupported_media_type", 429: "rate_limited",
    503: "unavailable",
}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


def loggable_path(request: web.Request) -> str:
    """What the logs say about a request's path: the route template (``/api/v1/entries/{entry_id}``)
    when a route matched, else the path with personal data masked and cut to 200 characters (a path is
    whatever the client sent: it may hold a phone number or an e-mail address)."""
    info = request.match_info
    resource = info.route.resource if info.http_exception is None else None
    return resource.canonical if resource is not None else mask(request.path[:400])[:200]


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bind a request id to every log line of the request: the client's or proxy's X-Request-Id when it is a
    UUID (:data:`REQUEST_ID`, not all digits), else a new one; any other value (a phone number, an e-mail
    address, a name) is never logged or echoed."""
    incoming = request.headers.get("X-Request-Id", "")
    request_id = incoming if REQUEST_ID.match(incoming) and not incoming.replace("-", "").isdigit() \
        else uuid.uuid4().hex
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = request_id
        return response
    finally:
        log.info("http", method=request.method[:16], path=loggable_path(request), status=status,
                 ms=round((time.perf_counter() - started) * 1000, 2))


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map domain and HTTP errors to ``{"error": {"code", "message"}}``; never leak a stack trace."""
    try:
        return await handler(request)
    except ApiError as exc:
        return web.json_response(exc.body(), status=exc.status, headers=dict(exc.headers) or None)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        message = exc.reason
        if exc.status == 413:
            message = f"request body too large (limit {request.app[SETTINGS].max_body_bytes} bytes)"
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        return error_response(exc.status, code, message, headers)
    except Exception:
        log.exception("unhandled_error", path=loggable_path(request))
        return error_response(500, "internal_error", "internal error; the request id identifies it in the logs")
