"""Filters over the inquiry log, shared by the list, the CSV export, every statistic and the report.

A :class:`Filters` is parsed from query parameters (``?from=2026-10-01&to=2026-10-31&ward=中原区``),
validated (a bad value raises :class:`FilterError` naming the parameter), and turned into a SQL
``WHERE`` clause over ``inquiries i LEFT JOIN latest_feedback lf``::

    >>> f = parse_filters([("from", "2026-10-01"), ("channel", "phone,mail")])
    >>> f.where()
    ('WHERE i.created_at >= ? AND i.channel IN (?, ?)', ['2026-10-01', 'phone', 'mail'])

Parameters (each may be repeated or comma-separated for several values; ``none`` selects rows
without a value): ``from``/``to`` (YYYY-MM-DD, inclusive, local dates), ``ward``, ``channel``,
``category``, ``kind``, ``resolution``, ``voice_type``, ``entry_id``; ``helpful`` (``true``,
``false``, ``none`` = not rated, ``rated``); ``q`` (words that must all occur in the text, the
operator's note or the matched entry's title).

The SQL is portable (SQLite and PostgreSQL): timestamps are ISO-8601 text compared as strings, and
local dates are their first ten characters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from contact.analysis.voice import VOICE_TYPES
from knowledge.schema import WARDS

CHANNELS: tuple[str, ...] = ("web", "phone", "fax", "mail", "visit", "chat", "operator")
KINDS: tuple[str, ...] = ("answer", "clarify", "fallback", "handoff", "smalltalk", "operator")
"""What the assistant did (the first five), or ``operator``: recorded by an operator (contact.chat.desk)."""
RESOLUTIONS: tuple[str, ...] = ("answered", "forwarded", "callback", "complaint")
NONE = "none"
"""Filter value selecting rows without a value (no ward, no category …)."""

CHANNEL_LABELS = {"web": "Webチャット（自動応答）", "phone": "電話", "fax": "FAX", "mail": "メール", "visit": "来庁",
                  "chat": "チャット（オペレーター）", "operator": "オペレーター"}
KIND_LABELS = {"answer": "回答", "clarify": "聞き返し", "fallback": "回答できず", "handoff": "有人対応の希望",
               "smalltalk": "あいさつ等", "operator": "オペレーター対応"}
RESOLUTION_LABELS = {"answered": "回答済", "forwarded": "転送", "callback": "折り返し", "complaint": "苦情・要望"}

FROM_CLAUSE = "FROM inquiries i LEFT JOIN latest_feedback lf ON lf.inquiry_id = i.id"
"""Every view reads inquiries with their latest rating (one per inquiry)."""

FILTER_PARAMS: tuple[str, ...] = ("from", "to", "ward", "channel", "category", "kind", "resolution", "voice_type",
                                  "entry_id", "helpful", "q")
MAX_RANGE_DAYS = 3700


class FilterError(ValueError):
    """A query parameter is unknown or has a bad value; ``code`` is the API error code."""

    def __init__(self, message: str, code: str = "invalid_filter") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    """Inclusive."""
    wards: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    resolutions: tuple[str, ...] = ()
    voice_types: tuple[str, ...] = ()
    entry_ids: tuple[str, ...] = ()
    helpful: str | None = None
    """``true``, ``false``, ``none`` (not rated) or ``rated``."""
    q: tuple[str, ...] = ()

    def where(self, *extra: str) -> tuple[str, list[Any]]:
        """``WHERE …`` (or ``""``) and its parameters, with ``extra`` conditions (no parameters) ANDed in."""
        parts: list[str] = []
        params: list[Any] = []
        if self.date_from:
            parts.append("i.created_at >= ?")
            params.append(self.date_from.isoformat())
        if self.date_to:
            parts.append("i.created_at < ?")
            params.append((self.date_to + dt.timedelta(days=1)).isoformat())
        for column, values in (("ward", self.wards), ("channel", self.channels), ("category", self.categories),
                               ("kind", self.kinds), ("resolution", self.resolutions),
                               ("voice_type", self.voice_types), ("entry_id", self.entry_ids)):
            if values:
                sql, values_params = _in(f"i.{column}", values)
                parts.append(sql)
                params += values_params
        if self.helpful == "true":
            parts.append("lf.helpful = 1")
        elif self.helpful == "false":
            parts.append("lf.helpful = 0")
        elif self.helpful == "none":
            parts.append("lf.helpful IS NULL")
        elif self.helpful == "rated":
            parts.append("lf.helpful IS NOT NULL")
        for word in self.q:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            parts.append("(i.text LIKE ? ESCAPE '\\' OR COALESCE(i.note, '') LIKE ? ESCAPE '\\' "
                         "OR COALESCE(i.entry_title, '') LIKE ? ESCAPE '\\')")
            params += [pattern, pattern, pattern]
        parts += extra
        return ("WHERE " + " AND ".join(parts) if parts else ""), params

    def between(self, start: dt.date, end: dt.date) -> Filters:
        """The same filters restricted to ``start``..``end`` (inclusive), within any range already set."""
        lo = max(start, self.date_from) if self.date_from else start
        hi = min(end, self.date_to) if self.date_to else end
        return replace(self, date_from=lo, date_to=hi)

    def describe(self) -> dict[str, Any]:
        """The filters that are set, as JSON-ready values (echoed in responses and written to the audit log)."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if value in (None, (), []):
                continue
            out[key] = value.isoformat() if isinstance(value, dt.date) else list(value) \
                if isinstance(value, tuple) else value
        return out


def _in(column: str, values: tuple[str, ...]) -> tuple[str, list[Any]]:
    named = [v for v in values if v != NONE]
    parts = []
    if named:
        parts.append(f"{column} IN ({', '.join('?' for _ in named)})")
    if NONE in values:
        parts.append(f"{column} IS NULL")
    sql = parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
    return sql, list(named)


def _values(pairs: Iterable[tuple[str, str]], name: str) -> list[str]:
    out: list[str] = []
    for key, value in pairs:
        if key == name:
            out += [v.strip() for v in value.split(",") if v.strip()]
    return out


def _choices(pairs: list[tuple[str, str]], name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    values = _values(pairs, name)
    bad = [v for v in values if v not in allowed and v != NONE]
    if bad:
        raise FilterError(f"'{name}' must be one of: {', '.join(allowed)} (or {NONE}); got {bad[0]!r}")
    return tuple(dict.fromkeys(values))


FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
"""The dates the service accepts in a request: far enough for any inquiry, calendar or report, and far
enough from the ends of Python's calendar (0001-01-01, 9999-12-31) that a range or the day after never
overflows."""


def in_range(day: dt.date, name: str) -> dt.date:
    """``day`` if the service accepts it; :class:`FilterError` (a 400) otherwise."""
    if not FIRST_DATE <= day <= LAST_DATE:
        raise FilterError(f"'{name}' must be between {FIRST_DATE} and {LAST_DATE}, not {day}")
    return day


def parse_date(value: str, name: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise FilterError(f"'{name}' must be a date YYYY-MM-DD, not {value[:40]!r}") from exc
    return in_range(day, name)


def parse_filters(query: Iterable[tuple[str, str]] | Mapping[str, str], allowed: Iterable[str] = ()) -> Filters:
    """Filters from query parameters; any parameter not in :data:`FILTER_PARAMS` or ``allowed`` is refused."""
    pairs = list(query.items()) if isinstance(query, Mapping) else list(query)
    known = set(FILTER_PARAMS) | set(allowed)
    unknown = sorted({k for k, _ in pairs if k not in known})
    if unknown:
        raise FilterError(f"unknown parameter '{unknown[0]}'; known: {', '.join(sorted(known))}", "unknown_parameter")
    for key in ("from", "to", "helpful", "q"):
        if len(_values(pairs, key) if key != "q" else [v for k, v in pairs if k == key]) > 1:
            raise FilterError(f"'{key}' may be given once")
    first = {k: v for k, v in reversed(pairs)}
    date_from = parse_date(first["from"], "from") if first.get("from") else None
    date_to = parse_date(first["to"], "to") if first.get("to") else None
    if date_from and date_to:
        if date_from > date_to:
            raise FilterError("'from' must not be after 'to'", "invalid_range")
        if (date_to - date_from).days > MAX_RANGE_DAYS:
            raise FilterError(f"the date range may span at most {MAX_RANGE_DAYS} days", "invalid_range")
    helpful = first.get("helpful") or None
    if helpful is not None and helpful not in ("true", "false", "none", "rated"):
        raise FilterError("'helpful' must be true, false, none (not rated) or rated")
    q = first.get("q", "")
    if len(q) > 200:
        raise FilterError("'q' must be at most 200 characters")
    categories = tuple(dict.fromkeys(_values(pairs, "category")))
    entry_ids = tuple(dict.fromkeys(_values(pairs, "entry_id")))
    if any(len(v) > 100 for v in (*categories, *entry_ids)):
        raise FilterError("'category' and 'entry_id' values must be at most 100 characters")
    return Filters(
        date_from=date_from, date_to=date_to,
        wards=_choices(pairs, "ward", WARDS),
        channels=_choices(pairs, "channel", CHANNELS),
        categories=categories,
        kinds=_choices(pairs, "kind", KINDS),
        resolutions=_choices(pairs, "resolution", RESOLUTIONS),
        voice_types=_choices(pairs, "voice_type", VOICE_TYPES),
        entry_ids=entry_ids,
        helpful=helpful,
        q=tuple(w for w in q.replace("\u3000", " ").split(" ") if w),
    )


def int_param(query: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    """An integer query parameter within ``lo``..``hi``; :class:`FilterError` otherwise."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise FilterError(f"'{name}' must be an integer", "invalid_parameter") from exc
    if not lo <= value <= hi:
        raise FilterError(f"'{name}' must be between {lo} and {hi}", "invalid_parameter")
    return value


def float_param(query: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise FilterError(f"'{name}' must be a number", "invalid_parameter") from exc
    if not lo <= value <= hi:
        raise FilterError(f"'{name}' must be between {lo} and {hi}", "invalid_parameter")
    return value


def choice_param(query: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = query.get(name) or default
    if value not in choices:
        raise FilterError(f"'{name}' must be one of: {', '.join(choices)}", "invalid_parameter")
    return value
