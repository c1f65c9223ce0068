"""One-character slips are corrected to the knowledge base's own words, and only when it is clear which."""

from __future__ import annotations

import pytest

from intents.spelling import Speller

VOCABULARY = ["住民票", "住民票", "戸籍謄本", "婚姻届", "母子手帳", "母子手帳", "母子手帳", "母子手当",
              "転出届", "転入届", "転居届", "土曜日", "課税証明書", "ごみの分別"]


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(VOCABULARY)


@pytest.mark.parametrize(
    ("text", "suspicious", "expected"),
    [
        pytest.param("住民漂を取りたい", ["漂"], "住民票を取りたい", id="ime-homophone"),
        pytest.param("戸籍騰本 ほしい", ["騰本"], "戸籍謄本 ほしい", id="lookalike-kanji"),
        pytest.param("課税証名書", ["名"], "課税証明書", id="scrap"),
        pytest.param("ごみの文別", ["文"], "ごみの分別", id="with-kana"),
        pytest.param("婚因届と住民漂", ["因", "漂"], "婚姻届と住民票", id="two-slips"),
        pytest.param("母子手張", ["張"], "母子手帳", id="the-far-more-frequent-word-wins"),
    ],
)
def test_corrects(speller: Speller, text: str, suspicious: list[str], expected: str) -> None:
    """A stretch one character away from a vocabulary word becomes that word."""
    assert speller.correct(text, suspicious) == expected


@pytest.mark.parametrize(
    ("text", "suspicious"),
    [
        pytest.param("転手届", ["転"], id="ambiguous-left-alone"),
        pytest.param("何曜日", ["何曜"], id="question-word-never-replaced"),
        pytest.param("住民票", [], id="nothing-suspicious"),
        pytest.param("住民漂", ["犬"], id="suspicious-token-elsewhere"),
    ],
)
def test_leaves_alone(speller: Speller, text: str, suspicious: list[str]) -> None:
    """Nothing changes when no word fits clearly, or nothing looks like a slip."""
    assert speller.correct(text, suspicious) == text


def test_a_hiragana_is_never_taken_for_the_slip() -> None:
    """「市外から」 is not 「市外へ」 + 「ら」 (the window 市外か is one hiragana from 市外へ): a differing
    hiragana is a particle or okurigana; a wrong kanji next to kana is still corrected (祖大ごみ)."""
    speller = Speller([*VOCABULARY, "市外へ", "市外へ", "粗大ごみ"])
    assert speller.correct("市外から引っ越してきた", ["市", "外"]) == "市外から引っ越してきた"
    assert speller.correct("市外え引っ越す", ["え"]) == "市外え引っ越す"  # no kanji word fits: left alone
    assert speller.correct("祖大ごみの出し方", ["祖"]) == "粗大ごみの出し方"
