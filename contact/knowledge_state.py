"""The live knowledge base and its matcher, swapped whole on reload.

A reload builds a new :class:`intents.engine.Engine` off the event loop and only
then replaces the reference; a base that fails validation never replaces the
good one, and the reason is kept for ``/readyz`` and the reload response.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

from intents.engine import Engine
from intents.tokenize import Tokenizer
from knowledge.errors import KnowledgeError
from knowledge.loader import load

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    entries: int
    seconds: float
    problems: tuple[str, ...] = ()


class KnowledgeState:
    def __init__(self, directory: Path, memo_size: int = 2048) -> None:
        self.directory = directory
        self.memo_size = memo_size
        self._engine: Engine | None = None
        self._lock = asyncio.Lock()
        self.last_problems: tuple[str, ...] = ()
        self.loaded_at: dt.datetime | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("knowledge base not loaded")
        return self._engine

    @property
    def ready(self) -> bool:
        return self._engine is not None

    def _build(self) -> Engine:
        kb = load(self.directory)
        # A fresh tokenizer per build: Sudachi tokenizers must not be shared between threads.
        return Engine(kb, tokenizer=Tokenizer.for_kb(kb), memo_size=self.memo_size)

    async def reload(self) -> ReloadResult:
        """Load and index the directory in a worker thread; keep the old engine on any problem."""
        async with self._lock:
            started = time.perf_counter()
            try:
                engine = await asyncio.get_running_loop().run_in_executor(None, self._build)
            except KnowledgeError as exc:
                self.last_problems = tuple(str(p) for p in exc.problems)
                log.error("kb.reload_failed", problems=len(exc.problems), first=self.last_problems[:5])
                return ReloadResult(False, len(self._engine.kb) if self._engine else 0,
                                    time.perf_counter() - started, self.last_problems)
            self._engine = engine
            self.last_problems = ()
            self.loaded_at = dt.datetime.now(dt.UTC)
            seconds = time.perf_counter() - started
            log.info("kb.loaded", entries=len(engine.kb), seconds=round(seconds, 3), directory=str(self.directory))
            return ReloadResult(True, len(engine.kb), seconds)
