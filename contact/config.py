"""The service's settings, each declared once with its default, environment variable and help.

Precedence: command-line option > ``CONTACT_*`` environment variable > default.
Handlers never read ``os.environ``: they get the frozen :class:`Settings` from the app.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from intents.encoders import parse_names
from knowledge.loader import SHIPPED_DIR

TOKYO = ZoneInfo("Asia/Tokyo")
_ORIGIN = re.compile(r"^https?://[a-z0-9.\-]+(:[0-9]{1,5})?$|^https?://\[[0-9a-f:.]+\](:[0-9]{1,5})?$")


class ConfigError(ValueError):
    """A setting has an invalid value."""


def _setting(default: Any, help: str, env: bool = True) -> Any:
    return field(default=default, metadata={"help": help, "env": env})


@dataclass(frozen=True)
class Settings:
    host: str = _setting("127.0.0.1", "Address to listen on.")
    port: int = _setting(8080, "Port to listen on (0 picks a free port).")
    db: str = _setting("var/contact.sqlite3", "SQLite file of the inquiry log (created if missing).")
    kb: str = _setting(str(SHIPPED_DIR), "Knowledge-base directory (default: the shipped Kawasaki base).")
    now: str | None = _setting(
        None, "Fix the clock, ISO 8601 with offset (e.g. 2026-11-20T10:00:00+09:00), for tests and demos."
    )
    log_level: str = _setting("info", "Log level: debug, info, warning, error.")
    max_body_bytes: int = _setting(64 * 1024, "Largest accepted request body in bytes (413 above).")
    max_text_chars: int = _setting(1000, "Longest accepted question in characters after trimming.")
    durability: str = _setting(
        "full", "SQLite synchronous mode for the inquiry log: full (fsync every commit batch) or normal."
    )
    shutdown_timeout: float = _setting(10.0, "Seconds to let in-flight requests finish on SIGINT/SIGTERM.")
    workers: int = _setting(
        1, "Server processes sharing the port (SO_REUSEPORT), each with its own matcher and log writer."
    )
    match_memo: int = _setting(
        2048, "Questions (text and known ward) whose understanding and ranking are kept, most recent first; 0: off."
    )
    encoders: str = _setting(
        "use,e5", "Sentence encoders fused with the lexical matcher, comma-separated: use, e5; none: lexical only. "
        "One that cannot load is left out (logged, /readyz and /metrics say so)."
    )
    dense_queue: int = _setting(
        2, "Questions at most waiting for or in the slower encoder (e5); past it an undecided question is answered "
        "with the cascade's first stage (lexical and use): a burst keeps its answer times. 0: no limit."
    )
    cache_dir: str = _setting("var/cache", "Directory of the knowledge base's embedding cache (created if missing).")
    rate_limit: int = _setting(
        120, "Citizen requests (ask, feedback, lookups, chat connections) per minute per client address; 0: off."
    )
    rate_limit_burst: int = _setting(
        60, "Citizen requests a client address may send at once before rate_limit applies."
    )
    trust_proxy: int = _setting(
        0, "Reverse proxies in front that append to X-Forwarded-For (0: the peer address is the client)."
    )
    max_chats: int = _setting(2000, "Open chat WebSockets in all (503 past it; 0: no limit).")
    max_chats_per_ip: int = _setting(20, "Open chat WebSockets per client address (429 past it; 0: no limit).")
    widget_origins: str = _setting(
        "", "Comma-separated origins of sites embedding the widget (CORS and chat), e.g. https://www.city.example.jp."
    )
    body_timeout: float = _setting(10.0, "Seconds a client has to send a request body (408 after).")
    keepalive_timeout: float = _setting(
        30.0, "Seconds an idle HTTP connection (or one that has not sent its request headers) stays open."
    )
    chat_idle_timeout: float = _setting(1800.0, "Seconds without a message from the citizen before a chat is closed.")
    chat_busy_idle_timeout: float = _setting(
        60.0, "Seconds without a message before a chat is closed while 80 % of --max-chats are open; when all are, "
        "a new chat takes the place of the one idle longest past it (not chats with an operator)."
    )
    chat_send_timeout: float = _setting(10.0, "Seconds a chat client has to take a message before it is dropped.")
    admin_token: str | None = _setting(
        None, "Bearer token for admin endpoints (knowledge reload, /metrics); unset: the token of admin_token_file."
    )
    admin_token_file: str = _setting(
        "", "File of the admin token used when admin_token is unset: made at first start (256 bits, mode 0600). "
        "Default: admin-token next to the SQLite file (var/admin-token with PostgreSQL)."
    )
    allow_loopback_admin: int = _setting(
        0, "1: loopback clients that came through no proxy may call admin endpoints without a credential "
        "(development only; refused together with trust_proxy)."
    )
    reload_interval: float = _setting(
        10.0, "Seconds from the end of one knowledge reload over HTTP to the next (429 sooner, and while one runs)."
    )
    session_hours: float = _setting(8.0, "Hours a sign-in to the operator and staff pages lasts.")
    retention_days: int = _setting(
        0, "Days inquiries are kept; `contact db purge` deletes older ones (0: keep them forever)."
    )

    def __post_init__(self) -> None:
        if not (0 <= self.port <= 65535):
            raise ConfigError(f"port must be 0..65535, not {self.port}")
        if not (1 <= self.workers <= 64):
            raise ConfigError(f"workers must be 1..64, not {self.workers}")
        if self.durability not in ("full", "normal"):
            raise ConfigError("durability must be 'full' or 'normal'")
        if self.log_level not in ("debug", "info", "warning", "error"):
            raise ConfigError("log_level must be debug, info, warning or error")
        if self.max_body_bytes < 1024 or self.max_text_chars < 1:
            raise ConfigError("max_body_bytes must be >= 1024 and max_text_chars >= 1")
        if not (0 < self.session_hours <= 24 * 30):
            raise ConfigError("session_hours must be in (0, 720]")
        if self.retention_days < 0:
            raise ConfigError("retention_days must be >= 0 (0: keep forever)")
        self._check_admin()
        self._check_limits()
        self.encoder_names()  # validates
        if self.now is not None:
            self.fixed_now()  # validates

    def _check_admin(self) -> None:
        if self.allow_loopback_admin not in (0, 1):
            raise ConfigError("allow_loopback_admin must be 0 or 1")
        if self.allow_loopback_admin and self.trust_proxy:
            raise ConfigError("allow_loopback_admin cannot be combined with trust_proxy: behind a proxy every "
                              "client is loopback; use the admin token (admin_token or admin_token_file)")
        if self.admin_token is not None and len(self.admin_token) < 16:
            raise ConfigError("admin_token must be at least 16 characters (or leave it unset: a token is generated)")
        if self.reload_interval < 0:
            raise ConfigError("reload_interval must be >= 0 seconds")

    def admin_token_path(self) -> Path:
        """Where the generated admin token is kept (see ``admin_token_file``)."""
        if self.admin_token_file:
            return Path(self.admin_token_file)
        if "://" in self.db or self.db == ":memory:":
            return Path("var") / "admin-token"
        return Path(self.db).parent / "admin-token"

    def encoder_names(self) -> tuple[str, ...]:
        try:
            return parse_names(self.encoders)
        except ValueError as exc:
            raise ConfigError(f"encoders: {exc}") from exc

    def _check_limits(self) -> None:
        for name in ("rate_limit", "rate_limit_burst", "trust_proxy", "max_chats", "max_chats_per_ip", "match_memo",
                     "dense_queue"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0")
        if self.rate_limit and self.rate_limit_burst < 1:
            raise ConfigError("rate_limit_burst must be >= 1 when rate_limit is on")
        for name in ("body_timeout", "keepalive_timeout", "chat_idle_timeout", "chat_busy_idle_timeout",
                     "chat_send_timeout"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be > 0 seconds")
        self.widget_origin_set()  # validates

    def widget_origin_set(self) -> frozenset[str]:
        """The allowed widget origins, normalised (lower case, no trailing slash)."""
        origins = set()
        for item in self.widget_origins.split(","):
            origin = item.strip().rstrip("/").lower()
            if not origin:
                continue
            if not _ORIGIN.match(origin):
                raise ConfigError(f"widget_origins: {item.strip()!r} is not an origin like https://www.city.example.jp"
                                  " ('*' is not allowed)")
            origins.add(origin)
        return frozenset(origins)

    def fixed_now(self) -> dt.datetime | None:
        if self.now is None:
            return None
        try:
            value = dt.datetime.fromisoformat(self.now)
        except ValueError as exc:
            raise ConfigError(f"now must be ISO 8601 with an offset, not {self.now!r}") from exc
        if value.tzinfo is None:
            raise ConfigError("now must include a UTC offset, e.g. +09:00")
        return value.astimezone(TOKYO)

    def clock(self) -> Clock:
        return Clock(self.fixed_now())

    @classmethod
    def from_sources(cls, options: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
                     ) -> Settings:
        """Build settings from environment variables (``CONTACT_<NAME>``) overridden by options."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f"CONTACT_{f.name.upper()}")
            if raw is not None and f.metadata.get("env", True):
                values[f.name] = _coerce(f.name, f.type, raw)
        for name, value in (options or {}).items():
            if value is not None:
                values[name] = value
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _coerce(name: str, type_name: Any, raw: str) -> Any:
    kind = str(type_name)
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError as exc:
        raise ConfigError(f"CONTACT_{name.upper()} must be a number, not {raw!r}") from exc
    return raw


def settings_table() -> list[tuple[str, str, Any, str]]:
    """(option, environment variable, default, help) of every setting, for docs and --help."""
    return [
        (f"--{f.name.replace('_', '-')}", f"CONTACT_{f.name.upper()}", f.default, f.metadata["help"])
        for f in fields(Settings)
    ]


@dataclass(frozen=True)
class Clock:
    """Now in Asia/Tokyo, or the fixed instant given by ``CONTACT_NOW``."""

    fixed: dt.datetime | None = None

    def now(self) -> dt.datetime:
        return self.fixed if self.fixed is not None else dt.datetime.now(TOKYO)

