"""Voice types (声の種類) by rules kept as data, evaluated on a labelled set (contact.analysis.voice)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from contact.analysis import voice

LABELLED = Path(__file__).parent / "data" / "voice_types.jsonl"
MIN_ACCURACY = 0.9
"""CI floor on the whole labelled set (dev + holdout + fresh; see tests/data/README.md)."""


def test_the_labelled_set_is_large_varied_and_independent_of_the_rules() -> None:
    rows = voice.load_labelled(LABELLED)
    assert len(rows) >= 150
    counts = Counter(r["voice_type"] for r in rows)
    assert set(counts) == set(voice.VOICE_TYPES) and min(counts.values()) >= 20
    assert len({r["text"] for r in rows}) == len(rows)
    examples = {t for texts in voice.default_rules().examples.values() for t in texts}
    assert not examples & {r["text"] for r in rows}


def test_accuracy_on_the_labelled_set_stays_above_the_floor(capsys: pytest.CaptureFixture[str]) -> None:
    result = voice.evaluate(voice.load_labelled(LABELLED))
    with capsys.disabled():
        print("\n" + result.format())
    assert result.accuracy >= MIN_ACCURACY, result.misses
    assert all(recall >= 0.8 for _, recall in result.per_type().values()), result.per_type()


def test_the_rules_examples_are_classified_as_their_type() -> None:
    rules = voice.default_rules()
    for voice_type, texts in rules.examples.items():
        assert [rules.classify(t) for t in texts] == [voice_type] * len(texts)


@pytest.mark.parametrize(("text", "note", "expected"), [
    ("住民票は何時まで取れますか", None, "問い合わせ"),
    ("ありがとうございます。ところで印鑑証明はいくらですか", None, "問い合わせ"),
    ("教えてくれてありがとう、助かりました", None, "感謝"),
    ("区役所の件", "職員の態度が悪いとの苦情", "苦情"),
    ("", None, "問い合わせ"),
    ("ＦＡＸの受付時間を延長してほしいです", None, "意見・要望"),
], ids=["question", "thanks-then-question", "thanks", "note-decides", "empty", "full-width"])
def test_classify_reads_text_and_note(text: str, note: str | None, expected: str) -> None:
    assert voice.classify(text, note) == expected


def test_bad_rules_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("types: [苦情]\ndefault: 問い合わせ\nrules: {}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="types"):
        voice.VoiceRules.load(path)
    path.write_text(json.dumps({"types": list(voice.VOICE_TYPES), "default": "問い合わせ",
                                "rules": {"苦情": [{"pattern": "(", "weight": 1}]}}), encoding="utf-8")
    with pytest.raises(ValueError, match="bad pattern"):
        voice.VoiceRules.load(path)


def test_the_evaluation_command_prints_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    assert voice.main([str(LABELLED)]) == 0
    assert "accuracy" in capsys.readouterr().out
