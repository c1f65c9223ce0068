"""The live knowledge base and its matcher, swapped whole on reload.

A reload builds a new :class:`intents.engine.Engine` off the event loop and only
then replaces the reference; a base that fails validation never replaces the
good one, and the reason is kept for ``/readyz`` and the reload response.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import datetime as dt
import gc
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import structlog
from threadpoolctl import threadpool_limits

from intents.encoders import Encoder, load_encoders
from intents.engine import Context, Engine, Pending, Ranked, Reply
from intents.synonyms import DEFAULT_PATH as SYNONYMS_PATH
from intents.synonyms import SynonymError, Synonyms
from intents.tokenize import Tokenizer
from knowledge.editing import Edit, SynonymEdit, effective_synonyms, load_effective, read_synonym_table
from knowledge.errors import KnowledgeError, Problem

Overlay = Callable[[], tuple[Mapping[str, Edit], Sequence[SynonymEdit]]]
"""Reads the edits kept in the store (the latest of each entry, the synonym edits): called on every build."""

log = structlog.get_logger(__name__)


def _libc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc (musl, macOS): the allocator keeps its own policy
        return None


_MALLOC_TRIM = _libc_trim()


def release_freed_heap() -> None:
    """Give the allocator's free pages back to the system after a build: collect the old engine's cycles,
    then ``malloc_trim(0)``. Building an engine (and embedding a base) frees many small objects in the
    build thread's arena; glibc keeps those pages, so without this a worker holds about 14 MB (the
    shipped base) it no longer uses. A call into C through ctypes, which releases the GIL."""
    gc.collect()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    entries: int
    seconds: float
    problems: tuple[str, ...] = ()
    version: str | None = None
    """The version served after the reload (the old one when the new base was refused)."""


def directory_version(directory: Path) -> str:
    """The knowledge base's version: the first 12 hex digits of a SHA-256 over every file's relative path
    and bytes. The same files give the same version on every node; any edit changes it."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(directory)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def effective_synonym_table(edits: Sequence[SynonymEdit]) -> Synonyms:
    """The shipped synonym table with the editor's edits; :class:`KnowledgeError` when it is malformed."""
    if not edits:
        return Synonyms.load()
    try:
        return Synonyms.from_mapping(effective_synonyms(read_synonym_table(SYNONYMS_PATH), edits))
    except SynonymError as exc:
        raise KnowledgeError([Problem("synonyms.yaml", None, None, str(exc))]) from exc


class KnowledgeState:
    def __init__(self, directory: Path, memo_size: int = 2048, encoders: Sequence[str] = (),
                 cache_dir: Path | None = None, dense_queue: int = 0, overlay: Overlay | None = None) -> None:
        self.directory = directory
        self.overlay = overlay
        """The editor's edits (:mod:`knowledge.editing`) laid over ``directory`` at each build."""
        self.dense_queue = dense_queue
        """Questions at most waiting for or in the slower encoders; past it a question the cascade left
        undecided is answered with the first stage's ranking (:meth:`Engine.settle`). 0: no limit."""
        self._slow_waiting = 0
        self.memo_size = memo_size
        self.encoder_names = tuple(encoders)
        self.cache_dir = cache_dir
        self.encoder_problems: dict[str, str] = {}
        """Encoder → why it could not load: the matcher answers without it (``/readyz``, ``/metrics``)."""
        self.encoder_failures = 0
        """Times an encoder failed to load (the ``contact_encoder_unavailable`` counter)."""
        # One thread a call: BLAS (the encoders' and the similarities' matrix products) on one thread, or
        # two workers on two cores spin against each other's BLAS threads.
        threadpool_limits(limits=1, user_api="blas")
        self.matcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matcher")
        """The one thread that understands and ranks new questions with the lexical features and the
        cascade's first encoders, off the event loop."""
        self.slow_encoders = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encoder")
        """The one thread that finishes the questions the cascade's first stage left undecided: the slower
        encoder releases the GIL, so the matcher thread ranks the next questions on the other core."""
        self._engine: Engine | None = None
        self._lock = asyncio.Lock()
        self.last_problems: tuple[str, ...] = ()
        self.loaded_at: dt.datetime | None = None
        self.version: str | None = None
        """:func:`directory_version` of the base being served (``/readyz``)."""
        self.reload_started: float = 0.0
        """Wall-clock time the last reload started reading the directory (a reload asked for before it
        is already served)."""

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("knowledge base not loaded")
        return self._engine

    @property
    def ready(self) -> bool:
        return self._engine is not None

    def _encoders(self) -> list[Encoder]:
        loaded, problems = load_encoders(self.encoder_names, self.cache_dir)
        for name, reason in problems.items():
            log.error("encoder.unavailable", encoder=name, reason=reason)
        self.encoder_failures += len(problems)
        self.encoder_problems = problems
        return loaded

    @property
    def encoders_active(self) -> tuple[str, ...]:
        return tuple(self._engine.dense) if self._engine is not None else ()

    def _build(self) -> tuple[Engine, str]:
        version = directory_version(self.directory)
        edits, synonym_edits = self.overlay() if self.overlay is not None else ({}, ())
        kb = load_effective(self.directory, edits)
        synonyms = effective_synonym_table(synonym_edits)
        if edits or synonym_edits:  # the same edits give the same version on every node
            digest = hashlib.sha256(version.encode())
            digest.update(repr(sorted((e.entry_id, e.version) for e in edits.values())).encode())
            digest.update(str(len(synonym_edits)).encode())
            version = digest.hexdigest()[:12]
        # A fresh tokenizer per build: Sudachi tokenizers must not be shared between threads.
        engine = Engine(kb, tokenizer=Tokenizer.for_kb(kb, synonyms), synonyms=synonyms, memo_size=self.memo_size,
                        encoders=self._encoders(), cache_dir=self.cache_dir)
        for name, index in engine.dense.items():
            log.info("dense.index", encoder=name, texts=index.n_texts, embedded=index.embedded,
                     seconds=round(index.build_seconds, 2))
        return engine, version

    async def prepare(self, engine: Engine, text: str, ward: str | None) -> Ranked | None:
        """A question understood and ranked (encoders included): from the memo on the event loop, else on
        the matcher thread and, when the cascade needs the slower encoders, on their thread."""
        if not text:
            return None
        staged: Ranked | Pending | None = engine.memoised(text, ward)
        if staged is None:
            loop = asyncio.get_running_loop()
            staged = await loop.run_in_executor(self.matcher, engine.first_stage, text, ward)
            if isinstance(staged, Pending):
                staged = await self._finish(engine, staged)
        return staged

    async def _finish(self, engine: Engine, pending: Pending) -> Ranked:
        """The slower encoders' ranking of an undecided question, or, when as many questions as
        ``dense_queue`` already wait for them, the first stage's: a burst of hard questions then costs
        some of them the second opinion instead of costing every question behind them its answer time."""
        if self.dense_queue and self._slow_waiting >= self.dense_queue:
            return engine.settle(pending)
        self._slow_waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.slow_encoders, engine.finish, pending)
        finally:
            self._slow_waiting -= 1

    async def respond(self, text: str, ctx: Context) -> Reply:
        engine = self.engine
        return engine.respond(text, ctx, await self.prepare(engine, text, ctx.ward))

    async def reload(self) -> ReloadResult:
        """Load and index the directory in a worker thread; keep the old engine on any problem."""
        async with self._lock:
            started = time.perf_counter()
            self.reload_started = time.time()
            try:
                engine, version = await asyncio.get_running_loop().run_in_executor(None, self._build)
            except KnowledgeError as exc:
                self.last_problems = tuple(str(p) for p in exc.problems)
                log.error("kb.reload_failed", problems=len(exc.problems), first=self.last_problems[:5])
                return ReloadResult(False, len(self._engine.kb) if self._engine else 0,
                                    time.perf_counter() - started, self.last_problems, self.version)
            self._engine = engine
            await asyncio.get_running_loop().run_in_executor(None, release_freed_heap)
            self.version = version
            self.last_problems = ()
            self.loaded_at = dt.datetime.now(dt.UTC)
            seconds = time.perf_counter() - started
            log.info("kb.loaded", entries=len(engine.kb), seconds=round(seconds, 3), directory=str(self.directory),
                     version=version)
            return ReloadResult(True, len(engine.kb), seconds, version=version)
