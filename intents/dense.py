"""Dense retrieval: the knowledge base's short texts embedded once, cached on disk, searched by cosine.

Each entry is represented by its names and sample questions (the texts a citizen's question resembles);
an entry's similarity to a question is the best cosine over its texts. Embeddings are cached on disk
keyed by encoder, encoder version and a hash of the text, so a restart embeds nothing and a reload
embeds only the texts that changed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from intents.documents import Document
from intents.encoders import Encoder, Vectors
from intents.memo import Memo

TEXT_FIELDS = ("title", "questions")
"""The fields embedded: names and questions, each text on its own."""

BATCH = 64
KEY_BYTES = 16
"""A text's key in the cache: the first bytes of its SHA-256."""


def default_cache_dir() -> Path:
    """``$CONTACT_CACHE_DIR``, else ``$XDG_CACHE_HOME/contact-kawasaki``, else ``~/.cache/contact-kawasaki``."""
    if os.environ.get("CONTACT_CACHE_DIR"):
        return Path(os.environ["CONTACT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "contact-kawasaki"


class EmbeddingCache:
    """Passage vectors of one encoder on disk: ``<dir>/<encoder>-<version>.npz`` (keys and rows)."""

    _locks: ClassVar[dict[Path, threading.Lock]] = {}

    def __init__(self, directory: Path, encoder: Encoder) -> None:
        self.path = Path(directory) / f"{encoder.name}-{encoder.version}.npz"
        self.encoder = encoder
        self._lock = self._locks.setdefault(self.path, threading.Lock())

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.sha256(text.encode("utf-8")).digest()[:KEY_BYTES]

    def _read(self) -> dict[bytes, npt.NDArray[np.float32]]:
        try:
            with np.load(self.path) as data:
                keys, rows = data["keys"], data["vectors"]
        except (OSError, KeyError, ValueError):
            return {}  # no cache yet, or a damaged one: embed again
        if rows.ndim != 2 or rows.shape[1] != self.encoder.dim or len(keys) != len(rows):
            return {}
        # numpy's fixed-width bytes drop trailing NUL bytes (a key ends in one once in 256): pad them back.
        return {bytes(k).ljust(KEY_BYTES, b"\0"): rows[i] for i, k in enumerate(keys)}

    def vectors(self, texts: Sequence[str]) -> tuple[Vectors, int]:
        """The texts' vectors (rows in order) and how many had to be embedded now."""
        with self._lock:
            known = self._read()
            keys = [self.key(t) for t in texts]
            missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in known))
            for start in range(0, len(missing), BATCH):
                chunk = missing[start:start + BATCH]
                for t, row in zip(chunk, self.encoder.passages(chunk), strict=True):
                    known[self.key(t)] = row
            if missing:
                self._write(known)
            if not texts:
                return np.zeros((0, self.encoder.dim), dtype=np.float32), 0
            return np.stack([known[k] for k in keys]).astype(np.float32), len(missing)

    def _write(self, known: dict[bytes, npt.NDArray[np.float32]]) -> None:
        """Write atomically (a temporary file renamed over the old one): a crash never leaves half a cache."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            keys = np.array(list(known), dtype=f"S{KEY_BYTES}")
            rows = np.stack(list(known.values())).astype(np.float32)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".npz.tmp")
            with os.fdopen(fd, "wb") as f:
                np.savez(f, keys=keys, vectors=rows)
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only cache directory only costs embedding again at the next start


class DenseIndex:
    """The short texts of every document as unit vectors of one encoder."""

    def __init__(self, encoder: Encoder, docs: Sequence[Document], cache_dir: Path | None = None,
                 memo_size: int = 2048) -> None:
        self.encoder = encoder
        texts: list[str] = []
        owners: list[int] = []
        for i, d in enumerate(docs):
            for name in TEXT_FIELDS:
                for t in dict.fromkeys(d.fields.get(name, ())):
                    texts.append(t)
                    owners.append(i)
            for t in d.english:  # an English question meets its own language here
                texts.append(t)
                owners.append(i)
        started = time.perf_counter()
        self.matrix, self.embedded = EmbeddingCache(cache_dir or default_cache_dir(), encoder).vectors(texts)
        self.build_seconds = time.perf_counter() - started
        self.n_docs = len(docs)
        self.n_texts = len(texts)
        self._owners = np.asarray(owners, dtype=np.int64)
        # Rows are grouped by owner in document order: a document's best cosine is a segment maximum.
        changes = np.r_[True, self._owners[1:] != self._owners[:-1]] if owners else np.zeros(0, bool)
        self._starts = np.flatnonzero(changes)
        self._doc_of_segment = self._owners[self._starts]
        self.query_vector: Memo[npt.NDArray[np.float32]] = Memo(lambda text: encoder.queries([text])[0], memo_size)
        """The question's vector, memoised: a repeated question (with another known ward) costs no encoding."""

    def similarities(self, vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Each document's best cosine with the question (0 for a document without texts)."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        if self.n_texts:
            cos = self.matrix @ vector
            out[self._doc_of_segment] = np.maximum.reduceat(cos, self._starts)
        return out
