"""Correct one-character slips against the knowledge base's own vocabulary.

Citizens type with an IME and pick the wrong kanji (住民漂, 婚因届, 課税証名書, 母子手張) or mistype
one (印鑑登緑, 転入徒). Such a slip leaves a word the knowledge base does not know, or breaks a
word into one-character scraps. :class:`Speller` keeps the base's vocabulary (names, aliases and
the compound nouns of its titles and questions) and, for a stretch of the question around such a
suspicious token, looks for a vocabulary word that differs from it in exactly one character. The
lookup is a hash of each word with one character masked, so it costs a few dictionary lookups.

When several words fit (母子手張: 母子手帳 or 母子手当?), the one the base uses far more often wins;
when none stands out (転手届: 転出届, 転入届 or 転居届?) nothing is corrected rather than guessed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence

from intents.normalize import to_katakana
from intents.tokenize import Token

MIN_WORD = 3
MAX_WORD = 10
KEEP = frozenset("何誰")
"""Characters never taken for a slip: question words (何曜日 is not a misspelt 土曜日)."""
AMBIGUITY = 2.0
"""The most frequent fitting word is taken only when it occurs at least this many times as often as the next."""
_KANJI = re.compile(r"[\u3400-\u9fff々]")
_CJK = re.compile(r"[\u3041-\u30ff\u3400-\u9fff々ー]+")
_NOUNISH = frozenset({"名詞", "接頭辞", "接尾辞"})


def compound_nouns(tokens: Sequence[Token]) -> Iterable[str]:
    """Runs of adjacent nouns (and affixes) in tokenised text: 遺族 年金 → 遺族年金."""
    run: list[str] = []
    for t in [*tokens, None]:
        if t is not None and t.pos in _NOUNISH:
            run.append(t.surface)
            continue
        if len(run) >= 2:
            yield "".join(run)
        run = []


_KANA_SLOT = re.compile(r"(?<=[\u3400-\u9fff々])[\u3041-\u3096]{1,3}|[\u3041-\u3096]{1,3}(?=[\u3400-\u9fff々])")
"""A short hiragana run next to kanji: いん鑑登録, 住みん票 (one kanji typed as its reading)."""
HIRAGANA_RUN = re.compile(r"[\u3041-\u3096]{1,3}")
"""A short run of hiragana: what one kanji typed as its reading looks like."""


class Speller:
    def __init__(self, vocabulary: Iterable[str], reading: Callable[[str], str] | None = None) -> None:
        """``vocabulary``: the base's words, each as often as it occurs (the count breaks ties);
        ``reading``: katakana reading of a word, to check a kana run against the kanji it stands for."""
        self._reading = reading
        self._count = Counter(w for w in vocabulary if MIN_WORD <= len(w) <= MAX_WORD and _KANJI.search(w))
        self._masked: dict[str, list[str]] = defaultdict(list)
        for w in sorted(self._count):
            for i in range(len(w)):
                self._masked[f"{w[:i]}\0{w[i + 1:]}"].append(w)

    def __len__(self) -> int:
        return len(self._count)

    def correct(self, text: str, suspicious: Iterable[str]) -> str:
        """``text`` with each suspicious stretch replaced by the vocabulary word one character away, if any.

        ``suspicious`` are surfaces of tokens the knowledge base does not know (or one-character scraps);
        only stretches that contain one of them are looked at.
        """
        marks = [s for s in suspicious if s]
        if not marks or not self._count:
            return text

        def fix(run: re.Match[str]) -> str:
            chunk = run.group(0)
            kana_marks = {m for m in marks if HIRAGANA_RUN.fullmatch(m)}
            if any(m in chunk for m in marks):
                chunk = self._kana_for_kanji(chunk, set(marks))
            return self._fix(chunk, {i for m in marks if m not in kana_marks for i in _find_all(chunk, m)})

        return _CJK.sub(fix, text)

    def _fix(self, chunk: str, positions: set[int]) -> str:
        """The chunk with its longest correctable stretch corrected, then the same on either side."""
        if not positions:
            return chunk
        for length in range(min(MAX_WORD, len(chunk)), MIN_WORD - 1, -1):
            found: dict[str, int] = {}
            for start in range(len(chunk) - length + 1):
                window = chunk[start:start + length]
                if window in self._count or not any(start <= p < start + length for p in positions):
                    continue
                for i in range(length):
                    if window[i] in KEEP or HIRAGANA_RUN.match(window[i]):
                        continue  # a hiragana is a particle or okurigana, not a slip: 市外か is not 市外へ
                    for word in self._masked.get(f"{window[:i]}\0{window[i + 1:]}", ()):
                        found.setdefault(word, start)
            if not found:
                continue
            ranked = sorted(found, key=lambda w: (-self._count[w], w))
            if len(ranked) > 1 and self._count[ranked[0]] < AMBIGUITY * self._count[ranked[1]]:
                return chunk  # 転手届: 転出届, 転入届 or 転居届? Better no correction than a guess.
            word = ranked[0]
            start = found[word]
            end = start + length
            left = self._fix(chunk[:start], {p for p in positions if p < start})
            right = self._fix(chunk[end:], {p - end for p in positions if p >= end})
            return left + word + right
        return chunk

    def _kana_for_kanji(self, chunk: str, marks: set[str]) -> str:
        """The chunk with a base word put back where one of its kanji was typed in hiragana (いん鑑登録 →
        印鑑登録), when the kana is that word's reading there; the longest such word wins."""
        if self._reading is None:
            return chunk
        for slot in _KANA_SLOT.finditer(chunk):
            i, j = slot.span()
            if slot.group(0) not in marks and not any(
                    chunk.startswith(m, j) or chunk[:i].endswith(m) for m in marks):
                continue  # only next to what looked like a slip: okurigana are left alone
            kana = to_katakana(slot.group(0))
            best: tuple[int, int, int, str] | None = None
            for a in range(0, min(i, MAX_WORD) + 1):
                for b in range(0, min(len(chunk) - j, MAX_WORD) + 1):
                    if a + b + 1 < MIN_WORD:
                        continue
                    for word in self._masked.get(f"{chunk[i - a:i]}\0{chunk[j:j + b]}", ()):
                        if not _KANJI.match(word[a]):
                            continue
                        whole = self._reading(word)
                        if not (whole.startswith(self._reading(word[:a]) + kana)
                                or whole.endswith(kana + self._reading(word[a + 1:]))):
                            continue
                        if best is None or a + b > best[0]:
                            best = (a + b, i - a, j + b, word)
            if best is not None:
                _, start, end, word = best
                return chunk[:start] + word + self._kana_for_kanji(chunk[end:], marks)
        return chunk


def _find_all(text: str, part: str) -> Iterable[int]:
    start = text.find(part)
    while start != -1:
        yield from range(start, start + len(part))
        start = text.find(part, start + 1)
