"""Voice types (声の種類): is an inquiry a question, an opinion or request, a complaint, a proposal or thanks?

The city sorts letters to the mayor as 要望・苦情・提案・礼状; every inquiry is tagged the same way
(plus 問い合わせ for plain questions) when it is recorded, from its text and the operator's note,
by weighted regular expressions kept as data in ``voice_rules.yaml``::

    >>> classify("窓口の職員の態度が悪すぎる。たらい回しにされた")
    '苦情'
    >>> classify("住民票は土曜日も取れますか")
    '問い合わせ'

Evaluate the rules on a labelled JSONL file (``{"text", "voice_type", "note"?}`` per line)::

    python -m contact.analysis.voice tests/data/voice_types.jsonl
"""

from __future__ import annotations

import functools
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

RULES_FILE = Path(__file__).with_name("voice_rules.yaml")
VOICE_TYPES: tuple[str, ...] = ("問い合わせ", "意見・要望", "苦情", "提案", "感謝")
"""Every voice type, in the order views list them."""
DEFAULT = "問い合わせ"


@dataclass(frozen=True)
class Rule:
    voice_type: str
    pattern: re.Pattern[str]
    weight: float


@dataclass(frozen=True)
class VoiceRules:
    """Rules loaded from YAML: see the comments at the top of ``voice_rules.yaml``."""

    rules: tuple[Rule, ...]
    priority: tuple[str, ...]
    default: str
    threshold: float
    examples: Mapping[str, tuple[str, ...]]

    @classmethod
    def load(cls, path: Path = RULES_FILE) -> VoiceRules:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        priority = tuple(data["types"])
        if sorted(priority) != sorted(VOICE_TYPES) or data["default"] not in VOICE_TYPES:
            raise ValueError(f"{path}: 'types' must list exactly {', '.join(VOICE_TYPES)}")
        rules = []
        for voice_type, items in data["rules"].items():
            if voice_type not in VOICE_TYPES:
                raise ValueError(f"{path}: unknown voice type {voice_type!r}")
            for item in items:
                try:
                    pattern = re.compile(item["pattern"])
                except re.error as exc:
                    raise ValueError(f"{path}: {voice_type}: bad pattern {item['pattern']!r}: {exc}") from exc
                rules.append(Rule(voice_type, pattern, float(item.get("weight", 1))))
        examples = {k: tuple(v) for k, v in (data.get("examples") or {}).items()}
        return cls(tuple(rules), priority, data["default"], float(data.get("threshold", 1)), examples)

    def scores(self, text: str) -> dict[str, float]:
        """Each type's score for ``text`` (NFKC-normalised first)."""
        folded = unicodedata.normalize("NFKC", text).strip()
        out: dict[str, float] = dict.fromkeys(self.priority, 0.0)
        for rule in self.rules:
            if rule.pattern.search(folded):
                out[rule.voice_type] += rule.weight
        return out

    def classify(self, text: str) -> str:
        scores = self.scores(text)
        best = max(self.priority, key=lambda t: (scores[t], -self.priority.index(t)))
        return best if scores[best] >= self.threshold else self.default


@functools.cache
def default_rules() -> VoiceRules:
    return VoiceRules.load()


def classify(text: str | None, note: str | None = None) -> str:
    """The voice type of an inquiry's text, with the operator's note (if any) read after it."""
    joined = "\n".join(part for part in (text, note) if part)
    return default_rules().classify(joined) if joined else DEFAULT


def backfill(db: Any, batch: int = 5000) -> int:
    """Tag the inquiries stored without a voice type (recorded before tagging existed); return how many.

    ``db`` is the log's connection (sqlite-utils or :class:`contact.store.pg.PgDatabase`); portable SQL only.
    """
    done = 0
    while True:
        rows = list(db.query("SELECT id, text, note FROM inquiries WHERE voice_type IS NULL LIMIT ?", [batch]))
        if not rows:
            return done
        with db.atomic():
            for row in rows:
                db.execute("UPDATE inquiries SET voice_type = ? WHERE id = ?",
                           [classify(row["text"], row["note"]), row["id"]])
        done += len(rows)


@dataclass(frozen=True)
class Evaluation:
    total: int
    correct: int
    confusion: Mapping[tuple[str, str], int]
    """(expected, predicted) → count."""
    misses: tuple[tuple[str, str, str], ...]
    """(text, expected, predicted) of every wrong answer."""

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def per_type(self) -> dict[str, tuple[float, float]]:
        """Voice type → (precision, recall)."""
        out = {}
        for t in VOICE_TYPES:
            tp = self.confusion.get((t, t), 0)
            predicted = sum(n for (_, p), n in self.confusion.items() if p == t)
            expected = sum(n for (e, _), n in self.confusion.items() if e == t)
            out[t] = (tp / predicted if predicted else 0.0, tp / expected if expected else 0.0)
        return out

    def format(self) -> str:
        lines = [f"voice types: {self.correct}/{self.total} correct, accuracy {self.accuracy:.3f}",
                 f"{'type':<8} {'n':>4} {'precision':>9} {'recall':>7}"]
        for t, (p, r) in self.per_type().items():
            n = sum(v for (e, _), v in self.confusion.items() if e == t)
            lines.append(f"{t:<8} {n:>4} {p:>9.2f} {r:>7.2f}")
        return "\n".join(lines)


def load_labelled(path: Path | str) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("voice_type") not in VOICE_TYPES or not isinstance(row.get("text"), str):
            raise ValueError(f"{path}:{number}: needs 'text' and a 'voice_type' of {', '.join(VOICE_TYPES)}")
        rows.append(row)
    return rows


def evaluate(rows: Iterable[Mapping[str, Any]]) -> Evaluation:
    confusion: Counter[tuple[str, str]] = Counter()
    misses = []
    for row in rows:
        predicted = classify(row["text"], row.get("note"))
        confusion[(row["voice_type"], predicted)] += 1
        if predicted != row["voice_type"]:
            misses.append((row["text"], row["voice_type"], predicted))
    total = sum(confusion.values())
    correct = sum(n for (e, p), n in confusion.items() if e == p)
    return Evaluation(total, correct, dict(confusion), tuple(misses))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m contact.analysis.voice LABELLED.jsonl", file=sys.stderr)
        return 2
    result = evaluate(load_labelled(args[0]))
    print(result.format())
    for text, expected, predicted in result.misses:
        print(f"  miss: {text} | expected {expected} | got {predicted}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
