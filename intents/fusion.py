"""Fusion of lexical and dense evidence: a few named scoring features and their weights.

Every candidate (found by BM25F, by the fuzzy reading match, or by an encoder) gets the same features:

- ``lexical``: the lexical ranker's score (BM25F over fields × coverage, best name/question match,
  character bigrams, ward agreement) relative to the best lexical score of the question;
- ``dense:<encoder>``: the entry's best cosine with the question, scaled to the question's pool
  (1 for the most similar entry, 0 at the ``pool``-th), times the ward factor;
- ``cosine:<encoder>`` (not weighted): the raw cosine, kept for decisions and explanations.

The fused score is the weighted sum. Weights live in ``intents/data/fusion.yaml``, one set for each
combination of encoders, chosen by ``scripts/tune-fusion`` on the tuning half of the labelled sets
only (never by looking at single queries).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

DEFAULT_PATH = Path(__file__).parent / "data" / "fusion.yaml"


@functools.cache
def _table(path: Path) -> dict[str, Any]:
    """The weights table, read once per process (it is part of the code's release, not of the base)."""
    with path.open(encoding="utf-8") as f:
        table = yaml.safe_load(f)
    if not isinstance(table, dict):
        raise ValueError(f"{path}: expected a mapping of encoder combinations to weights")
    return table


@dataclass(frozen=True)
class FusionWeights:
    lexical: float
    dense: Mapping[str, float]
    """Encoder name → weight of its ``dense:`` feature."""
    pool: int = 30
    """How many of each encoder's nearest entries join the candidates (and set the 0 of its scale)."""
    confidence: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """Encoder → (floor, full): the cosine at or below which its evidence alone gives no confidence, and
    the one at which it gives full confidence. An encoder whose cosines do not separate questions the base
    answers from chatter (e5's all lie in 0.8–0.9) is not listed: it ranks, but never vouches."""
    agreement: Mapping[str, tuple[float, float, float]] = field(default_factory=dict)
    """Encoder → (coverage, cosine, confidence): when the candidate covers at least that share of the
    question's words and the encoder's cosine is at least that, the two partial pieces of evidence agree,
    and together they give this confidence (each alone is below the answer threshold)."""
    vouching: Vouching | None = None
    """The learned judge of the best candidate's whole evidence (None: only the rules above vouch)."""

    @classmethod
    def load(cls, encoders: Sequence[str], path: Path = DEFAULT_PATH) -> FusionWeights:
        """The weights for this combination of encoders (``use+e5`` …), from the table."""
        table = _table(path)
        key = "+".join(sorted(encoders)) or "lexical"
        row = table.get(key)
        if not isinstance(row, dict):
            raise ValueError(f"{path}: no weights for the encoders {key!r}")
        dense = {name: float(row["dense"][name]) for name in encoders}
        confidence = {name: (float(v["floor"]), float(v["full"]))
                      for name, v in (row.get("confidence") or {}).items() if name in encoders}
        agreement = {name: (float(v["coverage"]), float(v["cosine"]), float(v["confidence"]))
                     for name, v in (row.get("agreement") or {}).items() if name in encoders}
        vouching = Vouching.from_row(row["vouching"]) if row.get("vouching") else None
        return cls(float(row["lexical"]), dense, int(row.get("pool", 30)), confidence, agreement, vouching)


EVIDENCE = ("coverage", "cosine:use", "no_use", "name", "bigrams", "lexical", "second", "rival", "use_lead",
            "cosine:e5", "no_e5", "short", "english")
"""What :class:`Vouching` weighs, about the best candidate of a question (``Engine.evidence``): its lexical
coverage of the question, ``use`` cosine (``no_use``: the lexical ranking decided alone), best name match,
character bigrams, relative lexical score; the second candidate's score over its (``second``); whether an
unrelated candidate covers as much (``rival``); its ``use`` cosine's lead over the other candidates'; its
e5 cosine (``no_e5``: the cheap ranking was decisive); 1 / (1 + the question's terms) (``short``); whether
the question is English. Where the rival matches none of the words the best candidate matches (``two_topics``:
"犬と住民票", each entry covering its half), and where the best candidate matches none of the things the
question names (``no_noun``: 年金 in 「年金 いつ振り込まれる」), the judge has no say
(:meth:`intents.engine.Engine.judge_may_speak`)."""


@dataclass(frozen=True)
class Vouching:
    """A logistic model of whether the best candidate is the right answer, from its whole evidence at once
    (:data:`EVIDENCE`), fitted on the tuning halves of the labelled sets by ``scripts/tune-fusion
    --vouching``. It vouches (gives its probability as the confidence) only at ``least`` or above, so it can
    answer a question the rules leave below the threshold, never take an answer away."""

    weights: Mapping[str, float]
    bias: float
    least: float

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Vouching:
        weights = {str(k): float(v) for k, v in row["weights"].items()}
        unknown = set(weights) - set(EVIDENCE)
        if unknown:
            raise ValueError(f"vouching weighs unknown evidence: {sorted(unknown)}")
        return cls(weights, float(row["bias"]), float(row["least"]))

    def probability(self, evidence: Mapping[str, float]) -> float:
        z = self.bias + sum(w * evidence.get(name, 0.0) for name, w in self.weights.items())
        return float(1.0 / (1.0 + np.exp(-z)))

    def confidence(self, evidence: Mapping[str, float]) -> float:
        p = self.probability(evidence)
        return p if p >= self.least else 0.0


LEXICAL_ONLY = FusionWeights(1.0, {})


@dataclass(frozen=True)
class Cascade:
    """When a ranking is decisive enough to skip the encoders still to come. The lexical ranking comes
    first: when it is decisive and its best entry covers the question, no encoder is asked. Else the
    ``first`` encoders rank with it, and the slower ones (about ten times the rest of a question) are
    asked only when that ranking is not decisive either."""

    first: tuple[str, ...] = ()
    margin: float = 0.0
    """Decisive: the best fused score leads the second by at least this share of itself."""
    lexical: float | None = None
    """The same share for the lexical ranking alone; None: the encoders always rank."""

    @classmethod
    def load(cls, encoders: Sequence[str], path: Path = DEFAULT_PATH) -> Cascade:
        row = _table(path).get("cascade") or {}
        lexical = row.get("lexical_margin")
        lexical = float(lexical) if lexical is not None and encoders else None
        first = tuple(e for e in row.get("first", ()) if e in encoders)
        if not first or set(first) == set(encoders):
            return cls(lexical=lexical)
        return cls(first, float(row.get("margin", 0.0)), lexical)

    def decisive(self, ranked: Sequence[Scored], margin: float | None = None) -> bool:
        """Whether the best of ``ranked`` leads the second by ``margin`` (default: :attr:`margin`) of itself."""
        margin = self.margin if margin is None else margin
        if len(ranked) < 2 or ranked[0].score <= 0:
            return True
        return (ranked[0].score - ranked[1].score) / ranked[0].score >= margin

    def lexical_decisive(self, ranked: Sequence[Scored], coverage: float, enough: float) -> bool:
        """Whether the lexical ranking alone decides: decisive by :attr:`lexical`, and its best entry's
        coverage of the question at least ``enough`` (the encoders' confidence is not needed to answer)."""
        return self.lexical is not None and bool(ranked) and coverage >= enough and self.decisive(ranked, self.lexical)


@dataclass(frozen=True)
class Scored:
    doc: int
    score: float
    features: dict[str, float]


def fuse(
    lexical: Mapping[int, float],
    similarities: Mapping[str, npt.NDArray[np.float32]],
    weights: FusionWeights,
    ward_factor: Mapping[int, float] | None = None,
) -> list[Scored]:
    """Candidates of both kinds with their features and fused score, best first.

    ``lexical``: doc → lexical score; ``similarities``: encoder → every doc's best cosine;
    ``ward_factor``: doc → the ward agreement factor (already inside the lexical score)."""
    top_lexical = max(lexical.values(), default=0.0)
    pool: dict[int, dict[str, float]] = {
        d: {"lexical": s / top_lexical if top_lexical > 0 else 0.0} for d, s in lexical.items()}
    scales: dict[str, tuple[float, float]] = {}
    for name, sims in similarities.items():
        if name not in weights.dense or not len(sims):
            continue
        k = min(weights.pool, len(sims) - 1)
        nearest = np.argpartition(-sims, k)[: k + 1]
        hi, lo = float(sims[nearest].max()), float(np.partition(sims, len(sims) - 1 - k)[len(sims) - 1 - k])
        scales[name] = (hi, lo)
        for d in nearest:
            pool.setdefault(int(d), {"lexical": 0.0})
    out = []
    for d, feats in pool.items():
        score = weights.lexical * feats["lexical"]
        factor = ward_factor.get(d, 1.0) if ward_factor else 1.0
        for name, (hi, lo) in scales.items():
            cos = float(similarities[name][d])
            scaled = max(0.0, (cos - lo) / (hi - lo)) if hi > lo else 0.0
            feats[f"cosine:{name}"] = cos
            feats[f"dense:{name}"] = scaled
            score += weights.dense[name] * scaled * factor
        out.append(Scored(d, score, feats))
    out.sort(key=lambda s: (-s.score, s.doc))
    return out


def dense_confidence(features: Mapping[str, float], weights: FusionWeights) -> float:
    """How sure the dense evidence alone is about a candidate: the best over the vouching encoders of
    0 at or below their floor cosine, 1 at their full one, linear between."""
    best = 0.0
    for name, (floor, full) in weights.confidence.items():
        cos = features.get(f"cosine:{name}")
        if cos is not None and full > floor:
            best = max(best, min(1.0, (cos - floor) / (full - floor)))
    return best


def agreement_confidence(features: Mapping[str, float], coverage: float, weights: FusionWeights) -> float:
    """The confidence of lexical coverage and an encoder's cosine that are each partial but agree
    (:attr:`FusionWeights.agreement`); 0 when no encoder's pair of floors is reached."""
    best = 0.0
    for name, (least_coverage, least_cosine, confidence) in weights.agreement.items():
        cos = features.get(f"cosine:{name}")
        if cos is not None and cos >= least_cosine and coverage >= least_coverage:
            best = max(best, confidence)
    return best
