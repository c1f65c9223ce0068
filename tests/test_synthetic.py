"""Synthetic knowledge bases for benchmarks: deterministic, distinct, valid, and answerable."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.loader import load
from knowledge.synthetic import combinations, generate
from knowledge.transfer import write_faqs


def test_same_seed_same_base_and_distinct_entries() -> None:
    base = generate(500, seed=3)
    assert base == generate(500, seed=3)
    assert base != generate(500, seed=4)
    assert len({f.id for f in base.faqs}) == 500
    assert len({f.question for f in base.faqs}) == 500
    assert [i for _, i in base.queries] == [f.id for f in base.faqs]
    # the labelled question is phrased differently from the entry it belongs to
    for (query, _), faq in zip(base.queries, base.faqs, strict=True):
        assert query not in (faq.question, *faq.alternatives)


def test_a_synthetic_base_loads_as_a_knowledge_directory(tmp_path: Path) -> None:
    base = generate(50)
    write_faqs(base.faqs, tmp_path / "kb")
    kb = load(tmp_path / "kb")
    assert len(kb) == 50 and kb.calendar is None


def test_the_vocabulary_bounds_the_size() -> None:
    assert combinations() >= 30_000
    with pytest.raises(ValueError):
        generate(combinations() + 1)
