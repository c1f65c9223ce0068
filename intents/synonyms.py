"""The domain synonym table (``intents/data/synonyms.yaml``), applied as data.

Two mechanisms, both read from the table:

- *replace*: variants citizens say (ハンコ, マイナ, 国保 …) are rewritten to the
  city's wording in the normalised text, before tokenisation, so that the
  tokenizer sees the same word the knowledge base uses;
- *expand*: a query term that implies other terms (引っ越し → 転入・転出・転居)
  adds them to the query with a lower weight.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from dataclasses import replace as copy_with
from pathlib import Path

import yaml

from intents.normalize import normalize

DEFAULT_PATH = Path(__file__).parent / "data" / "synonyms.yaml"


class SynonymError(ValueError):
    """The synonym table is malformed."""


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe YAML loader that refuses a key given twice (YAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        duplicates = {k for k in keys if keys.count(k) > 1}
        if duplicates:
            raise SynonymError(f"key(s) given twice: {', '.join(map(str, sorted(duplicates, key=str)))}")
        mapping: dict[object, object] = super().construct_mapping(node, deep=deep)
        return mapping


@dataclass(frozen=True)
class Synonyms:
    replace: Mapping[str, str] = field(default_factory=dict)
    """Normalised variant (or canonical) → canonical wording."""
    expand: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    kept: frozenset[str] = frozenset()
    """Names never rewritten inside (the base's office names: 「…等コールセンター」 is not the contact center)."""
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_mapping(cls, data: object) -> Synonyms:
        if not isinstance(data, dict):
            raise SynonymError("the synonym table must be a mapping with 'replace' and 'expand'")
        unknown = set(data) - {"replace", "expand"}
        if unknown:
            raise SynonymError(f"unknown section(s): {', '.join(sorted(unknown))}")
        sections = data.get("replace") or {}
        replace: dict[str, str] = {normalize(str(c)): normalize(str(c)) for c in sections}
        canonicals = set(replace)
        for canonical, variants in sections.items():
            if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
                raise SynonymError(f"replace.{canonical}: variants must be a list of strings")
            canon = normalize(str(canonical))
            for v in variants:
                nv = normalize(v)
                if nv in canonicals:
                    continue  # a canonical wording is never rewritten
                if nv in replace and replace[nv] != canon:
                    raise SynonymError(f"replace: '{v}' is listed under both '{replace[nv]}' and '{canon}'")
                replace[nv] = canon
        expand: dict[str, tuple[str, ...]] = {}
        for term, implied in (data.get("expand") or {}).items():
            if not isinstance(implied, list) or not all(isinstance(v, str) for v in implied):
                raise SynonymError(f"expand.{term}: implied terms must be a list of strings")
            expand[normalize(str(term))] = tuple(normalize(v) for v in implied)
        return cls(replace=replace, expand=expand, _pattern=_variants(replace))

    def keeping(self, names: Iterable[str]) -> Synonyms:
        """This table, with those of ``names`` (an office's names and aliases) kept as they are that the table
        would rewrite into something that is none of them (…等コールセンター into the contact center's name);
        a citizen's spelling rewritten into another of the names (粗大ゴミ受付センター) is still rewritten."""
        all_names = {n for n in map(normalize, names) if n}
        kept = frozenset(n for n in all_names if n not in self.replace and self.rewrite(n) not in all_names)
        kept |= self.kept
        return copy_with(self, kept=kept, _pattern=_variants([*self.replace, *kept]))

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Synonyms:
        with path.open(encoding="utf-8") as f:
            return cls.from_mapping(yaml.load(f, Loader=_UniqueKeyLoader))  # a SafeLoader subclass

    def rewrite(self, text: str) -> str:
        """Rewrite variants to canonical wording (longest match first; canonicals stay as they are)."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self.replace.get(m.group(0), m.group(0)), text)

    def expansions(self, terms: list[str]) -> list[str]:
        """Terms implied by the query terms and not already in it."""
        present = set(terms)
        out: list[str] = []
        for t in terms:
            for implied in self.expand.get(t, ()):
                if implied not in present:
                    present.add(implied)
                    out.append(implied)
        return out


def _variants(words: Iterable[str]) -> re.Pattern[str] | None:
    """The words, longest first: a longer word is read before a variant inside it."""
    keys = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in keys)) if keys else None
