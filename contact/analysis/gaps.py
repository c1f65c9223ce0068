"""Knowledge gaps: what citizens asked that the assistant could not answer well, grouped by topic.

Gap inquiries are fallbacks (nothing matched), low-confidence answers and clarifications (confidence
below ``max_confidence``) and, optionally, answers rated not helpful. They are grouped into clusters
of similar questions so that an editor sees "47 people asked about the city pool's hours" rather
than 47 lines, largest first, each with examples and the nearest existing entry (the one to extend,
or the neighbour of the FAQ to write).

Clustering (:func:`cluster`) is deterministic leader clustering over each question's terms (content
words and the short units of compounds, from Sudachi): questions with the same terms form one
group; groups are taken largest first, and each joins the existing cluster whose centroid is most
similar (cosine) if that similarity reaches ``threshold``, else it starts a new cluster.

A term's weight is its specificity times its prominence: IDF over the *background* (all inquiries of
the period, so 料金 or 時間, asked about everywhere, weigh little) times the square root of the number
of clustered questions that contain it (so the word a topic's questions share, プール, outweighs the
words only some of them use, 温水 or 営業). Two questions that share only their topic word then
still land in one cluster, while questions sharing only generic words do not.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from contact.analysis.words import Doc
from knowledge.schema import WARDS

THRESHOLD = 0.3
"""Cosine similarity a question needs with a cluster's centroid to join it (chosen on the seeded log, where it
recovers every planted cluster exactly; see tests/test_analysis.py)."""
MIN_COVERAGE = 0.1
"""Below this share of the question's words found in the entry, no entry is "near"."""


def is_gap(doc: Doc, max_confidence: float = 0.6, include_unhelpful: bool = False) -> bool:
    """Whether an inquiry is a gap: a fallback, an answer or clarification with confidence below
    ``max_confidence``, or (``include_unhelpful``) an answer rated not helpful."""
    if doc.kind == "fallback":
        return True
    if doc.kind in ("answer", "clarify") and doc.confidence is not None and doc.confidence < max_confidence:
        return True
    return include_unhelpful and doc.kind == "answer" and doc.helpful is False


def reason(doc: Doc, max_confidence: float) -> str:
    if doc.kind == "fallback":
        return "fallback"
    if doc.confidence is not None and doc.confidence < max_confidence:
        return "low_confidence"
    return "unhelpful"


def term_weights(docs: Sequence[Doc], background: Sequence[Doc] | None = None) -> dict[str, float]:
    """Weight of each term of ``docs``: IDF over ``background`` (default: ``docs``) × √(questions with it)."""
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.terms)
    if background is None:
        background, bg_df = docs, df
    else:
        bg_df = Counter()
        for d in background:
            bg_df.update(d.terms)
    n = max(len(background), len(docs), 1)
    return {t: math.log(1 + n / max(bg_df.get(t, 0), c)) * math.sqrt(c) for t, c in df.items()}


def cluster(docs: Sequence[Doc], threshold: float = THRESHOLD, background: Sequence[Doc] | None = None
            ) -> list[list[Doc]]:
    """Clusters of similar questions, largest first (ties: earliest first). Questions without terms are left out.

    ``background``: the inquiries that term specificity (IDF) is measured against, e.g. all inquiries
    of the period when ``docs`` are its unanswered ones.
    """
    groups: dict[frozenset[str], list[Doc]] = {}
    for d in docs:
        if d.terms:
            groups.setdefault(d.terms, []).append(d)
    idf = term_weights(docs, background)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[1][0].created_at, sorted(kv[0])))

    centroids: list[dict[str, float]] = []
    norms: list[float] = []
    members: list[list[Doc]] = []
    by_term: dict[str, set[int]] = {}
    for terms, group in ordered:
        vector = {t: idf[t] for t in terms}
        vnorm = math.sqrt(sum(w * w for w in vector.values()))
        best, best_sim = -1, 0.0
        for c in sorted({c for t in terms for c in by_term.get(t, ())}):
            dot = sum(w * centroids[c].get(t, 0.0) for t, w in vector.items())
            sim = dot / (vnorm * norms[c]) if vnorm and norms[c] else 0.0
            if sim > best_sim + 1e-12:
                best, best_sim = c, sim
        if best < 0 or best_sim < threshold:
            best = len(centroids)
            centroids.append({})
            norms.append(0.0)
            members.append([])
        weight = float(len(group))
        centroid = centroids[best]
        for t, w in vector.items():
            centroid[t] = centroid.get(t, 0.0) + w * weight
            by_term.setdefault(t, set()).add(best)
        norms[best] = math.sqrt(sum(w * w for w in centroid.values()))
        members[best].extend(group)
    return sorted(members, key=lambda m: (-len(m), min(d.created_at for d in m)))


def describe(members: Sequence[Doc], n_examples: int = 5) -> dict[str, Any]:
    """A cluster as staff see it: size, label words, examples (most asked first), dates, channels, wards."""
    words: Counter[str] = Counter()
    for d in members:
        words.update(d.words)
    label = [w for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0])) if w not in WARDS][:5]
    texts = Counter(d.text for d in members)
    first_seen: dict[str, str] = {}
    for d in members:
        first_seen.setdefault(d.text, d.created_at)
    examples = [t for t, _ in sorted(texts.items(), key=lambda kv: (-kv[1], first_seen[kv[0]]))[:n_examples]]
    dates = sorted(d.created_at for d in members)
    return {
        "size": len(members),
        "label": " ".join(label[:3]),
        "words": label,
        "examples": examples,
        "distinct_questions": len(texts),
        "first_seen": dates[0][:10], "last_seen": dates[-1][:10],
        "channels": dict(Counter(d.channel for d in members).most_common()),
        "wards": dict(Counter(d.ward or "(不明)" for d in members).most_common(3)),
        "voice_types": dict(Counter(d.voice_type or "問い合わせ" for d in members).most_common()),
        "inquiry_ids": [d.id for d in members[-20:]],
    }


def knowledge_gaps(docs: Sequence[Doc], max_confidence: float = 0.6, min_size: int = 2, limit: int = 20,
                   threshold: float = THRESHOLD, background: Sequence[Doc] | None = None) -> dict[str, Any]:
    """Clusters of gap questions, largest first; ``docs`` are the gap inquiries (see :func:`gap_condition`),
    ``background`` all inquiries of the period (for term specificity)."""
    clusters = cluster(docs, threshold, background)
    out: list[dict[str, Any]] = []
    for members in clusters:
        if len(members) < min_size or len(out) >= limit:
            continue
        item = describe(members)
        item["reasons"] = dict(Counter(reason(d, max_confidence) for d in members).most_common())
        out.append(item)
    return {"total": len(docs), "clustered": sum(len(m) for m in clusters if len(m) >= min_size),
            "clusters_total": sum(1 for m in clusters if len(m) >= min_size), "clusters": out}


Nearest = Callable[[str], "dict[str, Any] | None"]


def engine_nearest(engine: Any) -> Nearest:
    """The nearest existing entry of a question by the app's matcher: ``{"entry_id", "title", "coverage"}``."""

    def nearest(text: str) -> dict[str, Any] | None:
        candidates = engine.rank(engine.understand(text), None, limit=1)
        if not candidates:
            return None
        top = candidates[0]
        if top.coverage < MIN_COVERAGE:
            return None
        return {"entry_id": top.entry_id, "title": top.title, "coverage": round(min(1.0, top.coverage), 3)}

    return nearest


def add_nearest(clusters: list[dict[str, Any]], nearest: Nearest) -> list[dict[str, Any]]:
    """Add each cluster's nearest entry (by its most asked example) in place; return the clusters."""
    for item in clusters:
        item["nearest"] = nearest(item["examples"][0]) if item["examples"] else None
    return clusters
