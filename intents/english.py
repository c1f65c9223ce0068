"""English questions: a glossary (``intents/data/english.yaml``) turns English words and phrases into the
knowledge base's Japanese terms, and English function words are dropped.

"How do I register my dog in Kawasaki?" becomes "犬の登録 川崎" before synonyms and Sudachi see it,
so an English question is ranked like the same question asked in Japanese keywords. Words the
glossary does not know are kept (Sudachi turns many into katakana: "baby" → ベビー). The glossary
is data, matched longest phrase first on whole words; plurals fall back to the singular.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from intents.normalize import normalize

DEFAULT_PATH = Path(__file__).parent / "data" / "english.yaml"

_LATIN = re.compile(r"[a-z]")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_WORD = re.compile(r"(?<![a-z0-9'])[a-z][a-z'\-]*(?![a-z0-9'])")


class EnglishError(ValueError):
    """The glossary is malformed."""


@dataclass(frozen=True)
class English:
    glossary: Mapping[str, str] = field(default_factory=dict)
    """Lower-case English word or phrase → Japanese wording."""
    stop: frozenset[str] = frozenset()
    """Function words dropped from English text."""
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_mapping(cls, data: object) -> English:
        if not isinstance(data, dict) or set(data) != {"stop", "glossary"}:
            raise EnglishError("the English glossary must be a mapping with exactly 'stop' and 'glossary'")
        stop = data["stop"]
        if not isinstance(stop, list) or not all(isinstance(w, str) for w in stop):
            raise EnglishError("stop: must be a list of words")
        glossary: dict[str, str] = {}
        for japanese, phrases in (data["glossary"] or {}).items():
            if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
                raise EnglishError(f"glossary.{japanese}: must be a list of English words or phrases")
            for phrase in phrases:
                key = _key(phrase)
                if key in glossary and glossary[key] != japanese:
                    raise EnglishError(f"glossary: '{phrase}' is listed under both '{glossary[key]}' and '{japanese}'")
                glossary[key] = str(japanese)
        return cls(glossary=glossary, stop=frozenset(normalize(w) for w in stop), _pattern=_phrases(glossary))

    def with_names(self, names: Mapping[str, str]) -> English:
        """This glossary and ``names`` (English name → Japanese name, e.g. the base's offices); a phrase the
        glossary already has keeps its meaning."""
        glossary = dict(self.glossary)
        for phrase, japanese in names.items():
            glossary.setdefault(_key(phrase), normalize(japanese))
        return replace(self, glossary=glossary, _pattern=_phrases(glossary))

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> English:
        with path.open(encoding="utf-8") as f:
            return cls.from_mapping(yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))

    def is_english(self, text: str) -> bool:
        """Whether a normalised question is written in English: no Japanese script, and either an English
        function word or at least three Latin words ("PayPay", "LINE Pay" alone are names, not English)."""
        if _JAPANESE.search(text):
            return False
        words = _WORD.findall(text)
        return any(w in self.stop for w in words) or len(words) >= 3

    def translate(self, text: str) -> str:
        """Normalised text with its English phrases in Japanese and English function words dropped."""
        if not _LATIN.search(text):
            return text
        if self._pattern is not None:
            text = self._pattern.sub(lambda m: f" {self.glossary[' '.join(m.group(0).split())]} ", text)
        text = _WORD.sub(self._word, text)
        return " ".join(text.split())

    def _word(self, m: re.Match[str]) -> str:
        word = m.group(0)
        if word in self.stop:
            return " "
        for stem in (word[:-3] + "y" if word.endswith("ies") else None, word[:-1] if word.endswith("s") else None):
            if stem and stem in self.glossary:
                return f" {self.glossary[stem]} "
        return word


def _key(phrase: str) -> str:
    """A glossary phrase as it is looked up: normalised, single spaces."""
    return " ".join(normalize(phrase).split())


def _phrases(glossary: Mapping[str, str]) -> re.Pattern[str] | None:
    """The glossary's phrases, longest first, on whole words."""
    keys = sorted(glossary, key=len, reverse=True)
    body = "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in keys)
    return re.compile(rf"(?<![a-z0-9'])(?:{body})(?![a-z0-9'])") if keys else None


_ORGANISATION = re.compile(r"\b(?:office|centre|center|branch|corner|hall|library|line|desk|division|section|"
                           r"plaza|service|cemetery|commission|corporation)$")
_NAME_END = re.compile(r"[(,:（]")


def office_names(titles: Mapping[str, str]) -> dict[str, str]:
    """English names of offices → their Japanese names, from the offices' English titles ("Takatsu Pension
    Office (高津年金事務所, …)" → takatsu pension office → 高津年金事務所). The title's name part must end in an
    organisation's word; "Kawasaki" may be left out when three or more words remain ("consumer affairs
    center"). A name shared by two offices means neither and is left out."""
    found: dict[str, set[str]] = {}
    for japanese, title in titles.items():
        name = " ".join(normalize(_NAME_END.split(title, maxsplit=1)[0]).split())
        if len(name.split()) < 2 or not _ORGANISATION.search(name):
            continue
        found.setdefault(name, set()).add(japanese)
        short = name.removeprefix("kawasaki ")
        if short != name and len(short.split()) >= 3:
            found.setdefault(short, set()).add(japanese)
    # A shortened name that ends another office's name ("administrative service corner" of Noborito's) is
    # not one office's either.
    return {name: next(iter(owners)) for name, owners in found.items() if len(owners) == 1
            and not any(other.endswith(" " + name) and others != owners for other, others in found.items())}
