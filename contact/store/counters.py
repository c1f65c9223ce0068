"""Counts every worker and node shares: failed sign-ins by key (the ``login_failures`` table) and, with
PostgreSQL, the citizens' rate-limit token buckets (the ``rate_buckets`` table).

The policy — which keys (account name, client network), how many failures lock, for how long; what rate and
burst a client gets — is the web layer's (:mod:`contact.web.auth`, :mod:`contact.web.limiters`); this module
only keeps the counts where every process sees them. Each count is one atomic upsert, so two workers or
nodes counting at once never lose a failure or hand out the same token twice.

A rate bucket is one row per client key (a digest of it, never the address): ``tokens`` left and ``at``,
when it was last taken from, on the database server's clock (``clock_timestamp()``), so that nodes whose
clocks differ still refill a bucket at one rate; ``passed`` says whether the last request got a token.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

KEEP_SECONDS = 24 * 3600.0
BUCKET_KEEP_SECONDS = 3600.0
"""Rate buckets untouched this long are deleted by the writer's sweep (by then any bucket of a limit of at
least 1 a minute with a burst of up to 60 is full again, which is the same as no row)."""
"""Failures older than this are deleted by the writer's sweep (any lock-out window is shorter)."""

_COUNT = (
    "INSERT INTO login_failures (key, count, since) VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN login_failures.since < ? THEN 1 ELSE login_failures.count + 1 END, "
    "since = CASE WHEN login_failures.since < ? THEN excluded.since ELSE login_failures.since END"
)


def failures(db: Any, keys: Sequence[str]) -> Iterator[tuple[str, tuple[int, float]]]:
    """``(key, (count, since))`` for each of ``keys`` with failures."""
    if not keys:
        return
    marks = ", ".join("?" for _ in keys)
    for key, count, since in db.execute(f"SELECT key, count, since FROM login_failures WHERE key IN ({marks})",
                                        list(keys)).fetchall():
        yield str(key), (int(count), float(since))


def count_failure(db: Any, keys: Sequence[str], now: float, window: float) -> None:
    """Add one failure to each key; a key whose count started more than ``window`` seconds ago restarts at 1."""
    for key in keys:
        db.execute(_COUNT, [key, now, now - window, now - window])


def forget(db: Any, keys: Sequence[str]) -> None:
    """Drop the counts of ``keys`` (a name that signed in successfully)."""
    for key in keys:
        db.execute("DELETE FROM login_failures WHERE key = ?", [key])


_NOW = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"
_REFILLED = "LEAST(?, rate_buckets.tokens + GREATEST(0, excluded.at - rate_buckets.at) * ?)"
_TAKE = (
    f"INSERT INTO rate_buckets (key, tokens, at, passed) VALUES (?, ? - 1, {_NOW}, 1) ON CONFLICT (key) DO UPDATE SET "
    f"tokens = {_REFILLED} - CASE WHEN {_REFILLED} >= 1 THEN 1 ELSE 0 END, "
    f"passed = CASE WHEN {_REFILLED} >= 1 THEN 1 ELSE 0 END, "
    "at = GREATEST(rate_buckets.at, excluded.at) RETURNING tokens, passed"
)


def take_token(db: Any, key: str, per_second: float, burst: float) -> float:
    """Take one token from ``key``'s bucket (PostgreSQL; one atomic upsert): 0.0 when the request may pass,
    else the seconds until a token is there. A new key starts with a full bucket of ``burst``."""
    refill = [burst, per_second]
    fetched = db.execute(_TAKE, [key, burst, *refill, *refill, *refill]).fetchone()
    tokens, passed = float(fetched[0]), bool(fetched[1])
    return 0.0 if passed else (1.0 - tokens) / per_second
