"""The shipped list of common topics (knowledge/data/topics.yaml): every topic has an entry."""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge.loader import SHIPPED_DIR, load

TOPICS = SHIPPED_DIR / "topics.yaml"


def _topics() -> list[dict[str, object]]:
    data = yaml.safe_load(Path(TOPICS).read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


def test_at_least_sixty_distinct_topics() -> None:
    names = [t["topic"] for t in _topics()]
    assert len(names) >= 60
    assert len(set(names)) == len(names), "duplicate topic"


def test_every_topic_has_an_entry_in_the_shipped_base() -> None:
    kb = load(SHIPPED_DIR)
    missing = {
        str(t["topic"]): [e for e in t["entries"] if kb.get(e) is None]  # type: ignore[attr-defined]
        for t in _topics()
    }
    assert all(t["entries"] for t in _topics()), "a topic without entries"
    assert not {k: v for k, v in missing.items() if v}, missing


def test_every_topic_has_a_sourced_entry() -> None:
    """At least one entry per topic names its source (none without), so an answer can cite it."""
    kb = load(SHIPPED_DIR)
    for t in _topics():
        entries = [kb.get(e) for e in t["entries"]]  # type: ignore[attr-defined]
        assert any(e is not None and e.source_url.startswith("http") for e in entries), t["topic"]
