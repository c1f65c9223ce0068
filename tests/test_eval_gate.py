"""Quality gates: the fused matcher on the checking halves of the labelled sets (tuning never saw them),
the citizen-side set, and the Amagasaki FAQ (when ../shared is present).

Every labelled set is split by a fixed hash of its ids (``intents.evaluate.part_of``): weights and
thresholds are chosen on ``tune`` (``scripts/tune-fusion``); the floors below gate ``check``. They sit
just under the figures measured when they were last raised; raise them as the matcher improves, never
lower them to pass.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from intents.encoders import load_encoder
from intents.engine import Context, Engine
from intents.evaluate import engine_runner, evaluate, load_queries, split
from knowledge.loader import SHIPPED_DIR, load
from knowledge.transfer import read_faq_rows, write_faqs
from tests.conftest import EMBEDDING_CACHE, NOW, SHARED, TESTS

EVAL_SET = TESTS / "data" / "eval_queries.jsonl"
CITIZEN_SET = TESTS / "data" / "citizen_queries.jsonl"
ENGLISH_SET = TESTS / "data" / "english_queries.jsonl"
AMAGASAKI = SHARED / "data" / "public-faq" / "localgovfaq-amagasaki"
CLOCK = dt.datetime.fromisoformat(NOW)


@pytest.fixture(scope="module")
def fused() -> Engine:
    """The service's matcher: lexical fused with both bundled encoders (vectors from the shared cache)."""
    return Engine(load(SHIPPED_DIR), memo_size=0, encoders=[load_encoder("use"), load_encoder("e5")],
                  cache_dir=EMBEDDING_CACHE)


def test_the_eval_sets_are_large_and_labelled_with_existing_ids() -> None:
    """The shipped set has ≥400 in-scope and ≥50 out-of-scope queries, the citizen set ≥280 queries;
    every label names an entry."""
    kb = load(SHIPPED_DIR)
    queries = load_queries(EVAL_SET)
    in_scope = [q for q in queries if not q.out_of_scope]
    assert len(in_scope) >= 400 and len(queries) - len(in_scope) >= 50
    citizen = load_queries(CITIZEN_SET)
    assert len(citizen) >= 280
    unknown = {i for q in (*queries, *citizen) for i in q.expected if kb.get(i) is None}
    assert not unknown, f"labels naming no entry: {sorted(unknown)[:10]}"


def test_the_split_is_fixed_and_halves_every_set() -> None:
    for path in (EVAL_SET, CITIZEN_SET):
        queries = load_queries(path)
        tune, check = split(queries, "tune"), split(queries, "check")
        assert len(tune) + len(check) == len(queries) and 0.35 < len(check) / len(queries) < 0.65
    assert [q.part for q in load_queries(EVAL_SET)[:20]] == [q.part for q in load_queries(EVAL_SET)[:20]]


def test_fused_matcher_meets_the_floor_on_the_shipped_checking_half(fused: Engine) -> None:
    """top-1 ≥ 0.93, top-3 ≥ 0.98, out-of-scope rejection ≥ 0.97 on questions the tuning never saw (the
    issue's targets); the tuning half is held just under its measured figures (0.929, 0.988, 1.000 since
    the speller stopped rewriting 助産院 into 助産師, which had ranked one question right by accident)."""
    floors = {"check": (0.93, 0.98, 0.97, 0.89), "tune": (0.925, 0.98, 0.97, 0.84)}
    for part, (top1, top3, rejection, answered) in floors.items():
        s = evaluate("fused", split(load_queries(EVAL_SET), part), engine_runner(fused, CLOCK)).summary()
        assert s["top1"] >= top1 and s["top3"] >= top3 and s["oos_rejection"] >= rejection, (part, s)
        assert s["answered"] >= answered, (part, s)  # answered right: 0.902 / 0.853 with the learned judge


def test_fused_matcher_on_the_citizen_side_set(fused: Engine) -> None:
    """Questions written from the citizen's side without looking at the entries' sample questions (short
    forms, kana, typos, English, chatter, other cities, routes)."""
    s = evaluate("fused", split(load_queries(CITIZEN_SET), "check"), engine_runner(fused, CLOCK)).summary()
    assert s["top1"] >= CITIZEN_FLOOR["top1"] and s["top3"] >= CITIZEN_FLOOR["top3"], s
    assert s["oos_rejection"] >= CITIZEN_FLOOR["oos_rejection"], s
    assert s["answered"] >= CITIZEN_FLOOR["answered"], s


CITIZEN_FLOOR = {"top1": 0.88, "top3": 0.97, "oos_rejection": 0.95, "answered": 0.82}
"""Just under the fused figures measured on 2026-12-01 (check half: 0.893, 0.987, 0.875); answered right
0.832 on 2026-12-03; rejection 0.979 on 2026-12-04 (forecasts, shops and noise)."""

def test_fused_matcher_on_the_english_set(fused: Engine) -> None:
    """Questions written in English (checking half): the right entry, and the reply in English — the entry's
    English text, or the note that it has none followed by the Japanese answer."""
    from intents.english_answer import ONLY_JAPANESE

    queries = load_queries(ENGLISH_SET)
    assert len(queries) >= 140 and sum(q.out_of_scope for q in queries) >= 15
    s = evaluate("fused", split(queries, "check"), engine_runner(fused, CLOCK)).summary()
    assert s["top1"] >= ENGLISH_FLOOR["top1"] and s["top3"] >= ENGLISH_FLOOR["top3"], s
    assert s["oos_rejection"] >= ENGLISH_FLOOR["oos_rejection"], s
    assert s["answered"] >= ENGLISH_FLOOR["answered"], s
    note = ONLY_JAPANESE.format(line=fused.contact.line("en"))
    for q in queries:
        reply = fused.respond(q.query, Context(now=CLOCK))
        assert reply.lang == "en", q.query
        if reply.answer is not None and reply.explain.get("route") != "opening_days":
            entry = fused.kb.get(reply.answer.entry_id)
            assert entry is not None
            english = entry.en is not None and reply.explain.get("route") != "availability"
            assert (entry.en.text if english and entry.en else note) in reply.answer.text, q.query


ENGLISH_FLOOR = {"top1": 0.80, "top3": 0.88, "oos_rejection": 0.95, "answered": 0.70}
"""Just under the fused figures measured on 2026-12-02 (check half: 0.809, 0.897, 1.000); answered right
0.726 with the learned judge on 2026-12-03 (0.630 before it)."""

_SENTENCE = re.compile(r"[^。\n]+")


def test_no_answer_is_empty_or_says_a_sentence_twice(fused: Engine) -> None:
    """Over every labelled question: a message always, and each sentence in it once."""
    problems = []
    for q in (*load_queries(EVAL_SET), *load_queries(CITIZEN_SET)):
        reply = fused.respond(q.query, Context(now=CLOCK))
        text = reply.answer.text if reply.answer else reply.clarify.question if reply.clarify else reply.text
        said = [s.strip() for s in _SENTENCE.findall(text) if s.strip()]
        if not text.strip() or len(said) != len(set(said)):
            problems.append(f"{q.query}: {text!r}")
    assert not problems, "\n".join(problems[:10])


@pytest.mark.shared
@pytest.mark.skipif(not (AMAGASAKI / "faq.jsonl").is_file(), reason="../shared FAQ data not present")
def test_fused_matcher_on_amagasaki_beats_lexical_and_both_baselines(tmp_path: Path) -> None:
    """On data nobody here wrote (checking half): the fused matcher's MRR beats the lexical matcher's,
    plain rapidfuzz's and plain surface BM25's."""
    from intents.baselines import FuzzyBaseline, SurfaceBM25Baseline

    imported = read_faq_rows(AMAGASAKI / "faq.jsonl", source_url="https://www.city.amagasaki.hyogo.jp/",
                             reviewed=dt.date(2019, 1, 1))
    assert len(imported.faqs) == 1786 and not imported.problems
    write_faqs(imported.faqs, tmp_path / "kb")
    kb = load(tmp_path / "kb")
    lexical = Engine(kb, memo_size=0)
    fused = Engine(kb, tokenizer=lexical.tokenizer, memo_size=0,
                   encoders=[load_encoder("use"), load_encoder("e5")], cache_dir=EMBEDDING_CACHE)
    queries = split(load_queries(AMAGASAKI / "queries-dev.jsonl"), "check")
    ours = evaluate("fused", queries, engine_runner(fused, CLOCK)).summary()
    plain = evaluate("lexical", queries, engine_runner(lexical, CLOCK)).summary()
    bm25 = SurfaceBM25Baseline(lexical.docs, lexical.tokenizer)
    theirs = evaluate("bm25", queries, lambda q: ([i for i, _ in bm25.rank(q)], None)).summary()
    fuzzy = FuzzyBaseline(lexical.docs)
    fz = evaluate("fuzzy", queries[:100], lambda q: ([i for i, _ in fuzzy.rank(q)], None)).summary()
    assert ours["top1"] >= 0.52 and ours["hit5"] >= 0.71 and ours["mrr"] >= 0.59, ours
    assert ours["mrr"] > max(plain["mrr"], theirs["mrr"], fz["mrr"]), (ours, plain, theirs, fz)
