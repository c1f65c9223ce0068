"""The limiters behind the citizen endpoints' limits: token buckets by client and counters of open
connections, built from the settings. Plain objects with no HTTP in them: :mod:`contact.web.ratelimit`
applies them to requests, and the app keeps one :class:`Limits` under ``contact.web.keys.LIMITS``.

With ``--workers N`` the buckets are one table in shared memory (:class:`SharedBuckets`), made by the
parent before it forks the workers: a client's requests take from the same bucket whichever worker
answers, so a limit of N a minute holds at N, not N × workers.
"""

from __future__ import annotations

import hashlib
import mmap
import multiprocessing
import struct
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

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


class Limiter(Protocol):
    """What the request-rate middleware needs of a limiter."""

    def hit(self, key: str) -> float: ...


_SLOT = struct.Struct("<Qdd")  # key hash, tokens, when last seen (time.monotonic: one clock for the machine)
_PROBES = 16


class SharedBuckets:
    """Token buckets in an anonymous shared memory map, for the worker processes forked after it is made.

    ``slots`` fixed slots of (key hash, tokens, last seen) under one inter-process lock; a key lives in
    the first of :data:`_PROBES` slots from its hash that holds it, else takes a free or refilled one (a
    bucket full again is the same as none), else the least recently seen of them. Same policy and
    figures as :class:`RateLimiter`.

    >>> clock = [0.0]
    >>> shared = SharedBuckets(per_minute=60, burst=2, slots=64, now=lambda: clock[0])
    >>> [shared.hit("a"), shared.hit("a"), shared.hit("a")]
    [0.0, 0.0, 1.0]
    """

    def __init__(self, per_minute: float, burst: int, slots: int = 1 << 17,
                 now: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0 or burst < 1 or slots < _PROBES:
            raise ValueError("per_minute must be > 0, burst >= 1, slots >= 16")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.slots = slots
        self.refill_seconds = self.burst / self.rate
        self._now = now
        self._map = mmap.mmap(-1, slots * _SLOT.size)  # MAP_SHARED: the forked workers see the same pages
        self._lock: Any = multiprocessing.get_context("fork").Lock()

    @staticmethod
    def _hash(key: str) -> int:
        return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") or 1

    def hit(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when the request may pass, else the seconds until one may."""
        h = self._hash(key)
        size = _SLOT.size
        with self._lock:
            now = self._now()
            chosen, oldest, oldest_at = -1, -1, float("inf")
            tokens = self.burst
            for probe in range(_PROBES):
                slot = (h + probe) % self.slots
                stored, stored_tokens, last = _SLOT.unpack_from(self._map, slot * size)
                if stored == h:
                    chosen = slot
                    tokens = min(self.burst, stored_tokens + max(0.0, now - last) * self.rate)
                    break
                if stored == 0 or now - last >= self.refill_seconds:
                    if chosen < 0:
                        chosen = slot  # free: used unless the key turns up further on
                    continue
                if last < oldest_at:
                    oldest, oldest_at = slot, last
            else:
                chosen = chosen if chosen >= 0 else oldest
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            _SLOT.pack_into(self._map, chosen * size, h, tokens, now)
        return wait


SHARED_BUCKETS: SharedBuckets | None = None
"""Set by the parent of ``--workers N`` before it forks (:func:`share_between_workers`); None otherwise."""


def share_between_workers(per_minute: float, burst: int) -> None:
    """Make the shared buckets that the workers about to be forked will use (rate limit on only)."""
    global SHARED_BUCKETS
    SHARED_BUCKETS = SharedBuckets(per_minute, burst) if per_minute > 0 else None


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

    requests: Limiter | None
    chats: ConnectionLimiter
    trust_proxy: int
    make_room: Callable[[], bool] | None = None
    """When every chat place is taken: end an idle chat for the new one, True if one was (set by the chat)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        requests: Limiter | None = None
        if SHARED_BUCKETS is not None:
            requests = SHARED_BUCKETS  # a worker of --workers N: one table for the node
        elif settings.rate_limit > 0:
            requests = RateLimiter(settings.rate_limit, settings.rate_limit_burst)
        return cls(requests, ConnectionLimiter(settings.max_chats, settings.max_chats_per_ip), settings.trust_proxy)
