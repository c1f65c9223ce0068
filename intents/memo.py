"""A small thread-safe LRU memo that can say what it holds (``functools.lru_cache`` cannot)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Memo(Generic[T]):
    """The most recent results of ``fn`` by its arguments (or of :meth:`put`, with no ``fn``); size 0
    keeps nothing (and counts nothing)."""

    def __init__(self, fn: Callable[..., T] | None, size: int) -> None:
        self._fn = fn
        self._size = size
        self._items: OrderedDict[tuple[Hashable, ...], T] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, *key: Hashable) -> T | None:
        """The kept result for ``key`` (counted as a hit), or None."""
        if not self._size:
            return None
        with self._lock:
            if key in self._items:
                self.hits += 1
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, value: T, *key: Hashable) -> None:
        """Keep ``value`` as the result for ``key``, computed elsewhere (e.g. in stages on two threads):
        counted as a miss."""
        if not self._size:
            return
        with self._lock:
            self.misses += 1
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def __call__(self, *key: Hashable) -> T:
        if self._fn is None:
            raise TypeError("this memo is filled with put(), not computed")
        kept = self.get(*key)
        if kept is not None:
            return kept
        value = self._fn(*key)
        self.put(value, *key)
        return value
