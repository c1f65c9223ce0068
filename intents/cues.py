"""Routing cues (``intents/data/cues.yaml``): handoff requests, small talk and answer focus."""

from __future__ import annotations

import re
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
    chatter: tuple[str, ...] = ()
    """Feelings and personal remarks (最近ついてない): not a question for the city."""
    routes: tuple[re.Pattern[str], ...] = ()
    """A way between two places (武蔵小杉から渋谷まで何分): a route planner's question, not the city's."""

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Cues:
        with path.open(encoding="utf-8") as f:
            data = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if not isinstance(data, dict) or not {"handoff", "smalltalk", "focus"} <= set(data) <= {
            "handoff", "smalltalk", "focus", "checklist", "out_of_scope"
        }:
            raise CueError(f"{path}: expected the sections handoff, smalltalk, focus and optionally checklist "
                           "and out_of_scope")
        oos = data.get("out_of_scope") or {}
        if not isinstance(oos, dict) or not set(oos) <= {"chatter", "route"}:
            raise CueError(f"{path}: out_of_scope has the lists chatter and route")
        try:
            routes = tuple(re.compile(normalize(r)) for r in oos.get("route") or [])
        except re.error as exc:
            raise CueError(f"{path}: out_of_scope.route: {exc}") from exc
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
            chatter=norm(oos.get("chatter") or []),
            routes=routes,
        )

    def wants_handoff(self, text: str) -> bool:
        return any(c in text for c in self.handoff)

    def wants_checklist(self, text: str) -> bool:
        return any(c in text for c in self.checklist)

    def out_of_scope(self, text: str) -> str | None:
        """``chatter`` or ``route`` when the words say the question is not for the city, else None."""
        if any(w in text for w in self.chatter):
            return "chatter"
        if any(r.search(text) for r in self.routes):
            return "route"
        return None

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
