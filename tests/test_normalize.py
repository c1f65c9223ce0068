"""Normalisation steps, each alone and as the pipeline."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intents.normalize import (
    collapse_repeats,
    is_kana_only,
    long_vowel,
    nfkc,
    normalize,
    strip_invisible,
    to_katakana,
)


@pytest.mark.parametrize(
    ("step", "text", "expected"),
    [
        pytest.param(nfkc, "ＡＢＣ１２３", "ABC123", id="fullwidth-ascii"),
        pytest.param(nfkc, "ｼﾞｭｳﾐﾝﾋｮｳ", "ジュウミンヒョウ", id="halfwidth-kana"),
        pytest.param(long_vowel, "カ-ド", "カード", id="dash-after-katakana"),
        pytest.param(long_vowel, "8-12", "8-12", id="dash-between-digits-kept"),
        pytest.param(collapse_repeats, "いくら？？？", "いくら？", id="repeated-question-marks"),
        pytest.param(strip_invisible, "住民\u200b票\u202e", "住民票", id="zero-width-and-bidi"),
        pytest.param(strip_invisible, "a\ud800b", "ab", id="lone-surrogate"),
    ],
)
def test_each_step(step, text: str, expected: str) -> None:
    """Each normalisation step does its one job."""
    assert step(text) == expected


def test_pipeline_unifies_width_case_and_spaces() -> None:
    """The pipeline turns a messy question into one canonical form."""
    assert normalize("  ＭＹ　ＮＵＭＢＥＲ  カ－ド？？ ") == "my number カード?"


def test_kana_helpers() -> None:
    """Hiragana converts to katakana; kana-only detection ignores spaces and punctuation."""
    assert to_katakana("じゅうみんひょう") == "ジュウミンヒョウ"
    assert is_kana_only("じゅうみんひょう いくら？")
    assert not is_kana_only("住民票 いくら")


@given(st.text())
def test_normalize_never_raises_and_is_idempotent(text: str) -> None:
    """Any string normalises without error, and normalising twice changes nothing more."""
    once = normalize(text)
    assert normalize(once) == once
