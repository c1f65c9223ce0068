"""A Sudachi user dictionary of the knowledge base's own terms, so that city terms are single tokens.

Office names (中原区役所, 川崎行政サービスコーナー), office kinds (行政サービスコーナー), window names
(保険年金課, 地域みまもり支援センター), procedure and life-event names and their compound aliases
(印鑑登録証明書, 小型家電回収ボックス) are split by the system dictionary into several short words;
registered here, each becomes one token (its short units stay available as split mode A, so
"家電" still finds "家電リサイクル"). Kana aliases that spell an entry's kanji name
(いんかんとうろく → 印鑑登録) are registered with that name as their normalised form.

The dictionary is built with Sudachi's own builder (what ``sudachipy ubuild`` runs) from the
knowledge base loaded at start, offline and deterministically: the lexicon rows are sorted, and the
file is kept in a cache directory under a name derived from a hash of the rows and of the Sudachi
and dictionary versions, so a restart or a reload with the same terms reuses it (building takes a
few seconds; loading a built one takes milliseconds). When building fails the matcher works on the
system dictionary alone and a warning is logged.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from itertools import pairwise
from pathlib import Path

import structlog
from sudachipy import Dictionary, SplitMode

from intents.normalize import normalize, to_katakana
from intents.synonyms import Synonyms
from knowledge.loader import KnowledgeBase

log = structlog.get_logger(__name__)

FORMAT = 4
"""Version of the term rules below: bump it when they change, so cached dictionaries are rebuilt."""

_RARE_KANJI = {"塵": "ごみ"}
"""Normalised forms Sudachi writes with a kanji nobody uses (粗大ごみ → 粗大塵, ごみ出し → 塵出し), while
"ごみ" alone stays ごみ: written back the common way so the compound and the word meet."""


def unify(normalized: str) -> str:
    """A Sudachi normalised form with the rare kanji of :data:`_RARE_KANJI` written the common way."""
    for rare, common in _RARE_KANJI.items():
        if rare in normalized:
            normalized = normalized.replace(rare, common)
    return normalized


CACHE_ENV = "CONTACT_USERDICT_DIR"
"""Environment variable naming the cache directory (default: ``<system temp dir>/contact-userdict``)."""

MIN_LENGTH = 3
MIN_KANA = 4
MAX_LENGTH = 24
LEFT_ID = RIGHT_ID = 5146
"""Connection ids of 名詞,普通名詞,一般 (Sudachi's recommendation for common nouns in a user dictionary)."""
COST = 500
"""Word cost: low enough that the registered word beats the path through its short units (1000 lost to
マイナンバー + センター)."""
POS = ("名詞", "普通名詞", "一般", "*", "*", "*")

_LATIN = re.compile(r"[A-Za-z]")
"""Latin letters in a term: its split into system-dictionary words is not given (see ``_System.split_a``)."""
_SPLIT_AT = re.compile(r"[\s（）()「」『』・、,/]+")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_ALL_HIRAGANA = re.compile(r"^[\u3041-\u309fー]+$")
_KANJI = re.compile(r"[\u3400-\u9fff々]")
_NOUNISH = frozenset({"名詞", "接頭辞", "接尾辞"})


@dataclass(frozen=True, order=True)
class Term:
    surface: str
    """The word as it appears in normalised, synonym-rewritten text."""
    normalized: str
    """Its normalised form: itself, or the kanji name a kana alias spells."""


def _names(kb: KnowledgeBase) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(name, the entry's other names) for every name-like string of the base."""
    for o in kb.offices.values():
        names = (o.name, *o.aliases)
        for n in (*names, o.kind):
            yield n, names
    for w in kb.windows.values():
        yield w.name, (w.name,)
    for p in kb.procedures.values():
        names = (p.name, *p.aliases)
        for n in names:
            yield n, names
    for e in kb.life_events.values():
        names = (e.name, *e.aliases)
        for n in names:
            yield n, names


def _pieces(name: str) -> list[str]:
    """A name cut at brackets, dots and spaces: "転入届（市外から…）" → 転入届, 市外から…."""
    return [p for p in _SPLIT_AT.split(name) if p]


class _System:
    """The system dictionary alone, to see how it splits a term."""

    def __init__(self) -> None:
        dictionary = Dictionary(dict="core")
        self.c = dictionary.tokenizer(mode=SplitMode.C)
        self.a = dictionary.tokenizer(mode=SplitMode.A)

    def is_compound_name(self, text: str) -> bool:
        """Several words, nouns but for a verb stem inside ("地域みまもり支援センター"), ending in a noun:
        a name, not a phrase ("実印を作る", "妊娠したとき")."""
        ms = list(self.c.tokenize(text))
        if len(ms) < 2 or any(m.is_oov() for m in ms):
            return False
        pos = ["動詞-連用形" if m.part_of_speech()[5].startswith("連用形") else m.part_of_speech()[0] for m in ms]
        if pos[-1] not in _NOUNISH:
            return False
        return all(p in _NOUNISH or (p == "動詞-連用形" and nxt in _NOUNISH) for p, nxt in pairwise(pos))

    def has_particle(self, text: str) -> bool:
        return any(m.part_of_speech()[0] == "助詞" for m in self.c.tokenize(text))

    def single_token(self, text: str) -> str | None:
        """The normalised form when the system dictionary reads ``text`` as one known word."""
        ms = list(self.c.tokenize(text))
        return ms[0].normalized_form() if len(ms) == 1 and not ms[0].is_oov() else None

    def reading(self, text: str) -> str:
        return to_katakana("".join(m.reading_form() for m in self.c.tokenize(text)))

    def split_a(self, text: str) -> str:
        """Sudachi's inline split references (surface,POS×6,reading / …) to the words the system dictionary
        reads ``text`` as, or *: a registered compound splits (mode A) into what it was without the user
        dictionary, so nothing that matched before stops matching."""
        ms = list(self.c.tokenize(text))
        if len(ms) == 1:  # one word of the system dictionary: its own short units (住民票 → 住民, 票)
            ms = list(self.a.tokenize(text))
        if len(ms) < 2 or any(m.is_oov() for m in ms) or _LATIN.search(text):
            # Latin letters ("DV相談窓口"): the system dictionary lists them in another form (ＤＶ) than the
            # lower-cased surface, so Sudachi cannot resolve the reference and the whole build fails.
            return "*"
        return "/".join(",".join((m.surface(), *m.part_of_speech(), m.reading_form())) for m in ms)


def city_terms(kb: KnowledgeBase, synonyms: Synonyms | None = None, system: _System | None = None) -> list[Term]:
    """The base's compound names and kana spellings of names that the system dictionary splits, sorted."""
    synonyms = synonyms or Synonyms()
    system = system or _System()
    terms: set[Term] = set()
    readings: dict[str, dict[str, str]] = {}
    for name, siblings in _names(kb):
        for raw in _pieces(normalize(name)):
            piece = synonyms.rewrite(raw)
            if not MIN_LENGTH <= len(piece) <= MAX_LENGTH:
                continue
            if _HIRAGANA.search(piece) and (_ALL_HIRAGANA.match(piece) or not system.has_particle(piece)):
                # Kana for (part of) one of the entry's own names: registered with that name as its normal form.
                key = "\u0000".join(siblings)
                if key not in readings:
                    readings[key] = {}
                    for sibling in siblings:
                        s = synonyms.rewrite(normalize(sibling))
                        if " " not in s and not _HIRAGANA.search(s):
                            readings[key].setdefault(system.reading(s), s)
                spelled = readings[key].get(system.reading(piece))
                if spelled and system.single_token(piece) is None:
                    terms.add(Term(piece, unify(system.single_token(spelled) or spelled)))
                    continue
            if piece == raw and not _ALL_HIRAGANA.match(piece) and system.is_compound_name(piece):
                terms.add(Term(piece, piece))
    for canonical in synonyms.replace.values():
        if " " not in canonical and MIN_LENGTH <= len(canonical) <= MAX_LENGTH and system.is_compound_name(canonical):
            terms.add(Term(canonical, canonical))
    # A kana alias whose kanji name is itself a compound: the kanji name must be a term too.
    surfaces = {t.surface for t in terms}
    return sorted(t for t in terms if t.surface == t.normalized or t.normalized in surfaces
                  or system.single_token(t.normalized) == t.normalized)


def _texts(kb: KnowledgeBase) -> Iterator[str]:
    """The short texts of the base: names, aliases, questions (not answer bodies)."""
    for name, _ in _names(kb):
        yield name
    for o in kb.offices.values():
        yield from o.sample_questions
    for p in kb.procedures.values():
        yield from p.sample_questions
    for e in kb.life_events.values():
        yield from e.sample_questions
    for f in kb.faqs.values():
        yield f.question
        yield from f.alternatives


def _hiragana(katakana: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in katakana)


def kana_spellings(kb: KnowledgeBase, compounds: Iterable[Term] = (), synonyms: Synonyms | None = None,
                   system: _System | None = None) -> list[Term]:
    """Kana spellings of the base's kanji words (しょうめいしょ → 証明書, くみんか → 区民課), so a question typed in
    kana without conversion is read as the same words. Only readings of four kana or more; when two words
    share a reading the one the base uses more often takes it, and a tie registers neither."""
    synonyms = synonyms or Synonyms()
    system = system or _System()
    counts: dict[str, dict[str, int]] = {}

    def count(reading: str, word: str) -> None:
        if len(reading) >= MIN_KANA and len(word) >= 2 and _KANJI.search(word) and not _KANJI.search(reading):
            by_word = counts.setdefault(reading, {})
            by_word[word] = by_word.get(word, 0) + 1

    for text in _texts(kb):
        for m in system.c.tokenize(synonyms.rewrite(normalize(text))):
            if m.part_of_speech()[0] == "名詞" and not m.is_oov():
                count(to_katakana(m.reading_form()), unify(m.normalized_form()))
    for t in compounds:
        if t.surface == t.normalized:
            count(system.reading(t.surface), t.surface)
    terms: list[Term] = []
    for reading, by_word in counts.items():
        ranked = sorted(by_word.items(), key=lambda kv: -kv[1])
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            continue
        word = ranked[0][0]
        for surface in (_hiragana(reading), reading):
            if system.single_token(surface) is None:  # a word the system dictionary knows keeps its meaning
                terms.append(Term(surface, word))
    return sorted(set(terms))


def shadowed_words(kb: KnowledgeBase, terms: Iterable[Term], synonyms: Synonyms | None = None,
                   system: _System | None = None) -> list[Term]:
    """The base's longer words that contain a registered term (印鑑登録証明書 contains 印鑑登録証): registered
    as themselves at the same cost, so the new shorter word does not cut them up (印鑑登録証 + 明書)."""
    synonyms = synonyms or Synonyms()
    system = system or _System()
    surfaces = sorted({t.surface for t in terms}, key=len, reverse=True)
    if not surfaces:
        return []
    inside = re.compile("|".join(re.escape(x) for x in surfaces))
    out: set[Term] = set()
    for text in _texts(kb):
        for m in system.c.tokenize(synonyms.rewrite(normalize(text))):
            word = m.surface()
            if len(word) > MIN_LENGTH and not m.is_oov() and word not in surfaces and inside.search(word):
                out.add(Term(word, unify(m.normalized_form())))
    return sorted(out)


def lexicon_rows(terms: Iterable[Term], system: _System | None = None) -> list[list[str]]:
    """Sudachi user-dictionary source rows (the 18 columns of its CSV format) for the terms."""
    system = system or _System()
    rows = []
    for t in sorted(set(terms)):
        surface = unicodedata.normalize("NFKC", t.surface).lower()  # Sudachi looks words up in this form
        # A kana spelling splits into the units of the word it spells (しょうにいりょうしょう → 小児, 医療, 証).
        split = system.split_a(surface if t.surface == t.normalized else t.normalized)
        reading = system.reading(surface)
        rows.append([surface, str(LEFT_ID), str(RIGHT_ID), str(COST), surface, *POS, reading, t.normalized,
                     "*", "C" if split != "*" else "A", split, "*", "*"])
    return rows


def _csv(rows: Sequence[Sequence[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def _system_dic() -> Path:
    spec = importlib.util.find_spec("sudachidict_core")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("sudachidict_core is not installed")
    return Path(spec.origin).parent / "resources" / "system.dic"


def _versions() -> str:
    return f"sudachipy={metadata.version('sudachipy')};dict={metadata.version('sudachidict_core')}"


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / "contact-userdict")


def build(rows: Sequence[Sequence[str]], directory: Path | None = None) -> Path:
    """The compiled dictionary of ``rows``: reused from ``directory`` when built before, else built there."""
    from sudachipy import sudachipy

    source = _csv(rows)
    key = hashlib.sha256(_versions().encode() + b"\n" + source).hexdigest()[:24]
    directory = directory or cache_dir()
    target = directory / f"city-{key}.dic"
    if target.is_file():
        return target
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".build-") as tmp:
        lex = Path(tmp) / "city.csv"
        lex.write_bytes(source)
        out = Path(tmp) / "city.dic"
        sudachipy.build_user_dic(system=_system_dic(), lex=[lex], output=out, description="contact city terms")
        os.replace(out, target)  # atomic: a concurrent builder of the same terms writes the same bytes
    log.info("userdict.built", path=str(target), terms=len(rows))
    return target


def _source_key(kb: KnowledgeBase, synonyms: Synonyms) -> str:
    """A hash of everything the terms are computed from: the base's names and questions, the synonym table,
    the names it keeps, this module's rules (:data:`FORMAT`) and the Sudachi versions. Equal keys give equal
    term lists."""
    h = hashlib.sha256(f"{FORMAT};{_versions()}".encode())
    for text in sorted(set(_texts(kb))):
        h.update(text.encode() + b"\n")
    for variant, canonical in sorted(synonyms.replace.items()):
        h.update(f"{variant}\t{canonical}\n".encode())
    for name in sorted(synonyms.kept):
        h.update(f"{name}\n".encode())
    return h.hexdigest()[:24]


def user_dictionary(kb: KnowledgeBase, synonyms: Synonyms | None = None, directory: Path | None = None) -> Path | None:
    """The user dictionary of ``kb``'s terms (built or reused), or None when there is none or it fails.

    A small index file per source key (see :func:`_source_key`) names the dictionary built for those
    sources, so a restart with an unchanged base finds it without recomputing the terms."""
    synonyms = synonyms or Synonyms()
    directory = directory or cache_dir()
    try:
        pointer = directory / f"source-{_source_key(kb, synonyms)}.txt"
        if pointer.is_file():
            built = directory / pointer.read_text(encoding="utf-8").strip()
            if built.is_file():
                return built if built.stat().st_size else None
        system = _System()
        terms = city_terms(kb, synonyms, system)
        terms += kana_spellings(kb, terms, synonyms, system)
        terms += shadowed_words(kb, terms, synonyms, system)
        path = build(lexicon_rows(terms, system), directory) if terms else None
        _write_atomically(pointer, path.name if path else _EMPTY.name)
        if path is None:
            (directory / _EMPTY.name).touch()
        return path
    except Exception as exc:  # any failure: keep serving on the system dictionary
        log.warning("userdict.unavailable", error=f"{type(exc).__name__}: {exc}")
        return None


_EMPTY = Path("no-terms.dic")
"""Named by a source index when the base has no terms: an empty file, meaning "no user dictionary"."""


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
