"""Words of the inquiries, as staff know them from KH Coder: frequencies by period, words rising against
the previous period, co-occurrence, KWIC concordance lines and cross tables by ward and channel.

Words are Sudachi content words (nouns, verbs, adjectives, adjectival nouns) in their normalised form
(表記ゆれ unified: 引越し/引っ越し → 引っ越し), without the matcher's stop terms, numbers, masked
personal data and words every inquiry has (問い合わせる, 手続き …). Counts are *document*
frequencies: the number of inquiries in which a word occurs.

Every function takes a list of :class:`Doc` (one inquiry with its words) made by :func:`load_docs`,
so that one read of the log serves several views.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from contact.analysis.filters import CHANNELS, FROM_CLAUSE, Filters
from contact.analysis.stats import period_key, period_keys
from contact.analysis.voice import VOICE_TYPES
from contact.masking import TOKENS
from intents.normalize import normalize
from intents.tokenize import STOP_TERMS, Token, Tokenizer
from knowledge.schema import WARDS

WORD_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞"})
STOP_WORDS = STOP_TERMS | frozenset({
    "手続き", "手続", "問い合わせる", "問い合わせ", "場合", "必要", "方法", "時", "とき", "件", "今", "自分", "際",
    "言う", "出来る", "お願い", "願う", "ください", "下さい", "ない", "無い", "よろしい", "宜しい", "確認", "大丈夫",
    "等", "など", "的", "感じ", "みたい", "ほしい", "欲しい", "済む", "そう", "為", "上", "つく", "付く", "就く",
    "侭", "まま", "幾ら", "いくら",
})
"""Words left out of the analysis: the matcher's stop terms plus words nearly every inquiry has."""
_NUMBER = re.compile(r"^[0-9０-９一二三四五六七八九十百千万.,]+$")
_MASK = re.compile("|".join(map(re.escape, TOKENS)))
UNKNOWN = "(不明)"


def _keep(word: str) -> bool:
    return (word not in STOP_WORDS and not _NUMBER.match(word)
            and not (len(word) == 1 and ("\u3041" <= word <= "\u30ff" or word.isascii())))


class WordExtractor:
    """Content words of texts; one Sudachi tokenizer per thread (analysis runs in the executor), cached by text."""

    def __init__(self, user_dictionaries: Sequence[Path] = (), cache_size: int = 50_000) -> None:
        self.user_dictionaries = tuple(user_dictionaries)
        self.cache_size = cache_size
        self._local = threading.local()
        self._cache: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}

    def _tokenizer(self) -> Tokenizer:
        tokenizer = getattr(self._local, "tokenizer", None)
        if tokenizer is None:
            tokenizer = self._local.tokenizer = Tokenizer(self.user_dictionaries)
        return tokenizer

    def tokens(self, text: str) -> tuple[str, list[Token]]:
        """The normalised text (masked data blanked) and its tokens."""
        normalized = normalize(_MASK.sub(" ", text))
        return normalized, self._tokenizer().tokens(normalized)

    def _analyse(self, text: str) -> tuple[tuple[str, ...], frozenset[str]]:
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        _, tokens = self.tokens(text)
        words = tuple(dict.fromkeys(t.normalized for t in tokens if t.pos in WORD_POS and _keep(t.normalized)))
        parts = {p for t in tokens if t.pos == "名詞" for p in t.parts if len(p) > 1 and _keep(p)}
        terms = frozenset(w for w in (*words, *parts) if w not in WARDS)
        if len(self._cache) >= self.cache_size:
            self._cache.clear()
        self._cache[text] = (words, terms)
        return words, terms

    def words(self, text: str) -> tuple[str, ...]:
        """Content words in order of first occurrence, each once."""
        return self._analyse(text)[0]

    def terms(self, text: str) -> frozenset[str]:
        """Words plus the short units of compounds (期日前投票 → 期日, 前, 投票), ward names left out:
        what clustering compares."""
        return self._analyse(text)[1]


@dataclass(frozen=True)
class Doc:
    """One inquiry as the text analyses see it."""

    id: str
    created_at: str
    text: str
    channel: str
    kind: str
    ward: str | None = None
    category: str | None = None
    voice_type: str | None = None
    confidence: float | None = None
    entry_id: str | None = None
    helpful: bool | None = None
    words: tuple[str, ...] = ()
    terms: frozenset[str] = frozenset()

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.created_at[:10])

    def value(self, name: str) -> str:
        """A field as a cross-table key (empty values as ``(不明)``)."""
        value = getattr(self, name)
        return str(value) if value not in (None, "") else UNKNOWN


MAX_DOCS = 100_000


def load_docs(db: Any, filters: Filters, extractor: WordExtractor, *extra: str, limit: int = MAX_DOCS
              ) -> list[Doc]:
    """The inquiries under the filters (newest ``limit``), oldest first, with their words."""
    where, params = filters.where(*extra)
    rows = db.query(
        "SELECT i.id, i.created_at, i.text, i.note, i.channel, i.kind, i.ward, i.category, i.voice_type, "
        f"i.confidence, i.entry_id, lf.helpful AS helpful {FROM_CLAUSE} {where} "
        "ORDER BY i.created_at DESC, i.id DESC LIMIT ?", [*params, limit])
    docs = []
    for r in rows:
        text = r["text"] or ""
        helpful = None if r["helpful"] is None else bool(r["helpful"])
        docs.append(Doc(r["id"], r["created_at"], text, r["channel"], r["kind"], r["ward"], r["category"],
                        r["voice_type"], r["confidence"], r["entry_id"], helpful,
                        extractor.words(text), extractor.terms(text)))
    docs.reverse()
    return docs


def document_frequencies(docs: Iterable[Doc]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for d in docs:
        counts.update(d.words)
    return counts


def frequencies(docs: Sequence[Doc], period: str = "month", limit: int = 30) -> dict[str, Any]:
    """The ``limit`` most frequent words, with their counts in each period (day, week or month)."""
    if not docs:
        return {"period": period, "periods": [], "words": []}
    periods = period_keys(docs[0].day, docs[-1].day, period)
    index = {p: i for i, p in enumerate(periods)}
    totals = document_frequencies(docs)
    top = [w for w, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
    by_word = {w: [0] * len(periods) for w in top}
    for d in docs:
        slot = index[period_key(d.day, period)]
        for w in d.words:
            if w in by_word:
                by_word[w][slot] += 1
    return {"period": period, "periods": periods,
            "words": [{"word": w, "total": totals[w], "counts": by_word[w]} for w in top]}


def examples(docs: Iterable[Doc], word: str, n: int = 3) -> list[str]:
    """Up to ``n`` distinct texts containing ``word``, newest first."""
    out: list[str] = []
    for d in sorted(docs, key=lambda d: d.created_at, reverse=True):
        if word in d.words and d.text not in out:
            out.append(d.text)
            if len(out) >= n:
                break
    return out


def compare_periods(current: Sequence[Doc], previous: Sequence[Doc], *, baseline_periods: int = 1,
                    min_count: int = 5, min_ratio: float = 2.0, limit: int = 20) -> list[dict[str, Any]]:
    """Words more frequent in ``current`` than in ``previous`` (which spans ``baseline_periods`` periods of the
    same length: its counts are averaged), largest jump first.

    Score: (current − baseline) / √(baseline + 1), kept when current ≥ ``min_count`` and
    (current + 1) / (baseline + 1) ≥ ``min_ratio``.
    """
    now = document_frequencies(current)
    before = document_frequencies(previous)
    out = []
    for word, count in now.items():
        baseline = before.get(word, 0) / max(baseline_periods, 1)
        ratio = (count + 1) / (baseline + 1)
        if count >= min_count and ratio >= min_ratio:
            out.append({"word": word, "count": count, "baseline": round(baseline, 2), "ratio": round(ratio, 2),
                        "score": round((count - baseline) / (baseline + 1) ** 0.5, 2)})
    out.sort(key=lambda x: (-x["score"], x["word"]))
    for item in out[:limit]:
        item["examples"] = examples(current, item["word"])
    return out[:limit]


def cooccurrence(docs: Sequence[Doc], top_words: int = 60, min_count: int = 3, limit: int = 30
                 ) -> list[dict[str, Any]]:
    """Pairs of frequent words that occur in the same inquiries, by Jaccard coefficient
    (inquiries with both / inquiries with either)."""
    totals = document_frequencies(docs)
    vocabulary = {w for w, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:top_words]}
    pairs: Counter[tuple[str, str]] = Counter()
    for d in docs:
        present = sorted(w for w in d.words if w in vocabulary)
        pairs.update(combinations(present, 2))
    scored = sorted(((round(n / (totals[a] + totals[b] - n), 4), n, a, b) for (a, b), n in pairs.items()
                     if n >= min_count), key=lambda x: (-x[0], -x[1], x[2], x[3]))
    return [{"a": a, "b": b, "count": n, "jaccard": j} for j, n, a, b in scored[:limit]]


def kwic(docs: Sequence[Doc], word: str, extractor: WordExtractor, width: int = 20, limit: int = 50
         ) -> list[dict[str, Any]]:
    """Concordance lines: each occurrence of ``word`` (its normalised form) with ``width`` characters of
    context on either side, newest inquiries first."""
    lines: list[dict[str, Any]] = []
    for d in sorted(docs, key=lambda d: d.created_at, reverse=True):
        if word not in d.words:
            continue
        text, tokens = extractor.tokens(d.text)
        cursor = 0
        for t in tokens:
            start = text.find(t.surface, cursor)
            if start < 0:
                continue
            cursor = start + len(t.surface)
            if t.normalized == word and t.pos in WORD_POS:
                lines.append({"id": d.id, "created_at": d.created_at, "channel": d.channel, "ward": d.ward,
                              "left": text[max(0, start - width):start], "keyword": t.surface,
                              "right": text[cursor:cursor + width]})
                if len(lines) >= limit:
                    return lines
    return lines


ROW_FIELDS: tuple[str, ...] = ("word", "category", "voice_type", "kind", "entry_id")
COLUMN_FIELDS: dict[str, tuple[str, ...]] = {"ward": (*WARDS, UNKNOWN), "channel": CHANNELS,
                                             "voice_type": VOICE_TYPES}


def crosstab(docs: Sequence[Doc], rows: str = "word", columns: str = "ward", limit: int = 20) -> dict[str, Any]:
    """Counts of inquiries by row (frequent words, or a field) × column (ward, channel or voice type), with
    each cell's share of its column — which words each ward or channel asks about more than the others."""
    if rows not in ROW_FIELDS or columns not in COLUMN_FIELDS:
        raise ValueError(f"rows must be one of {ROW_FIELDS}, columns one of {tuple(COLUMN_FIELDS)}")
    keys = list(COLUMN_FIELDS[columns])
    extra = sorted({d.value(columns) for d in docs} - set(keys))
    keys += extra
    column_totals = Counter(d.value(columns) for d in docs)
    cells: dict[str, Counter[str]] = {}
    if rows == "word":
        top = [w for w, _ in sorted(document_frequencies(docs).items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
        wanted = set(top)
        for d in docs:
            col = d.value(columns)
            for w in d.words:
                if w in wanted:
                    cells.setdefault(w, Counter())[col] += 1
        order = top
    else:
        for d in docs:
            cells.setdefault(d.value(rows), Counter())[d.value(columns)] += 1
        order = sorted(cells, key=lambda k: (-cells[k].total(), k))[:limit]
    keys = [k for k in keys if column_totals.get(k)]
    table = []
    for key in order:
        counts = [cells.get(key, Counter()).get(c, 0) for c in keys]
        table.append({"key": key, "total": sum(counts), "counts": counts,
                      "shares": [round(n / column_totals[c], 4) if column_totals[c] else 0.0
                                 for n, c in zip(counts, keys, strict=True)]})
    return {"rows": rows, "columns": columns, "keys": keys,
            "column_totals": [column_totals[c] for c in keys], "table": table}
