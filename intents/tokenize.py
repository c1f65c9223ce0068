"""Sudachi tokenisation into index terms.

A :class:`Tokenizer` wraps one Sudachi dictionary (sudachidict_core, plus an
optional user dictionary of city terms built by :mod:`intents.userdict`) and
turns normalised text into :class:`Token` objects and into the *terms* the
index uses: the normalised form (表記ゆれ unified: 引っ越し/引越し → 引っ越し) of
content words, with particles, auxiliaries and punctuation dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sudachipy import Config, Dictionary, SplitMode

from intents.normalize import to_katakana
from intents.synonyms import Synonyms
from intents.userdict import unify, user_dictionary

if TYPE_CHECKING:
    from knowledge.loader import KnowledgeBase

CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "接尾辞", "代名詞", "感動詞"})
"""Parts of speech that carry meaning for retrieval."""

STOP_TERMS = frozenset(
    {
        "為る", "居る", "有る", "成る", "ある", "いる", "する", "なる", "できる", "出来る", "こと", "もの",
        "事", "物", "の", "ん", "よう", "様", "方", "さん", "くださる", "下さる", "ください", "おる",
        "思う", "知る", "教える", "いただく", "頂く", "欲しい", "たい", "です", "ます", "何", "どう",
        "ちょっと", "一寸", "今", "ところ", "ため", "為", "お", "ご", "御", "良い", "いい", "よい",
        "中", "後", "的", "貰う", "もらう", "呉れる", "くれる", "聞く", "訊く", "分かる", "わかる", "行く", "来る",
    }
)
"""Normalised forms too common to help ranking. Question words (いくら, どこ …) are NOT
stopped here: the router reads them to pick the answer's focus."""


@dataclass(frozen=True, slots=True)
class Token:
    surface: str
    normalized: str
    dictionary: str
    reading: str
    pos: str
    oov: bool
    parts: tuple[str, ...] = ()
    """Normalised forms of the short units (split mode A) of a compound: 免除申請 → 免除, 申請."""
    groups: tuple[int, ...] = ()
    """Sudachi's synonym group ids of the word (育児 and 子育て share one)."""
    pos_detail: str = ""
    """The part of speech's third level: 一般, サ変可能, 副詞可能 (時, 場合, 土曜日) …"""

    @property
    def is_content(self) -> bool:
        return self.pos in CONTENT_POS


class Tokenizer:
    """Sudachi in split mode C (longest units), optionally with a user dictionary."""

    def __init__(self, user_dictionaries: Sequence[Path] = ()) -> None:
        config = Config(user=[str(p) for p in user_dictionaries]) if user_dictionaries else None
        self._dictionary = (
            Dictionary(config=config, dict="core") if config else Dictionary(dict="core")
        )
        self._tokenizer = self._dictionary.tokenizer(mode=SplitMode.C)
        self._lock = threading.Lock()
        """A Sudachi tokenizer refuses to be used from two threads at once (the matcher thread ranks new
        questions while the event loop composes answers): each call takes it in turn."""
        self.user_dictionaries = tuple(user_dictionaries)

    @classmethod
    def for_kb(cls, kb: KnowledgeBase, synonyms: Synonyms | None = None) -> Tokenizer:
        """A tokenizer with the user dictionary of ``kb``'s terms (built once, then reused from the cache);
        the system dictionary alone when there are no terms or the dictionary cannot be built."""
        path = user_dictionary(kb, synonyms or Synonyms.load())
        return cls((path,) if path else ())

    def tokens(self, text: str) -> list[Token]:
        """All tokens of already-normalised text, spaces dropped."""
        with self._lock:
            return self._tokens(self._tokenizer.tokenize(text))

    @staticmethod
    def _tokens(morphemes: Any) -> list[Token]:
        out: list[Token] = []
        for m in morphemes:
            pos = m.part_of_speech()[0]
            if pos == "空白":
                continue
            parts: tuple[str, ...] = ()
            if pos in CONTENT_POS and len(m.surface()) > 2:
                split = m.split(SplitMode.A)
                if len(split) > 1:
                    parts = tuple(unify(p.normalized_form()) for p in split if p.part_of_speech()[0] in CONTENT_POS)
            out.append(
                Token(
                    surface=m.surface(),
                    normalized=unify(m.normalized_form()),
                    dictionary=m.dictionary_form(),
                    reading=m.reading_form(),
                    pos=pos,
                    oov=m.is_oov(),
                    parts=parts,
                    groups=tuple(m.synonym_group_ids()) if pos in CONTENT_POS else (),
                    pos_detail=m.part_of_speech()[2],
                )
            )
        return out

    def terms(self, text: str) -> list[str]:
        """Index terms of already-normalised text (content words, normalised, stop terms dropped)."""
        return content_terms(self.tokens(text))

    def reading(self, text: str) -> str:
        """The katakana reading of the whole text, punctuation and spaces dropped."""
        return "".join(
            to_katakana(t.reading) if t.reading and t.pos != "補助記号" else ""
            for t in self.tokens(text)
        )


def _keep(term: str) -> bool:
    return term not in STOP_TERMS and not (len(term) == 1 and "\u3041" <= term <= "\u30ff")


def content_terms(tokens: Sequence[Token], with_parts: bool = True) -> list[str]:
    """Normalised forms of content tokens (and of their short units), minus stop terms and kana noise."""
    out: list[str] = []
    for t in tokens:
        if not t.is_content or t.dictionary in STOP_TERMS:
            continue
        if _keep(t.normalized):
            out.append(t.normalized)
        if with_parts:
            out.extend(p for p in t.parts if p != t.normalized and _keep(p))
    return out


def term_units(tokens: Sequence[Token]) -> list[tuple[str, tuple[str, ...]]]:
    """(term, units) of each content token: the units are its short units when it is a compound
    (印鑑登録 → 印鑑, 登録), else the term itself. Matching on units lets "印鑑の登録" meet "印鑑登録"."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for t in tokens:
        if not t.is_content or t.dictionary in STOP_TERMS or not _keep(t.normalized):
            continue
        units = tuple(p for p in t.parts if _keep(p)) or (t.normalized,)
        out.append((t.normalized, units))
    return out
