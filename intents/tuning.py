"""Choose the fusion weights on the tuning halves of the labelled sets, and report both halves.

The lexical candidates and every encoder's similarities are computed once per query; each weight
setting of the grid then only re-fuses them. The objective is the mean MRR over the sets' tuning
halves: one number over many queries, never a single query.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from intents.engine import Context, Engine
from intents.evaluate import CUTOFF, PARTS, LabelledQuery
from intents.fusion import EVIDENCE, LEXICAL_ONLY, Cascade, FusionWeights, Scored, Vouching, fuse


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
        factors = engine.factors(u, ward)
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


# -- the learned vouching (fusion.yaml's ``vouching``) ---------------------------------------------------

OUT_OF_SCOPE_WEIGHT = 6.0
"""How much more a question the base cannot answer counts in the fit than one it can: answering chatter
confidently costs more than leaving a question to a person (at 3 the English tuning half's rejection fell)."""
L2 = 1.0
LEASTS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
WRONG_SLACK = 0.01
"""The share of a tuning half's questions that may be answered wrongly beyond the rules' own."""
FIXED_NOW = dt.datetime.fromisoformat("2026-11-20T10:00:00+09:00")


@dataclass(frozen=True)
class Judged:
    """One labelled question as the rules decide it, with the best candidate's evidence."""

    set: str
    part: str
    in_scope: bool
    right: bool
    """In scope, and the best candidate is an expected entry."""
    kind: str
    confidence: float
    evidence: Mapping[str, float] | None
    """None where the learned judge has no say: out-of-scope cues (chatter, route, other topic, medical, device,
    noise), another city, opening days, two topics ("犬と住民票"), a best candidate on none of the things named."""


def judge(engine: Engine, label: str, queries: Iterable[LabelledQuery]) -> list[Judged]:
    """The questions as the rules alone (no learned vouching) decide them."""
    saved, engine.fusion = engine.fusion, replace(engine.fusion, vouching=None)
    try:
        out = []
        for q in queries:
            ranked = engine.prepare(q.query)
            u, _, candidates = ranked
            reply = engine.respond(q.query, Context(now=FIXED_NOW), ranked=ranked)
            gated = (bool(candidates) and reply.kind in ("answer", "fallback", "clarify")
                     and not engine.cues.out_of_scope(u.cue_text)
                     and not any(k in reply.explain for k in ("elsewhere", "route")))
            evidence = engine.evidence(candidates, u, reply.lang == "en") if gated else None
            if evidence is not None and not engine.judge_may_speak(evidence):
                evidence = None  # the judge has no say there (Engine._confidence)
            right = bool(q.expected) and bool(candidates) and candidates[0].entry_id in q.expected
            out.append(Judged(label, q.part, bool(q.expected), right, reply.kind, reply.confidence, evidence))
        return out
    finally:
        engine.fusion = saved


def fit_vouching(judged: Sequence[Judged], least: float) -> Vouching:
    """A logistic regression (Newton's method, L2) of ``right`` on the evidence of the tuning halves."""
    rows = [(j, j.evidence) for j in judged if j.evidence is not None and j.part == PARTS[0]]
    x = np.array([[e[n] for n in EVIDENCE] for _, e in rows], dtype=np.float64)
    y = np.array([j.right for j, _ in rows], dtype=np.float64)
    sample = np.array([1.0 if j.in_scope else OUT_OF_SCOPE_WEIGHT for j, _ in rows])
    mean, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd == 0] = 1.0
    z = np.c_[np.ones(len(x)), (x - mean) / sd]
    w = np.zeros(z.shape[1])
    penalty = np.diag(np.r_[0.0, np.full(len(EVIDENCE), L2)])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-z @ w))
        gradient = z.T @ (sample * (p - y)) + penalty @ w
        hessian = (z * (sample * p * (1 - p))[:, None]).T @ z + penalty
        w -= np.linalg.solve(hessian, gradient)
    weights = w[1:] / sd  # back to the evidence's own scale
    return Vouching({n: round(float(v), 4) for n, v in zip(EVIDENCE, weights, strict=True)},
                    round(float(w[0] - weights @ mean), 4), least)


@dataclass(frozen=True)
class Outcome:
    right: float
    """Share of the in-scope questions answered with an expected entry."""
    wrong: float
    """Share of the in-scope questions answered with another entry."""
    rejection: float
    """Share of the out-of-scope questions not answered."""


def outcomes(judged: Sequence[Judged], vouching: Vouching | None, threshold: float) -> dict[tuple[str, str], Outcome]:
    """Each set's halves when ``vouching`` may answer what the rules left below ``threshold``."""
    out = {}
    for key in dict.fromkeys((j.set, j.part) for j in judged):
        rows = [j for j in judged if (j.set, j.part) == key]
        right = wrong = answered_oos = 0
        for j in rows:
            kind = j.kind
            if (kind == "fallback" and j.evidence is not None and vouching is not None
                    and vouching.confidence(j.evidence) >= threshold):
                kind = "answer"
            if kind != "answer":
                continue
            if not j.in_scope:
                answered_oos += 1
            elif j.right:
                right += 1
            else:
                wrong += 1
        n_in = max(1, sum(j.in_scope for j in rows))
        n_out = sum(not j.in_scope for j in rows)
        out[key] = Outcome(right / n_in, wrong / n_in, 1 - answered_oos / n_out if n_out else 1.0)
    return out


def choose_least(judged: Sequence[Judged], threshold: float) -> tuple[Vouching | None, list[str]]:
    """The lowest vouching probability that keeps every tuning half's rejection and adds at most
    :data:`WRONG_SLACK` wrong answers to it; the report lines of every probability tried."""
    rules = outcomes(judged, None, threshold)
    lines = ["rules " + _cells(rules)]
    chosen = None
    for least in LEASTS:
        vouching = fit_vouching(judged, least)
        figures = outcomes(judged, vouching, threshold)
        keeps = all(figures[k].rejection >= rules[k].rejection and figures[k].wrong <= rules[k].wrong + WRONG_SLACK
                    for k in figures if k[1] == PARTS[0])
        lines.append(f"least {least:.2f}{' keeps' if keeps else '      '} " + _cells(figures))
        if keeps and chosen is None:
            chosen = vouching
    return chosen, lines


def _cells(figures: Mapping[tuple[str, str], Outcome]) -> str:
    return " | ".join(f"{s}/{p} right {o.right:.3f} wrong {o.wrong:.3f} reject {o.rejection:.3f}"
                      for (s, p), o in figures.items())


def main(argv: Sequence[str] | None = None) -> int:
    """Print the grid's best settings on the tuning halves, with both halves' figures (``scripts/tune-fusion``)."""
    import argparse
    import datetime as dt
    import tempfile
    import time

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
    parser.add_argument("--vouching", nargs="*", metavar="QUERIES",
                        help="fit fusion.yaml's vouching instead, on these labelled sets of the shipped base "
                             "(default: the shipped, citizen-side and English sets)")
    args = parser.parse_args(argv)
    names = parse_names(args.encoders)
    encoders = [load_encoder(n) for n in names]
    if args.vouching is not None:
        return _fit_vouching_main(Engine(load(SHIPPED_DIR), memo_size=0, encoders=encoders),
                                  [Path(p) for p in args.vouching or VOUCHING_SETS])
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


VOUCHING_SETS = ("tests/data/eval_queries.jsonl", "tests/data/citizen_queries.jsonl",
                 "tests/data/english_queries.jsonl")


def _fit_vouching_main(engine: Engine, paths: Sequence[Path]) -> int:
    import yaml

    from intents.evaluate import load_queries

    judged = [j for path in paths for j in judge(engine, path.stem, load_queries(path))]
    vouching, lines = choose_least(judged, engine.thresholds.answer)
    print("\n".join(lines))
    if vouching is None:
        print("no vouching probability keeps the tuning halves' rejection and wrong answers")
        return 1
    print(f"chosen: least {vouching.least}; fusion.yaml row:")
    print(yaml.safe_dump({"vouching": {"least": vouching.least, "bias": vouching.bias,
                                       "weights": dict(vouching.weights)}}, sort_keys=False, allow_unicode=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
