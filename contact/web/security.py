"""Security headers, CORS for the widget's origins, and the request-body timeout.

Headers (added to every response just before it is sent, errors included, by :func:`add_headers`):

- every response: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: strict-origin-when-cross-origin``;
- pages (any ``text/html`` response, and anything under ``/operator/``, ``/staff/``, ``/login``):
  :data:`PAGE_CSP`, ``X-Frame-Options: DENY``, ``Cross-Origin-Opener-Policy: same-origin`` and a
  ``Permissions-Policy`` turning off camera, microphone, geolocation and payment. Pages must therefore
  load their scripts and styles from files on this server (``<script src="/static/x.js">``): inline
  ``<script>`` and ``on…=`` attributes do not run; inline ``<style>`` and ``style=`` work;
- JSON and other API responses under ``/api/``: ``Cache-Control: no-store`` unless the handler set a
  Cache-Control, and a CSP that forbids everything (a JSON body opened as a page runs nothing);
- over HTTPS (directly, or ``X-Forwarded-Proto: https`` from a trusted proxy): ``Strict-Transport-Security``.

A handler that sets one of these headers itself keeps its own value.

CORS: only the origins in the ``widget_origins`` setting, and only on the citizen endpoints
(:data:`contact.web.ratelimit.CITIZEN_ENDPOINTS`): ``Access-Control-Allow-Origin: <that origin>`` (never
``*``, never with credentials: the widget sends no cookies), ``Vary: Origin`` on every response of those
endpoints, and preflight ``OPTIONS`` answered 204 for a listed origin, 403 ``origin_forbidden`` for
another. The chat WebSocket accepts browsers from the service's own origin and the listed origins
only (403 ``origin_forbidden`` before the upgrade); clients that send no ``Origin`` (not browsers) pass.
``/widget.js`` itself may be loaded by any page (it is a public script).

Body timeout: a request body must arrive within ``body_timeout`` seconds (408 ``request_timeout``);
:func:`read_body` reads it before the handler runs, so ``request.read()``/``json()``/``post()`` in
handlers return the buffered body at once. Multipart bodies are left to their handler.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from multidict import istr

from contact.errors import ApiError
from contact.web.keys import LIMITS, SETTINGS
from contact.web.middleware import error_response
from contact.web.ratelimit import CHAT_PATH, CITIZEN_ENDPOINTS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; media-src 'none'; object-src 'none'; worker-src 'none'; "
    "frame-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""Content-Security-Policy of the HTML pages: own scripts only, nothing embedded, never framed."""
API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
PAGE_PREFIXES = ("/operator/", "/staff/", "/login")
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000"
CORS_HEADERS = ("Content-Type", "X-Request-Id")
"""Request headers a widget origin may send."""
CORS_MAX_AGE = "600"


def _route_pattern(canonical: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(canonical)) + "$")


NO_CORS = frozenset({CHAT_PATH, "/api/v1/login"})
"""Citizen endpoints without CORS: the chat checks its Origin itself; the sign-in is for this service's own
login page only (a widget origin has no business posting passwords)."""
_CORS_ROUTES: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (_route_pattern(path), frozenset(m for m, p in CITIZEN_ENDPOINTS if p == path))
    for path in sorted({p for _, p in CITIZEN_ENDPOINTS if p not in NO_CORS})
)


def cors_methods(path: str) -> frozenset[str] | None:
    """The methods of the citizen endpoint at ``path`` (CORS applies), or None for any other path."""
    for pattern, methods in _CORS_ROUTES:
        if pattern.match(path):
            return methods
    return None


def allowed_origin(request: web.Request) -> str | None:
    """The request's Origin when it is one of the configured widget origins."""
    origin = request.headers.get("Origin", "").strip().rstrip("/").lower()
    if origin and origin in request.app[SETTINGS].widget_origin_set():
        return origin
    return None


def is_page(request: web.Request, response: web.StreamResponse) -> bool:
    path = request.path
    return response.content_type == "text/html" or path == "/" or path.startswith(PAGE_PREFIXES)


def is_secure(request: web.Request) -> bool:
    """Whether the client reached us over HTTPS: directly, or ``X-Forwarded-Proto: https`` from a trusted proxy."""
    if request.secure:
        return True
    limits = request.app.get(LIMITS)
    trusted = limits is not None and limits.trust_proxy > 0
    return trusted and request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower() == "https"


def _add_vary(response: web.StreamResponse, *names: str) -> None:
    present = {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()}
    missing = [n for n in names if n.lower() not in present]
    if missing:
        current = response.headers.get("Vary")
        response.headers["Vary"] = ", ".join([current, *missing] if current else missing)


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the security and CORS headers of every response."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if is_page(request, response):
        headers.setdefault("Content-Security-Policy", PAGE_CSP)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    elif request.path.startswith("/api/"):
        headers.setdefault("Cache-Control", "no-store")
        headers.setdefault("Content-Security-Policy", API_CSP)
    elif request.path == "/widget.js":
        headers.setdefault("Cross-Origin-Resource-Policy", "cross-origin")
    if is_secure(request):
        headers.setdefault("Strict-Transport-Security", HSTS)
    if cors_methods(request.path) is not None:
        _add_vary(response, "Origin")
        origin = allowed_origin(request)
        if origin is not None and istr("Access-Control-Allow-Origin") not in headers:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Expose-Headers"] = "Retry-After, X-Request-Id"


def same_origin(request: web.Request) -> bool:
    """Whether the request's Origin names this service (its Host, or X-Forwarded-Host from a trusted proxy)."""
    origin = request.headers.get("Origin", "")
    netloc = urlsplit(origin).netloc.lower() if "://" in origin else ""
    hosts = {request.host.lower()}
    limits = request.app.get(LIMITS)
    if limits is not None and limits.trust_proxy > 0 and request.headers.get("X-Forwarded-Host"):
        hosts.add(request.headers["X-Forwarded-Host"].split(",")[-1].strip().lower())
    return bool(netloc) and netloc in hosts


@web.middleware
async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer CORS preflights of the citizen endpoints; refuse chat connections from foreign origins."""
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        methods = cors_methods(request.path)
        if methods is not None:
            return _preflight(request, methods)
    if request.path == CHAT_PATH and "Origin" in request.headers and not same_origin(request) \
            and allowed_origin(request) is None:
        return error_response(403, "origin_forbidden",
                              "this chat is open to the city's own pages only (see the widget_origins setting)")
    return await handler(request)


def _preflight(request: web.Request, methods: frozenset[str]) -> web.Response:
    origin = allowed_origin(request)
    wanted = request.headers["Access-Control-Request-Method"].strip().upper()
    asked = [h.strip().lower() for h in request.headers.get("Access-Control-Request-Headers", "").split(",")
             if h.strip()]
    allowed_headers = {h.lower() for h in CORS_HEADERS}
    if origin is None:
        response = error_response(403, "origin_forbidden", "this origin may not call the API from a browser")
    elif wanted not in methods or any(h not in allowed_headers for h in asked):
        response = error_response(
            403, "cors_forbidden",
            f"allowed: methods {', '.join(sorted(methods))}; headers {', '.join(CORS_HEADERS)}")
    else:
        response = web.Response(status=204, headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ", ".join(sorted(methods)),
            "Access-Control-Allow-Headers": ", ".join(CORS_HEADERS),
            "Access-Control-Max-Age": CORS_MAX_AGE,
        })
    _add_vary(response, "Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")
    return response


class RequestTimeout(ApiError):
    """408: the request body did not arrive in time."""

    status = 408
    code = "request_timeout"


@web.middleware
async def read_body(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read the request body within ``body_timeout`` seconds (408), before the handler runs."""
    if request.body_exists and not request.content_type.startswith("multipart/"):
        timeout = request.app[SETTINGS].body_timeout
        try:
            async with asyncio.timeout(timeout):
                await request.read()
        except TimeoutError:
            response = error_response(408, RequestTimeout.code,
                                      f"the request body did not arrive within {timeout:g} seconds")
            response.force_close()  # the rest of the body may still trickle in: do not wait for it
            return response
        except web.RequestPayloadError:  # a Content-Encoding the body does not match (gzip over plain JSON …)
            response = error_response(400, "bad_body", "the request body could not be decoded: it does not match "
                                      "its Content-Encoding (send it uncompressed, or compressed as declared)")
            response.force_close()  # the parser gave up on this body: the connection cannot be reused
            request.content.feed_eof()  # nothing more to read: aiohttp must not drain it (and log the error)
            return response
    return await handler(request)


PARSER_ERROR_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
                        "Content-Security-Policy": API_CSP}


def harden_parser_errors() -> None:
    """Make the answers of aiohttp's HTTP parser JSON errors with ``nosniff``.

    A request line or header the parser refuses (over 8 KiB, a bad character …) never reaches the app: aiohttp
    answers it itself, in plain text and without the app's headers (no middleware or response signal runs).
    This wraps that one answer (``RequestHandler.handle_error``, once per process): its logging and connection
    close stay aiohttp's; the body becomes ``{"error": {"code", "message"}}`` (never the offending bytes) with
    the headers of the API's errors."""
    from aiohttp.web_protocol import RequestHandler

    original = RequestHandler.handle_error
    if getattr(original, "contact_json", False):
        return

    def handle_error(self: RequestHandler, request: Any, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        original(self, request, status, exc, message)  # logs (filtered, see contact.logs) and may raise
        if status >= 500:
            code, text = "internal_error", "internal error; the request id identifies it in the logs"
        elif status == 400:
            code, text = "bad_request", ("the request could not be read as HTTP: a malformed request line or header, "
                                         "or one longer than 8 KiB")
        else:
            code, text = "http_error", f"the request was refused by the HTTP parser ({status})"
        response = error_response(status, code, text, PARSER_ERROR_HEADERS)
        response.force_close()
        return response

    handle_error.contact_json = True  # type: ignore[attr-defined]
    RequestHandler.handle_error = handle_error  # type: ignore[method-assign]


def setup_security(app: web.Application) -> None:
    """Add the security and CORS headers to every response of the app (and to the HTTP parser's errors)."""
    app.on_response_prepare.append(add_headers)
    harden_parser_errors()
