"""Evaluation on labelled queries: top-1 / top-3 / MRR, rejection of out-of-scope questions,
a per-category table, and the same metrics for the baselines in the same run.

Query files are JSONL. Our format: ``{"query", "expected": id | [ids] | null, "category"?,
"variant"?}`` where ``expected: null`` marks an out-of-scope question that must be rejected.
The localgovFAQ format (``{"query", "relevant_ids_grade2"}``) is read too: only queries with a
grade-2 (correct-information) judgment are used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from intents.engine import Context, Engine

CUTOFF = 5

PARTS = ("tune", "check")


def part_of(key: str) -> str:
    """The half a labelled query belongs to: weights and thresholds are chosen on ``tune`` only, and
    ``check`` is reported (and gated in CI) as the figure for questions the tuning never saw."""
    return PARTS[int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % 2]


def split(queries: Iterable[LabelledQuery], part: str) -> list[LabelledQuery]:
    if part not in (*PARTS, "all"):
        raise ValueError(f"part must be one of {', '.join(PARTS)} or all")
    return [q for q in queries if part == "all" or q.part == part]


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    expected: tuple[str, ...]
    """Acceptable entry ids; empty for an out-of-scope question."""
    category: str = "-"
    variant: str = "-"
    key: str = ""
    """What the tuning/checking split hashes: the query's id where the set has one, else its text."""

    @property
    def part(self) -> str:
        """``tune`` or ``check``: a fixed hash of the key splits every labelled set in two halves."""
        return part_of(self.key or self.query)

    @property
    def out_of_scope(self) -> bool:
        return not self.expected


def load_queries(path: Path | str) -> list[LabelledQuery]:
    out: list[LabelledQuery] = []
    with Path(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if "relevant_ids_grade2" in row:
                ids = tuple(str(x) for x in row["relevant_ids_grade2"])
                if ids:
                    out.append(LabelledQuery(row["query"], ids, "localgovfaq", key=str(row.get("query_id", ""))))
                continue
            expected = row.get("expected")
            if expected is None:
                ids = ()
            elif isinstance(expected, str):
                ids = (expected,)
            elif isinstance(expected, list) and expected:
                ids = tuple(str(x) for x in expected)
            else:
                raise ValueError(f"{path}:{n}: 'expected' must be an id, a list of ids or null")
            out.append(LabelledQuery(row["query"], ids, row.get("category", "-"), row.get("variant", "-")))
    return out


@dataclass
class Tally:
    n: int = 0
    top1: int = 0
    top3: int = 0
    top5: int = 0
    rr: float = 0.0
    answered_right: int = 0

    def add(self, rank: int | None, answered_right: bool) -> None:
        self.n += 1
        if rank is not None:
            self.top1 += rank == 1
            self.top3 += rank <= 3
            self.top5 += rank <= CUTOFF
            self.rr += 1.0 / rank
        self.answered_right += answered_right

    def ratio(self, value: float) -> float:
        return value / self.n if self.n else 0.0


@dataclass
class Result:
    system: str
    overall: Tally = field(default_factory=Tally)
    categories: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    oos_n: int = 0
    oos_rejected: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    """(query, expected, got) of in-scope queries whose top-1 was wrong."""

    @property
    def rejection(self) -> float:
        return self.oos_rejected / self.oos_n if self.oos_n else 0.0

    def latency(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, float]:
        o = self.overall
        return {
            "n": o.n, "top1": o.ratio(o.top1), "top3": o.ratio(o.top3), "hit5": o.ratio(o.top5),
            "mrr": o.ratio(o.rr), "answered": o.ratio(o.answered_right), "oos_n": self.oos_n,
            "oos_rejection": self.rejection, "p50_ms": self.latency(0.5), "p99_ms": self.latency(0.99),
        }


def _rank_of(ids: Sequence[str], expected: Sequence[str]) -> int | None:
    for i, entry_id in enumerate(ids[:CUTOFF], 1):
        if entry_id in expected:
            return i
    return None


def evaluate(
    system: str,
    queries: Iterable[LabelledQuery],
    run: Callable[[str], tuple[list[str], str | None]],
) -> Result:
    """``run(query)`` returns (ranked entry ids, answered entry id or None when it rejects)."""
    result = Result(system)
    for q in queries:
        started = time.perf_counter()
        ranked, answered = run(q.query)
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        if q.out_of_scope:
            result.oos_n += 1
            result.oos_rejected += answered is None
            continue
        rank = _rank_of(ranked, q.expected)
        right = answered is not None and answered in q.expected
        result.overall.add(rank, right)
        result.categories[q.category].add(rank, right)
        if rank != 1:
            result.misses.append((q.query, "|".join(q.expected), ranked[0] if ranked else "-"))
    return result


def engine_runner(engine: Engine, now: dt.datetime) -> Callable[[str], tuple[list[str], str | None]]:
    def run(query: str) -> tuple[list[str], str | None]:
        reply = engine.respond(query, Context(now=now))
        ranked = [c.entry_id for c in reply.candidates]
        if reply.kind == "answer" and reply.answer is not None:
            return ranked, reply.answer.entry_id
        if reply.kind == "clarify":
            return ranked, ""  # not rejected, but not a right answer either
        return ranked, None

    return run


def format_results(results: Sequence[Result], per_category: bool = True) -> str:
    lines = [
        f"{'system':<18} {'n':>5} {'top1':>6} {'top3':>6} {'hit5':>6} {'MRR':>6} {'answered':>8} "
        f"{'oos_n':>5} {'reject':>6} {'p50ms':>7} {'p99ms':>7}"
    ]
    for r in results:
        s = r.summary()
        lines.append(
            f"{r.system:<18} {s['n']:>5.0f} {s['top1']:>6.3f} {s['top3']:>6.3f} {s['hit5']:>6.3f} "
            f"{s['mrr']:>6.3f} {s['answered']:>8.3f} {s['oos_n']:>5.0f} {s['oos_rejection']:>6.3f} "
            f"{s['p50_ms']:>7.3f} {s['p99_ms']:>7.3f}"
        )
    if per_category and results:
        main = results[0]
        lines.append("")
        lines.append(f"per category ({main.system}):")
        lines.append(f"  {'category':<16} {'n':>4} {'top1':>6} {'top3':>6} {'MRR':>6}")
        for cat, t in sorted(main.categories.items()):
            lines.append(f"  {cat:<16} {t.n:>4} {t.ratio(t.top1):>6.3f} {t.ratio(t.top3):>6.3f} {t.ratio(t.rr):>6.3f}")
    return "\n".join(lines)



def systems(encoders: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
    """The matchers compared side by side: lexical, lexical with each encoder, and all fused."""
    out: list[tuple[str, tuple[str, ...]]] = [("lexical", ())]
    out += [(f"lexical+{e}", (e,)) for e in encoders]
    if len(encoders) > 1:
        out.append(("fused", tuple(encoders)))
    return out


def compare(
    build: Callable[[tuple[str, ...]], Engine],
    queries: Sequence[LabelledQuery],
    encoders: Sequence[str],
    now: dt.datetime,
    parts: Sequence[str] = PARTS,
) -> list[Result]:
    """Each system of :func:`systems` on each part of the queries (``build(encoder names)`` makes the
    engine, memo off), with its latencies."""
    results = []
    for label, names in systems(encoders):
        engine = build(names)
        for part in parts:
            name = label if part == "all" else f"{label}/{part}"
            results.append(evaluate(name, split(queries, part), engine_runner(engine, now)))
    return results
