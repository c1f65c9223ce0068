"""Learning from traffic: citizens' questions proposed as new phrasings of entries, and their review.

Proposals come from two places, both through :meth:`contact.store.inquiry_log.InquiryLog.propose_phrasing`:

* a citizen picks one of the candidates the assistant offered after a weak match (the widget's
  clarify buttons send ``pick_of``, the id of the inquiry that was unclear): origin ``citizen``;
* an operator chooses one of the console's suggestions for a caller's question: origin ``operator``.

An editor accepts or rejects each proposal (``/api/v1/phrasings``, audited). Accepted phrasings
reach the matcher through ``contact kb learned --into KB_DIR``, which writes
``learned_phrasings.yaml`` (see :mod:`knowledge.learned`); the loader merges it on the next load or
reload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from contact.masking import TOKENS
from knowledge.learned import LEARNED_FILE, dump_learned

STATUSES: tuple[str, ...] = ("pending", "accepted", "rejected")
ORIGINS: tuple[str, ...] = ("citizen", "operator")
MAX_CHARS = 200
_SPACES = re.compile(r"\s+")


def usable_phrasing(text: str | None) -> str | None:
    """``text`` tidied for use as a phrasing, or None when it cannot be one (empty, too long, masked data)."""
    if not text:
        return None
    cleaned = _SPACES.sub(" ", text).strip()
    if len(cleaned) < 2 or len(cleaned) > MAX_CHARS or any(token in cleaned for token in TOKENS):
        return None
    return cleaned


def list_phrasings(db: Any, status: str | None = "pending", entry_id: str | None = None, limit: int = 50,
                   offset: int = 0) -> dict[str, Any]:
    """Proposals, oldest first, with the total: ``{"total", "items": [row…]}``."""
    where, params = [], []
    if status:
        where.append("status = ?")
        params.append(status)
    if entry_id:
        where.append("entry_id = ?")
        params.append(entry_id)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    total = next(iter(db.query(f"SELECT COUNT(*) AS n FROM phrasings {clause}", params)))["n"]
    items = list(db.query(f"SELECT * FROM phrasings {clause} ORDER BY created_at, id LIMIT ? OFFSET ?",
                          [*params, limit, offset]))
    counts = {r["status"]: r["n"] for r in db.query("SELECT status, COUNT(*) AS n FROM phrasings GROUP BY status")}
    return {"total": int(total), "items": items, "counts": {s: int(counts.get(s, 0)) for s in STATUSES}}


def decide(db: Any, phrasing_id: int, status: str, by: str, at: str) -> dict[str, Any] | None:
    """Set a proposal's status (accepted, rejected, or back to pending); the updated row, or None if unknown."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    decided_by, decided_at = (None, None) if status == "pending" else (by, at)
    cursor = db.execute("UPDATE phrasings SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?",
                        [status, decided_by, decided_at, phrasing_id])
    if not cursor.rowcount:
        return None
    return next(iter(db.query("SELECT * FROM phrasings WHERE id = ?", [phrasing_id])), None)


def accepted(db: Any) -> dict[str, list[str]]:
    """Entry id → accepted phrasings, in the order they were proposed."""
    out: dict[str, list[str]] = {}
    for row in db.query("SELECT entry_id, text FROM phrasings WHERE status = 'accepted' ORDER BY entry_id, id"):
        out.setdefault(row["entry_id"], []).append(row["text"])
    return out


def write_learned(phrasings: Mapping[str, list[str]], directory: Path | str,
                  known_ids: set[str] | None = None) -> tuple[Path, int, list[str]]:
    """Write ``learned_phrasings.yaml`` into a knowledge directory.

    Entries not in ``known_ids`` (deleted since) are left out and returned, so the directory still
    loads. Returns (path, phrasings written, skipped entry ids).
    """
    skipped = sorted(k for k in phrasings if known_ids is not None and k not in known_ids)
    kept = {k: v for k, v in sorted(phrasings.items()) if k not in skipped}
    path = Path(directory) / LEARNED_FILE
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(dump_learned(kept), encoding="utf-8")
    tmp.replace(path)
    return path, sum(len(v) for v in kept.values()), skipped
