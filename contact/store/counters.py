"""Counts every worker and node shares: failed sign-ins by key (the ``login_failures`` table).

The policy — which keys (account name, client network), how many failures lock, for how long — is the
web layer's (:mod:`contact.web.auth`); this module only keeps the counts where every process sees them.
Each count is one atomic upsert, so two workers counting at once never lose a failure.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

KEEP_SECONDS = 24 * 3600.0
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
