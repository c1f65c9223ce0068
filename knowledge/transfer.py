"""Import FAQ spreadsheets into a knowledge directory, and export a base to CSV / XLSX / JSONL.

City staff keep FAQs in spreadsheets. :func:`read_faq_rows` reads CSV (UTF-8, with or without
BOM), XLSX (first sheet) or JSONL with the columns ``id``, ``question``, ``answer`` and optional
``category``, ``department``, ``alternatives`` (separated by ``|`` or new lines), ``source_url``
and ``reviewed``. Each row is validated alone: bad rows are reported by row number and the good
rows are kept, so one typo does not block a whole import.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.loader import KnowledgeBase
from knowledge.schema import Faq, Sourced

FORMATS = ("csv", "xlsx", "jsonl")
EXPORT_COLUMNS = ("type", "id", "title", "question", "alternatives", "answer", "category", "department",
                  "source_url", "reviewed", "certainty")


class TransferError(ValueError):
    """The file cannot be read at all (unknown format, unreadable, no header)."""


@dataclass(frozen=True)
class RowProblem:
    row: int
    """1-based data row number (the header of a CSV/XLSX is row 0)."""
    entry_id: str | None
    message: str

    def __str__(self) -> str:
        return f"row {self.row}" + (f" [{self.entry_id}]" if self.entry_id else "") + f": {self.message}"


@dataclass(frozen=True)
class ImportResult:
    faqs: tuple[Faq, ...]
    problems: tuple[RowProblem, ...]


def _format_of(path: Path, fmt: str | None) -> str:
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt == "json":
        fmt = "jsonl"
    if fmt not in FORMATS:
        raise TransferError(f"unknown format '{fmt}': use one of {', '.join(FORMATS)}")
    return fmt


def _raw_rows(path: Path, fmt: str) -> Iterator[tuple[int, Any]]:
    if fmt == "jsonl":
        with path.open(encoding="utf-8-sig") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        yield n, json.loads(line)
                    except json.JSONDecodeError as exc:
                        yield n, exc
    elif fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames:
                raise TransferError(f"{path}: no header row")
            for n, row in enumerate(reader, 1):
                yield n, row
    else:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise TransferError(f"{path}: no header row")
        names = [str(h).strip() if h is not None else "" for h in header]
        for n, values in enumerate(rows, 1):
            if values is None or all(v is None for v in values):
                continue
            yield n, {k: v for k, v in zip(names, values, strict=False) if k}


def _alternatives(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(p.strip() for p in re.split(r"[|\n]", str(value)) if p.strip())


def read_faq_rows(
    path: Path | str, fmt: str | None = None, *, source_url: str | None = None,
    reviewed: dt.date | None = None, category: str = "その他", department: str = "不明",
) -> ImportResult:
    """Read FAQ rows; defaults fill columns a file does not have (e.g. a source for the whole file)."""
    path = Path(path)
    fmt = _format_of(path, fmt)
    if not path.is_file():
        raise TransferError(f"{path}: no such file")
    faqs: list[Faq] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for n, raw in _raw_rows(path, fmt):
        if isinstance(raw, Exception):
            problems.append(RowProblem(n, None, f"not valid JSON: {raw}"))
            continue
        if not isinstance(raw, Mapping):
            problems.append(RowProblem(n, None, "a row must be an object with id, question and answer"))
            continue
        row = {str(k).strip().lower(): v for k, v in raw.items() if k is not None}
        entry_id = str(row.get("id") or "").strip() or None
        data = {
            "id": entry_id,
            "question": row.get("question"),
            "answer": row.get("answer"),
            "alternatives": _alternatives(row.get("alternatives")),
            "category": row.get("category") or category,
            "department": row.get("department") or department,
            "source_url": row.get("source_url") or source_url,
            "reviewed": row.get("reviewed") or reviewed,
        }
        if isinstance(data["reviewed"], dt.datetime):
            data["reviewed"] = data["reviewed"].date()
        try:
            faq = Faq.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"])
                problems.append(RowProblem(n, entry_id, f"{where}: {err['msg']}"))
            continue
        if faq.id in seen:
            problems.append(RowProblem(n, faq.id, "duplicate id"))
            continue
        seen.add(faq.id)
        faqs.append(faq)
    return ImportResult(tuple(faqs), tuple(problems))


def write_faqs(faqs: Iterable[Faq], directory: Path | str) -> Path:
    """Write FAQs as ``faqs.yaml`` in a knowledge directory (created if missing)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / "faqs.yaml"
    data = [f.model_dump(mode="json", exclude_defaults=True) for f in faqs]
    with out.open("w", encoding="utf-8") as fh:
        yaml.safe_dump(data, fh, allow_unicode=True, sort_keys=False, width=120)
    return out


def export_rows(kb: KnowledgeBase) -> Iterator[dict[str, str]]:
    """One flat row per entry, with the columns of :data:`EXPORT_COLUMNS`."""
    for e in kb.entries():
        yield _flat(e)


def _flat(e: Sourced) -> dict[str, str]:
    d = e.model_dump(mode="json")
    title = d.get("name") or d.get("question") or ""
    questions = d.get("alternatives") or d.get("sample_questions") or []
    answer = d.get("answer") or d.get("summary") or d.get("services") or d.get("handles") or ""
    return {
        "type": type(e).__name__.lower(),
        "id": d["id"],
        "title": title,
        "question": d.get("question") or title,
        "alternatives": "|".join(questions),
        "answer": answer,
        "category": d.get("category") or d.get("kind") or "",
        "department": d.get("department") or "",
        "source_url": d["source_url"],
        "reviewed": d["reviewed"],
        "certainty": d["certainty"],
    }


def export(kb: KnowledgeBase, fmt: str, out: Path | str) -> int:
    """Write the base to ``out`` as csv (UTF-8 with BOM, opens in Excel), xlsx or jsonl; return rows."""
    out = Path(out)
    if fmt not in FORMATS:
        raise TransferError(f"unknown format '{fmt}': use one of {', '.join(FORMATS)}")
    rows = list(export_rows(kb))
    if fmt == "jsonl":
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        out.write_text(buf.getvalue(), encoding="utf-8-sig", newline="")
    else:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "entries"
        ws.append(list(EXPORT_COLUMNS))
        for r in rows:
            ws.append([r[c] for c in EXPORT_COLUMNS])
        wb.save(out)
    return len(rows)
