"""An inverted index with BM25F-style field weighting over token terms.

Documents are made of named fields (title, questions, body …); each field has a
weight, and a term's frequency in a document is the weighted sum of its
frequencies in the fields (BM25F with one length normalisation per document).
The index is built once and then read-only, so concurrent readers are safe.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

DocId = int
Score = float

DEFAULT_FIELD_WEIGHTS: Mapping[str, float] = {"title": 3.0, "questions": 2.0, "body": 1.0}


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
        # Precompute the BM25 term weight of every posting: search is then a sum of lookups.
        self._postings: dict[str, tuple[tuple[DocId, float], ...]] = {}
        for term, plist in postings.items():
            idf = self._idf[term]
            scored = []
            for doc_id, tf in plist.items():
                norm = tf + k1 * (1 - b + b * lengths[doc_id] / (self.avg_length or 1.0))
                scored.append((doc_id, idf * tf * (k1 + 1) / norm))
            self._postings[term] = tuple(scored)
        self.max_idf = max(self._idf.values(), default=1.0)

    def idf(self, term: str) -> float:
        """IDF of a term; terms never seen get the highest IDF (they are the most specific)."""
        return self._idf.get(term, self.max_idf)

    def __contains__(self, term: object) -> bool:
        return term in self._idf

    def search(self, terms: Iterable[str], limit: int = 20, boosts: Mapping[str, float] | None = None) -> list[Hit]:
        """Rank documents for the query terms (duplicates count once); ``boosts`` weights terms."""
        scores: dict[DocId, float] = defaultdict(float)
        matched: dict[DocId, set[str]] = defaultdict(set)
        for term in dict.fromkeys(terms):
            plist = self._postings.get(term)
            if not plist:
                continue
            boost = boosts.get(term, 1.0) if boosts else 1.0
            for doc_id, weight in plist:
                scores[doc_id] += weight * boost
                matched[doc_id].add(term)
        best = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:limit]
        return [Hit(doc, score, frozenset(matched[doc])) for doc, score in best]
