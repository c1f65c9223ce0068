"""Load a knowledge directory, validate all of it, and return an immutable base.

A knowledge directory holds one YAML file per kind (``offices.yaml``,
``windows.yaml``, ``procedures.yaml``, ``faqs.yaml``, ``life_events.yaml``) or a
folder per kind (``faqs/*.yaml``) whose files are concatenated, plus an optional
``calendar.yaml``. Every problem found is collected and reported at once as a
:class:`KnowledgeError`; a base with any problem is never returned, so a bad
edit cannot half-replace a good base.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.calendar import Calendar
from knowledge.errors import KnowledgeError, Problem
from knowledge.learned import apply_learned
from knowledge.schema import FILE_KINDS, Faq, LifeEvent, Office, Procedure, Sourced, Window

SHIPPED_DIR = Path(__file__).parent / "data"

_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (about ten times faster), else the Python one."""
"""The knowledge base shipped with the package (Kawasaki City)."""


@dataclass(frozen=True)
class KnowledgeBase:
    """All entries of one knowledge directory, validated and cross-referenced."""

    directory: Path
    offices: Mapping[str, Office]
    windows: Mapping[str, Window]
    procedures: Mapping[str, Procedure]
    faqs: Mapping[str, Faq]
    life_events: Mapping[str, LifeEvent]
    calendar: Calendar | None = None
    """Opening-day rules (calendar.yaml); None for a base without one (an imported FAQ set)."""
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def entries(self) -> Iterator[Sourced]:
        """Every entry, offices first, in file order."""
        yield from self.offices.values()
        yield from self.windows.values()
        yield from self.procedures.values()
        yield from self.faqs.values()
        yield from self.life_events.values()

    def get(self, entry_id: str) -> Sourced | None:
        for table in (self.offices, self.windows, self.procedures, self.faqs, self.life_events):
            if entry_id in table:
                return table[entry_id]
        return None

    def __len__(self) -> int:
        return sum(
            len(t) for t in (self.offices, self.windows, self.procedures, self.faqs, self.life_events)
        )

    def windows_of(self, office_id: str) -> list[Window]:
        return [w for w in self.windows.values() if w.office == office_id]


def _yaml_files(directory: Path, kind: str) -> list[Path]:
    single = directory / f"{kind}.yaml"
    folder = directory / kind
    files = [single] if single.is_file() else []
    if folder.is_dir():
        files += sorted(folder.glob("*.yaml"))
    return files


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.load(f, Loader=_YamlLoader)  # a safe loader (the C one when available)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
        # ValueError: PyYAML turns 2026-02-30 into a date and fails while reading the file.
        problems.append(Problem(str(path), None, None, f"cannot read YAML: {exc}"))
        return None


def _field_name(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(entry)"


def _load_kind(
    directory: Path, kind: str, seen: dict[str, str], problems: list[Problem]
) -> dict[str, Any]:
    model = FILE_KINDS[kind]
    entries: dict[str, Any] = {}
    for path in _yaml_files(directory, kind):
        rel = str(path.relative_to(directory.parent)) if directory.parent in path.parents else str(path)
        data = _read_yaml(path, problems)
        if data is None:
            continue
        if not isinstance(data, list):
            problems.append(Problem(rel, None, None, "the file must hold a list of entries"))
            continue
        for index, raw in enumerate(data):
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            label = str(raw_id) if raw_id is not None else f"#{index + 1}"
            if not isinstance(raw, dict):
                problems.append(Problem(rel, label, None, "an entry must be a mapping"))
                continue
            try:
                entry = model.model_validate(raw)
            except ValidationError as exc:
                for err in exc.errors():
                    msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
                    problems.append(Problem(rel, label, _field_name(err["loc"]), msg))
                continue
            entry_id: str = entry.id  # type: ignore[attr-defined]
            if entry_id in seen:
                problems.append(
                    Problem(rel, entry_id, "id", f"duplicate id (first defined in {seen[entry_id]})")
                )
                continue
            seen[entry_id] = rel
            entries[entry_id] = entry
    return entries


def _check_references(kb: KnowledgeBase, problems: list[Problem]) -> None:
    window_names = {w.name for w in kb.windows.values()}

    def need(kind: str, entry_id: str, field_name: str, ref: str, table: Mapping[str, Any]) -> None:
        if ref not in table:
            problems.append(Problem(kind, entry_id, field_name, f"unknown {field_name} reference '{ref}'"))

    for o in kb.offices.values():
        for ref in o.procedures:
            need("offices", o.id, "procedures", ref, kb.procedures)
        for ref in o.not_procedures:
            need("offices", o.id, "not_procedures", ref, kb.procedures)
    for w in kb.windows.values():
        need("windows", w.id, "office", w.office, kb.offices)
        for ref in w.procedures:
            need("windows", w.id, "procedures", ref, kb.procedures)
    for p in kb.procedures.values():
        for name in p.windows:
            if name not in window_names:
                problems.append(Problem("procedures", p.id, "windows", f"unknown window name '{name}'"))
        for ref in p.offices:
            need("procedures", p.id, "offices", ref, kb.offices)
        for ref in p.related:
            if kb.get(ref) is None:
                problems.append(Problem("procedures", p.id, "related", f"unknown entry '{ref}'"))
    for f in kb.faqs.values():
        for ref in f.related:
            if kb.get(ref) is None:
                problems.append(Problem("faqs", f.id, "related", f"unknown entry '{ref}'"))
    for e in kb.life_events.values():
        for i, step in enumerate(e.steps):
            need("life_events", e.id, f"steps.{i}.procedure", step.procedure, kb.procedures)


_FACT_REF = re.compile(r"\{\{(phone|hours):([a-z0-9][a-z0-9_-]*)\}\}")
"""``{{phone:ID}}`` / ``{{hours:ID}}`` in an FAQ answer: the phone number or hours text of office or
window ``ID``, filled in at load so that the fact is stated once, on the office, and every FAQ that
mentions it follows when it changes."""


def _expand_fact_references(tables: dict[str, dict[str, Any]], problems: list[Problem]) -> None:
    places: dict[str, Office | Window] = {**tables["offices"], **tables["windows"]}

    def fact(faq_id: str, kind: str, ref: str, where: tuple[str, str] = ("faqs", "answer")) -> str:
        place = places.get(ref)
        value: str | None = None
        if place is not None:
            if kind == "phone":
                value = place.phone
            elif isinstance(place, Office) and place.hours is not None:
                value = place.hours.text.rstrip("。")
        if value is None:
            problems.append(Problem(where[0], faq_id, where[1],
                                    f"{{{{{kind}:{ref}}}}}: no {kind} on an office or window '{ref}'"))
            return ""
        return value

    for faq_id, faq in list(tables["faqs"].items()):
        if "{{" not in faq.answer:
            continue
        def fill(m: re.Match[str], faq_id: str = faq_id) -> str:
            return fact(faq_id, m.group(1), m.group(2))

        answer = _FACT_REF.sub(fill, faq.answer)
        if "{{" in answer:
            problems.append(Problem("faqs", faq_id, "answer",
                                    "malformed {{…}} reference (use {{phone:ID}} or {{hours:ID}})"))
        tables["faqs"][faq_id] = faq.model_copy(update={"answer": answer})
    for kind, table in tables.items():
        for entry_id, entry in list(table.items()):
            if entry.en is None or "{{" not in entry.en.text:
                continue
            def fill_en(m: re.Match[str], kind: str = kind, entry_id: str = entry_id) -> str:
                if m.group(1) != "phone":  # hours are written in Japanese on the office
                    problems.append(Problem(kind, entry_id, "en.text", f"{m.group(0)}: only {{{{phone:ID}}}} "
                                            "can be referred to in English text; write the hours in English"))
                    return ""
                return fact(entry_id, "phone", m.group(2), (kind, "en.text"))

            text = _FACT_REF.sub(fill_en, entry.en.text)
            if "{{" in text:
                problems.append(Problem(kind, entry_id, "en.text", "malformed {{…}} reference (use {{phone:ID}})"))
            table[entry_id] = entry.model_copy(update={"en": entry.en.model_copy(update={"text": text})})


def load(directory: Path | str, learned: bool = True) -> KnowledgeBase:
    """Load and validate a knowledge directory; raise :class:`KnowledgeError` listing every problem.

    ``learned=False`` ignores ``learned_phrasings.yaml`` (``contact kb learned`` rewriting it).
    """
    directory = Path(directory)
    problems: list[Problem] = []
    if not directory.is_dir():
        raise KnowledgeError([Problem(str(directory), None, None, "not a directory")])
    seen: dict[str, str] = {}
    tables = {kind: _load_kind(directory, kind, seen, problems) for kind in FILE_KINDS}
    _expand_fact_references(tables, problems)
    if learned:
        apply_learned(directory, tables, problems)  # learned_phrasings.yaml: phrasings accepted from traffic
    calendar = None
    calendar_path = directory / "calendar.yaml"
    if calendar_path.is_file():
        calendar_data = _read_yaml(calendar_path, problems)
        try:
            calendar = Calendar.from_data(calendar_data)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
    kb = KnowledgeBase(
        directory=directory,
        offices=tables["offices"],
        windows=tables["windows"],
        procedures=tables["procedures"],
        faqs=tables["faqs"],
        life_events=tables["life_events"],
        calendar=calendar,
    )
    if not problems:
        _check_references(kb, problems)
    if not problems and calendar is not None:
        problems.extend(
            calendar.validate_references(
                kb.procedures.keys(),
                {o.id: o.hours.profile if o.hours else None for o in kb.offices.values()},
                {w.name for w in kb.windows.values()},
            )
        )
    if len(kb) == 0 and not problems:
        problems.append(Problem(str(directory), None, None, "no entries found"))
    if problems:
        raise KnowledgeError(problems)
    return kb
