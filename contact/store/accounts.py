"""Accounts, API tokens and web sessions: plain functions over the SQLite log (no aiohttp).

Roles, from least to most trusted:

* ``operator`` — call-takers: suggestions, recording inquiries, the live chat queue;
* ``staff`` — 広聴 / service improvement: the inquiry log, statistics and reports;
* ``admin`` — everything, plus knowledge reloads and audit reading.

Secrets are stored only as salted hashes. Passwords use :func:`hashlib.scrypt` (slow on purpose).
API tokens and session cookies are 256-bit random secrets shown once as ``<id>.<secret>``;
the row keyed by ``<id>`` keeps a random salt and SHA-256(salt + secret), which is enough for a
secret of that entropy and keeps every request's check cheap.

Used by ``contact users …`` (directly) and by :mod:`contact.web.auth` (in the executor).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

ROLES: tuple[str, ...] = ("operator", "staff", "editor", "admin")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")
MIN_PASSWORD = 10


class AccountError(ValueError):
    """A user or token operation cannot be done (unknown user, weak password …)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: an operator, staff member or admin, by token or by session cookie."""

    user_id: int
    name: str
    role: str
    via: str  # "token" | "session"
    csrf: str | None = None  # the session's CSRF token (session cookies only)

    def has(self, *roles: str) -> bool:
        """True when the principal holds one of ``roles``; admin holds every role."""
        return self.role == "admin" or self.role in roles


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(_unb64(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, _unb64(digest))


@functools.cache
def _dummy_hash() -> str:
    """A real scrypt hash of a random secret nobody knows, with the parameters of every stored password."""
    return hash_password(secrets.token_urlsafe(16))


def _secret_hash(salt: str, secret: str) -> str:
    return hashlib.sha256((salt + secret).encode()).hexdigest()


def _new_secret() -> tuple[str, str, str, str]:
    """(id, secret, salt, hash) of a fresh secret; the caller hands out ``id.secret`` once."""
    ident, secret, salt = secrets.token_hex(8), secrets.token_urlsafe(32), secrets.token_hex(16)
    return ident, secret, salt, _secret_hash(salt, secret)


def _split(value: str) -> tuple[str, str] | None:
    ident, dot, secret = value.partition(".")
    if not dot or not ident or not secret or len(value) > 200:
        return None
    return ident, secret


def _now(now: dt.datetime | None) -> dt.datetime:
    """Wall-clock UTC (never the demo clock): stored instants compare as strings."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)


# -- users -----------------------------------------------------------------------------------------


def add_user(db: sqlite_utils.Database, name: str, role: str, password: str | None,
             now: dt.datetime | None = None) -> int:
    """Create a user; ``password`` None makes a token-only account (no web login)."""
    if not name or len(name) > 64 or set(name) - _NAME_CHARS:
        raise AccountError("a user name is 1-64 characters of letters, digits and . _ - @")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if find_user(db, name) is not None:
        raise AccountError(f"user '{name}' exists already")
    table = db["users"]
    table.insert({  # type: ignore[union-attr]
        "name": name, "role": role, "password_hash": hash_password(password) if password else None,
        "disabled": 0, "created_at": _now(now).isoformat(timespec="seconds"),
    })
    return int(table.last_pk)  # type: ignore[union-attr]


def find_user(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM users WHERE name = ?", [name]))
    return rows[0] if rows else None


def list_users(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query(
        "SELECT u.id, u.name, u.role, u.disabled, u.created_at, u.password_hash IS NOT NULL AS can_login, "
        "(SELECT COUNT(*) FROM api_tokens t WHERE t.user_id = u.id AND t.revoked_at IS NULL) AS tokens "
        "FROM users u ORDER BY u.name"
    ))


def set_disabled(db: sqlite_utils.Database, name: str, disabled: bool) -> None:
    """Disable (or enable) a user; a disabled user's tokens and sessions stop working at once."""
    user = find_user(db, name)
    if user is None:
        raise AccountError(f"no user '{name}'")
    with db.atomic():
        db.execute("UPDATE users SET disabled = ? WHERE id = ?", [int(disabled), user["id"]])
        if disabled:
            db.execute("DELETE FROM web_sessions WHERE user_id = ?", [user["id"]])


def set_password(db: sqlite_utils.Database, name: str, password: str) -> None:
    user = find_user(db, name)
    if user is None:
        raise AccountError(f"no user '{name}'")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    with db.atomic():
        db.execute("UPDATE users SET password_hash = ? WHERE id = ?", [hash_password(password), user["id"]])
        db.execute("DELETE FROM web_sessions WHERE user_id = ?", [user["id"]])


def check_password(db: sqlite_utils.Database, name: str, password: str) -> Principal | None:
    """The principal for a correct name and password of an enabled user, else None (same cost either way)."""
    user = find_user(db, name)
    stored = user["password_hash"] if user else None
    # Hash even for unknown users (and token-only accounts) so that timing does not tell which names exist:
    # against a well-formed hash of the same cost, or nothing would be computed at all.
    ok = verify_password(password, stored or _dummy_hash())
    if user is None or not ok or user["disabled"]:
        return None
    return Principal(user["id"], user["name"], user["role"], "password")


# -- API tokens ------------------------------------------------------------------------------------


def issue_token(db: sqlite_utils.Database, name: str, label: str | None = None,
                now: dt.datetime | None = None) -> str:
    """A new API token for ``name``; the returned ``id.secret`` is shown once and never stored."""
    user = find_user(db, name)
    if user is None:
        raise AccountError(f"no user '{name}'")
    ident, secret, salt, digest = _new_secret()
    db["api_tokens"].insert({  # type: ignore[union-attr]
        "id": ident, "user_id": user["id"], "salt": salt, "hash": digest, "label": label,
        "created_at": _now(now).isoformat(timespec="seconds"),
    })
    return f"{ident}.{secret}"


def revoke_token(db: sqlite_utils.Database, token_id: str, now: dt.datetime | None = None) -> bool:
    cursor = db.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                        [_now(now).isoformat(timespec="seconds"), token_id])
    return bool(cursor.rowcount)


def token_principal(db: sqlite_utils.Database, token: str) -> Principal | None:
    parts = _split(token)
    if parts is None:
        return None
    rows = list(db.query(
        "SELECT t.salt, t.hash, u.id, u.name, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.id = ? AND t.revoked_at IS NULL AND u.disabled = 0", [parts[0]]))
    if not rows or not hmac.compare_digest(_secret_hash(rows[0]["salt"], parts[1]), rows[0]["hash"]):
        return None
    return Principal(rows[0]["id"], rows[0]["name"], rows[0]["role"], "token")


# -- the admin token of deployment scripts --------------------------------------------------------


def ensure_admin_token(path: Path) -> tuple[str, bool]:
    """The admin bearer token kept in ``path``: ``(token, created)``. The first start makes it: 256 random
    bits, written to a file only its owner may read (mode 0600) and linked into place atomically, so that
    workers starting together all read the same one. A file that others may read, or an empty one, is
    refused (:class:`AccountError`); the caller reports it and does not start."""
    created = False
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(scratch, path)
                created = True
            except FileExistsError:
                pass  # another worker made it first: read theirs
        finally:
            scratch.unlink(missing_ok=True)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AccountError(f"the admin token file {path} may be read by others (mode {stat.filemode(mode)}): "
                           f"chmod 600 it")
    token = path.read_text(encoding="ascii", errors="replace").strip()
    if len(token) < 16 or not token.isascii() or not token.isprintable() or " " in token:
        raise AccountError(f"the admin token file {path} holds no usable token (16 or more printable "
                           f"characters); delete it to have a new one made")
    return token, created


# -- web sessions ----------------------------------------------------------------------------------


def start_session(db: sqlite_utils.Database, principal: Principal, hours: float,
                  now: dt.datetime | None = None) -> tuple[str, str]:
    """A new session for a logged-in user: (cookie value ``id.secret``, CSRF token)."""
    ident, secret, salt, digest = _new_secret()
    csrf = secrets.token_urlsafe(24)
    start = _now(now)
    with db.atomic():
        db.execute("DELETE FROM web_sessions WHERE expires_at < ?", [start.isoformat(timespec="seconds")])
        db["web_sessions"].insert({  # type: ignore[union-attr]
            "id": ident, "user_id": principal.user_id, "salt": salt, "hash": digest, "csrf": csrf,
            "created_at": start.isoformat(timespec="seconds"),
            "expires_at": (start + dt.timedelta(hours=hours)).isoformat(timespec="seconds"),
        })
    return f"{ident}.{secret}", csrf


def session_principal(db: sqlite_utils.Database, cookie: str, now: dt.datetime | None = None) -> Principal | None:
    parts = _split(cookie)
    if parts is None:
        return None
    rows = list(db.query(
        "SELECT s.salt, s.hash, s.csrf, s.expires_at, u.id, u.name, u.role FROM web_sessions s "
        "JOIN users u ON u.id = s.user_id WHERE s.id = ? AND u.disabled = 0", [parts[0]]))
    if not rows or not hmac.compare_digest(_secret_hash(rows[0]["salt"], parts[1]), rows[0]["hash"]):
        return None
    if rows[0]["expires_at"] < _now(now).isoformat(timespec="seconds"):
        return None
    return Principal(rows[0]["id"], rows[0]["name"], rows[0]["role"], "session", rows[0]["csrf"])


def end_session(db: sqlite_utils.Database, cookie: str) -> None:
    parts = _split(cookie)
    if parts is not None:
        db.execute("DELETE FROM web_sessions WHERE id = ?", [parts[0]])
