"""Two baselines the matcher is measured against, in the same run and on the same data.

- :class:`FuzzyBaseline`: plain rapidfuzz over the entries' question strings (title, alternative
  phrasings, sample questions); the best string decides an entry's score.
- :class:`SurfaceBM25Baseline`: plain BM25 over Sudachi *surface* tokens (no normalisation, no
  synonyms, no field weights) of the same strings plus the answer text.

Both return ranked ``(entry_id, score)`` lists and reject (return no confident answer) with a
simple score threshold, so out-of-scope rejection can be compared too.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process

from intents.documents import Document
from intents.index import BM25Index
from intents.tokenize import Tokenizer

Ranked = list[tuple[str, float]]


class FuzzyBaseline:
    name = "rapidfuzz"
    reject_below = 60.0

    def __init__(self, docs: list[Document]) -> None:
        self._strings: list[str] = []
        self._owners: list[str] = []
        for d in docs:
            for text in (*d.fields.get("title", ()), *d.fields.get("questions", ())):
                self._strings.append(text)
                self._owners.append(d.entry_id)

    def rank(self, query: str, limit: int = 10) -> Ranked:
        best: dict[str, float] = {}
        for _, score, idx in process.extract(query, self._strings, scorer=fuzz.WRatio, limit=limit * 4):
            owner = self._owners[idx]
            best[owner] = max(best.get(owner, 0.0), float(score))
        return sorted(best.items(), key=lambda kv: kv[1], reverse=True)[:limit]

    def rejects(self, ranked: Ranked) -> bool:
        return not ranked or ranked[0][1] < self.reject_below


class SurfaceBM25Baseline:
    name = "bm25-surface"

    def __init__(self, docs: list[Document], tokenizer: Tokenizer) -> None:
        self._tokenizer = tokenizer
        self._ids = [d.entry_id for d in docs]
        self._index = BM25Index(
            [{"all": [t for field in d.fields.values() for text in field for t in self._surface(text)]} for d in docs],
            field_weights={"all": 1.0},
        )

    def _surface(self, text: str) -> list[str]:
        return [t.surface for t in self._tokenizer.tokens(text) if t.pos not in ("補助記号", "空白")]

    def rank(self, query: str, limit: int = 10) -> Ranked:
        return [(self._ids[h.doc], h.score) for h in self._index.search(self._surface(query), limit=limit)]

    def rejects(self, ranked: Ranked) -> bool:
        return not ranked
