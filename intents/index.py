"""An inverted index with BM25F-style field weighting over token terms.

Documents are made of named fields (title, questions, body …); each field has a
weight, and a term's frequency in a document is the weighted sum of its
frequencies in the fields (BM25F with one length normalisation per document).
The index is built once and then read-only, so concurrent readers are safe.

Postings are numpy arrays (document ids and precomputed BM25 weights per term): a
search sums the query terms' weights per document in one ``bincount`` and takes the
top documents with a partial sort, so its cost grows with the query's posting lists
in C rather than in Python (about 1 ms for a question on 30,000 entries, where a
dictionary walk took about 50 ms; see ``scripts/bench``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DocId = int
Score = float

DEFAULT_FIELD_WEIGHTS: Mapping[str, float] = {"title": 3.0, "questions": 2.0, "body": 1.0}

_GROUP_BITS = 52
"""Query terms per float64 bit mask (its mantissa holds 53 bits exactly)."""


@dataclass(frozen=True, slots=True)
class Hit:
    doc: DocId
    score: Score
    matched: frozenset[str]
    """Query terms found in the document (the explanation of the score)."""


class BM25Index:
    """BM25F over pre-tokenised fields. ``k1`` and ``b`` as in Robertson & Zaragoza."""

    def __init__(
        self,
        docs: Sequence[Mapping[str, Sequence[str]]],
        field_weights: Mapping[str, float] = DEFAULT_FIELD_WEIGHTS,
        k1: float = 1.2,
        b: float = 0.6,
    ) -> None:
        self.k1 = k1
        self.b = b
        self.n_docs = len(docs)
        postings: dict[str, dict[DocId, float]] = defaultdict(dict)
        lengths: list[float] = []
        for doc_id, fields in enumerate(docs):
            weighted: dict[str, float] = defaultdict(float)
            length = 0.0
            for name, terms in fields.items():
                weight = field_weights.get(name, 1.0)
                for term in terms:
                    weighted[term] += weight
                length += weight * len(terms)
            lengths.append(length)
            for term, tf in weighted.items():
                postings[term][doc_id] = tf
        self.avg_length = (sum(lengths) / len(lengths)) if lengths else 1.0
        self._lengths = lengths
        self._idf: dict[str, float] = {
            term: math.log(1.0 + (self.n_docs - len(p) + 0.5) / (len(p) + 0.5)) for term, p in postings.items()
        }
        # Precompute the BM25 term weight of every posting: search is then a sum of array additions.
        norm_length = np.asarray(lengths, dtype=np.float64) / (self.avg_length or 1.0)
        self._postings: dict[str, tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]] = {}
        for term, plist in postings.items():
            ids = np.fromiter(plist.keys(), dtype=np.int32, count=len(plist))  # ascending: docs in order
            freqs = np.fromiter(plist.values(), dtype=np.float64, count=len(plist))
            weights = self._idf[term] * freqs * (k1 + 1) / (freqs + k1 * (1 - b + b * norm_length[ids]))
            self._postings[term] = (ids, weights)
        self.max_idf = max(self._idf.values(), default=1.0)

    def idf(self, term: str) -> float:
        """IDF of a term; terms never seen get the highest IDF (they are the most specific)."""
        return self._idf.get(term, self.max_idf)

    def __contains__(self, term: object) -> bool:
        return term in self._idf

    def search(self, terms: Iterable[str], limit: int = 20, boosts: Mapping[str, float] | None = None) -> list[Hit]:
        """Rank documents for the query terms (duplicates count once); ``boosts`` weights terms.

        Documents holding none of the terms are not returned; ties are broken by document order.
        """
        query = [(term, self._postings[term]) for term in dict.fromkeys(terms) if term in self._postings]
        if not query or limit <= 0:
            return []
        names = [term for term, _ in query]
        lengths = [len(ids) for _, (ids, _) in query]
        ids = np.concatenate([ids for _, (ids, _) in query])
        weights = np.concatenate([weights for _, (_, weights) in query])
        if boosts:
            weights = weights * np.repeat([boosts.get(term, 1.0) for term in names], lengths)
        scores = np.bincount(ids, weights=weights, minlength=self.n_docs)
        # Which query terms each document holds (the explanation of a hit), as bits: term j is bit j % 52 of
        # group j // 52. A document holds a term at most once, so a sum of distinct powers of two is their OR,
        # exact in a float64.
        found = []
        offsets = np.cumsum([0, *lengths])
        for first in range(0, len(query), _GROUP_BITS):
            last = min(first + _GROUP_BITS, len(query))
            bits = np.repeat(np.exp2(np.arange(last - first)), lengths[first:last])
            found.append(np.bincount(ids[offsets[first]:offsets[last]], weights=bits, minlength=self.n_docs))
        holding = np.flatnonzero(found[0] if len(found) == 1 else np.sum(found, axis=0))
        if len(holding) > limit:  # keep the top scores, and every document tied with the last of them
            held = scores[holding]
            holding = holding[held >= np.partition(held, len(holding) - limit)[len(holding) - limit]]
        best = holding[np.argsort(-scores[holding], kind="stable")[:limit]]  # ties: in document order
        if len(found) == 1:
            masks = [int(b) for b in found[0][best].tolist()]
        else:
            masks = [sum(int(b) << (g * _GROUP_BITS) for g, b in enumerate(column))
                     for column in zip(*(group[best].tolist() for group in found), strict=True)]
        explained: dict[int, frozenset[str]] = {}
        out = []
        for doc, score, mask in zip(best.tolist(), scores[best].tolist(), masks, strict=True):
            matched = explained.get(mask)
            if matched is None:
                matched = explained[mask] = frozenset(_bits_of(mask, names))
            out.append(Hit(doc, score, matched))
        return out


def _bits_of(bits: int, names: Sequence[str]) -> Iterator[str]:
    """The names whose bit is set in ``bits`` (bit j: names[j])."""
    while bits:
        low = bits & -bits
        yield names[low.bit_length() - 1]
        bits ^= low
