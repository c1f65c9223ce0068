"""Edits made in the browser (``/editor/``) laid over the shipped YAML: the effective knowledge base.

An edit is a whole entry document (the mapping a YAML file holds for the entry, before ``{{phone:ID}}``
references are filled in) or a deletion. The *effective base* is the shipped directory with the latest
edit of each entry applied: an edited entry replaces the shipped one in its own file, a new entry is
appended to ``<kind>/editor.yaml`` (a kind kept in a folder, such as ``faqs/``) or to ``<kind>.yaml``,
and a deleted one is left out. :func:`write_effective` writes that directory, and the loader validates
it exactly as ``contact kb check`` does (:func:`load_effective`): the problems name the file, the entry
and the field the same way. ``contact kb export DIR`` is :func:`write_effective` into ``DIR``.

The synonym table's edits work the same way over ``intents/data/synonyms.yaml``
(:func:`effective_synonyms`): add or remove one variant (``replace``) or implied term (``expand``).

Plain Python over the knowledge package: the store and the HTTP layer live in :mod:`contact`.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import difflib
import json
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from knowledge.errors import KnowledgeError, Problem
from knowledge.loader import KnowledgeBase, _read_yaml, _yaml_files, load
from knowledge.schema import FILE_KINDS

ACTIONS = ("create", "edit", "delete", "revert")
NEW_FILE = "editor.yaml"
"""Where entries created in the editor go: ``faqs/editor.yaml`` (or ``<kind>.yaml`` for a one-file kind)."""


@dataclass(frozen=True)
class Edit:
    """One saved version of one entry (a row of the store's ``kb_edits``)."""

    entry_id: str
    kind: str
    version: int
    action: str
    document: Mapping[str, Any] | None
    """The whole entry as YAML would hold it; None for a deletion."""
    author: str = ""
    at: str = ""


@dataclass(frozen=True)
class ShippedEntry:
    kind: str
    file: str
    """Path of the YAML file relative to the knowledge directory (``faqs/juminhyo.yaml``)."""
    document: Mapping[str, Any]


def plain(value: Any) -> Any:
    """A YAML document as JSON-able data: dates as ISO text (the schema reads both)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def shipped_entries(directory: Path) -> dict[str, ShippedEntry]:
    """Every entry of a knowledge directory as its raw document, in file order (unreadable files skipped:
    the loader reports them)."""
    out: dict[str, ShippedEntry] = {}
    for kind in FILE_KINDS:
        for path in _yaml_files(directory, kind):
            data = _read_yaml(path, [])
            if not isinstance(data, list):
                continue
            for raw in data:
                if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"] not in out:
                    out[raw["id"]] = ShippedEntry(kind, str(path.relative_to(directory)), plain(raw))
    return out


def new_entry_file(directory: Path, kind: str) -> str:
    """The file (relative to the directory) a new entry of ``kind`` is written to."""
    return f"{kind}/{NEW_FILE}" if (directory / kind).is_dir() else f"{kind}.yaml"


def check_document(entry_id: str, kind: str, document: Any) -> list[Problem]:
    """Problems of an edit's shape before it is laid over the base (the loader checks the rest)."""
    where = f"{kind} [{entry_id}]"
    if kind not in FILE_KINDS:
        return [Problem(where, entry_id, "kind", f"kind must be one of {', '.join(FILE_KINDS)}")]
    if not isinstance(document, dict):
        return [Problem(where, entry_id, None, "an entry must be a mapping")]
    if document.get("id") != entry_id:
        return [Problem(where, entry_id, "id", "the document's id must be the entry's id (an id never changes)")]
    return []


DATE_FIELDS = ("reviewed", "source_date")


def as_yaml_data(document: Mapping[str, Any]) -> dict[str, Any]:
    """A stored document as the YAML files write it: ``reviewed`` and ``source_date`` as plain dates."""
    out = dict(document)
    for name in DATE_FIELDS:
        value = out.get(name)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # left as written: the loader reports it
                out[name] = dt.date.fromisoformat(value)
    return out


def _dump(entries: list[Mapping[str, Any]]) -> str:
    return yaml.safe_dump([as_yaml_data(e) for e in entries], allow_unicode=True, sort_keys=False,
                          default_flow_style=False, width=110)


def write_effective(shipped: Path, latest: Mapping[str, Edit], target: Path) -> Path:
    """Write the shipped directory with the latest edit of each entry applied to ``target`` (created or
    emptied); files no edit touches are copied byte for byte. Returns ``target``."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(shipped, target)
    if not latest:
        return target
    base = shipped_entries(shipped)
    files: dict[str, list[Mapping[str, Any]]] = {}
    touched: set[str] = set()
    for entry_id, entry in base.items():
        files.setdefault(entry.file, [])
        edit = latest.get(entry_id)
        if edit is None:
            files[entry.file].append(entry.document)
            continue
        touched.add(entry.file)
        if edit.document is not None:
            files[entry.file].append(edit.document)
    for entry_id, edit in latest.items():
        if entry_id in base or edit.document is None:
            continue
        name = new_entry_file(shipped, edit.kind)
        files.setdefault(name, [])
        touched.add(name)
        files[name].append(edit.document)
    for name in sorted(touched):
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        entries = files[name]
        header = "# Written by the knowledge editor (/editor/): shipped entries with the edits kept in the store.\n"
        path.write_text(header + _dump(entries), encoding="utf-8")
    return target


def load_effective(shipped: Path, latest: Mapping[str, Edit]) -> KnowledgeBase:
    """Validate and load the effective base (a temporary copy named like the shipped directory, so that
    problems read as ``contact kb check`` prints them); :class:`KnowledgeError` when it is invalid."""
    if not latest:
        return load(shipped)
    with tempfile.TemporaryDirectory(prefix="kb-effective-") as tmp:
        directory = write_effective(shipped, latest, Path(tmp) / shipped.name)
        kb = load(directory)
    return replace(kb, directory=shipped)


def validate(shipped: Path, latest: Mapping[str, Edit]) -> list[str]:
    """The loader's problems of the effective base as ``contact kb check`` prints them; [] when it loads."""
    try:
        load_effective(shipped, latest)
    except KnowledgeError as exc:
        return [str(p) for p in exc.problems]
    except RecursionError:  # a document nested deeper than YAML can be written
        return ["the entry is nested too deeply to be written as YAML"]
    return []


def document_yaml(document: Mapping[str, Any] | None) -> str:
    """An entry document as the YAML an editor would write (empty for a deletion)."""
    return "" if document is None else yaml.safe_dump(as_yaml_data(document), allow_unicode=True,
                                                       sort_keys=False, default_flow_style=False, width=110)


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, old_label: str,
         new_label: str) -> dict[str, Any]:
    """A unified diff of two versions' YAML and the fields that changed."""
    lines = list(difflib.unified_diff(document_yaml(old).splitlines(), document_yaml(new).splitlines(),
                                      old_label, new_label, lineterm=""))
    keys = list(dict.fromkeys([*(old or {}), *(new or {})]))
    changed = [k for k in keys if json.dumps((old or {}).get(k), ensure_ascii=False, sort_keys=True)
               != json.dumps((new or {}).get(k), ensure_ascii=False, sort_keys=True)]
    return {"unified": "\n".join(lines), "fields": changed}


# -- synonyms ------------------------------------------------------------------------------------

SYNONYM_SECTIONS = ("replace", "expand")


@dataclass(frozen=True)
class SynonymEdit:
    """Add or remove one variant (``replace``: citizen's word → the city's) or implied term (``expand``)."""

    section: str
    term: str
    value: str
    action: str  # "add" | "remove"
    author: str = ""
    at: str = ""


def read_synonym_table(path: Path) -> dict[str, dict[str, list[str]]]:
    with path.open(encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    return {s: {str(k): [str(v) for v in (vs or [])] for k, vs in (data.get(s) or {}).items()}
            for s in SYNONYM_SECTIONS}


def effective_synonyms(table: Mapping[str, Mapping[str, list[str]]],
                       edits: Iterable[SynonymEdit]) -> dict[str, dict[str, list[str]]]:
    """The synonym table with the edits applied in order (a term left without values is dropped)."""
    out = copy.deepcopy({s: {k: list(v) for k, v in table.get(s, {}).items()} for s in SYNONYM_SECTIONS})
    for e in edits:
        values = out[e.section].setdefault(e.term, [])
        if e.action == "add" and e.value not in values:
            values.append(e.value)
        elif e.action == "remove" and e.value in values:
            values.remove(e.value)
        if not values:
            del out[e.section][e.term]
    return out


def dump_synonyms(table: Mapping[str, Mapping[str, list[str]]]) -> str:
    header = ("# Domain synonyms, written by `contact kb export --synonyms` (the shipped table with the edits\n"
              "# made in /editor/). See intents/data/synonyms.yaml for what the sections mean.\n")
    return header + yaml.safe_dump({s: {k: list(v) for k, v in table[s].items()} for s in SYNONYM_SECTIONS},
                                   allow_unicode=True, sort_keys=False, default_flow_style=None, width=110)
