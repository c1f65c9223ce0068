"""Which way a move goes (intents.moves): read from the places around から and へ/に, so that the ranking
counts an entry about another direction much less."""

from __future__ import annotations

import datetime as dt

import pytest

from intents.engine import Context, Engine
from intents.entities import Gazetteer
from intents.moves import direction
from intents.normalize import normalize
from knowledge.loader import SHIPPED_DIR, load


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load(SHIPPED_DIR), memo_size=0)


@pytest.mark.parametrize(("text", "expected"), [
    ("来月に横浜から中原区へ家族4人で引っ越す", "in"),
    ("札幌から麻生区に越してきた", "in"),
    ("市外から引っ越してきた", "in"),
    ("海外から川崎に引っ越してきた", "in"),
    ("多摩市から多摩区に引っ越した", "in"),  # 多摩市 is another city; 多摩区 a ward of this one
    ("東京都杉並区から高津区へ引っ越します", "in"),
    ("川崎市から横浜市に引っ越す", "out"),
    ("川崎から大阪へ引っ越す予定です", "out"),
    ("県外への引越しで転出の届けを出したい", "out"),
    ("中原区から宮前区に引っ越した", "within"),
    ("新百合ヶ丘から溝の口に引っ越す", "within"),  # stations of this city's wards
    ("中原区で引っ越し", None),  # the places do not say
    ("杉並区に住んでいて、この春に転勤で高津区に引っ越してきました", None),  # 杉並区に is where, not whither
    ("横浜から来た友達と区役所へ行く", None),  # not a move
])
def test_the_places_say_which_way_a_move_goes(engine: Engine, text: str, expected: str | None) -> None:
    gazetteer = Gazetteer(engine.kb)
    assert direction(normalize(text), gazetteer.ward_of) == expected


def test_an_entry_about_another_direction_yields_to_the_asked_one(engine: Engine) -> None:
    """The same words of moving, different moves: each question's best entry is about its own direction,
    and no entry about another direction is ranked above it."""
    now = dt.datetime(2026, 11, 20, 10)
    cases = {
        "中原区から宮前区に引っ越した、やる手続き全部": "within",
        "川崎市から千葉県に引っ越します。区役所で必要な手続きを知りたい": "out",
        "札幌から麻生区に引っ越してきました。手続きは？": "in",
    }
    for text, move in cases.items():
        u, _, candidates = engine.prepare(text)
        assert u.move == move, text
        best = engine.docs[engine._by_id[candidates[0].entry_id]]
        assert best.move == move, (text, candidates[0].entry_id)
        reply = engine.respond(text, Context(now=now))
        assert reply.candidates[0].entry_id == candidates[0].entry_id


def test_an_entrys_direction_comes_from_its_names(engine: Engine) -> None:
    moves = {d.entry_id: d.move for d in engine.docs}
    assert moves["tennyu"] == "in" and moves["tenshutsu"] == "out" and moves["tenkyo"] == "within"
    assert moves["moving-in"] == "in" and moves["moving-out"] == "out" and moves["moving-within"] == "within"
    assert moves["faq-moving-saturday"] is None  # 転入届や転出届: both, so neither
