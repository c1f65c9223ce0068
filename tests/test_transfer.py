"""FAQ import from CSV / XLSX / JSONL (bad rows reported by number, good rows kept) and export."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from contact.cli import main
from knowledge.loader import load
from knowledge.transfer import TransferError, export, read_faq_rows, write_faqs
from tests.conftest import MINI_KB

ROWS = [
    {"id": "q1", "question": "ごみの日はいつ", "answer": "地域ごとに決まっています。", "category": "ごみ",
     "alternatives": "収集日|ごみ 何曜日"},
    {"id": "q2", "question": "", "answer": "質問が空", "category": "ごみ"},
    {"id": "Bad Id!", "question": "q", "answer": "a"},
    {"id": "q1", "question": "重複", "answer": "a"},
    {"id": "q3", "question": "犬の登録は", "answer": "衛生課へ。"},
]


def _csv(path: Path) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "question", "answer", "category", "alternatives"])
        writer.writeheader()
        writer.writerows(ROWS)
    return path


def _xlsx(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["id", "question", "answer", "category", "alternatives"])
    for r in ROWS:
        ws.append([r.get(k) for k in ("id", "question", "answer", "category", "alternatives")])
    wb.save(path)
    return path


def _jsonl(path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS) + "{oops\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("make", [_csv, _xlsx, _jsonl], ids=["csv", "xlsx", "jsonl"])
def test_good_rows_kept_bad_rows_reported_by_number(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    """Rows 2 (empty question), 3 (bad id) and 4 (duplicate) are reported; rows 1 and 5 are imported."""
    path = make(tmp_path / f"faq.{make.__name__[1:]}")
    result = read_faq_rows(path, source_url="https://example.jp/faq", reviewed=dt.date(2026, 1, 1))
    assert [f.id for f in result.faqs] == ["q1", "q3"]
    assert result.faqs[0].alternatives == ("収集日", "ごみ 何曜日")
    assert {p.row for p in result.problems} >= {2, 3, 4}
    assert any(p.row == 4 and "duplicate" in p.message for p in result.problems)


def test_rows_without_a_source_are_refused(tmp_path: Path) -> None:
    """Without a source_url column or --source-url, rows are reported: every fact needs a source."""
    result = read_faq_rows(_csv(tmp_path / "faq.csv"), reviewed=dt.date(2026, 1, 1))
    assert not result.faqs
    assert any("source_url" in p.message for p in result.problems)


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    """An unknown suffix or a missing file is a TransferError with a clear message."""
    with pytest.raises(TransferError, match="unknown format"):
        read_faq_rows(tmp_path / "faq.pdf")
    with pytest.raises(TransferError, match="no such file"):
        read_faq_rows(tmp_path / "faq.csv")


def test_imported_directory_is_a_knowledge_base(tmp_path: Path) -> None:
    """Written FAQs load as a knowledge base of their own, ids kept."""
    result = read_faq_rows(_csv(tmp_path / "faq.csv"), source_url="https://example.jp", reviewed=dt.date(2026, 1, 1))
    write_faqs(result.faqs, tmp_path / "kb")
    kb = load(tmp_path / "kb")
    assert set(kb.faqs) == {"q1", "q3"} and kb.calendar is None


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_export_round_trips_every_entry(tmp_path: Path, fmt: str) -> None:
    """Export writes one row per entry; CSV starts with a BOM so Excel reads it as UTF-8."""
    kb = load(MINI_KB)
    out = tmp_path / f"out.{fmt}"
    assert export(kb, fmt, out) == len(kb)
    if fmt == "csv":
        raw = out.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    elif fmt == "xlsx":
        ws = load_workbook(out).active
        assert ws is not None
        values = list(ws.iter_rows(values_only=True))
        rows = [dict(zip(values[0], v, strict=True)) for v in values[1:]]
    else:
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["id"] for r in rows} == {e.id for e in kb.entries()}  # type: ignore[attr-defined]


def test_cli_import_reports_skipped_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`contact kb import` writes the good rows, lists the skipped ones and exits 3 when some were skipped."""
    code = main(["kb", "import", str(_csv(tmp_path / "faq.csv")), "--into", str(tmp_path / "kb"),
                 "--source-url", "https://example.jp", "--reviewed", "2026-01-01"])
    captured = capsys.readouterr()
    assert code == 3
    assert "imported 2 FAQs" in captured.out
    assert "skipped row 2" in captured.err


def test_cli_check_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`contact kb check` validates and lists stale entries; `contact kb export` writes the file."""
    assert main(["kb", "check", "--kb", str(MINI_KB), "--now", "2028-01-01T00:00:00+09:00"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: 10 entries") and "review-overdue: juminhyo" in out
    assert main(["kb", "export", "--kb", str(MINI_KB), "--format", "jsonl", "--out", str(tmp_path / "x.jsonl")]) == 0
    assert (tmp_path / "x.jsonl").is_file()
