"""The limiters behind the citizen endpoints' limits: token buckets by client and counters of open
connections, built from the settings. Plain objects with no HTTP in them: :mod:`contact.web.ratelimit`
applies them to requests, and the app keeps one :class:`Limits` under ``contact.web.keys.LIMITS``.

Where the buckets are, so that a limit of N a minute holds at N whichever process answers:

* one process on SQLite (the default): in its memory (:class:`RateLimiter`);
* ``--workers N`` on SQLite: one table in shared memory (:class:`SharedBuckets`), made by the parent before
  it forks the workers, so a limit holds at N for the node, not N × workers;
* PostgreSQL (one or several nodes): one row per client in the database (:class:`StoreBuckets`, one atomic
  upsert per request, :func:`contact.store.counters.take_token`), so a limit holds at N for the whole
  service, not N × nodes. Should the database not answer, the node's own buckets take over until it does.
"""

from __future__ import annotations

import hashlib
import mmap
import multiprocessing
import struct
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from contact.config import Settings
from contact.store import chat_sockets, events, pg
from contact.store.inquiry_log import DATABASE_ERRORS, LogUnavailable, describe_error

log = structlog.get_logger(__name__)


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


TakeToken = Callable[[str, float, float], Awaitable[float]]
"""``(key, per_second, burst) → seconds to wait``: :meth:`contact.store.inquiry_log.InquiryLog.take_token`."""


class StoreBuckets:
    """Token buckets in the database every node shares (PostgreSQL): same policy and figures as
    :class:`RateLimiter`, one atomic upsert per request (on the read pool, off the event loop).

    The key is stored as a digest, never as the address. ``store`` gives the store's ``take_token`` once
    the inquiry log is open (None before); when it is missing or the database fails, ``fallback`` (this
    node's own buckets) answers, so that a database outage does not also lift or block every client.
    """

    def __init__(self, per_minute: float, burst: int, store: Callable[[], TakeToken | None],
                 fallback: Limiter) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be > 0, burst >= 1")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._store = store
        self.fallback = fallback
        self.failures = 0

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.blake2b(key.encode(), digest_size=16, person=b"contact-rate").hexdigest()

    async def hit(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when the request may pass, else the seconds until one may."""
        take = self._store()
        if take is not None:
            try:
                return await take(self.digest(key), self.rate, self.burst)
            except (*DATABASE_ERRORS, LogUnavailable) as exc:  # unreachable: this node limits on its own meanwhile
                self.failures += 1
                if self.failures == 1 or self.failures % 1000 == 0:
                    log.warning("rate_limit.store_failed", failures=self.failures, error=describe_error(exc))
        return self.fallback.hit(key)


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


class ChatStore(Protocol):
    """What :class:`SharedChats` needs of the store (:class:`contact.store.inquiry_log.InquiryLog`)."""

    async def admit_chat_socket(self, socket_id: str, process: str, client: str, total_limit: int,
                                per_client_limit: int, force: bool = False) -> str | None: ...

    async def release_chat_socket(self, socket_id: str) -> None: ...

    async def bind_chat_socket(self, socket_id: str, session_id: str | None) -> None: ...

    async def open_chat_sockets(self) -> int: ...


class SharedChats:
    """The open-chat limits counted over every process of the service, in the store's ``chat_sockets`` table
    (:mod:`contact.store.chat_sockets`): for ``--workers N`` and for PostgreSQL nodes.

    Each admitted socket is a row with its own id (the *place*); the row also says which session the socket
    speaks for, which is how an operator on any process knows whether the citizen is connected. Should the
    store fail, ``fallback`` (this process's own counts) admits and releases instead (place None).
    """

    def __init__(self, total_limit: int, per_key_limit: int, store: Callable[[], ChatStore | None],
                 process: Callable[[], str], fallback: ConnectionLimiter) -> None:
        self.total_limit = total_limit
        self.per_key_limit = per_key_limit
        self._store = store
        self._process = process
        self.fallback = fallback
        self._unreleased: set[str] = set()

    async def acquire(self, key: str, force: bool = False) -> tuple[str | None, str | None]:
        """(refused, place): refused is None or which limit (``per_client``, ``total``); place the socket's id."""
        store = self._store()
        if store is not None:
            place = uuid.uuid4().hex
            try:
                refused = await store.admit_chat_socket(place, self._process(), chat_sockets.client_digest(key),
                                                        self.total_limit, self.per_key_limit, force)
            except (*DATABASE_ERRORS, LogUnavailable) as exc:
                log.warning("chat.places_store_failed", error=describe_error(exc))
            else:
                return refused, None if refused else place
        if force:
            self.fallback.admit(key)
            return None, None
        return self.fallback.acquire(key), None

    async def release(self, key: str, place: str | None) -> None:
        if place is None:
            self.fallback.release(key)
            return
        self._unreleased.add(place)
        await self.flush()

    async def flush(self) -> None:
        """Delete the rows of the chats that ended (again, for those the store could not delete at once: the
        process's heartbeat would otherwise keep their places taken). Called on release and by the heartbeat."""
        store = self._store()
        if store is None:
            return
        for place in list(self._unreleased):
            try:
                await store.release_chat_socket(place)
            except (*DATABASE_ERRORS, LogUnavailable) as exc:
                log.warning("chat.places_store_failed", error=describe_error(exc))
                return
            self._unreleased.discard(place)

    async def bind(self, place: str | None, session_id: str | None) -> None:
        store = self._store()
        if place is None or store is None:
            return
        try:
            await store.bind_chat_socket(place, session_id)
        except (*DATABASE_ERRORS, LogUnavailable) as exc:
            log.warning("chat.places_store_failed", error=describe_error(exc))

    async def total(self) -> int:
        store = self._store()
        if store is None:
            return self.fallback.total
        try:
            return await store.open_chat_sockets() + self.fallback.total
        except (*DATABASE_ERRORS, LogUnavailable):
            return self.fallback.total


@dataclass
class Limits:
    """The app's limiters, built from the settings (``requests`` is None when rate limiting is off)."""

    requests: Limiter | StoreBuckets | None
    chats: ConnectionLimiter
    trust_proxy: int
    make_room: Callable[[], bool] | None = None
    """When every chat place is taken: end an idle chat for the new one, True if one was (set by the chat)."""
    shared_chats: SharedChats | None = None
    """The open-chat limits of every process (``--workers N``, PostgreSQL); None: :attr:`chats` alone counts."""

    async def open_chat(self, key: str, force: bool = False) -> tuple[str | None, str | None]:
        """Count one more open chat of ``key``: (None or the limit that refused it, the socket's place)."""
        if self.shared_chats is not None:
            return await self.shared_chats.acquire(key, force)
        if force:
            self.chats.admit(key)
            return None, None
        return self.chats.acquire(key), None

    async def close_chat(self, key: str, place: str | None) -> None:
        if self.shared_chats is not None:
            await self.shared_chats.release(key, place)
        else:
            self.chats.release(key)

    async def open_chats(self) -> int:
        """Open chats counted against ``max_chats`` (every process's, when shared)."""
        return await self.shared_chats.total() if self.shared_chats is not None else self.chats.total

    async def wait(self, key: str) -> float:
        """One request of ``key``: 0.0 when it may pass, else the seconds until it may (0.0 when no limit)."""
        requests = self.requests
        if requests is None:
            return 0.0
        if isinstance(requests, StoreBuckets):
            return await requests.hit(key)
        return requests.hit(key)

    @classmethod
    def from_settings(cls, settings: Settings, store: Callable[[], TakeToken | None] = lambda: None,
                      chat_store: Callable[[], ChatStore | None] = lambda: None) -> Limits:
        """The limiters for ``settings``; ``store`` gives the database's ``take_token`` (PostgreSQL), and
        ``chat_store`` the store that counts every process's chats (``--workers N`` or PostgreSQL)."""
        requests: Limiter | StoreBuckets | None = None
        local: Limiter | None = SHARED_BUCKETS  # a worker of --workers N: one table for the node
        if local is None and settings.rate_limit > 0:
            local = RateLimiter(settings.rate_limit, settings.rate_limit_burst)
        requests = local
        if local is not None and pg.is_postgres(settings.db):  # several nodes: one bucket in the database
            requests = StoreBuckets(settings.rate_limit, settings.rate_limit_burst, store, fallback=local)
        chats = ConnectionLimiter(settings.max_chats, settings.max_chats_per_ip)
        shared = None
        if several_processes(settings):
            shared = SharedChats(settings.max_chats, settings.max_chats_per_ip, chat_store,
                                 lambda: events.PROCESS_ID, fallback=chats)  # PROCESS_ID: set anew in each worker
        return cls(requests, chats, settings.trust_proxy, shared_chats=shared)


def several_processes(settings: Settings) -> bool:
    """Whether other processes serve the same service: ``--workers N`` or a PostgreSQL database (other nodes)."""
    return settings.workers > 1 or pg.is_postgres(settings.db)
