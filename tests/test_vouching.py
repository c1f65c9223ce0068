"""The learned judge (fusion.yaml's ``vouching``): a logistic model of whether the best candidate is right,
fitted on the tuning halves; it can answer what the rules leave below the threshold, never take an answer
away, and has no say where an out-of-scope cue speaks or the question has two topics."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest

from intents.encoders import load_encoder
from intents.engine import Context, Engine
from intents.fusion import EVIDENCE, FusionWeights, Vouching
from intents.tuning import Judged, choose_least, fit_vouching, outcomes
from knowledge.loader import load
from tests.conftest import EMBEDDING_CACHE, NOW

CLOCK = dt.datetime.fromisoformat(NOW)


def test_the_judge_gives_its_probability_only_at_its_least_and_knows_its_evidence() -> None:
    judge = Vouching({"coverage": 4.0, "cosine:use": 6.0}, -7.0, 0.65)
    sure, unsure = {"coverage": 0.7, "cosine:use": 0.9}, {"coverage": 0.3, "cosine:use": 0.5}
    assert judge.probability(sure) > 0.65 > judge.probability(unsure) > 0.0
    assert judge.confidence(sure) == judge.probability(sure) and judge.confidence(unsure) == 0.0
    with pytest.raises(ValueError, match="unknown evidence"):
        Vouching.from_row({"least": 0.6, "bias": 0.0, "weights": {"cosine:bert": 1.0}})
    shipped = FusionWeights.load(["use", "e5"]).vouching
    assert shipped is not None and set(shipped.weights) == set(EVIDENCE) and 0.5 <= shipped.least < 1.0
    assert FusionWeights.load(["use"]).vouching is None and FusionWeights.load([]).vouching is None


def _judged(n: int, seed: int) -> list[Judged]:
    """Synthetic questions whose best candidate is right when its coverage and cosine are high; the
    out-of-scope ones (one in five) are near no entry (cosine below 0.5)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        in_scope = i % 5 != 0
        coverage, cosine = rng.random(), rng.random() * (1.0 if in_scope else 0.5)
        right = in_scope and coverage + cosine + rng.gauss(0, 0.2) > 1.1
        evidence = dict.fromkeys(EVIDENCE, 0.0) | {"coverage": coverage, "cosine:use": cosine}
        kind = "answer" if coverage >= 0.8 else "fallback"
        rows.append(Judged("synthetic", "tune" if i % 2 else "check", in_scope, right, kind, coverage, evidence))
    return rows


def test_the_fit_learns_from_the_tuning_half_only() -> None:
    """Coverage and cosine get positive weights; changing the checking half's labels changes nothing."""
    rows = _judged(400, 1)
    judge = fit_vouching(rows, 0.7)
    assert judge.weights["coverage"] > 1.0 and judge.weights["cosine:use"] > 1.0
    flipped = [dataclasses.replace(j, right=not j.right) if j.part == "check" else j for j in rows]
    assert fit_vouching(flipped, 0.7) == judge


def test_the_chosen_least_keeps_every_tuning_halfs_rejection() -> None:
    """Only a fallback can become an answer; the least chosen answers no more out-of-scope questions of the
    tuning half than the rules, and more in-scope ones right."""
    rows = _judged(400, 2)
    judge, lines = choose_least(rows, 0.5)
    assert judge is not None and len(lines) > 2
    rules, learned = outcomes(rows, None, 0.5), outcomes(rows, judge, 0.5)
    tune = ("synthetic", "tune")
    assert learned[tune].rejection >= rules[tune].rejection and learned[tune].right > rules[tune].right
    assert all(learned[k].right >= rules[k].right for k in rules)


@pytest.fixture
def fused(shipped_fused: Engine) -> Engine:
    return shipped_fused


def test_the_judge_answers_what_the_rules_leave_and_never_takes_an_answer_away(fused: Engine) -> None:
    """Questions whose best candidate is right but whose words cover it partly: the rules fall back, the
    judge answers; over a spread of questions, the confidence with the judge is never below the rules'."""
    judge = fused.fusion.vouching
    assert judge is not None
    rules = dataclasses.replace(fused.fusion, vouching=None)
    questions = {
        "Which floor is the health insurance and pension section at Nakahara ward office?":
            "nakahara-kuyakusho-hoken-nenkin",
        "高津区役所ってどこにあるんですか？初めて行くので場所を教えてください": "takatsu-kuyakusho",
        "市内で引っ越したらやることリスト": "moving-within",
    }
    try:
        for text, entry in questions.items():
            fused.fusion = rules
            assert fused.respond(text, Context(now=CLOCK)).kind == "fallback", text
            fused.fusion = dataclasses.replace(rules, vouching=judge)
            reply = fused.respond(text, Context(now=CLOCK))
            assert reply.kind == "answer" and reply.answer is not None and reply.answer.entry_id == entry, text
            assert reply.confidence >= judge.least
        for text in ("住民票の写しが欲しい", "彼女にふられた", "粗大ごみ 出し方", "今日は雨", "ラーメン屋",
                     "Where can I get a residence certificate?", "転入届 土曜日"):
            fused.fusion = rules
            before = fused.respond(text, Context(now=CLOCK)).confidence
            fused.fusion = dataclasses.replace(rules, vouching=judge)
            assert fused.respond(text, Context(now=CLOCK)).confidence >= before, text
    finally:
        fused.fusion = dataclasses.replace(rules, vouching=judge)


def test_the_judge_has_no_say_where_a_route_or_chatter_cue_speaks(fused: Engine) -> None:
    """「宮前平から鷺沼まで歩ける？」 names a ward office's station, and the judge would vouch for the office;
    the question asks a walk between two stations, so the rules decide, and fall back."""
    judge = fused.fusion.vouching
    assert judge is not None
    for text in ("宮前平から鷺沼まで歩ける？", "彼女にふられた"):
        u, _, candidates = fused.prepare(text)
        reply = fused.respond(text, Context(now=CLOCK))
        assert reply.kind == "fallback", (text, reply.kind)
    u, _, candidates = fused.prepare("宮前平から鷺沼まで歩ける？")
    assert judge.probability(fused.evidence(candidates, u, False)) >= judge.least


def test_the_judge_has_no_say_on_a_question_of_two_topics() -> None:
    """「犬と住民票」: one entry covers 住民票, an unrelated one 犬, and they share no word. The judge would
    vouch for 住民票 (its cosine and name match are high), but the question is as much about the dog: the
    rules decide, and offer both."""
    from tests.conftest import MINI_KB

    engine = Engine(load(MINI_KB), memo_size=0, encoders=[load_encoder("use"), load_encoder("e5")],
                    cache_dir=EMBEDDING_CACHE)
    judge = engine.fusion.vouching
    assert judge is not None
    u, _, candidates = engine.prepare("犬と住民票")
    evidence = engine.evidence(candidates, u, False)
    assert evidence["two_topics"] == 1.0 and judge.probability(evidence) >= judge.least
    reply = engine.respond("犬と住民票", Context(now=CLOCK))
    assert reply.kind == "fallback" and {"juminhyo", "inu-toroku"} <= {c.entry_id for c in reply.candidates[:3]}
    one_topic = "住民票を取りたい"
    u, _, candidates = engine.prepare(one_topic)
    assert engine.evidence(candidates, u, False)["two_topics"] == 0.0


@pytest.mark.parametrize("text", ["年金 いつ振り込まれる", "スマホが壊れた"])
def test_no_answer_from_a_candidate_that_matches_none_of_the_things_named(fused: Engine, text: str) -> None:
    """「年金 いつ振り込まれる」 had been answered with 児童手当はいつ振り込まれますか (0.96), 「スマホが壊れた」 with
    the road and park repairs (0.51): each found on the verb alone. The question names a thing (年金,
    スマホ) the candidate does not match, nor its units or synonyms: neither the rules nor the judge answer."""
    u, _, candidates = fused.prepare(text)
    assert fused.evidence(candidates, u, False)["no_noun"] == 1.0
    assert not fused.judge_may_speak(fused.evidence(candidates, u, False))
    reply = fused.respond(text, Context(now=CLOCK))
    assert reply.kind != "answer", (reply.kind, reply.candidates[:2])


@pytest.mark.parametrize(("text", "entry_id"), [("大師支所 廃止されるって聞いた", "daishi-shisho"),
                                                ("粗大ごみを出したい", "sodai-gomi")])
def test_a_candidate_that_matches_a_thing_named_is_still_answered(fused: Engine, text: str, entry_id: str) -> None:
    """An office's name is a thing named (大師支所), a ward alone is not; a candidate matching one of them keeps
    its answer."""
    u, _, candidates = fused.prepare(text)
    assert fused.evidence(candidates, u, False)["no_noun"] == 0.0
    reply = fused.respond(text, Context(now=CLOCK))
    assert reply.kind == "answer" and reply.answer is not None and reply.answer.entry_id == entry_id
