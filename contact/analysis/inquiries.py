"""The inquiry log for review: a filtered, paged list and a CSV export that opens in Excel.

CSV: UTF-8 with a byte-order mark (Excel then reads Japanese correctly), CRLF line ends, a Japanese
header row, and cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) prefixed with an apostrophe::

    >>> csv_cell("=HYPERLINK(\\"http://x\\")")
    "'=HYPERLINK(\\"http://x\\")"
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from contact.analysis.filters import FROM_CLAUSE, Filters
from contact.analysis.voice import VOICE_TYPES

COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "ID"), ("created_at", "受付日時"), ("channel", "チャネル"), ("ward", "区"), ("category", "分類"),
    ("text", "問い合わせ内容"), ("kind", "応答種別"), ("entry_id", "回答エントリID"), ("entry_title", "回答エントリ"),
    ("confidence", "確信度"), ("resolution", "対応結果"), ("forwarded_to", "転送先"), ("voice_type", "声の種類"),
    ("helpful", "役に立った"), ("comment", "評価コメント"), ("note", "メモ"), ("operator", "対応者"),
    ("source", "記録元"), ("lang", "言語"), ("session_id", "セッションID"), ("handoff_id", "有人対応ID"),
    ("latency_ms", "応答時間ms"), ("candidates", "候補エントリ"),
)
"""(field, CSV header) of every exported column, in order."""

_SELECT = ("SELECT i.id, i.created_at, i.channel, i.ward, i.category, i.text, i.kind, i.entry_id, i.entry_title, "
           "i.confidence, i.resolution, i.forwarded_to, i.voice_type, lf.helpful AS helpful, lf.comment AS comment, "
           "i.note, i.operator, i.source, i.lang, i.session_id, i.handoff_id, i.latency_ms, i.candidates")
MAX_CSV_ROWS = 200_000


def _row(raw: dict[str, Any]) -> dict[str, Any]:
    row = dict(raw)
    if row.get("helpful") is not None:
        row["helpful"] = bool(row["helpful"])
    try:
        row["candidates"] = json.loads(row["candidates"]) if row.get("candidates") else []
    except (TypeError, ValueError):
        row["candidates"] = []
    return row


def count(db: Any, filters: Filters) -> int:
    where, params = filters.where()
    return int(next(iter(db.query(f"SELECT COUNT(*) AS n {FROM_CLAUSE} {where}", params)))["n"])


def voice_type_counts(db: Any, filters: Filters) -> dict[str, int]:
    """Inquiries per voice type (every type listed, zeros included) under the filters."""
    where, params = filters.where()
    found = {r["voice_type"]: int(r["n"]) for r in db.query(
        f"SELECT i.voice_type AS voice_type, COUNT(*) AS n {FROM_CLAUSE} {where} GROUP BY i.voice_type", params)}
    return {t: found.get(t, 0) for t in VOICE_TYPES}


def list_inquiries(db: Any, filters: Filters, limit: int = 50, offset: int = 0, oldest_first: bool = False
                   ) -> dict[str, Any]:
    """One page of inquiries, newest first (or oldest), with the total and the voice-type counts."""
    where, params = filters.where()
    order = "ASC" if oldest_first else "DESC"
    items = [_row(r) for r in db.query(
        f"{_SELECT} {FROM_CLAUSE} {where} ORDER BY i.created_at {order}, i.id {order} LIMIT ? OFFSET ?",
        [*params, limit, offset])]
    total = count(db, filters)
    return {
        "total": total, "limit": limit, "offset": offset,
        "next_offset": offset + limit if offset + limit < total else None,
        "filters": filters.describe(), "voice_types": voice_type_counts(db, filters), "items": items,
    }


def iter_inquiries(db: Any, filters: Filters, max_rows: int = MAX_CSV_ROWS) -> Iterator[dict[str, Any]]:
    """Every inquiry under the filters, oldest first (at most ``max_rows``)."""
    where, params = filters.where()
    for raw in db.query(f"{_SELECT} {FROM_CLAUSE} {where} ORDER BY i.created_at, i.id LIMIT ?", [*params, max_rows]):
        yield _row(raw)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value as CSV cell text that a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, (list, tuple)):
        value = " ".join(map(str, value))
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(rows: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> bytes:
    """UTF-8 CSV with BOM and CRLF: opens correctly in Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([label for _, label in COLUMNS])
    for row in rows:
        writer.writerow([csv_cell(row.get(name)) for name, _ in COLUMNS])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
