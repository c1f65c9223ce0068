"""BM25Index.search (numpy postings) against a plain reference: same hits, scores and explanations."""

from __future__ import annotations

import math
import random
from collections import defaultdict

from intents.index import BM25Index


def _reference(index: BM25Index, docs: list[dict[str, list[str]]], terms: list[str], limit: int,
               boosts: dict[str, float]) -> list[tuple[int, float, frozenset[str]]]:
    """BM25F summed term by term in Python, best first, ties in document order."""
    k1, b = index.k1, index.b
    weights = {"title": 3.0, "questions": 2.0, "body": 1.0}
    lengths = [sum(weights.get(f, 1.0) * len(ts) for f, ts in d.items()) for d in docs]
    avg = sum(lengths) / len(lengths)
    scores: dict[int, float] = defaultdict(float)
    matched: dict[int, set[str]] = defaultdict(set)
    for term in dict.fromkeys(terms):
        for doc_id, d in enumerate(docs):
            tf = sum(weights.get(f, 1.0) * ts.count(term) for f, ts in d.items())
            if tf:
                norm = tf + k1 * (1 - b + b * lengths[doc_id] / avg)
                scores[doc_id] += index.idf(term) * tf * (k1 + 1) / norm * boosts.get(term, 1.0)
                matched[doc_id].add(term)
    best = sorted(scores, key=lambda d: (-scores[d], d))[:limit]
    return [(d, scores[d], frozenset(matched[d])) for d in best]


def test_search_equals_the_reference_on_random_bases() -> None:
    rng = random.Random(5)
    vocabulary = [f"w{i}" for i in range(60)]
    for _ in range(30):
        docs = [{field: rng.choices(vocabulary, k=rng.randrange(0, 8)) for field in ("title", "questions", "body")}
                for _ in range(rng.randrange(1, 80))]
        index = BM25Index(docs)
        terms = rng.choices(vocabulary, k=rng.randrange(1, 12))
        boosts = {t: rng.choice((0.4, 0.5, 1.0, 2.0)) for t in terms if rng.random() < 0.5}
        limit = rng.randrange(1, 30)
        got = [(h.doc, h.score, h.matched) for h in index.search(terms, limit=limit, boosts=boosts)]
        want = _reference(index, docs, terms, limit, boosts)
        assert [(d, m) for d, _, m in got] == [(d, m) for d, _, m in want]
        assert all(math.isclose(g[1], w[1], rel_tol=1e-9) for g, w in zip(got, want, strict=True))


def test_queries_of_more_terms_than_a_bit_mask_holds_are_explained_exactly() -> None:
    docs = [{"title": [f"t{i}", "common"], "body": [f"b{j}" for j in range(i % 7)]} for i in range(100)]
    terms = ["common", *(f"t{i}" for i in range(70)), "b3", "b5"]  # 73 terms: two 52-bit groups
    hits = BM25Index(docs).search(terms, limit=100)
    assert len(hits) == 100
    for h in hits:
        i = h.doc
        expected = {"common"} | ({f"t{i}"} if i < 70 else set()) | ({"b3"} if i % 7 > 3 else set()) \
            | ({"b5"} if i % 7 > 5 else set())
        assert h.matched == expected


def test_no_limit_no_hits() -> None:
    index = BM25Index([{"title": ["a"]}])
    assert index.search(["a"], limit=0) == []
    assert index.search([]) == []
