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
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from rapidfuzz import fuzz, process

from intents.availability import NOT_ASKED_ABOUT, asks_if_possible, availability_answer, kind_in, place_word_in
from intents.compose import Answer, ContactPoint, compose, contact_point
from intents.cues import Cues
from intents.dates import DateMention, resolve_dates
from intents.documents import Document, documents
from intents.entities import Entities, Gazetteer
from intents.index import BM25Index
from intents.normalize import is_kana_only, normalize, to_katakana
from intents.opening_days import CALENDAR_VOCABULARY, calendar_answer, is_time_question, place_for
from intents.synonyms import Synonyms
from intents.tokenize import Tokenizer, content_terms
from knowledge.calendar_text import Lang, describe_day, format_opening
from knowledge.loader import KnowledgeBase
from knowledge.schema import WARDS, Procedure

ReplyKind = Literal["answer", "clarify", "fallback", "handoff", "smalltalk"]

DATE_WORDS = frozenset(
    {"今日", "本日", "明日", "明後日", "昨日", "今週", "来週", "再来週", "今月", "来月", "先月", "今年",
     "来年", "年末", "年始", "週末", "毎日", "朝", "午前", "午後", "夕方", "夜"}
)
"""Time words: they say *when*, not *what*, so they do not pick an entry."""

COVERAGE_FLOOR = 0.6
"""Ranking multiplies the BM25 score by COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * coverage."""

RESIDENCE_WORDS = frozenset({"住む", "在住", "住まい", "暮らす", "住所"})
""""中原区に住んでいます" only tells the ward: these words do not make it a question."""

BODY_ONLY_COVERAGE = 0.5
"""Coverage credit for a query term found only in an entry's body, not in its title or questions."""

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
    has_unknown_words: bool = False
    """Sudachi met a word it does not know (a typo, or kana where kanji was meant)."""


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


class Engine:
    """The matcher over one knowledge base."""

    def __init__(
        self,
        kb: KnowledgeBase,
        tokenizer: Tokenizer | None = None,
        synonyms: Synonyms | None = None,
        cues: Cues | None = None,
        thresholds: Thresholds = Thresholds(),
    ) -> None:
        self.kb = kb
        self.tokenizer = tokenizer or Tokenizer()
        self.synonyms = synonyms or Synonyms.load()
        self.cues = cues or Cues.load()
        self.thresholds = thresholds
        self.contact = contact_point(kb)
        self._cue_words = frozenset(terms[0] for terms in map(self._terms, self.cues.cue_words()) if terms)
        self.docs: list[Document] = list(documents(kb))
        fields = [{name: self._field_terms(texts) for name, texts in d.fields.items()} for d in self.docs]
        self.index = BM25Index(fields)
        # Terms in an entry's title or questions: a query term found only in the body covers less.
        self._strong = [frozenset(f.get("title", [])) | frozenset(f.get("questions", [])) for f in fields]
        self.gazetteer = Gazetteer(kb)
        self._by_id = {d.entry_id: i for i, d in enumerate(self.docs)}
        names: list[str] = []
        owners: list[int] = []
        for i, d in enumerate(self.docs):
            for name in d.names:
                reading = self.tokenizer.reading(self.synonyms.rewrite(normalize(name)))
                if 3 <= len(reading) <= MAX_NAME_READING:
                    names.append(reading)
                    owners.append(i)
        self._name_readings = names
        self._procedure_names = [
            (self.synonyms.rewrite(normalize(n)), p)
            for p in kb.procedures.values() for n in (p.name, *p.aliases) if len(n) >= 2
        ]
        self._name_owners = owners

    # -- understanding -------------------------------------------------------------------------

    def _terms(self, text: str) -> list[str]:
        return self.tokenizer.terms(self.synonyms.rewrite(normalize(text)))

    def _field_terms(self, texts: Sequence[str]) -> list[str]:
        out: list[str] = []
        for t in texts:
            out += self._terms(t)
        return out

    def understand(self, text: str) -> Understanding:
        normalized = normalize(text)
        rewritten = self.synonyms.rewrite(normalized)
        tokens = self.tokenizer.tokens(rewritten)
        terms = content_terms(tokens, with_parts=False)
        primary = set(terms)
        parts = [p for p in content_terms(tokens) if p not in primary]
        return Understanding(
            parts=tuple(dict.fromkeys(parts)),
            has_unknown_words=any(t.oov for t in tokens),
            normalized=normalized,
            rewritten=rewritten,
            terms=tuple(terms),
            entities=self.gazetteer.extract(rewritten),
            foci=self.cues.foci(rewritten),
        )

    # -- ranking ---------------------------------------------------------------------------------

    def rank(self, u: Understanding, ward: str | None, limit: int = 10) -> list[Candidate]:
        """Candidates for the question, best first, with their score and IDF-weighted term coverage."""
        ward_terms = set(WARDS) | ({u.entities.ward_source} if u.entities.ward_source else set())
        key_terms = [t for t in u.terms if t not in self._cue_words and t not in DATE_WORDS]
        boosts = {t: 0.5 for t in u.terms if t in self._cue_words}
        boosts.update({t: 0.5 for t in u.parts})
        expansions = self.synonyms.expansions(list(u.terms))
        boosts.update({t: 0.4 for t in expansions})
        hits = self.index.search([*u.terms, *u.parts, *expansions], limit=40, boosts=boosts)
        denominator_terms = [t for t in key_terms if t not in ward_terms] or key_terms
        total_idf = sum(self.index.idf(t) for t in dict.fromkeys(denominator_terms))

        scores: dict[int, float] = {}
        coverage: dict[int, float] = {}
        matched: dict[int, frozenset[str]] = {}
        for h in hits:
            strong = self._strong[h.doc]
            covered = sum(self.index.idf(t) * (1.0 if t in strong else BODY_ONLY_COVERAGE)
                          for t in h.matched if t in denominator_terms)
            scores[h.doc] = h.score
            coverage[h.doc] = covered / total_idf if total_idf else 0.0
            matched[h.doc] = h.matched

        # Fuzzy match of entry names on readings: typos, kana for kanji, unknown words.
        needs_fuzzy = is_kana_only(u.rewritten) or not hits or u.has_unknown_words
        if needs_fuzzy and self._name_readings:
            reading = to_katakana(self.tokenizer.reading(u.rewritten))
            if len(reading) >= 3:
                best_scale = max(scores.values(), default=0.0) or total_idf or 1.0
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
                    scores[doc] = max(scores.get(doc, 0.0), best_scale * bonus)
                    coverage[doc] = max(coverage.get(doc, 0.0), bonus)
                    matched.setdefault(doc, frozenset({"~" + self._name_readings[idx]}))

        effective_ward = u.entities.ward or ward
        ranked: list[Candidate] = []
        for doc_id, score in scores.items():
            d = self.docs[doc_id]
            # An entry that covers all of the question beats one that matches part of it strongly.
            score *= COVERAGE_FLOOR + (1.0 - COVERAGE_FLOOR) * min(1.0, coverage.get(doc_id, 0.0))
            if d.ward and effective_ward:
                score *= 1.3 if d.ward == effective_ward else 0.25
            if u.entities.offices and d.kind == "office" and d.entry_id in u.entities.offices:
                score *= 1.5
            ranked.append(
                Candidate(d.entry_id, d.title, d.kind, score, coverage.get(doc_id, 0.0),
                          tuple(sorted(matched.get(doc_id, frozenset()))))
            )
        ranked.sort(key=lambda c: c.score, reverse=True)
        return ranked[:limit]

    # -- deciding -------------------------------------------------------------------------------

    def respond(self, text: str, ctx: Context) -> Reply:
        u = self.understand(text)
        ward = u.entities.ward or ctx.ward
        candidates = self.rank(u, ward)
        top = candidates[0] if candidates else None
        explain: dict[str, object] = {
            "terms": list(u.terms), "foci": list(u.foci), "ward": ward,
            "offices": list(u.entities.offices),
        }

        def reply(kind: ReplyKind, confidence: float, **kw: object) -> Reply:
            return Reply(kind=kind, confidence=round(confidence, 3), candidates=tuple(candidates[:5]),
                         ward=ward, understanding=u, explain=explain, **kw)  # type: ignore[arg-type]

        if self.cues.wants_handoff(u.rewritten):
            return reply("handoff", 1.0, text=self._handoff_text(), topic=ctx.topic)

        key_terms = [t for t in u.terms if t not in self._cue_words and t not in DATE_WORDS
                     and t not in WARDS and t != u.entities.ward_source]
        # A follow-up that names no new topic ("土曜は？", "中原区です") continues the last one.
        if not key_terms and ctx.topic and (u.foci or u.entities.ward):
            entry = self.kb.get(ctx.topic)
            if entry is not None:
                answer = compose(self.kb, entry, u.foci, ward, self.contact)
                return reply("answer", 0.8, answer=answer, topic=ctx.topic,
                             follow_ups=self._follow_ups(ctx.topic, u.foci))
        if u.entities.ward and not u.foci and not [t for t in key_terms if t not in RESIDENCE_WORDS]:
            return reply("smalltalk", 1.0, text=f"{u.entities.ward}ですね。ご質問をどうぞ。")

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

        confidence = self._confidence(candidates)
        smalltalk = self.cues.smalltalk_kind(u.rewritten)
        if smalltalk and len(u.normalized) <= 20 and confidence < self.thresholds.answer + 0.2:
            return reply("smalltalk", 1.0, text=_SMALLTALK[smalltalk], topic=ctx.topic)

        if top is None or confidence < self.thresholds.answer:
            return reply("fallback", confidence, text=self._fallback_text(), follow_ups=("オペレーターと話したい",))

        # "住民票は溝口の行政サービスコーナーで取れる？": a procedure at a kind of place.
        possible = self._availability(u, candidates)
        if possible is not None:
            explain["route"] = "availability"
            return reply("answer", max(confidence, 0.8), answer=possible, topic=possible.entry_id,
                         follow_ups=self._follow_ups(possible.entry_id, u.foci))

        ward_question = self._ward_question(candidates, ward)
        if ward_question is not None:
            return reply("clarify", confidence, clarify=ward_question, topic=top.entry_id)

        second = candidates[1] if len(candidates) > 1 else None
        if (second is not None and second.score >= top.score * self.thresholds.close_ratio
                and second.coverage >= 0.5 and not self._related(top.entry_id, second.entry_id)):
            options = tuple(c.title for c in candidates[:3]
                            if c.score >= top.score * self.thresholds.close_ratio)
            return reply("clarify", confidence,
                         clarify=Clarify("どちらについてのご質問ですか。", options), topic=None)

        entry = self.kb.get(top.entry_id)
        assert entry is not None
        answer = compose(self.kb, entry, u.foci, ward, self.contact)
        if isinstance(entry, Procedure):
            answer = self._with_calendar(answer, entry, u, mentions, ward, ctx)
        return reply("answer", confidence, answer=answer, topic=top.entry_id,
                     follow_ups=self._follow_ups(top.entry_id, u.foci))

    def _with_calendar(self, answer: Answer, procedure: Procedure, u: Understanding,
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
        if "saturday" in u.foci and procedure.saturday:
            upcoming = cal.next_openings(place.profile, ctx.now, n=1, kind="saturday")
            if upcoming:
                next_line = f"次の土曜開庁日は {format_opening(upcoming[0])} です。"
                return replace(answer, text=f"{answer.text}\n{next_line}")
        return answer

    def _availability(self, u: Understanding, candidates: Sequence[Candidate]) -> Answer | None:
        kind = kind_in(u.rewritten, exclude=NOT_ASKED_ABOUT)
        offices = [self.kb.offices[o] for o in u.entities.offices if self.kb.offices[o].kind != "区役所"]
        if (kind is None and not offices) or not asks_if_possible(u.rewritten):
            return None
        procedure = self._named_procedure(u.rewritten)
        if procedure is None:
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

    def _confidence(self, candidates: Sequence[Candidate]) -> float:
        if not candidates:
            return 0.0
        top = candidates[0]
        conf = top.coverage
        if len(candidates) > 1 and top.score > 0:
            ratio = candidates[1].score / top.score
            if ratio > 0.8:
                conf *= 1.0 - (ratio - 0.8) * 0.5
        return max(0.0, min(1.0, conf))

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

    def _handoff_text(self) -> str:
        cp = self.contact
        return (f"オペレーターにおつなぎします。お電話の場合は{cp.name}（{cp.phone}、{cp.hours}）"
                "でもお受けしています。")

    def _fallback_text(self) -> str:
        cp = self.contact
        return (f"申し訳ありません。そのご質問にはお答えできる情報が見つかりませんでした（わかりません）。"
                f"{cp.name}（{cp.phone}、{cp.hours}）にお問い合わせいただくか、オペレーターにおつなぎします。")


_BARE_WEEKDAY = re.compile(r"[月火水木金土日](曜日?|よう日?)?(は|に|も)?")


def _lang(lang: str) -> Lang:
    return "en" if lang == "en" else "ja"


_SMALLTALK = {
    "greeting": "こんにちは。川崎市の手続きや窓口、開庁日についてお気軽にご質問ください。",
    "thanks": "どういたしまして。ほかにご質問があればどうぞ。",
    "bye": "ご利用ありがとうございました。",
}

__all__ = ["Answer", "Candidate", "Clarify", "ContactPoint", "Context", "Engine", "Reply", "Thresholds"]
