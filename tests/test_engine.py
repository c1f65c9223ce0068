"""The matcher's decisions on the small fixture base: answer, clarify, fallback, handoff, small talk."""

from __future__ import annotations

import datetime as dt

import pytest

from intents.engine import Context, Engine
from knowledge.loader import load
from tests.conftest import MINI_KB

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load(MINI_KB))


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        pytest.param("住民票いくら？", "juminhyo", id="blunt-fee"),
        pytest.param("じゅうみんひょう いくら", "juminhyo", id="kana-for-kanji"),
        pytest.param("ｼﾞｭｳﾐﾝﾋｮｳ取りたい", "juminhyo", id="halfwidth-kana"),
        pytest.param("土曜日に転入届って出せますか", "tennyu", id="saturday-moving-in"),
        pytest.param("犬を飼い始めたんですが登録は？", "inu-toroku", id="dog"),
        pytest.param("中原区役所の電話番号", "nakahara-kuyakusho", id="office-phone"),
        pytest.param("武蔵小杉の区役所の住所", "nakahara-kuyakusho", id="station-implies-office"),
        pytest.param("川崎市に引っ越してきたら何をすればいい", "moving-in", id="life-event"),
    ],
)
def test_answers_the_right_entry(engine: Engine, text: str, entry_id: str) -> None:
    """Everyday phrasings reach the right entry first."""
    reply = engine.respond(text, Context(now=NOW))
    assert reply.kind == "answer", reply
    assert reply.answer is not None and reply.answer.entry_id == entry_id


@pytest.mark.parametrize("text", ["明日の天気は", "おすすめのラーメン屋", "株価の見通しを教えて", "asdfgh"])
def test_out_of_scope_falls_back(engine: Engine, text: str) -> None:
    """Questions outside the base get a fallback with the contact center, never a confident answer."""
    reply = engine.respond(text, Context(now=NOW))
    assert reply.kind == "fallback"
    assert reply.answer is None
    assert "044-200-3939" in reply.text


def test_fee_focus_shows_fee_and_marks_unverified(engine: Engine) -> None:
    """A fee question shows the fee line, and an unverified fee says where to confirm it."""
    reply = engine.respond("住民票の手数料", Context(now=NOW))
    assert reply.answer is not None
    assert "【手数料】" in reply.answer.text
    assert "044-200-3939" in reply.answer.text


def test_window_without_ward_asks_which_ward(engine: Engine) -> None:
    """The same window in several wards, and no ward known: ask which ward."""
    reply = engine.respond("区民課の場所", Context(now=NOW))
    assert reply.kind in ("clarify", "answer")
    if reply.kind == "clarify":
        assert reply.clarify is not None and "中原区" in reply.clarify.options


def test_ward_from_session_picks_the_ward_office(engine: Engine) -> None:
    """A ward remembered from the session prefers that ward's office."""
    reply = engine.respond("区役所の電話番号", Context(now=NOW, ward="高津区"))
    assert reply.answer is not None and reply.answer.entry_id == "takatsu-kuyakusho"


def test_handoff_and_smalltalk(engine: Engine) -> None:
    """Asking for a person is a handoff; a greeting is small talk."""
    assert engine.respond("オペレーターと話したい", Context(now=NOW)).kind == "handoff"
    assert engine.respond("こんにちは", Context(now=NOW)).kind == "smalltalk"


def test_follow_up_keeps_the_topic(engine: Engine) -> None:
    """"土曜は？" after a procedure answers that procedure's Saturday availability."""
    reply = engine.respond("土曜は？", Context(now=NOW, topic="tennyu"))
    assert reply.answer is not None and reply.answer.entry_id == "tennyu"
    assert "土曜" in reply.answer.text


def test_life_event_answer_is_a_checklist(engine: Engine) -> None:
    """A life event answers with its procedures in order."""
    reply = engine.respond("川崎市に引っ越してきたら何をすればいい", Context(now=NOW))
    assert reply.answer is not None
    assert reply.answer.checklist[0].startswith("1. 転入届")


def test_explanation_lists_matched_terms(engine: Engine) -> None:
    """Candidates carry the query terms that matched them."""
    reply = engine.respond("犬の登録", Context(now=NOW))
    assert "犬" in reply.candidates[0].matched
