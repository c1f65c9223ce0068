"""The sign-in lock-out: failed sign-ins counted by account name and by client address, in bounded memory.

Five failures (:data:`ALLOWED`) within five minutes (:data:`LOCK_SECONDS`) lock the name, whatever address
the attempts come from, and lock the address (an IPv6 client by its /64, as the rate limits do: one
household or phone holds a whole /64), whatever names it tries; a locked sign-in gets 429 with
Retry-After before any password is hashed. A successful sign-in forgets the failures of its name.

The table is bounded (:data:`MAX_KEYS`) without ever being cleared: past the bound, expired entries go
first, then the oldest entries that lock nothing, and a locked entry only when every entry is locked.
Filling the table with failures from fresh addresses therefore never unlocks an account. Counted per
worker process, like the rate limits.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

ALLOWED = 5
"""Failed sign-ins of one name or address before it is locked."""
LOCK_SECONDS = 300.0
"""How long failures are remembered, and so how long a lock lasts."""
MAX_KEYS = 10_000


class LoginLockout:
    """Failure counts by key (``user:NAME``, ``ip:ADDRESS``); the least recently failed first.

    >>> clock = [0.0]
    >>> lockout = LoginLockout(allowed=2, lock_seconds=60, now=lambda: clock[0])
    >>> lockout.fail(["user:sato", "ip:192.0.2.1"]); lockout.fail(["user:sato", "ip:198.51.100.7"])
    >>> lockout.retry_after(["user:sato", "ip:203.0.113.9"])  # the name is locked from any address
    60
    >>> clock[0] = 61.0
    >>> lockout.retry_after(["user:sato"])
    0
    """

    def __init__(self, allowed: int = ALLOWED, lock_seconds: float = LOCK_SECONDS, max_keys: int = MAX_KEYS,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.allowed = allowed
        self.lock_seconds = lock_seconds
        self.max_keys = max_keys
        self._now = now
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        """key → (failures, when the first of them was); the least recently failed first."""

    def retry_after(self, keys: Iterable[str]) -> int:
        """Whole seconds until the most lasting lock among ``keys`` ends; 0 when none is locked."""
        now = self._now()
        wait = 0.0
        for key in keys:
            count, since = self._failures.get(key, (0, now))
            if count >= self.allowed and now - since < self.lock_seconds:
                wait = max(wait, self.lock_seconds - (now - since))
        return math.ceil(wait) if wait > 0 else 0

    def fail(self, keys: Iterable[str]) -> None:
        """Count one failed sign-in against each of ``keys``."""
        now = self._now()
        for key in keys:
            count, since = self._failures.pop(key, (0, now))
            self._failures[key] = (count + 1, since) if now - since < self.lock_seconds else (1, now)
        if len(self._failures) > self.max_keys:
            self._evict(now)

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)

    def _locks(self, entry: tuple[int, float], now: float) -> bool:
        return entry[0] >= self.allowed and now - entry[1] < self.lock_seconds

    def _evict(self, now: float) -> None:
        """Down to 90 % of the bound: expired entries, then the oldest that lock nothing, then the oldest."""
        target = self.max_keys * 9 // 10
        failures = self._failures
        for key in [k for k, (_, since) in failures.items() if now - since >= self.lock_seconds]:
            del failures[key]
        if len(failures) > target:
            for key in [k for k, entry in failures.items() if not self._locks(entry, now)]:
                del failures[key]
                if len(failures) <= target:
                    break
        while len(failures) > target:
            failures.popitem(last=False)

    def __len__(self) -> int:
        return len(self._failures)

    def locked_keys(self) -> list[str]:
        """The keys locked now (for tests and diagnostics)."""
        now = self._now()
        return [k for k, entry in self._failures.items() if self._locks(entry, now)]
