"""Understand a question and decide the reply: the matcher's public entry point.

Flow (one call of :meth:`Engine.respond`)::

    normalise → rewrite synonyms → tokenise (Sudachi) → entities (ward, office)
    → route (handoff, small talk, follow-up on the session's topic)
    → rank entries (BM25F over fields + fuzzy reading match + ward agreement)
    → decide (answer | clarify | fallback) → compose the answer text

The engine is immutable after construction: a reload builds a new one and swaps
it in whole, so a request never sees a half-built index.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from intents import english_answer as en_text
from intents.availability import NOT_ASKED_ABOUT, asks_if_possible, availability_answer, kind_in, place_word_in
from intents.compose import Answer, ContactPoint, compose, contact_point
from intents.cues import Cues, asks
from intents.dates import DateMention, resolve_dates
from intents.dense import DenseIndex
from intents.documents import Document, documents
from intents.encoders import Encoder
from intents.english import English, office_names
from intents.entities import Entities, Gazetteer
from intents.fusion import (
    LEXICAL_ONLY,
    Cascade,
    FusionWeights,
    Scored,
    agreement_confidence,
    dense_confidence,
    fuse,
)
from intents.index import BM25Index
from intents.memo import Memo
from intents.moves import MISMATCH as MOVE_MISMATCH
from intents.moves import direction
from intents.normalize import char_bigrams, is_kana_only, normalize, to_katakana
from intents.opening_days import CALENDAR_VOCABULARY, calendar_answer, is_time_question, place_for
from intents.spelling import HIRAGANA_RUN, Speller, compound_nouns
from intents.synonyms import Synonyms
from intents.tokenize import Token, Tokenizer, content_terms, term_units
from knowledge.calendar_text import Lang, describe_day, format_opening
from knowledge.loader import KnowledgeBase
from knowledge.schema import WARDS, Faq, Procedure, Sourced

ReplyKind = Literal["answer", "clarify", "fallback", "handoff", "smalltalk"]

DATE_WORDS = frozenset(
    {"今日", "本日", "明日", "明後日", "昨日", "今週", "来週", "再来週", "今月", "来月", "先月", "今年",
     "来年", "年末", "年始", "週末", "毎日", "朝", "午前", "午後", "夕方", "夜"}
)
"""Time words: they say *when*, not *what*, so they do not pick an entry."""

RESIDENCE_WORDS = frozenset({"住む", "在住", "住まい", "暮らす", "住所"})
""""中原区に住んでいます" only tells the ward: these words do not make it a question."""

_KANJI = re.compile(r"[\u3400-\u9fff々]")
_ALL_KANJI = re.compile(r"^[\u3400-\u9fff々]+$")
_PIECE_SPLIT = re.compile(r"[\s（）()「」『』・、。,/?？!！]+")

_NOUNISH = frozenset({"名詞", "接頭辞", "接尾辞"})
_KANA_FOR_KANJI = frozenset({"名詞", "接頭辞", "接尾辞", "副詞"})
"""Parts of speech a kanji typed in hiragana turns into (印かん: 印 + 接尾辞 かん); verbs and particles
next to kanji are ordinary okurigana."""
_NUMBER = re.compile(r"^[\d.,]+$|^(通|枚|部|件|個|冊|点)$")
"""Numbers and counters ("2通"): they say how many, not what; they do not count towards coverage."""

SHORT_FIELDS = frozenset({"title", "questions"})
"""Fields whose texts are each a name or a question: matched one by one as well as in bulk."""

MAX_NAME_READING = 24
"""Names (and aliases) longer than this in katakana are sentences, not names: no fuzzy name match."""


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds, tuned on the evaluation set (``contact eval``)."""

    answer: float = 0.5
    """Minimum confidence to answer."""
    close_ratio: float = 0.93
    """Second score / first score at or above which two different entries are "close"."""
    fuzzy_cutoff: float = 86.0
    """Minimum rapidfuzz partial ratio between readings for a name to count as matched."""


@dataclass(frozen=True)
class Weights:
    """Ranking weights (see :meth:`Engine.rank`)."""

    candidates: int = 30
    """BM25 hits considered."""
    cue: float = 0.5
    """Weight of focus cue words (手数料, どこ …) in BM25: they say what is asked, not which entry."""
    part: float = 0.5
    """Weight of the short units of compounds in BM25."""
    expansion: float = 0.4
    """Weight of terms implied by synonyms (引っ越し → 転入 …)."""
    coverage_floor: float = 0.6
    """The relative BM25 score is multiplied by coverage_floor + (1 - coverage_floor) * coverage."""
    body_only_coverage: float = 0.5
    """Coverage credit for a query unit found only in an entry's body, not in its title or questions."""
    short_text: float = 2.0
    """Weight of the best single name/question match (:meth:`Engine._short_match`)."""
    title: float = 0.25
    """Extra weight of the best match among an entry's names (its title field) alone: naming an entry is
    stronger evidence than resembling one of its sample questions."""
    related: float = 0.4
    """Weight of the base's words sharing a Sudachi synonym group with a word of the question."""
    related_short: float = 0.5
    """The same, in the name/question match (the related words do not add to the question's mass)."""
    bigrams: float = 1.0
    """Weight of the IDF-weighted share of the question's character bigrams found in the entry's text."""
    checklist: float = 1.5
    """Multiplier for life events when the question asks what to do (何をすれば, やること …)."""


@dataclass(frozen=True)
class Context:
    """What the session knows before this question."""

    now: dt.datetime
    ward: str | None = None
    topic: str | None = None
    """Entry id of the last answer, for follow-ups such as "土曜は？"."""
    lang: str = "ja"


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    title: str
    kind: str
    score: float
    coverage: float
    matched: tuple[str, ...]
    features: tuple[tuple[str, float], ...] = ()
    """The ranking features behind the score (relative BM25, coverage, best name/question match, bigrams)."""


@dataclass(frozen=True)
class Clarify:
    question: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Understanding:
    normalized: str
    rewritten: str
    terms: tuple[str, ...]
    entities: Entities
    foci: tuple[str, ...]
    parts: tuple[str, ...] = ()
    """Short units of compound terms (免除申請 → 免除, 申請): they help ranking, not coverage."""
    move: str | None = None
    """Which way the move asked about goes, from the places named (:mod:`intents.moves`)."""
    has_unknown_words: bool = False
    """Sudachi met a word it does not know (a typo, or kana where kanji was meant)."""
    units: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(term, its short units) for each content word: coverage and name matching count units."""

    related: tuple[str, ...] = ()
    """The base's words in the same Sudachi synonym group as a word of the question (育児 → 子育て)."""
    nouns: tuple[str, ...] = ()
    """The content words that are nouns of things (年金, スマホ, 届け出; not 時, 場合, 土曜日): what the
    question is about, rather than what is done."""

    @property
    def cue_text(self) -> str:
        """The text routing cues are looked for in: the rewritten text, and the original when they differ
        (English cues such as "talk to a person" are gone once English is turned into Japanese)."""
        return self.rewritten if self.rewritten == self.normalized else f"{self.rewritten}\n{self.normalized}"


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    confidence: float
    candidates: tuple[Candidate, ...]
    answer: Answer | None = None
    clarify: Clarify | None = None
    follow_ups: tuple[str, ...] = ()
    ward: str | None = None
    topic: str | None = None
    understanding: Understanding | None = None
    text: str = ""
    """For replies without an entry (fallback, handoff, small talk): what to say."""
    explain: dict[str, object] = field(default_factory=dict)
    lang: str = "ja"
    """The language of the reply's texts: "en" for ``lang=en`` and for questions written in English."""


Ranked = tuple[Understanding, str | None, tuple[Candidate, ...]]
"""A question understood, the ward it is about, and its candidates best first."""


@dataclass(frozen=True)
class Pending:
    """A question the cascade's first stage could not decide: what the slower encoders add to."""

    key: tuple[str, str | None]
    """The memo's key: the text and the ward known before it."""
    understanding: Understanding
    ward: str | None
    lexical: tuple[Candidate, ...]
    similarities: dict[str, npt.NDArray[np.float32]]
    """The first stage's encoders → every document's best cosine."""


class Engine:
    """The matcher over one knowledge base."""

    def __init__(
        self,
        kb: KnowledgeBase,
        tokenizer: Tokenizer | None = None,
        synonyms: Synonyms | None = None,
        cues: Cues | None = None,
        english: English | None = None,
        thresholds: Thresholds = Thresholds(),
        weights: Weights = Weights(),
        memo_size: int = 2048,
        encoders: Sequence[Encoder] = (),
        cache_dir: Path | None = None,
        fusion: FusionWeights | None = None,
    ) -> None:
        self.kb = kb
        # Understanding a text and ranking it for a ward depend on nothing else (not the clock: dates are
        # resolved per request in respond), so the most recent ones are kept: follow-up buttons and popular
        # questions arrive verbatim again and again. 0 turns the memo off.
        self._read: Memo[Ranked] = Memo(None, memo_size)
        self.synonyms = (synonyms or Synonyms.load()).keeping(
            name for o in kb.offices.values() for name in (o.name, *o.aliases))
        self.english = (english or English.load()).with_names(
            office_names({o.name: o.en.title for o in kb.offices.values() if o.en is not None}))
        self.tokenizer = tokenizer or Tokenizer.for_kb(kb, self.synonyms)
        self.cues = cues or Cues.load()
        self.thresholds = thresholds
        self.weights = weights
        self.contact = contact_point(kb)
        self._cue_words = frozenset(terms[0] for terms in map(self._terms, self.cues.cue_words()) if terms)
        self.docs: list[Document] = list(documents(kb))
        fields: list[dict[str, list[str]]] = []
        vocabulary: list[str] = []
        group_terms: dict[int, set[str]] = defaultdict(set)
        short_units: list[list[tuple[frozenset[str], bool]]] = []
        for d in self.docs:
            doc_fields: dict[str, list[str]] = {}
            shorts: list[tuple[frozenset[str], bool]] = []
            for name, texts in d.fields.items():
                terms: list[str] = []
                for text in texts:
                    tokens = self._tokens(text)
                    terms += content_terms(tokens)
                    for t in tokens:
                        for g in t.groups:
                            group_terms[g].add(t.normalized)
                    if name in SHORT_FIELDS:
                        units = frozenset(u for _, us in term_units(tokens) for u in us)
                        if units:
                            shorts.append((units, name == "title"))
                        vocabulary += compound_nouns(tokens)
                        vocabulary += (t.surface for t in tokens if t.is_content and _ALL_KANJI.match(t.surface))
                doc_fields[name] = terms
            fields.append(doc_fields)
            short_units.append(shorts)
        self._fields = fields
        # Character bigrams of each entry's whole text, with their IDF: a tokenisation-free view of coverage.
        doc_grams = [frozenset(char_bigrams(" ".join(t for texts in d.fields.values() for t in texts)))
                     for d in self.docs]
        gram_df: dict[str, int] = defaultdict(int)
        for grams in doc_grams:
            for gram in grams:
                gram_df[gram] += 1
        n_docs = len(self.docs)
        self._gram_idf = {gram: math.log(1.0 + (n_docs - n + 0.5) / (n + 0.5)) for gram, n in gram_df.items()}
        self._doc_grams = doc_grams
        self._group_terms = {g: frozenset(ts) for g, ts in group_terms.items() if len(ts) > 1}
        """Sudachi synonym group → the base's words in it: 子育て finds 育児."""
        self.index = BM25Index(fields)
        # Terms in an entry's title or questions: a query term found only in the body covers less.
        self._strong = [frozenset(f.get("title", [])) | frozenset(f.get("questions", [])) for f in fields]
        # Names and questions of each entry as unit sets with their IDF mass: "which one short text is this?",
        # kept inverted (unit → the short texts holding it) so a question only visits the texts it shares units with.
        self._short_mass: list[list[float]] = []
        postings: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        self._short_names: list[frozenset[int]] = []
        """For each entry, which of its short texts are names (title field) rather than questions."""
        for doc_id, us in enumerate(short_units):
            masses = []
            unique: dict[frozenset[str], bool] = {}
            for units, is_name in us:
                unique[units] = unique.get(units, False) or is_name
            for i, units in enumerate(unique):
                masses.append(sum(self.index.idf(x) for x in units))
                for x in units:
                    postings[x][doc_id].append(i)
            self._short_mass.append(masses)
            self._short_names.append(frozenset(i for i, is_name in enumerate(unique.values()) if is_name))
        self._short_postings = {x: {d: tuple(ix) for d, ix in docs.items()} for x, docs in postings.items()}
        """unit → entry → the indexes of that entry's names/questions holding the unit."""
        self.gazetteer = Gazetteer(kb)
        for d in self.docs:
            for n in d.names:
                vocabulary += _PIECE_SPLIT.split(self._rewrite(normalize(n)))
        self.speller = Speller(vocabulary, reading=self.tokenizer.reading)
        self._by_id = {d.entry_id: i for i, d in enumerate(self.docs)}
        names: list[str] = []
        owners: list[int] = []
        for i, d in enumerate(self.docs):
            for name in d.names:
                reading = self.tokenizer.reading(self._rewrite(normalize(name)))
                if 3 <= len(reading) <= MAX_NAME_READING:
                    names.append(reading)
                    owners.append(i)
        self._name_readings = names
        self._procedure_names = [
            (self._rewrite(normalize(n)), p)
            for p in kb.procedures.values() for n in (p.name, *p.aliases) if len(n) >= 2
        ]
        self._name_owners = owners
        # Dense retrieval: each encoder's vectors of the entries' names and questions (cached on disk).
        self.dense = {e.name: DenseIndex(e, self.docs, cache_dir, memo_size) for e in encoders}
        self.cascade = Cascade.load(list(self.dense))
        self.fusion = fusion or (FusionWeights.load(list(self.dense)) if self.dense else LEXICAL_ONLY)
        self._first_fusion = (FusionWeights.load(list(self.cascade.first))
                              if self.cascade.first and set(self.cascade.first) != set(self.dense) else None)
        self._ward_factors: dict[str, dict[int, float]] = {}
        self._moving_docs = [i for i, d in enumerate(self.docs) if d.move]
        self.lexical_calls = 0
        """Questions the cascade answered with the lexical ranking alone, no encoder asked."""
        self.slow_calls = 0
        """Questions for which the cascade called the encoders after its first stage."""
        self.settled_calls = 0
        """Questions the cascade left undecided that were answered with its first stage's ranking
        (:meth:`settle`): the slower encoders were too busy."""

    def ward_factors(self, ward: str | None) -> dict[int, float]:
        """Document → its ward agreement factor for a question about ``ward`` (entries of no ward: absent)."""
        if ward is None:
            return {}
        factors = self._ward_factors.get(ward)
        if factors is None:
            factors = self._ward_factors[ward] = {i: _ward_factor(d, ward) for i, d in enumerate(self.docs) if d.ward}
        return factors

    def factors(self, u: Understanding, ward: str | None) -> dict[int, float]:
        """Document → the factor its ward and its direction of moving give it for this question (absent: 1)."""
        factors = self.ward_factors(u.entities.ward or ward)
        if u.move is None:
            return factors
        factors = dict(factors)
        for i in self._moving_docs:
            factors[i] = factors.get(i, 1.0) * _move_factor(self.docs[i], u.move)
        return factors

    def first_stage(self, text: str, ward: str | None = None) -> Ranked | Pending:
        """The question's ranking from the memo, or computed as far as the cascade's first stage: a
        :class:`Pending` when the slower encoders must still decide (:meth:`finish`)."""
        ranked = self._read.get(text, ward)
        if ranked is not None:
            return ranked
        staged = self._stage_one(text, ward)
        if not isinstance(staged, Pending):
            self._read.put(staged, text, ward)
        return staged

    def prepare(self, text: str, ward: str | None = None) -> Ranked:
        """The question understood, the ward it is about and its candidates (from the memo, or computed
        into it): the slow part of a new question, which the service runs off the event loop and hands to
        :meth:`respond`."""
        staged = self.first_stage(text, ward)
        return self.finish(staged) if isinstance(staged, Pending) else staged

    def memoised(self, text: str, ward: str | None = None) -> Ranked | None:
        """The question's ranking if the memo holds it (no understanding, no encoding), else None."""
        return self._read.get(text, ward)

    # -- understanding -------------------------------------------------------------------------

    def _rewrite(self, normalized: str) -> str:
        """English into Japanese terms, then citizens' variants into the city's wording."""
        return self.synonyms.rewrite(self.english.translate(normalized))

    def _tokens(self, text: str) -> list[Token]:
        return self.tokenizer.tokens(self._rewrite(normalize(text)))

    def _terms(self, text: str) -> list[str]:
        return content_terms(self._tokens(text))

    def understand(self, text: str) -> Understanding:
        normalized = normalize(text)
        rewritten = self._rewrite(normalized)
        # "横浜から中原区へ引っ越す" is a 転入, "中原区から宮前区に" a 転居: the places say which way a move goes
        # (read before the speller, which knows words, not places).
        move = direction(rewritten, self.gazetteer.ward_of)
        tokens = self.tokenizer.tokens(rewritten)
        suspicious = self._suspicious(tokens)
        if suspicious:
            corrected = self.speller.correct(rewritten, suspicious)
            if corrected != rewritten:
                rewritten = corrected
                tokens = self.tokenizer.tokens(rewritten)
        terms = content_terms(tokens, with_parts=False)
        primary = set(terms)
        parts = [p for p in content_terms(tokens) if p not in primary]
        related: list[str] = []
        for t in tokens:
            if t.normalized in primary:
                for g in t.groups:
                    related += (x for x in self._group_terms.get(g, ()) if x not in primary)
        return Understanding(
            nouns=tuple(dict.fromkeys(t.normalized for t in tokens if t.pos == "名詞" and t.normalized in primary
                                      and t.pos_detail not in ("副詞可能", "助数詞可能"))),
            related=tuple(dict.fromkeys(related)),
            units=tuple(term_units(tokens)),
            parts=tuple(dict.fromkeys(parts)),
            has_unknown_words=any(t.oov for t in tokens),
            normalized=normalized,
            rewritten=rewritten,
            terms=tuple(terms),
            entities=self.gazetteer.extract(rewritten, normalized if rewritten != normalized else None),
            foci=self.cues.foci(rewritten if rewritten == normalized else f"{rewritten}\n{normalized}"),
            move=move,
        )

    def _suspicious(self, tokens: Sequence[Token]) -> list[str]:
        """Surfaces of tokens that look like a slip: words the base does not know, or one-kanji scraps
        next to each other (課税証名書 → 課税/証/名/書)."""
        out = []
        for i, t in enumerate(tokens):
            if HIRAGANA_RUN.fullmatch(t.surface) and t.pos in _KANA_FOR_KANJI and any(
                    0 <= j < len(tokens) and _KANJI.search(tokens[j].surface) for j in (i - 1, i + 1)):
                out.append(t.surface)  # 印かん証明: a kanji typed as its reading, next to kanji
                continue
            if not (t.oov or t.pos in _NOUNISH) or not _KANJI.search(t.surface):
                continue
            # A word of three or more characters that the dictionary knows (最新作) is what was meant, not a
            # slip for a word of the base one character away (最新号).
            unknown = t.oov or (t.normalized not in self.index and len(t.surface) < 3)
            scrap = len(t.surface) == 1 and any(
                0 <= j < len(tokens) and len(tokens[j].surface) == 1 and _KANJI.search(tokens[j].surface)
                for j in (i - 1, i + 1))
            if unknown or scrap:
                out.append(t.surface)
        return out

    def _is_cue(self, term: str) -> bool:
        """A focus or question word (手数料, どこ, いつ, 何曜): it says what is asked, not which entry, so it is
        not part of the topic that coverage measures. 何 with a counter (何回, 何曜) keeps its full weight in
        BM25: an entry on that aspect of the topic asks it the same way (保険料は年に何回); out of the topic,
        it can no longer carry an entry that matches nothing else (何曜日に開いていますか for 空き缶は何曜日)."""
        return term in self._cue_words or asks(term)

    def _only_ward(self, u: Understanding) -> bool:
        """The ward was read from a word that says only where (a ward, a station), not an office's name."""
        source = u.entities.ward_source
        return source is not None and not self.gazetteer.names_office(source)

    # -- ranking ---------------------------------------------------------------------------------

    def rank(self, u: Understanding, ward: str | None, limit: int = 10) -> list[Candidate]:
        """Candidates for the question, best first, with their score and IDF-weighted unit coverage."""
        w = self.weights
        idf = self.index.idf
        ward_terms = set(WARDS) | ({u.entities.ward_source} if self._only_ward(u) else set())
        key_terms = [t for t in u.terms if not self._is_cue(t) and t not in DATE_WORDS and not _NUMBER.match(t)]
        boosts = {t: w.cue for t in u.terms if t in self._cue_words}
        boosts.update({t: w.part for t in u.parts})
        expansions = self.synonyms.expansions(list(u.terms))
        boosts.update({t: w.expansion for t in expansions})
        if w.related:
            related = [t for t in u.related if t not in boosts and t not in u.terms]
            boosts.update({t: w.related for t in related})
            expansions += related
        hits = self.index.search([*u.terms, *u.parts, *expansions], limit=w.candidates, boosts=boosts)
        # What the question is about, in short units: coverage and name matching count these.
        topic = [t for t in key_terms if t not in ward_terms] or key_terms
        topic_set = set(topic)
        key_units = list(dict.fromkeys(x for t, units in u.units if t in topic_set for x in units))
        total_idf = sum(idf(x) for x in key_units)
        # A name or question is matched on all the question says (土曜日 and どこ included), dates and wards aside.
        short_units: dict[str, float] = {}
        for t, units in u.units:
            if t not in DATE_WORDS and t not in ward_terms:
                for x in units:
                    short_units[x] = max(short_units.get(x, 0.0), idf(x) * (w.cue if t in self._cue_words else 1.0))
        short_idf = sum(short_units.values())
        if w.related_short:
            for x in u.related:
                if x not in short_units:
                    short_units[x] = idf(x) * w.related_short

        scores: dict[int, float] = {}
        coverage: dict[int, float] = {}
        matched: dict[int, frozenset[str]] = {}
        best_bm25 = hits[0].score if hits else 0.0
        unit_idf = [(x, idf(x)) for x in key_units]
        body_only = w.body_only_coverage
        for h in hits:
            strong = self._strong[h.doc]
            found = h.matched
            covered = sum(v if x in strong else v * body_only for x, v in unit_idf if x in found)
            coverage[h.doc] = covered / total_idf if total_idf else 0.0
            scores[h.doc] = h.score / best_bm25
            matched[h.doc] = h.matched

        # Fuzzy match of entry names on readings: typos, kana for kanji, unknown words.
        needs_fuzzy = is_kana_only(u.rewritten) or not hits or u.has_unknown_words
        if needs_fuzzy and self._name_readings:
            reading = to_katakana(self.tokenizer.reading(u.rewritten))
            if len(reading) >= 3:
                for _, fz, idx in process.extract(
                    reading, self._name_readings, scorer=fuzz.partial_ratio,
                    score_cutoff=self.thresholds.fuzzy_cutoff, limit=8,
                ):
                    name_len = len(self._name_readings[idx])
                    if name_len < 4 and fz < 100:
                        continue
                    doc = self._name_owners[idx]
                    share = min(1.0, name_len / max(len(reading), 1) + 0.3)
                    bonus = (fz / 100.0) * share
                    scores[doc] = max(scores.get(doc, 0.0), bonus)
                    coverage[doc] = max(coverage.get(doc, 0.0), bonus)
                    matched.setdefault(doc, frozenset({"~" + self._name_readings[idx]}))

        short = self._short_matches(scores, short_units, short_idf) if w.short_text and short_idf else {}
        query_grams: dict[str, float] = {}
        if w.bigrams:
            for g in char_bigrams(u.rewritten):
                query_grams[g] = self._gram_idf.get(g, 0.0)
        gram_mass = sum(query_grams.values())
        effective_ward = u.entities.ward or ward
        checklist = self.cues.wants_checklist(u.cue_text)
        prescored: list[tuple[float, float, int, float, float, float]] = []
        for doc_id, lexical in scores.items():
            d = self.docs[doc_id]
            cov = min(1.0, coverage.get(doc_id, 0.0))
            name, title = short.get(doc_id, (0.0, 0.0))
            # An entry that covers all of the question beats one that matches part of it strongly.
            score = (lexical * (w.coverage_floor + (1.0 - w.coverage_floor) * cov) + w.short_text * name
                     + w.title * title)
            factor = _ward_factor(d, effective_ward) * _move_factor(d, u.move)
            if checklist and d.kind == "life_event":
                factor *= w.checklist
            prescored.append((score * factor, factor, doc_id, lexical, cov, name))
        prescored.sort(reverse=True)
        # The bigram share adds at most w.bigrams × factor: once that cannot lift an entry into the top
        # ``limit`` any more, the rest are not looked at (the result is the same, the work is less).
        best: list[tuple[float, int, float, float, float, float]] = []  # a min-heap of the top ``limit``
        for prescore, factor, doc_id, lexical, cov, name in prescored:
            if len(best) >= limit and prescore + w.bigrams * factor <= best[0][0]:
                break
            gram = 0.0
            if gram_mass:
                shared = self._doc_grams[doc_id].intersection(query_grams)
                gram = sum(query_grams[g] for g in shared) / gram_mass
            item = (prescore + w.bigrams * gram * factor, -doc_id, lexical, cov, name, gram)
            if len(best) < limit:
                heapq.heappush(best, item)
            elif item > best[0]:
                heapq.heapreplace(best, item)
        ranked = []
        for score, neg_id, lexical, cov, name, gram in sorted(best, reverse=True):
            d = self.docs[-neg_id]
            ranked.append(Candidate(d.entry_id, d.title, d.kind, score, cov,
                                    tuple(sorted(matched.get(-neg_id, frozenset()))),
                                    (("bm25", lexical), ("coverage", cov), ("name", name), ("bigrams", gram))))
        return ranked

    def _stage_one(self, text: str, known_ward: str | None) -> Ranked | Pending:
        """Understand the question and rank it lexically and with the cascade's first encoders: the
        ranking, or what the slower encoders still have to decide (:meth:`finish`)."""
        u = self.understand(text)
        ward = u.entities.ward or known_ward
        if not self.dense:
            return u, ward, tuple(self.rank(u, ward))
        lexical = tuple(self.rank(u, ward, limit=20))
        scores = {self._by_id[c.entry_id]: c.score for c in lexical}
        factors = self.factors(u, ward)
        # The cascade's first step: a decisive lexical ranking that covers the question needs no encoder.
        alone = fuse(scores, {}, LEXICAL_ONLY, factors)
        if self.cascade.lexical_decisive(alone, lexical[0].coverage if lexical else 0.0, self.thresholds.answer):
            self.lexical_calls += 1
            return self._ranked(u, ward, lexical, alone)
        if self._first_fusion is None:
            return self._ranked(u, ward, lexical, fuse(scores, self._similarities(u, self.dense), self.fusion, factors))
        # The cascade: the fast encoders first; the slower ones only when that ranking is not decisive.
        sims = self._similarities(u, self.cascade.first)
        fused = fuse(scores, sims, self._first_fusion, factors)
        if self.cascade.decisive(fused):
            return self._ranked(u, ward, lexical, fused)
        return Pending((text, known_ward), u, ward, lexical, sims)

    def finish(self, pending: Pending) -> Ranked:
        """Rank a question the cascade's first stage left undecided with every encoder, into the memo. The
        slower encoders release the GIL: the service runs this on its own thread, so that the matcher
        thread goes on with the next questions meanwhile."""
        self.slow_calls += 1
        u, ward = pending.understanding, pending.ward
        slower = [n for n in self.dense if n not in pending.similarities]
        sims = {**pending.similarities, **self._similarities(u, slower)}
        scores = {self._by_id[c.entry_id]: c.score for c in pending.lexical}
        fused = fuse(scores, sims, self.fusion, self.factors(u, ward))
        ranked = self._ranked(u, ward, pending.lexical, fused)
        self._read.put(ranked, *pending.key)
        return ranked

    def settle(self, pending: Pending) -> Ranked:
        """Rank a question the cascade's first stage left undecided with that stage's encoders only, as if
        it were decisive: for when the slower encoders are too busy to answer in time. Not memoised, so
        the question asked again gets the full ranking."""
        self.settled_calls += 1
        u, ward = pending.understanding, pending.ward
        scores = {self._by_id[c.entry_id]: c.score for c in pending.lexical}
        fusion = self._first_fusion or self.fusion
        fused = fuse(scores, pending.similarities, fusion, self.factors(u, ward))
        return self._ranked(u, ward, pending.lexical, fused)

    def _similarities(self, u: Understanding, names: Iterable[str]) -> dict[str, npt.NDArray[np.float32]]:
        return {n: self.dense[n].similarities(self.dense[n].query_vector(u.normalized)) for n in names}

    def _ranked(self, u: Understanding, ward: str | None, lexical: Sequence[Candidate],
                fused: Sequence[Scored]) -> Ranked:
        """The fused ranking as candidates: the lexical candidates and each encoder's nearest entries
        (:mod:`intents.fusion`), with every feature kept for explanations and decisions."""
        by_doc = {self._by_id[c.entry_id]: c for c in lexical}
        out = []
        for s in fused[:10]:
            c = by_doc.get(s.doc)
            d = self.docs[s.doc]
            extra = tuple((k, v) for k, v in s.features.items() if k != "lexical")
            if c is None:
                c = Candidate(d.entry_id, d.title, d.kind, 0.0, 0.0, (), ())
            out.append(replace(c, score=s.score, features=(*c.features, ("lexical", s.features["lexical"]), *extra)))
        return u, ward, tuple(out)

    def memo_info(self) -> tuple[int, int]:
        """(hits, misses) of the memo of understood and ranked questions since the engine was built."""
        return self._read.hits, self._read.misses

    def _short_matches(self, docs: Iterable[int], query_units: Mapping[str, float],
                       query_mass: float) -> dict[int, tuple[float, float]]:
        """How well one of each entry's names or questions alone matches the question: the best, over them,
        of shared² / (mass of the text × mass of the question), a cosine on IDF-weighted unit sets
        (``query_units``: unit → its weight in the question; cue words weigh less); and the same over
        the entry's names (title field) only."""
        lists = [(self._short_postings[x], weight) for x, weight in query_units.items() if x in self._short_postings]
        best: dict[int, tuple[float, float]] = {}
        for doc_id in docs:
            shared: dict[int, float] = {}
            for by_doc, weight in lists:
                for i in by_doc.get(doc_id, ()):
                    shared[i] = shared.get(i, 0.0) + weight
            if shared:
                masses = self._short_mass[doc_id]
                names = self._short_names[doc_id]
                values = [(m * m / masses[i] / query_mass, i in names) for i, m in shared.items()]
                best[doc_id] = (max(v for v, _ in values), max((v for v, is_name in values if is_name), default=0.0))
        return best

    # -- deciding -------------------------------------------------------------------------------

    def respond(self, text: str, ctx: Context, ranked: Ranked | None = None) -> Reply:
        """The reply to a question: ``ranked`` is its :meth:`prepare` (computed here when not given)."""
        u, ward, candidates = ranked if ranked is not None else self.prepare(text, ctx.ward)
        # An English question gets an English answer, whatever the session's language.
        en = ctx.lang == "en" or self.english.is_english(u.normalized)
        ctx = replace(ctx, lang="en" if en else "ja")
        top = candidates[0] if candidates else None
        explain: dict[str, object] = {
            "terms": list(u.terms), "foci": list(u.foci), "ward": ward,
            "offices": list(u.entities.offices),
            "rewritten": u.rewritten,
            "candidates": [{"entry_id": c.entry_id, "matched": list(c.matched),
                            "features": {k: round(v, 3) for k, v in c.features}} for c in candidates[:5]],
        }

        def reply(kind: ReplyKind, confidence: float, **kw: object) -> Reply:
            if en:
                kw = self._english_parts(kw)
            return Reply(kind=kind, confidence=round(confidence, 3), candidates=tuple(candidates[:5]),
                         ward=ward, understanding=u, explain=explain, lang=ctx.lang,
                         **kw)  # type: ignore[arg-type]

        def answer_for(entry: Sourced) -> Answer:
            answer = compose(self.kb, entry, u.foci, ward, self.contact)
            return en_text.english_answer(self.kb, entry, answer, u.foci, self.contact) if en else answer

        if self.cues.in_crisis(u.cue_text):
            # 「死にたい」: the lines that listen, whatever the ranking says (the base's words for 死 are a
            # dog's death and the death registration); a person when the base has no such entry.
            explain["route"] = "crisis"
            crisis = self.kb.get(self.cues.crisis_entry) if self.cues.crisis_entry else None
            lines = answer_for(crisis) if crisis is not None else None
            if lines is not None and not self.cues.wants_handoff(u.cue_text):
                return reply("answer", 1.0, answer=lines, topic=self.cues.crisis_entry,
                             follow_ups=("オペレーターと話したい",))
            text = self._crisis_text(en) if lines is None else f"{lines.text}\n{self._handoff_text(en)}"
            return reply("handoff", 1.0, text=text, topic=ctx.topic)
        if self.cues.wants_handoff(u.cue_text):
            return reply("handoff", 1.0, text=self._handoff_text(en), topic=ctx.topic)

        key_terms = self._topic_terms(u)
        # A follow-up that names no new topic ("土曜は？", "中原区です") continues the last one.
        if not key_terms and ctx.topic and (u.foci or u.entities.ward):
            entry = self.kb.get(ctx.topic)
            if entry is not None:
                answer = answer_for(entry)
                return reply("answer", 0.8, answer=answer, topic=ctx.topic,
                             follow_ups=self._follow_ups(ctx.topic, u.foci))
        if u.entities.ward and not u.foci and not [t for t in key_terms if t not in RESIDENCE_WORDS]:
            return reply("smalltalk", 1.0, text=en_text.ward_noted_text(u.entities.ward) if en
                         else f"{u.entities.ward}ですね。ご質問をどうぞ。")

        # Opening days: a time is asked about and nothing but a place is named.
        # A bare weekday ("土曜日に出せますか") asks about Saturdays in general, not about one date.
        mentions = [m for m in resolve_dates(u.normalized, ctx.now) if not _BARE_WEEKDAY.fullmatch(m.text)]
        explain["dates"] = [m.text for m in mentions]
        if self.kb.calendar is not None and is_time_question(u.rewritten, mentions):
            place_terms = set(self._terms(u.entities.ward_source or ""))
            for office_id in u.entities.offices:
                office = self.kb.offices[office_id]
                place_terms.update(self._terms(" ".join((office.name, *office.aliases))))
            topical = [t for t in key_terms if t not in CALENDAR_VOCABULARY and t not in place_terms]
            place = place_for(self.kb, u.rewritten, u.entities.offices, ward)
            if not topical and place is not None:
                opening = calendar_answer(self.kb, place, u.rewritten, mentions, ctx.now, _lang(ctx.lang))
                if opening is not None:
                    explain["route"] = "opening_days"
                    return reply("answer", 0.9, answer=opening, topic=place.office.id if place.office else None,
                                 follow_ups=("次の土曜開庁日は？", "年末年始の休みは？"))

        # Chatter and routes: out of scope by their words, unless the question also names a city office
        # (行き方 to a ward office is access) or matches an entry's names squarely. Then only the rules
        # may vouch for an answer: the learned judge never saw such a question answered.
        beyond = self.cues.out_of_scope(u.cue_text)
        confidence = self._confidence(candidates, u, en, learned=not beyond)
        smalltalk = self.cues.smalltalk_kind(u.cue_text)
        if smalltalk and len(u.normalized) <= 20 and confidence < self.thresholds.answer + 0.2:
            return reply("smalltalk", 1.0, text=(en_text.SMALLTALK if en else _SMALLTALK)[smalltalk], topic=ctx.topic)

        if beyond and not u.entities.offices and not (top is not None and dict(top.features).get("name", 0) >= 0.8):
            explain["out_of_scope"] = beyond
            return reply("fallback", min(confidence, self.thresholds.answer / 2),
                         text=(en_text.OUT_OF_SCOPE if en else _OUT_OF_SCOPE)[beyond].format(
                             line=self.contact.line("en" if en else "ja")),
                         follow_ups=("オペレーターと話したい",))

        if u.entities.elsewhere and not u.entities.ward:
            explain["elsewhere"] = u.entities.elsewhere
            return reply("fallback", min(confidence, self.thresholds.answer / 2), text=self._elsewhere_text(
                u.entities.elsewhere, en), follow_ups=("オペレーターと話したい",))
        if top is None or confidence < self.thresholds.answer:
            return reply("fallback", confidence, text=self._fallback_text(en), follow_ups=("オペレーターと話したい",))

        # "住民票は溝口の行政サービスコーナーで取れる？": a procedure at a kind of place.
        possible = self._availability(u, candidates)
        if possible is not None:
            explain["route"] = "availability"
            if en:  # the answer about that one place is written in Japanese only
                possible = replace(possible, text=en_text.ONLY_JAPANESE.format(line=self.contact.line("en"))
                                   + "\n" + possible.text)
            return reply("answer", max(confidence, 0.8), answer=possible, topic=possible.entry_id,
                         follow_ups=self._follow_ups(possible.entry_id, u.foci))

        ward_question = self._ward_question(candidates, ward)
        if ward_question is not None:
            return reply("clarify", confidence, clarify=ward_question, topic=top.entry_id)

        second = candidates[1] if len(candidates) > 1 else None
        # A life event and a procedure of its own lead to the same answer: the life event, which lists it.
        event = self._event_containing(top, second) if second is not None else None
        if event is not None and second is not None and second.score >= top.score * self.thresholds.close_ratio:
            top = event
        elif (second is not None and second.score >= top.score * self.thresholds.close_ratio
                and second.coverage >= 0.5 and not self._related(top.entry_id, second.entry_id)):
            options = tuple(c.title for c in candidates[:3]
                            if c.score >= top.score * self.thresholds.close_ratio)
            return reply("clarify", confidence,
                         clarify=Clarify("どちらについてのご質問ですか。", options), topic=None)

        entry = self.kb.get(top.entry_id)
        assert entry is not None
        answer = answer_for(entry)
        if isinstance(entry, Procedure):
            answer = self._with_calendar(answer, entry.saturday is True, u, mentions, ward, ctx)
        elif isinstance(entry, Faq) and "saturday" in u.foci:  # its text says what; the calendar says when
            answer = self._with_calendar(answer, True, u, (), ward, ctx)
        return reply("answer", confidence, answer=answer, topic=top.entry_id,
                     follow_ups=self._follow_ups(top.entry_id, u.foci))

    def _with_calendar(self, answer: Answer, on_saturdays: bool, u: Understanding,
                       mentions: Sequence[DateMention], ward: str | None, ctx: Context) -> Answer:
        """Add what the ward office's calendar says: about the day named ("12/12に転入届出せる？"),
        or the next Saturday opening when Saturdays are asked about and the procedure is accepted then."""
        cal = self.kb.calendar
        place = place_for(self.kb, "区役所", (), ward) if cal is not None else None
        if cal is None or place is None:
            return answer
        day_mentions = [m for m in mentions if not m.is_range]
        if day_mentions:
            day_text = describe_day(cal, place.profile, place.name, day_mentions[0].first, ctx.now, _lang(ctx.lang))
            return replace(answer, text=f"{day_text}\n{answer.text}")
        if "saturday" in u.foci and on_saturdays:
            upcoming = cal.next_openings(place.profile, ctx.now, n=1, kind="saturday")
            if upcoming:
                next_line = (f"The next Saturday opening is {format_opening(upcoming[0], 'en')}." if ctx.lang == "en"
                             else f"次の土曜開庁日は {format_opening(upcoming[0])} です。")
                return replace(answer, text=f"{answer.text}\n{next_line}")
        return answer

    def _availability(self, u: Understanding, candidates: Sequence[Candidate]) -> Answer | None:
        procedure = self._named_procedure(u.rewritten)
        if procedure is None:
            return None
        # The place is looked for outside the procedure's own name (コンビニ交付 names no place).
        rest = u.rewritten
        for name in sorted((n for n, p in self._procedure_names if p is procedure), key=len, reverse=True):
            rest = rest.replace(name, " ")
        kind = kind_in(rest, exclude=NOT_ASKED_ABOUT)
        offices = [self.kb.offices[o] for o in u.entities.offices if self.kb.offices[o].kind != "区役所"]
        if (kind is None and not offices) or not asks_if_possible(u.rewritten):
            return None
        place_word = None if offices else (place_word_in(u.rewritten) or u.entities.ward_source)
        if place_word and kind:  # "登戸の行政サービスコーナー" is the office 登戸行政サービスコーナー
            named = [o for o in self.kb.offices.values()
                     if o.kind == kind and any(place_word in n for n in (o.name, *o.aliases))]
            if named:
                offices, place_word = named[:1], None
        return availability_answer(self.kb, procedure, kind, offices[0] if offices else None, place_word,
                                   self.contact)

    def _named_procedure(self, text: str) -> Procedure | None:
        """The procedure whose name or alias occurs in the text, the longest such name winning."""
        best: tuple[int, Procedure] | None = None
        for name, procedure in self._procedure_names:
            if name in text and (best is None or len(name) > best[0]):
                best = (len(name), procedure)
        return best[1] if best else None

    def _confidence(self, candidates: Sequence[Candidate], u: Understanding, english: bool,
                    learned: bool = True) -> float:
        """The rules' confidence in the best candidate (its coverage, or an encoder's vouching, less when
        the second is close), or the learned judge's (:class:`intents.fusion.Vouching`) where it is surer."""
        if not candidates:
            return 0.0
        top = candidates[0]
        evidence = self.evidence(candidates, u, english)
        # The encoders vouch for a paraphrase, not for a question whose words point at another entry as
        # much as at this one ("犬と住民票": two topics, each entry covering its half).
        features = dict(top.features)
        vouched = 0.0 if evidence["rival"] else max(dense_confidence(features, self.fusion),
                                                    agreement_confidence(features, top.coverage, self.fusion))
        conf = max(top.coverage, vouched)
        if evidence["second"] > 0.8:
            conf *= 1.0 - (evidence["second"] - 0.8) * 0.5
        judged = (self.fusion.vouching.confidence(evidence)
                  if self.fusion.vouching and learned and self.judge_may_speak(evidence) else 0.0)
        conf = max(conf, judged)
        if evidence["no_noun"]:  # found on what is done, while another is on what it is about: not an answer
            conf = min(conf, self.thresholds.answer * 0.9)
        return max(0.0, min(1.0, conf))

    @staticmethod
    def judge_may_speak(evidence: Mapping[str, float]) -> bool:
        """Whether the learned judge has a say on this evidence: not on a question of two topics (each entry
        covering its half), nor where the best candidate matches none of the things the question names and
        a next candidate scoring at least half as much does (年金 いつ振り込まれる: 児童手当はいつ振り込まれますか
        first, 年金の支払日 second)."""
        return not evidence["two_topics"] and not evidence["no_noun"]

    def evidence(self, candidates: Sequence[Candidate], u: Understanding, english: bool) -> dict[str, float]:
        """What is known about the best candidate of a question (:data:`intents.fusion.EVIDENCE`), and
        whether an unrelated rival covering as much matches none of the words it matches (``two_topics``)."""
        top = candidates[0]
        features = dict(top.features)
        rivals = [c for c in candidates[1:3]
                  if c.coverage >= max(top.coverage, 0.3) and not self._related(top.entry_id, c.entry_id)]
        use, e5 = features.get("cosine:use"), features.get("cosine:e5")
        others = [v for c in candidates[1:] if (v := dict(c.features).get("cosine:use")) is not None]
        things = self._things_named(u)
        return {
            "coverage": top.coverage, "cosine:use": use or 0.0, "no_use": float(use is None),
            "name": features.get("name", 0.0), "bigrams": features.get("bigrams", 0.0),
            "lexical": features.get("lexical", 0.0),
            "second": candidates[1].score / top.score if len(candidates) > 1 and top.score > 0 else 0.0,
            "rival": float(bool(rivals)),
            "two_topics": float(any(not set(c.matched) & set(top.matched) for c in rivals)),
            "no_noun": float(bool(things) and not self._names_a_thing(top, things) and any(
                self._names_a_thing(c, things) for c in candidates[1:5] if c.score >= top.score * 0.5)),
            "use_lead": use - max(others) if use is not None and others else 0.0,
            "cosine:e5": e5 or 0.0, "no_e5": float(e5 is None), "short": 1.0 / (1 + len(u.terms)),
            "english": float(english),
        }

    def _topic_terms(self, u: Understanding) -> list[str]:
        """The question's words that say what it is about: not focus or question words, dates, wards, or a
        place read only as a ward."""
        return [t for t in u.terms if not self._is_cue(t) and t not in DATE_WORDS and t not in WARDS
                and not (t == u.entities.ward_source and self._only_ward(u))]

    def _things_named(self, u: Understanding) -> list[frozenset[str]]:
        """Each thing the question names (年金, スマホ; an office's name, not a ward alone), as the words a
        candidate may match it by: itself, its short units and its synonyms."""
        nouns, units = set(u.nouns), dict(u.units)
        return [frozenset({t, *units.get(t, ()), *self.synonyms.expansions([t])})
                for t in self._topic_terms(u) if t in nouns and not _NUMBER.match(t)]

    @staticmethod
    def _names_a_thing(candidate: Candidate, things: Sequence[frozenset[str]]) -> bool:
        """Whether the candidate matches one of the things named (:meth:`_things_named`)."""
        matched = set(candidate.matched)
        return any(matched & forms for forms in things)

    def _event_containing(self, a: Candidate, b: Candidate) -> Candidate | None:
        """The life event of the two when the other is one of its steps."""
        for event, other in ((a, b), (b, a)):
            entry = self.kb.life_events.get(event.entry_id) if event.kind == "life_event" else None
            if entry is not None and any(step.procedure == other.entry_id for step in entry.steps):
                return event
        return None

    def _related(self, a: str, b: str) -> bool:
        ea, eb = self.kb.get(a), self.kb.get(b)
        rel_a = set(getattr(ea, "related", ())) | {a}
        rel_b = set(getattr(eb, "related", ())) | {b}
        return b in rel_a or a in rel_b

    def _ward_question(self, candidates: Sequence[Candidate], ward: str | None) -> Clarify | None:
        """Ask for the ward when the best answers are the same thing in different wards."""
        if ward or not candidates:
            return None
        top = candidates[0]
        top_doc = self.docs[self._by_id[top.entry_id]]
        if not top_doc.ward:
            return None
        peers = [c for c in candidates[1:6] if c.kind == top.kind and c.score >= top.score * 0.9
                 and self.docs[self._by_id[c.entry_id]].ward not in (None, top_doc.ward)]
        if not peers:
            return None
        return Clarify("どちらの区にお住まいですか（どちらの区役所についてのご質問ですか）。", WARDS)

    def _follow_ups(self, entry_id: str, foci: Sequence[str]) -> tuple[str, ...]:
        entry = self.kb.get(entry_id)
        out: list[str] = []
        if isinstance(entry, Procedure):
            for focus, question in (("bring", "必要な持ち物は？"), ("fee", "手数料は？"),
                                    ("saturday", "土曜日も手続きできる？")):
                if focus not in foci:
                    out.append(question)
        for rel in getattr(entry, "related", ())[:2]:
            rel_entry = self.kb.get(rel)
            title = getattr(rel_entry, "name", None) or getattr(rel_entry, "question", None)
            if title:
                out.append(str(title))
        return tuple(out[:4])

    def _english_parts(self, kw: dict[str, object]) -> dict[str, object]:
        """A reply's clarifying question and follow-up buttons in English (its texts are chosen where it is
        made)."""
        out = dict(kw)
        clarify = kw.get("clarify")
        if isinstance(clarify, Clarify):
            question = en_text.CLARIFY_WARD if clarify.options == WARDS else en_text.CLARIFY_WHICH
            out["clarify"] = replace(clarify, question=question)
        follow_ups = kw.get("follow_ups")
        if isinstance(follow_ups, tuple):
            # Related entries stay under their Japanese names: a button sends its text back as the next
            # question, and the names are what the matcher knows.
            out["follow_ups"] = tuple(en_text.FOLLOW_UPS.get(str(f), str(f)) for f in follow_ups)
        return out

    def _handoff_text(self, en: bool = False) -> str:
        cp = self.contact
        if en:
            return en_text.handoff_text(cp)
        return (f"オペレーターにおつなぎします。お電話の場合は{cp.name}（{cp.phone}、{cp.hours}）"
                "でもお受けしています。")

    def _elsewhere_text(self, place: str, en: bool = False) -> str:
        cp = self.contact
        if en:
            return en_text.elsewhere_text(place, cp)
        return (f"申し訳ありません。{place}の手続きや施設については、こちらではお答えできません（わかりません）。"
                f"{place}にお問い合わせください。川崎市のことでしたら{cp.name}（{cp.phone}、{cp.hours}）でもお受けしています。")

    def _crisis_text(self, en: bool = False) -> str:
        line = self.contact.line("en" if en else "ja")
        if en:
            return (f"Thank you for telling us how you feel. If a life is in danger now, call 119 (ambulance) or 110 "
                    f"(police). {line} will listen; I am connecting you to an operator.")
        return (f"おつらい気持ちを話してくださってありがとうございます。いま命の危険があるときは、119番(救急)か110番に"
                f"電話してください。{line}でお話をお聞きします。オペレーターにおつなぎします。")

    def _fallback_text(self, en: bool = False) -> str:
        cp = self.contact
        if en:
            return en_text.fallback_text(cp)
        return (f"申し訳ありません。そのご質問にはお答えできる情報が見つかりませんでした（わかりません）。"
                f"{cp.name}（{cp.phone}、{cp.hours}）にお問い合わせいただくか、オペレーターにおつなぎします。")


def _move_factor(d: Document, move: str | None) -> float:
    """An entry about another way of moving than the question's counts much less."""
    return MOVE_MISMATCH if move and d.move and d.move != move else 1.0


def _ward_factor(d: Document, ward: str | None) -> float:
    """An entry of the question's ward counts more, one of another ward much less; the rest as they are."""
    if not (d.ward and ward):
        return 1.0
    return 1.3 if d.ward == ward else 0.25


_BARE_WEEKDAY = re.compile(r"[月火水木金土日](曜日?|よう日?)?(は|に|も)?")


def _lang(lang: str) -> Lang:
    return "en" if lang == "en" else "ja"


_OUT_OF_SCOPE = {
    "chatter": "お話しくださりありがとうございます。こちらでは川崎市の手続き・窓口・開庁日などをご案内しています。"
               "市のことでお困りのことがあれば、お気軽にご質問ください。",
    "route": "申し訳ありません。駅や施設の間の乗り換え・経路はこちらではご案内できません（わかりません）。"
             "鉄道会社などの経路案内をご利用ください。区役所など市の施設への行き方でしたら、施設名を添えてご質問ください。",
    "other_topic": "申し訳ありません。天気や飲食店・お店のご案内はこちらではできません（わかりません）。"
                   "川崎市の手続き・窓口・開庁日などについてご質問ください。市のことは{line}でもお受けしています。",
    "medical": "申し訳ありません。病気の症状やお薬についてはお答えできません（わかりません）。"
               "かかりつけの医療機関や薬局にご相談ください。急な病気やけがで受診や救急車を迷うときの相談先は「救急の相談先」とお尋ねください。"
               "市のことは{line}でもお受けしています。",
    "device": "申し訳ありません。スマートフォンやパソコン、インターネット回線・アプリの不具合や設定については"
              "お答えできません（わかりません）。お使いの機器のメーカーや販売店、通信会社にお問い合わせください。"
              "マイナンバーカードや市の電子申請のことでしたら、そのようにご質問ください。市のことは{line}でもお受けしています。",
    "noise": "ご質問を読み取れませんでした。"
             "川崎市の手続き・窓口・開庁日などについて、知りたいことを文章でお書きください。"
             "お電話では{line}でお受けしています。",
}

_SMALLTALK = {
    "greeting": "こんにちは。川崎市の手続きや窓口、開庁日についてお気軽にご質問ください。",
    "thanks": "どういたしまして。ほかにご質問があればどうぞ。",
    "bye": "ご利用ありがとうございました。",
}

__all__ = ["Answer", "Candidate", "Clarify", "ContactPoint", "Context", "Engine", "Reply", "Thresholds"]
