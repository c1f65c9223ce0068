"""Who may call what: bearer tokens and session cookies, roles, CSRF, the login page and the audit log.

Handlers that need a role call :func:`require`::

    principal = await require(request, "staff")          # admin passes every role check
    await audit(request, principal, "inquiries.read", filters=dict(request.query))

* ``Authorization: Bearer <id.secret>`` — API tokens made by ``contact users token NAME``;
* the ``contact_session`` cookie — set by ``POST /api/v1/login`` for the operator and staff pages:
  HttpOnly, SameSite=Strict, Secure over TLS (directly or ``X-Forwarded-Proto: https`` from a trusted
  proxy). State-changing requests made with the cookie must carry the session's CSRF token in
  ``X-CSRF-Token`` (or a ``csrf_token`` form field), and a cross-site ``Origin`` is refused, WebSocket
  upgrades included. The sign-in takes JSON from this origin only (login CSRF), and failed sign-ins lock
  the name and the address (an IPv6 client by its /64), counted in the store for every worker and node;
* admin endpoints (:func:`require_admin`): the admin token (configured, or made at first start in a 0600
  file), an admin's token or sign-in; loopback only with ``allow_loopback_admin``.

Failures are :class:`~contact.errors.Unauthorized` (401: no or bad credentials) or
:class:`~contact.errors.Forbidden` (403: wrong role, missing CSRF token). Verified credentials are
remembered for :data:`CACHE_SECONDS`, so disabling a user takes effect within that time; long-lived
connections re-read theirs with :func:`recheck`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import sys
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import structlog
from aiohttp import web

from contact.config import Settings
from contact.errors import ApiError, BadRequest, Forbidden, StartupError, Unauthorized, UnsupportedMediaType
from contact.store import accounts
from contact.store.accounts import Principal
from contact.web.common import read_json
from contact.web.keys import ASSISTANT, CLOCK, INQUIRY_LOG, SETTINGS
from contact.web.pages import asset_route
from contact.web.ratelimit import client_ip, client_key
from contact.web.security import is_secure, same_origin

log = structlog.get_logger(__name__)

COOKIE = "contact_session"
CACHE_SECONDS = 10.0
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PRINCIPAL = web.RequestKey("principal", object)

routes = web.RouteTableDef()


class TooManyAttempts(ApiError):
    status = 429
    code = "rate_limited"


class _Cache:
    """Verified credentials (by hash) → principal, for a few seconds; bounded."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self.items: OrderedDict[str, tuple[float, Principal | None]] = OrderedDict()

    def get(self, key: str) -> tuple[bool, Principal | None]:
        hit = self.items.get(key)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def put(self, key: str, principal: Principal | None) -> None:
        self.items[key] = (time.monotonic() + CACHE_SECONDS, principal)
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)

    def clear(self) -> None:
        self.items.clear()


_cache_key = web.AppKey("auth_cache", _Cache)
_admin_key = web.AppKey("admin_token", str)


def _client_ip(request: web.Request) -> str:
    """The client's address (X-Forwarded-For only through the configured number of trusted proxies)."""
    return client_ip(request, request.app[SETTINGS].trust_proxy)


def _credential(request: web.Request) -> tuple[str | None, str | None]:
    """(kind, secret) of the request's credential: ("token", …) from ``Authorization: Bearer``, ("session", …)
    from the cookie, or (None, None)."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return "token", header[7:].strip()
    if request.cookies.get(COOKIE):
        return "session", request.cookies[COOKIE]
    return None, None


async def _look_up(request: web.Request, kind: str, credential: str, fresh: bool) -> Principal | None:
    cache = request.app[_cache_key]
    key = kind + ":" + hashlib.sha256(credential.encode()).hexdigest()
    if not fresh:
        found, principal = cache.get(key)
        if found:
            return principal
    check = accounts.token_principal if kind == "token" else accounts.session_principal
    principal = await request.app[INQUIRY_LOG].read(lambda db: check(db, credential))
    cache.put(key, principal)
    return principal


async def authenticate(request: web.Request) -> Principal | None:
    """The caller's principal from a bearer token or the session cookie, or None (remembered per request)."""
    if _PRINCIPAL in request:
        cached = request[_PRINCIPAL]
        return cached if isinstance(cached, Principal) else None
    kind, credential = _credential(request)
    principal = None
    if kind is not None and credential:
        principal = await _look_up(request, kind, credential, fresh=False)
        if principal is None and kind == "token":
            raise Unauthorized("the API token is unknown, revoked or its user is disabled")
    request[_PRINCIPAL] = principal
    return principal


async def recheck(request: web.Request) -> Principal | None:
    """The principal of the request's credential read again from the store, bypassing the cache: None once
    the user is disabled, the token revoked or the session ended or expired. For long-lived connections
    (the operators' WebSocket), which re-check on every frame and while idle."""
    kind, credential = _credential(request)
    if kind is None or not credential:
        return None
    return await _look_up(request, kind, credential, fresh=True)


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser cross-site request (curl, same-origin GET form posts of old browsers)
    parts = urlsplit(origin)
    return parts.netloc == request.host


async def require(request: web.Request, *roles: str) -> Principal:
    """The principal when it holds one of ``roles`` (admin holds all); 401/403 otherwise.

    Cookie-authenticated requests that change state (or open a WebSocket) must come from this origin,
    and state changes must carry the session's CSRF token.
    """
    principal = await authenticate(request)
    if principal is None:
        raise Unauthorized("sign in at /login or send an API token (Authorization: Bearer …)")
    if not principal.has(*roles):
        raise Forbidden(f"this needs the role {' or '.join(roles)}")
    if principal.via == "session":
        is_ws = request.headers.get("Upgrade", "").lower() == "websocket"
        if (request.method in UNSAFE_METHODS or is_ws) and not _same_origin(request):
            raise Forbidden("cross-site request refused", "csrf_failed")
        if request.method in UNSAFE_METHODS:
            given = request.headers.get("X-CSRF-Token", "")
            if not given and request.content_type == "application/x-www-form-urlencoded":
                given = str((await request.post()).get("csrf_token", ""))
            if not principal.csrf or not hmac.compare_digest(given.encode(), principal.csrf.encode()):
                raise Forbidden("missing or wrong CSRF token (X-CSRF-Token)", "csrf_failed")
    return principal


def _direct_loopback(request: web.Request) -> bool:
    """A client on this machine that did not come through a proxy (no forwarding headers)."""
    forwarded = any(h in request.headers for h in ("X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host"))
    try:
        address = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return False  # a Unix socket or an unknown peer
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not forwarded and address.is_loopback


async def require_admin(request: web.Request) -> Principal | None:
    """Admin endpoints (knowledge reload, ``/metrics``): the admin token (``admin_token``, else the one made
    at first start in ``admin_token_file``), an admin's API token or sign-in; with ``allow_loopback_admin``
    also a loopback client that came through no proxy. None means the admin token (or loopback) was used."""
    settings = request.app[SETTINGS]
    given = request.headers.get("Authorization", "")
    token = request.app[_admin_key]
    if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return None
    if not given and COOKIE not in request.cookies:
        if settings.allow_loopback_admin and _direct_loopback(request):
            return None
        raise Unauthorized(f"admin endpoints need the admin token (Authorization: Bearer …; see "
                           f"{'admin_token' if settings.admin_token else 'admin_token_file'}), or an admin's "
                           f"API token or sign-in")
    return await require(request, "admin")


def resolve_admin_token(settings: Settings) -> str:
    """The admin token: ``admin_token`` when set, else the one kept in ``admin_token_file``, made (and its
    path printed once, never the token) at the first start. :class:`StartupError` when it cannot be had."""
    if settings.admin_token:
        return settings.admin_token
    path = settings.admin_token_path()
    try:
        token, created = accounts.ensure_admin_token(path)
    except (accounts.AccountError, OSError) as exc:
        raise StartupError(f"no admin token: {exc} (or set admin_token / admin_token_file)") from exc
    if created:
        print(f"contact: made the admin token for /api/v1/admin/reload and /metrics in {path} (mode 0600); "
              f"send it as Authorization: Bearer $(cat {path})", file=sys.stderr, flush=True)
        log.info("admin_token.created", path=str(path))
    return token


async def _admin_token_ctx(app: web.Application) -> AsyncIterator[None]:
    app[_admin_key] = resolve_admin_token(app[SETTINGS])
    yield


async def audit(request: web.Request, principal: Principal | None, action: str, target: str | None = None,
                **detail: Any) -> None:
    """Append one row to the audit log (committed before returning); text in ``detail`` is masked."""
    masker = request.app[ASSISTANT].masker if ASSISTANT in request.app else None
    text = json.dumps(detail, ensure_ascii=False, default=str) if detail else None
    await request.app[INQUIRY_LOG].add_audit({
        "at": request.app[CLOCK].now().isoformat(timespec="milliseconds"),
        "actor": principal.name if principal else None,
        "role": principal.role if principal else None,
        "action": action,
        "target": target,
        "detail": masker.mask(text) if (masker and text) else text,
        "ip": _client_ip(request),
    })


# -- login -----------------------------------------------------------------------------------------


def _unknown_name(request: web.Request, name: str) -> str:
    """What the audit log says of a sign-in name that is no account: never the text (it may be a password typed
    in the wrong field, an e-mail address, a phone number), only a keyed fingerprint, the same for the same
    text on every worker and restart (the key derives from the admin token), so that repeated guesses show."""
    key = hashlib.sha256(b"contact audit names\0" + request.app[_admin_key].encode()).digest()
    return "unknown name #" + hmac.new(key, name.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:12]


_LOGIN_FAILURES_ALLOWED = 5
"""Failed sign-ins within :data:`_LOGIN_LOCK_SECONDS` that lock a name (from any address) or an address
(for any name)."""
_LOGIN_LOCK_SECONDS = 300.0


def _lockout_keys(request: web.Request, name: str) -> tuple[str, str]:
    """The lock-out's keys of a sign-in: the name tried, and the client's address (IPv6: its /64)."""
    return f"user:{name}", f"ip:{client_key(request, request.app[SETTINGS].trust_proxy)}"


async def _check_lockout(request: web.Request, name: str) -> None:
    # The counts live in the store (contact.store.counters): every worker and node sees the same figures,
    # and a flood of fresh addresses never clears the table (the writer only sweeps day-old counts).
    failures = await request.app[INQUIRY_LOG].login_failures(_lockout_keys(request, name))
    now = time.time()
    for count, since in failures.values():
        if count >= _LOGIN_FAILURES_ALLOWED and now - since < _LOGIN_LOCK_SECONDS:
            retry = int(_LOGIN_LOCK_SECONDS - (now - since)) + 1
            raise TooManyAttempts(f"too many failed sign-ins; try again in {retry} s",
                                  headers={"Retry-After": str(retry)})


async def _count_failure(request: web.Request, name: str) -> None:
    await request.app[INQUIRY_LOG].count_login_failure(_lockout_keys(request, name), _LOGIN_LOCK_SECONDS)


def _refuse_cross_site_login(request: web.Request) -> None:
    """Login CSRF: a sign-in is JSON (which a foreign page cannot send without a CORS preflight, and the login
    has no CORS) from this service's own origin; a form or ``text/plain`` post from another site is refused."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType("send the sign-in as JSON (Content-Type: application/json)")
    site = request.headers.get("Sec-Fetch-Site", "same-origin").lower()
    if ("Origin" in request.headers and not same_origin(request)) or site not in ("same-origin", "none"):
        raise Forbidden("sign in from this service's own login page (cross-site request refused)", "csrf_failed")


@routes.post("/api/v1/login")
async def login(request: web.Request) -> web.Response:
    """Sign in with ``{"name", "password"}``; sets the session cookie and returns the CSRF token."""
    _refuse_cross_site_login(request)
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) \
            or not isinstance(body.get("password"), str):
        raise BadRequest("send {\"name\": str, \"password\": str}", "invalid_field")
    name, password = body["name"][:64], body["password"][:1024]
    await _check_lockout(request, name)
    principal = await request.app[INQUIRY_LOG].read(lambda db: accounts.check_password(db, name, password))
    if principal is None:
        await _count_failure(request, name)
        known = await request.app[INQUIRY_LOG].read(lambda db: accounts.find_user(db, name) is not None)
        await audit(request, None, "login.failed", name if known else _unknown_name(request, name))
        raise Unauthorized("wrong name or password, or the account is disabled")
    await request.app[INQUIRY_LOG].forget_login_failures([f"user:{name}"])
    hours = request.app[SETTINGS].session_hours
    cookie, csrf = await request.app[INQUIRY_LOG].read(lambda db: accounts.start_session(db, principal, hours))
    await audit(request, principal, "login")
    response = web.json_response({"name": principal.name, "role": principal.role, "csrf": csrf})
    response.set_cookie(COOKIE, cookie, max_age=int(hours * 3600), path="/", httponly=True,
                        secure=is_secure(request), samesite="Strict")
    return response


@routes.post("/api/v1/logout")
async def logout(request: web.Request) -> web.Response:
    """End the session of the cookie (CSRF token required like any state change)."""
    principal = await require(request, *accounts.ROLES)
    cookie = request.cookies.get(COOKIE)
    if cookie:
        await request.app[INQUIRY_LOG].read(lambda db: accounts.end_session(db, cookie))
        request.app[_cache_key].clear()
    await audit(request, principal, "logout")
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


@routes.get("/api/v1/me")
async def me(request: web.Request) -> web.Response:
    """The signed-in user: name, role and (for a session) the CSRF token the pages send back."""
    principal = await require(request, *accounts.ROLES)
    return web.json_response({"name": principal.name, "role": principal.role, "csrf": principal.csrf})


@routes.get("/api/v1/audit")
async def audit_log(request: web.Request) -> web.Response:
    """The audit log, newest first (admin): ``?limit=`` (≤ 500) and ``?before=<id>`` for paging."""
    principal = await require(request, "admin")
    try:
        limit = min(500, max(1, int(request.query.get("limit", "100"))))
        before = int(request.query["before"]) if "before" in request.query else None
    except ValueError as exc:
        raise BadRequest("limit and before must be integers", "invalid_field") from exc
    if before is not None and not (0 < before < 2**63):
        raise BadRequest("before must be an audit id (1 … 2^63-1)", "invalid_field")

    def select(db: Any) -> list[dict[str, Any]]:
        where, params = ("WHERE id < ?", [before]) if before is not None else ("", [])
        return list(db.query(f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?", [*params, limit]))

    rows = await request.app[INQUIRY_LOG].read(select)
    await audit(request, principal, "audit.read", limit=limit, before=before)
    return web.json_response({"items": rows})


def setup_auth(app: web.Application) -> None:
    """Register the login API, the login page and the credential cache."""
    app[_cache_key] = _Cache()
    app.cleanup_ctx.append(_admin_token_ctx)
    app.add_routes(routes)
    app.add_routes([asset_route("/login", "login.html"), asset_route("/static/login.js", "login.js"),
                    asset_route("/static/console.css", "console.css"),
                    asset_route("/static/console.js", "console.js")])
