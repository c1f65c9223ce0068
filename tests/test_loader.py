"""Knowledge-base validation: every kind of problem is reported with file, entry id and field, all at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.errors import KnowledgeError
from knowledge.loader import SHIPPED_DIR, load
from tests.conftest import MINI_KB


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(MINI_KB, target)
    return target


def _problems(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load(directory)
    return [str(p) for p in info.value.problems]


def test_the_shipped_base_is_valid_and_complete() -> None:
    """The shipped Kawasaki base loads with every kind the issue asks for, in the promised numbers."""
    kb = load(SHIPPED_DIR)
    assert len([o for o in kb.offices.values() if o.kind == "区役所"]) == 7
    assert len(kb.procedures) >= 60 and len(kb.faqs) >= 200 and len(kb.life_events) >= 9
    assert kb.calendar is not None
    assert all(e.source_url and e.reviewed for e in kb.entries())


def test_fixture_base_is_valid(kb_dir: Path) -> None:
    """The unmodified fixture base loads."""
    assert len(load(kb_dir)) == 10


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "addition", "expected"),
    [
        pytest.param("faqs.yaml", "  colour: red\n", "faqs.yaml [faq-saturday-opening] colour: unknown field",
                     id="unknown-field"),
        pytest.param("faqs.yaml", "- id: faq-x\n  question: q\n  answer: a\n  category: c\n  department: d\n"
                     "  reviewed: 2026-01-01\n", "[faq-x] source_url: Field required", id="missing-source"),
        pytest.param("faqs.yaml", "- id: faq-y\n  question: q\n  answer: a\n  category: c\n  department: d\n"
                     "  source_url: https://x\n  reviewed: 2026-02-30\n", "day is out of range", id="bad-date"),
        pytest.param("faqs.yaml", "- id: juminhyo\n  question: q\n  answer: a\n  category: c\n  department: d\n"
                     "  source_url: https://x\n  reviewed: 2026-01-01\n", "[juminhyo] id: duplicate id",
                     id="duplicate-id"),
        pytest.param("windows.yaml", "- id: ghost-kumin\n  office: ghost-office\n  name: 区民課\n  handles: x\n"
                     "  source_url: https://x\n  reviewed: 2026-01-01\n",
                     "windows [ghost-kumin] office: unknown office reference 'ghost-office'", id="window-bad-office"),
        pytest.param("procedures.yaml", "- id: p-x\n  name: n\n  category: c\n  department: d\n  summary: s\n"
                     "  windows: [宇宙課]\n  source_url: https://x\n  reviewed: 2026-01-01\n",
                     "procedures [p-x] windows: unknown window name '宇宙課'", id="procedure-bad-window"),
        pytest.param("life_events.yaml", "- id: le-x\n  name: n\n  summary: s\n  steps: [{procedure: nope}]\n"
                     "  source_url: https://x\n  reviewed: 2026-01-01\n",
                     "life_events [le-x] steps.0.procedure: unknown", id="life-event-bad-step"),
        pytest.param("offices.yaml", "- id: o-x\n  name: n\n  kind: 区役所\n  ward: 港区\n"
                     "  source_url: https://x\n  reviewed: 2026-01-01\n", "[o-x] ward", id="unknown-ward"),
    ],
)
def test_each_validation_error_names_file_entry_and_field(kb_dir: Path, file: str, addition: str,
                                                          expected: str) -> None:
    """A broken entry is reported with its file (or kind), id and field."""
    _append(kb_dir / file, addition)
    problems = _problems(kb_dir)
    assert any(expected in p for p in problems), problems


def test_all_problems_are_reported_at_once(kb_dir: Path) -> None:
    """Two broken files give two problems in one error, not one at a time."""
    _append(kb_dir / "faqs.yaml", "  colour: red\n")
    _append(kb_dir / "procedures.yaml", "  flavour: sweet\n")
    problems = _problems(kb_dir)
    assert any("colour" in p for p in problems) and any("flavour" in p for p in problems)


def test_unreadable_yaml_and_wrong_shapes(kb_dir: Path) -> None:
    """Broken YAML, a file that is not a list and an entry that is not a mapping are all reported."""
    (kb_dir / "faqs.yaml").write_text("- id: [unclosed\n", encoding="utf-8")
    (kb_dir / "life_events.yaml").write_text("id: not-a-list\n", encoding="utf-8")
    problems = _problems(kb_dir)
    assert any("cannot read YAML" in p for p in problems)
    assert any("must hold a list" in p for p in problems)


def test_invalid_calendar_rules_are_problems(kb_dir: Path) -> None:
    """A calendar rule with a close time before its open time fails the whole base."""
    (kb_dir / "calendar.yaml").write_text(
        (SHIPPED_DIR / "calendar.yaml").read_text(encoding="utf-8").replace('"08:30-17:00"', '"17:00-08:30"', 1),
        encoding="utf-8",
    )
    assert any("calendar.yaml" in p for p in _problems(kb_dir))


def test_missing_directory_is_a_problem(tmp_path: Path) -> None:
    """A path that is not a directory is reported, not a crash."""
    assert _problems(tmp_path / "nope") == [f"{tmp_path / 'nope'}: not a directory"]
