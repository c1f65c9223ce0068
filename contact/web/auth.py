"""Who may call what: bearer tokens and session cookies, roles, CSRF, the login page and the audit log.

Handlers that need a role call :func:`require`::

    principal = await require(request, "staff")          # admin passes every role check
    await audit(request, principal, "inquiries.read", filters=dict(request.query))

* ``Authorization: Bearer <id.secret>`` — API tokens made by ``contact users token NAME``;
* the ``contact_session`` cookie — set by ``POST /api/v1/login`` for the operator and staff pages:
  HttpOnly, SameSite=Strict, Secure when the request came over TLS. State-changing requests made
  with the cookie must carry the session's CSRF token in ``X-CSRF-Token`` (or a ``csrf_token`` form
  field), and a cross-site ``Origin`` is refused, WebSocket upgrades included.

Failures are :class:`~contact.errors.Unauthorized` (401: no or bad credentials) or
:class:`~contact.errors.Forbidden` (403: wrong role, missing CSRF token). Verified credentials are
remembered for :data:`CACHE_SECONDS`, so disabling a user takes effect within that time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from contact.errors import ApiError, BadRequest, Forbidden, Unauthorized
from contact.store import accounts
from contact.store.accounts import Principal
from contact.web.common import read_json
from contact.web.keys import ASSISTANT, CLOCK, INQUIRY_LOG, SETTINGS
from contact.web.pages import asset_route
from contact.web.ratelimit import client_ip

COOKIE = "contact_session"
CACHE_SECONDS = 10.0
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PRINCIPAL = web.RequestKey("principal", object)
_LOGIN_FAILURES_ALLOWED = 5
_LOGIN_LOCK_SECONDS = 300.0

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


def _client_ip(request: web.Request) -> str:
    """The client's address (X-Forwarded-For only through the configured number of trusted proxies)."""
    return client_ip(request, request.app[SETTINGS].trust_proxy)


async def authenticate(request: web.Request) -> Principal | None:
    """The caller's principal from a bearer token or the session cookie, or None (remembered per request)."""
    if _PRINCIPAL in request:
        cached = request[_PRINCIPAL]
        return cached if isinstance(cached, Principal) else None
    header = request.headers.get("Authorization", "")
    credential, kind = None, None
    if header[:7].lower() == "bearer ":
        credential, kind = header[7:].strip(), "token"
    elif request.cookies.get(COOKIE):
        credential, kind = request.cookies[COOKIE], "session"
    principal = None
    if credential:
        cache = request.app[_cache_key]
        key = kind + ":" + hashlib.sha256(credential.encode()).hexdigest()
        found, principal = cache.get(key)
        if not found:
            check = accounts.token_principal if kind == "token" else accounts.session_principal
            principal = await request.app[INQUIRY_LOG].read(lambda db: check(db, credential))
            cache.put(key, principal)
        if principal is None and kind == "token":
            raise Unauthorized("the API token is unknown, revoked or its user is disabled")
    request[_PRINCIPAL] = principal
    return principal


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


async def require_admin(request: web.Request) -> Principal | None:
    """Admin endpoints: a signed-in admin or an admin's API token; also the configured
    ``CONTACT_ADMIN_TOKEN``, or (none configured) a loopback client, for deployment scripts."""
    token = request.app[SETTINGS].admin_token
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return None
    if not token and not given and request.remote in ("127.0.0.1", "::1") and COOKIE not in request.cookies:
        return None
    if not given and COOKIE not in request.cookies:
        raise Forbidden("admin endpoints need an admin's sign-in or API token"
                        + ("" if token else ", or a loopback client"))
    return await require(request, "admin")


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


async def _check_lockout(request: web.Request, name: str) -> None:
    # The counts live in the store (contact.store.counters): every worker and node sees the same figures.
    keys = (f"ip:{_client_ip(request)}", f"user:{name}")
    failures = await request.app[INQUIRY_LOG].login_failures(keys)
    now = time.time()
    for key in keys:
        count, since = failures.get(key, (0, now))
        if count >= _LOGIN_FAILURES_ALLOWED and now - since < _LOGIN_LOCK_SECONDS:
            retry = int(_LOGIN_LOCK_SECONDS - (now - since)) + 1
            raise TooManyAttempts(f"too many failed sign-ins; try again in {retry} s",
                                  headers={"Retry-After": str(retry)})


async def _count_failure(request: web.Request, name: str) -> None:
    keys = (f"ip:{_client_ip(request)}", f"user:{name}")
    await request.app[INQUIRY_LOG].count_login_failure(keys, _LOGIN_LOCK_SECONDS)


@routes.post("/api/v1/login")
async def login(request: web.Request) -> web.Response:
    """Sign in with ``{"name", "password"}``; sets the session cookie and returns the CSRF token."""
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) \
            or not isinstance(body.get("password"), str):
        raise BadRequest("send {\"name\": str, \"password\": str}", "invalid_field")
    name, password = body["name"][:64], body["password"][:1024]
    await _check_lockout(request, name)
    principal = await request.app[INQUIRY_LOG].read(lambda db: accounts.check_password(db, name, password))
    if principal is None:
        await _count_failure(request, name)
        await audit(request, None, "login.failed", name)
        raise Unauthorized("wrong name or password, or the account is disabled")
    hours = request.app[SETTINGS].session_hours
    cookie, csrf = await request.app[INQUIRY_LOG].read(lambda db: accounts.start_session(db, principal, hours))
    await audit(request, principal, "login")
    response = web.json_response({"name": principal.name, "role": principal.role, "csrf": csrf})
    response.set_cookie(COOKIE, cookie, max_age=int(hours * 3600), path="/", httponly=True,
                        secure=request.secure, samesite="Strict")
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
    app.add_routes(routes)
    app.add_routes([asset_route("/login", "login.html"), asset_route("/static/login.js", "login.js"),
                    asset_route("/static/console.css", "console.css")])
