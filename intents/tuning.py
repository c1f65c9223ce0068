"""Choose the fusion weights on the tuning halves of the labelled sets, and report both halves.

The lexical candidates and every encoder's similarities are computed once per query; each weight
setting of the grid then only re-fuses them. The objective is the mean MRR over the sets' tuning
halves: one number over many queries, never a single query.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from intents.engine import Engine
from intents.evaluate import CUTOFF, LabelledQuery
from intents.fusion import LEXICAL_ONLY, Cascade, FusionWeights, Scored, fuse


@dataclass(frozen=True)
class Prepared:
    query: LabelledQuery
    lexical: dict[int, float]
    similarities: dict[str, npt.NDArray[np.float32]]
    factors: dict[int, float]
    coverage: float = 0.0
    """The best lexical candidate's coverage of the question (the cascade's lexical step needs it)."""


def prepare(engine: Engine, queries: Iterable[LabelledQuery]) -> list[Prepared]:
    out = []
    for q in queries:
        if q.out_of_scope:
            continue
        u = engine.understand(q.query)
        ward = u.entities.ward
        candidates = engine.rank(u, ward, limit=20)
        lexical = {engine._by_id[c.entry_id]: c.score for c in candidates}
        sims = {n: ix.similarities(ix.query_vector(u.normalized)) for n, ix in engine.dense.items()}
        factors = engine.ward_factors(ward)
        out.append(Prepared(q, lexical, sims, factors, candidates[0].coverage if candidates else 0.0))
    return out


def ranking_metrics(engine: Engine, prepared: Sequence[Prepared], weights: FusionWeights) -> tuple[float, float]:
    """(top-1, MRR at 5) of the fused ranking."""
    top1 = rr = 0.0
    for p in prepared:
        rank = _rank_of_expected(engine, fuse(p.lexical, p.similarities, weights, p.factors), p.query)
        if rank:
            top1 += rank == 1
            rr += 1.0 / rank
    n = max(1, len(prepared))
    return top1 / n, rr / n


def _rank_of_expected(engine: Engine, fused: Sequence[Scored], query: LabelledQuery) -> int | None:
    """The rank (from 1, within :data:`CUTOFF`) of the first expected entry in a fused ranking."""
    for rank, s in enumerate(fused[:CUTOFF], 1):
        if engine.docs[s.doc].entry_id in query.expected:
            return rank
    return None


def cascade_metrics(engine: Engine, prepared: Sequence[Prepared], cascade: Cascade, first: FusionWeights,
                    full: FusionWeights) -> tuple[float, float, float, float]:
    """(top-1, MRR at 5, share of questions that reach the second stage, share decided lexically, no
    encoder asked) of the cascade, as :meth:`Engine._stage_one` runs it."""
    top1 = rr = slow = alone = 0.0
    for p in prepared:
        fused = fuse(p.lexical, {}, LEXICAL_ONLY, p.factors)
        if cascade.lexical_decisive(fused, p.coverage, engine.thresholds.answer):
            alone += 1
        else:
            first_sims = {n: v for n, v in p.similarities.items() if n in cascade.first}
            fused = fuse(p.lexical, first_sims, first if cascade.first else full, p.factors)
            if cascade.first and not cascade.decisive(fused):
                slow += 1
                fused = fuse(p.lexical, p.similarities, full, p.factors)
        rank = _rank_of_expected(engine, fused, p.query)
        if rank:
            top1 += rank == 1
            rr += 1.0 / rank
    n = max(1, len(prepared))
    return top1 / n, rr / n, slow / n, alone / n


MARGINS = (0.0, 0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 1.0)
"""Cascade margins tried: 0 never asks the second stage, 1 always does."""
LEXICAL_MARGINS = (None, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2)
"""Margins of the lexical step tried: None always asks the encoders."""

def grid(encoders: Sequence[str]) -> list[FusionWeights]:
    """Weight settings to try: the lexical share, its split among the encoders, and the pool size."""
    out = []
    shares = [round(x, 2) for x in np.arange(0.3, 0.95, 0.1)]
    splits: list[tuple[float, ...]] = [(1.0,)] if len(encoders) == 1 else [(a, 1 - a) for a in (0.3, 0.5, 0.7)]
    for lexical, split_, pool in itertools.product(shares, splits, (10, 30)):
        rest = 1.0 - lexical
        out.append(FusionWeights(lexical, {e: round(rest * w, 3) for e, w in zip(encoders, split_, strict=True)},
                                 pool))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print the grid's best settings on the tuning halves, with both halves' figures (``scripts/tune-fusion``)."""
    import argparse
    import datetime as dt
    import tempfile
    import time
    from pathlib import Path

    from intents.encoders import load_encoder, parse_names
    from intents.evaluate import load_queries, split
    from knowledge.loader import SHIPPED_DIR, load
    from knowledge.transfer import read_faq_rows, write_faqs

    parser = argparse.ArgumentParser(prog="tune-fusion", description=main.__doc__)
    parser.add_argument("--encoders", default="use,e5")
    parser.add_argument("--queries", default="tests/data/eval_queries.jsonl",
                        help="labelled queries of the shipped base")
    parser.add_argument("--amagasaki", help="the localgovfaq-amagasaki folder (faq.jsonl, queries-dev.jsonl)")
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args(argv)
    names = parse_names(args.encoders)
    encoders = [load_encoder(n) for n in names]
    sets: dict[str, tuple[Engine, dict[str, list[Prepared]]]] = {}
    pairs = [("shipped", SHIPPED_DIR, Path(args.queries))]
    tmp = tempfile.TemporaryDirectory()
    if args.amagasaki:
        folder = Path(args.amagasaki)
        imported = read_faq_rows(folder / "faq.jsonl", source_url="https://www.city.amagasaki.hyogo.jp/",
                                 reviewed=dt.date(2019, 1, 1))
        write_faqs(imported.faqs, Path(tmp.name))
        pairs.append(("amagasaki", Path(tmp.name), folder / "queries-dev.jsonl"))
    for label, directory, path in pairs:
        started = time.perf_counter()
        engine = Engine(load(directory), memo_size=0, encoders=encoders)
        queries = load_queries(path)
        sets[label] = (engine, {p: prepare(engine, split(queries, p)) for p in ("tune", "check")})
        print(f"{label}: {len(queries)} queries, built and prepared in {time.perf_counter() - started:.1f} s")
    rows = []
    for weights in [FusionWeights(1.0, {}), *grid(names)]:
        figures = {(label, part): ranking_metrics(engine, prepared[part], weights)
                   for label, (engine, prepared) in sets.items() for part in ("tune", "check")}
        objective = sum(figures[(label, "tune")][1] for label in sets) / len(sets)
        rows.append((objective, weights, figures))
    rows.sort(key=lambda r: -r[0])
    print("objective = mean MRR of the tuning halves; check figures are reported, never optimised")
    for objective, weights, figures in [*rows[: args.top], *(r for r in rows if not r[1].dense)]:
        cells = " ".join(f"{label}/{part} top1 {f[0]:.3f} mrr {f[1]:.3f}" for (label, part), f in figures.items())
        print(f"{objective:.3f} lexical {weights.lexical:.2f} dense {weights.dense} pool {weights.pool} "
              f"| {cells}")
    cascade = Cascade.load(names)
    if cascade.first:
        # The cascade with the weights of fusion.yaml: how much each margin buys and what it costs.
        first, full = FusionWeights.load(list(cascade.first)), FusionWeights.load(names)
        print(f"cascade: first {list(cascade.first)}, then {names}; margin in fusion.yaml {cascade.margin}, "
              f"lexical margin {cascade.lexical}")
        trials = [(f"margin {m:.2f}", Cascade(cascade.first, m, cascade.lexical)) for m in MARGINS]
        trials += [(f"lexical {m}", Cascade(cascade.first, cascade.margin, m)) for m in LEXICAL_MARGINS]
        for tag, trial in trials:
            figures2 = {(label, part): cascade_metrics(engine, prepared[part], trial, first, full)
                        for label, (engine, prepared) in sets.items() for part in ("tune", "check")}
            objective = sum(figures2[(label, "tune")][1] for label in sets) / len(sets)
            cells = " ".join(f"{label}/{part} top1 {f[0]:.3f} mrr {f[1]:.3f} lexical {f[3]:.0%} second {f[2]:.0%}"
                             for (label, part), f in figures2.items())
            print(f"{tag} objective {objective:.3f} | {cells}")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
