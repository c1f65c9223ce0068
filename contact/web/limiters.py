"""The limiters behind the citizen endpoints' limits: token buckets by client and counters of open
connections, built from the settings. Plain objects with no HTTP in them: :mod:`contact.web.ratelimit`
applies them to requests, and the app keeps one :class:`Limits` under ``contact.web.keys.LIMITS``.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from contact.config import Settings


class RateLimiter:
    """Token buckets by key: ``burst`` requests at once, then ``per_minute`` a minute.

    >>> clock = [0.0]
    >>> limiter = RateLimiter(per_minute=60, burst=2, now=lambda: clock[0])
    >>> [limiter.hit("a"), limiter.hit("a"), limiter.hit("a")]
    [0.0, 0.0, 1.0]
    >>> limiter.hit("b")  # another client has its own bucket
    0.0
    >>> clock[0] = 1.0
    >>> limiter.hit("a")
    0.0
    """

    def __init__(self, per_minute: float, burst: int, max_keys: int = 100_000,
                 now: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0 or burst < 1 or max_keys < 1:
            raise ValueError("per_minute must be > 0, burst and max_keys >= 1")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self.refill_seconds = self.burst / self.rate
        """An untouched bucket is full again after this long: then it can be forgotten."""
        self._now = now
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        """key → (tokens, when last seen); least recently seen first."""

    def hit(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when the request may pass, else the seconds until one may."""
        now = self._now()
        self._evict(now)
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + max(0.0, now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        return wait

    def _evict(self, now: float) -> None:
        buckets = self._buckets
        while buckets:
            _tokens, last = next(iter(buckets.values()))
            if now - last < self.refill_seconds and len(buckets) < self.max_keys:
                return  # the oldest is still in use, so are all the others
            buckets.popitem(last=False)

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass
class ConnectionLimiter:
    """Counts open long-lived connections, in all and per key; 0 means no limit."""

    total_limit: int
    per_key_limit: int
    total: int = 0
    by_key: dict[str, int] = field(default_factory=dict)

    def acquire(self, key: str) -> str | None:
        """Count one more connection of ``key``; None when allowed, else which limit refused it."""
        if self.per_key_limit and self.by_key.get(key, 0) >= self.per_key_limit:
            return "per_client"
        if self.total_limit and self.total >= self.total_limit:
            return "total"
        self.total += 1
        self.by_key[key] = self.by_key.get(key, 0) + 1
        return None

    def admit(self, key: str) -> None:
        """Count one more connection of ``key`` past the overall limit: it takes the place of one being
        closed (see :attr:`Limits.make_room`)."""
        self.total += 1
        self.by_key[key] = self.by_key.get(key, 0) + 1

    def release(self, key: str) -> None:
        count = self.by_key.get(key, 0)
        if count <= 1:
            self.by_key.pop(key, None)
        else:
            self.by_key[key] = count - 1
        self.total = max(0, self.total - 1)


@dataclass
class Limits:
    """The app's limiters, built from the settings (``requests`` is None when rate limiting is off)."""

    requests: RateLimiter | None
    chats: ConnectionLimiter
    trust_proxy: int
    make_room: Callable[[], bool] | None = None
    """When every chat place is taken: end an idle chat for the new one, True if one was (set by the chat)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        requests = RateLimiter(settings.rate_limit, settings.rate_limit_burst) if settings.rate_limit > 0 else None
        return cls(requests, ConnectionLimiter(settings.max_chats, settings.max_chats_per_ip), settings.trust_proxy)
