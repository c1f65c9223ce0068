"""Per-client limits of the citizen endpoints: requests per minute and open chats, per IP address.

Settings (:mod:`contact.config`)::

    rate_limit        requests per minute per client address (0: no limit)      CONTACT_RATE_LIMIT
    rate_limit_burst  requests a client may send at once before the rate applies CONTACT_RATE_LIMIT_BURST
    trust_proxy       how many reverse proxies in front append to X-Forwarded-For CONTACT_TRUST_PROXY
                      (0: the socket's peer address is the client, X-Forwarded-For is ignored)
    max_chats         open chat WebSockets in all (0: no limit)                  CONTACT_MAX_CHATS
    max_chats_per_ip  open chat WebSockets per client address (0: no limit)      CONTACT_MAX_CHATS_PER_IP

Limited are the endpoints anyone can call without signing in (:data:`CITIZEN_ENDPOINTS`); every one of
them takes from the same bucket of the client's address. A refused request gets ``429`` with
``Retry-After`` (whole seconds) and ``{"error": {"code": "rate_limited", "message": ...}}``; a chat
connection past the per-address limit gets 429 ``too_many_chats``, past the overall limit 503
``too_many_chats`` (before the WebSocket upgrade, so the widget falls back to HTTP) unless a chat idle for
``chat_busy_idle_timeout`` can give up its place (``Limits.make_room``, set by :mod:`contact.web.chat`).

Memory is bounded: a bucket idle for long enough to have refilled is the same as no bucket and is
dropped (the least recently used first, checked on every request), and past ``max_keys`` addresses the
least recently used bucket goes even if it is not full. IPv6 clients are limited per /64 (one
household or phone usually has a whole /64). Client addresses are not logged.

To limit a new unauthenticated endpoint, add ``(METHOD, canonical path)`` to :data:`CITIZEN_ENDPOINTS`
(CORS for the widget origins then applies to it as well, see :mod:`contact.web.security`). The limiters
themselves, and where they count (this process's memory, the node's shared memory, the database for
every node), are in :mod:`contact.web.limiters`.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from contact.web.keys import INQUIRY_LOG, LIMITS, SETTINGS
from contact.web.limiters import ChatStore, Limits, TakeToken
from contact.web.middleware import error_response

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CHAT_PATH = "/api/v1/chat"
CITIZEN_ENDPOINTS: frozenset[tuple[str, str]] = frozenset({
    ("POST", "/api/v1/ask"),
    ("POST", "/api/v1/feedback"),
    ("GET", "/api/v1/offices"),
    ("GET", "/api/v1/entries/{entry_id}"),
    ("GET", "/api/v1/openings"),
    ("GET", "/api/v1/openings.ics"),
    ("GET", CHAT_PATH),
    ("POST", "/api/v1/login"),  # besides its own lock-out after failed sign-ins
})
"""(method, canonical route path) of the endpoints anyone can call without signing in."""


CHAT_PLACE = web.RequestKey("chat_place", str | None)  # type: ignore[arg-type]
"""The chat socket's row in the shared open-chat counts (:class:`contact.web.limiters.SharedChats`), or None."""


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_ip(request: web.Request, trust_proxy: int) -> str:
    """The client's address: the peer, or with ``trust_proxy`` = N the N-th X-Forwarded-For entry from the right.

    Each trusted proxy appends the address it received the request from, so the entries further left
    are whatever the client chose to send and are never believed. A missing or unreadable entry falls
    back to the peer address.
    """
    if trust_proxy > 0:
        hops = [h for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",") if h.strip()]
        if len(hops) >= trust_proxy:
            address = _parse_ip(hops[-trust_proxy])
            if address is not None:
                return str(address)
    peer = _parse_ip(request.remote or "")
    return str(peer) if peer is not None else (request.remote or "unknown")


def client_key(request: web.Request, trust_proxy: int) -> str:
    """The rate-limit key of a request: the IPv4 address, or the /64 network of an IPv6 address."""
    ip = client_ip(request, trust_proxy)
    address = _parse_ip(ip)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return ip


def citizen_endpoint(request: web.Request) -> str | None:
    """The canonical path when the request is for one of :data:`CITIZEN_ENDPOINTS`, else None."""
    match_info = request.match_info
    if match_info.http_exception is not None:
        return None
    resource = match_info.route.resource
    if resource is None:
        return None
    method = "GET" if request.method == "HEAD" else request.method
    path = resource.canonical
    return path if (method, path) in CITIZEN_ENDPOINTS else None


def _too_many(message: str, retry_after: float, status: int = 429, code: str = "rate_limited") -> web.Response:
    seconds = max(1, math.ceil(retry_after))
    return error_response(status, code, message.format(seconds=seconds), {"Retry-After": str(seconds)})


@web.middleware
async def citizen_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply the per-address request rate and the open-chat limits to the citizen endpoints."""
    endpoint = citizen_endpoint(request)
    if endpoint is None:
        return await handler(request)
    limits = request.app[LIMITS]
    key = client_key(request, limits.trust_proxy)
    if limits.requests is not None:
        wait = await limits.wait(key)
        if wait > 0:
            log.info("rate_limited", endpoint=endpoint, retry_after=round(wait, 2))
            return _too_many("too many requests from your address; please wait {seconds} seconds and try again",
                             wait)
    if endpoint != CHAT_PATH:
        return await handler(request)
    refused, place = await limits.open_chat(key)
    if refused == "total" and limits.make_room is not None and limits.make_room():
        refused, place = await limits.open_chat(key, force=True)  # in the place of the idle chat now closing
    if refused == "per_client":
        log.info("chat.refused", limit="per_client")
        return _too_many("too many open chats from your address; close one or wait {seconds} seconds", 30,
                         code="too_many_chats")
    if refused == "total":
        log.warning("chat.refused", limit="total")
        return _too_many("the chat is busy; please use the form or call 044-200-3939 (retry in {seconds} seconds)",
                         30, status=503, code="too_many_chats")
    request[CHAT_PLACE] = place
    try:
        return await handler(request)  # for a WebSocket this returns when the chat ends
    finally:
        await limits.close_chat(key, place)


def setup_limits(app: web.Application) -> None:
    """Build the limiters from the app's settings (the middleware is :func:`citizen_limits`)."""
    def take_token() -> TakeToken | None:  # the inquiry log, once open (PostgreSQL: the buckets of every node)
        store = app.get(INQUIRY_LOG)
        return store.take_token if store is not None and store.healthy else None

    def chat_store() -> ChatStore | None:
        store = app.get(INQUIRY_LOG)
        return store if store is not None and store.healthy else None

    app[LIMITS] = Limits.from_settings(app[SETTINGS], take_token, chat_store)
