"""Routing cues (``intents/data/cues.yaml``): handoff requests, small talk and answer focus."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from intents.normalize import normalize

DEFAULT_PATH = Path(__file__).parent / "data" / "cues.yaml"

FOCI = ("fee", "bring", "where", "phone", "hours", "saturday", "deadline", "online", "convenience", "access")


class CueError(ValueError):
    """The cue table is malformed."""


@dataclass(frozen=True)
class Cues:
    handoff: tuple[str, ...]
    smalltalk: Mapping[str, tuple[str, ...]]
    focus: Mapping[str, tuple[str, ...]]
    checklist: tuple[str, ...] = ()
    """Words asking what to do as a whole (何をすれば, やること …): life events answer those."""

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Cues:
        with path.open(encoding="utf-8") as f:
            data = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if not isinstance(data, dict) or not {"handoff", "smalltalk", "focus"} <= set(data) <= {
            "handoff", "smalltalk", "focus", "checklist"
        }:
            raise CueError(f"{path}: expected the sections handoff, smalltalk, focus and optionally checklist")
        unknown = set(data["focus"]) - set(FOCI)
        if unknown:
            raise CueError(f"{path}: unknown focus {sorted(unknown)}; known: {FOCI}")

        def norm(words: list[str]) -> tuple[str, ...]:
            return tuple(normalize(w) for w in words)

        return cls(
            handoff=norm(data["handoff"]),
            smalltalk={k: norm(v) for k, v in data["smalltalk"].items()},
            focus={k: norm(v) for k, v in data["focus"].items()},
            checklist=norm(data.get("checklist") or []),
        )

    def wants_handoff(self, text: str) -> bool:
        return any(c in text for c in self.handoff)

    def wants_checklist(self, text: str) -> bool:
        return any(c in text for c in self.checklist)

    def smalltalk_kind(self, text: str) -> str | None:
        for kind, words in self.smalltalk.items():
            if any(w in text for w in words):
                return kind
        return None

    def foci(self, text: str) -> tuple[str, ...]:
        """The foci whose cue words occur in the text, in the order of :data:`FOCI`."""
        return tuple(f for f in FOCI if any(w in text for w in self.focus.get(f, ())))

    def cue_words(self) -> frozenset[str]:
        """All focus cue words: they say what is asked about, not which entry, so ranking ignores them."""
        return frozenset(w for words in self.focus.values() for w in words)
