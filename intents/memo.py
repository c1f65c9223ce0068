"""A small thread-safe LRU memo that can say what it holds (``functools.lru_cache`` cannot)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Memo(Generic[T]):
    """The most recent results of ``fn`` by its arguments; size 0 keeps nothing (and counts nothing)."""

    def __init__(self, fn: Callable[..., T], size: int) -> None:
        self._fn = fn
        self._size = size
        self._items: OrderedDict[tuple[Hashable, ...], T] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __contains__(self, key: tuple[Hashable, ...]) -> bool:
        with self._lock:
            return key in self._items

    def __call__(self, *key: Hashable) -> T:
        if not self._size:
            return self._fn(*key)
        with self._lock:
            if key in self._items:
                self.hits += 1
                self._items.move_to_end(key)
                return self._items[key]
            self.misses += 1
        value = self._fn(*key)
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value
