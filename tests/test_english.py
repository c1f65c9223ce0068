"""English questions are turned into the knowledge base's Japanese terms by a glossary kept as data."""

from __future__ import annotations

import pytest

from intents.english import English, EnglishError
from intents.normalize import normalize


@pytest.fixture(scope="module")
def english() -> English:
    return English.load()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("How do I register my dog?", "登録 犬 ?", id="words-and-stop-words"),
        pytest.param("Where can I get a seal registration certificate?", "どこ 印鑑登録証明書 ?", id="longest-phrase"),
        pytest.param("Opening hours of Takatsu ward office", "開庁時間 高津区役所", id="ward-office"),
        pytest.param("bulky   waste", "粗大ごみ", id="phrase-across-spaces"),
        pytest.param("Dogs", "犬", id="plural-falls-back-to-singular"),
        pytest.param("住民票 いくら", "住民票 いくら", id="japanese-untouched"),
        pytest.param("住民票 copy", "住民票 写し", id="mixed"),
    ],
)
def test_translate(english: English, text: str, expected: str) -> None:
    """Known English becomes Japanese; function words go; Japanese text is left alone."""
    assert english.translate(normalize(text)) == expected


def test_unknown_english_words_are_kept(english: English) -> None:
    """A word the glossary does not know stays for Sudachi (which may read it as katakana)."""
    assert english.translate("zebra crossing") == "zebra crossing"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param([], id="not-a-mapping"),
        pytest.param({"stop": []}, id="missing-glossary"),
        pytest.param({"stop": "a", "glossary": {}}, id="stop-not-a-list"),
        pytest.param({"stop": [], "glossary": {"犬": "dog"}}, id="phrases-not-a-list"),
        pytest.param({"stop": [], "glossary": {"犬": ["dog"], "猫": ["dog"]}}, id="phrase-under-two-terms"),
    ],
)
def test_malformed_glossaries_are_rejected(data: object) -> None:
    """A malformed glossary fails loudly at load."""
    with pytest.raises(EnglishError):
        English.from_mapping(data)
