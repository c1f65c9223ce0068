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
    crisis: tuple[str, ...] = ()
    """Words of someone who may be thinking of suicide (死にたい, 消えたい): the lines that listen come first."""
    crisis_entry: str | None = None
    """The entry that gives those lines (cues.yaml ``crisis.entry``)."""
    chatter: tuple[str, ...] = ()
    """Feelings and personal remarks (最近ついてない): not a question for the city."""
    routes: tuple[re.Pattern[str], ...] = ()
    """A way between two places (武蔵小杉から渋谷まで何分): a route planner's question, not the city's."""
    other_topic: tuple[re.Pattern[str], ...] = ()
    """What another service answers, asked as such (明日の天気, おいしいラーメン屋どこ): not the city's."""
    medical: tuple[re.Pattern[str], ...] = ()
    """Medical advice (熱が下がらない, 潜伏期間, 解熱剤): a doctor's or a pharmacist's question."""
    device: tuple[re.Pattern[str], ...] = ()
    """The citizen's own device, connection or app in trouble (スマホが壊れた): its maker's or provider's."""
    noise: tuple[re.Pattern[str], ...] = ()
    """Not a question at all, matched on the whole text: a test message, a group of characters repeated."""
    question_words: tuple[str, ...] = ()
    """Words that ask (いつ, だれ, いくつ, なぜ): like focus words they say what is asked, not which entry."""

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Cues:
        with path.open(encoding="utf-8") as f:
            data = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if not isinstance(data, dict) or not {"handoff", "smalltalk", "focus"} <= set(data) <= {
            "handoff", "smalltalk", "focus", "checklist", "out_of_scope", "crisis", "question_words"
        }:
            raise CueError(f"{path}: expected the sections handoff, smalltalk, focus and optionally checklist, "
                           "out_of_scope, crisis and question_words")
        crisis = data.get("crisis") or {}
        if not isinstance(crisis, dict) or not set(crisis) <= {"entry", "words"}:
            raise CueError(f"{path}: crisis has an entry and its words")
        oos = data.get("out_of_scope") or {}
        kinds = {"chatter", "route", "other_topic", "medical", "device", "noise"}
        if not isinstance(oos, dict) or not set(oos) <= kinds:
            raise CueError(f"{path}: out_of_scope has the lists chatter, route, other_topic, medical, device and "
                           "noise")
        patterns = {}
        for kind in ("route", "other_topic", "medical", "device", "noise"):
            try:
                patterns[kind] = tuple(re.compile(normalize(r)) for r in oos.get(kind) or [])
            except re.error as exc:
                raise CueError(f"{path}: out_of_scope.{kind}: {exc}") from exc
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
            crisis=norm(crisis.get("words") or []),
            crisis_entry=str(crisis["entry"]) if crisis.get("entry") else None,
            chatter=norm(oos.get("chatter") or []),
            routes=patterns["route"],
            other_topic=patterns["other_topic"],
            medical=patterns["medical"],
            device=patterns["device"],
            noise=patterns["noise"],
            question_words=norm(data.get("question_words") or []),
        )

    def in_crisis(self, text: str) -> bool:
        return any(w in text for w in self.crisis)

    def wants_handoff(self, text: str) -> bool:
        return any(c in text for c in self.handoff)

    def wants_checklist(self, text: str) -> bool:
        return any(c in text for c in self.checklist)

    def out_of_scope(self, text: str) -> str | None:
        """``noise``, ``chatter``, ``route``, ``other_topic``, ``medical`` or ``device`` when the words say the
        question is not for the city, else None."""
        if any(r.search(line.strip()) for line in text.split("\n") for r in self.noise):
            return "noise"
        if any(w in text for w in self.chatter):
            return "chatter"
        if any(r.search(text) for r in self.routes):
            return "route"
        if any(r.search(text) for r in self.other_topic):
            return "other_topic"
        if any(r.search(text) for r in self.medical):
            return "medical"
        if any(r.search(line) for line in text.split("\n") for r in self.device):
            return "device"
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
        """All focus cue words and question words: they say what is asked about, not which entry, so BM25
        weighs them less and coverage leaves them out (with the words of :func:`asks`)."""
        return frozenset(w for words in self.focus.values() for w in words) | frozenset(self.question_words)


def asks(term: str) -> bool:
    """A word made of 何 and a counter or unit (何曜, 何歳, 何日, 何回, 何円, 何人 …: Sudachi makes one word of
    them), which asks which one, not what about; 何 alone is a stop term."""
    return len(term) > 1 and term[0] == "何"
