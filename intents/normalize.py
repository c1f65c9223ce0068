"""Text normalisation before tokenisation: a pipeline of small named steps.

Each step is a plain ``str -> str`` function so that it can be tested alone;
:data:`PIPELINE` composes them in order and :func:`normalize` runs it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

Step = Callable[[str], str]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
# Dash-like characters after a katakana are almost always a mistyped long-vowel mark.
_KATA_DASH = re.compile(r"(?<=[\u30a1-\u30fa\u30fc])[\-\u2010-\u2015\u2212\uff70]")
_REPEAT_MARKS = re.compile(r"([!?！？。、,.…ー])\1+")


def strip_invisible(text: str) -> str:
    """Drop control characters, zero-width and bidi marks, and lone surrogates."""
    return _SURROGATE.sub("", _CONTROL.sub("", text))


def nfkc(text: str) -> str:
    """Unicode NFKC: full-width ASCII and digits to half-width, half-width kana to full-width."""
    return unicodedata.normalize("NFKC", text)


def lower_ascii(text: str) -> str:
    """Lower-case Latin letters (English questions, "My Number", "FAQ")."""
    return text.lower()


def long_vowel(text: str) -> str:
    """Unify dashes typed after katakana into the long-vowel mark ー (カ-ド → カード)."""
    return _KATA_DASH.sub("ー", text)


def collapse_repeats(text: str) -> str:
    """Collapse repeated punctuation and long-vowel marks (？？？ → ?, ーー → ー)."""
    return _REPEAT_MARKS.sub(r"\1", text)


def squeeze_spaces(text: str) -> str:
    """Collapse runs of white space into one space and trim."""
    return _SPACES.sub(" ", text).strip()


PIPELINE: Sequence[Step] = (strip_invisible, nfkc, lower_ascii, long_vowel, collapse_repeats, squeeze_spaces)


def normalize(text: str, pipeline: Sequence[Step] = PIPELINE) -> str:
    """Run the normalisation pipeline over ``text``."""
    for step in pipeline:
        text = step(text)
    return text


def to_katakana(text: str) -> str:
    """Hiragana to katakana (other characters unchanged): readings are compared in katakana."""
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def is_kana_only(text: str) -> bool:
    """True when the text (ignoring spaces and punctuation) is written in kana only."""
    letters = [c for c in text if not c.isspace() and unicodedata.category(c)[0] in "LN"]
    return bool(letters) and all("\u3041" <= c <= "\u30ff" for c in letters)


_NOT_TEXT = re.compile(r"[\s\W_]+")


_HIRAGANA_PAIR = re.compile(r"^[\u3041-\u309f]{2}$")


def char_bigrams(text: str) -> set[str]:
    """The character bigrams of normalised text, spaces and punctuation dropped (a tokenisation-free view);
    pairs of hiragana (した, たい, ます) are grammar, not topic, and are left out."""
    t = _NOT_TEXT.sub("", text)
    return {g for g in (t[i:i + 2] for i in range(len(t) - 1)) if not _HIRAGANA_PAIR.match(g)}
