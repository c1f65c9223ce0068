"""The service's settings, each declared once with its default, environment variable and help.

Precedence: command-line option > ``CONTACT_*`` environment variable > default.
Handlers never read ``os.environ``: they get the frozen :class:`Settings` from the app.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from zoneinfo import ZoneInfo

from knowledge.loader import SHIPPED_DIR

TOKYO = ZoneInfo("Asia/Tokyo")


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
    admin_token: str | None = _setting(
        None, "Bearer token for admin endpoints (knowledge reload); unset: admin endpoints answer loopback only."
    )
    session_hours: float = _setting(8.0, "Hours a sign-in to the operator and staff pages lasts.")

    def __post_init__(self) -> None:
        if not (0 <= self.port <= 65535):
            raise ConfigError(f"port must be 0..65535, not {self.port}")
        if self.durability not in ("full", "normal"):
            raise ConfigError("durability must be 'full' or 'normal'")
        if self.log_level not in ("debug", "info", "warning", "error"):
            raise ConfigError("log_level must be debug, info, warning or error")
        if self.max_body_bytes < 1024 or self.max_text_chars < 1:
            raise ConfigError("max_body_bytes must be >= 1024 and max_text_chars >= 1")
        if not (0 < self.session_hours <= 24 * 30):
            raise ConfigError("session_hours must be in (0, 720]")
        if self.now is not None:
            self.fixed_now()  # validates

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

