"""Statistics of the inquiry log: volume over time, breakdowns, answer/fallback/handoff rates, satisfaction.

Definitions (also shown to staff in the report and the dashboard):

* **automated inquiries** are those the assistant answered by itself: no operator recorded them
  (``operator`` is empty), greetings and thanks (kind ``smalltalk``) left out;
* **answer rate** = answered (kind ``answer``) / automated; **fallback rate** = could not answer
  (``fallback``) / automated; **handoff rate** = asked for a person (``handoff``) / automated;
* **satisfaction** = inquiries rated helpful / inquiries rated (the latest rating of each counts).

Weeks start on Monday and are named by that Monday's date; months are ``YYYY-MM``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from contact.analysis.filters import FROM_CLAUSE, Filters
from contact.analysis.inquiries import voice_type_counts

PERIODS: tuple[str, ...] = ("day", "week", "month")
BREAKDOWNS: dict[str, str] = {
    "ward": "i.ward", "channel": "i.channel", "category": "i.category", "voice_type": "i.voice_type",
    "kind": "i.kind", "resolution": "i.resolution", "entry": "i.entry_id", "lang": "i.lang",
}
"""Breakdown name → column."""
AUTOMATED = "i.operator IS NULL AND i.kind <> 'smalltalk'"


def period_key(day: dt.date, period: str) -> str:
    """The period a day falls in: the day itself, the Monday of its week, or its month."""
    if period == "day":
        return day.isoformat()
    if period == "week":
        return (day - dt.timedelta(days=day.weekday())).isoformat()
    return day.isoformat()[:7]


def period_keys(start: dt.date, end: dt.date, period: str) -> list[str]:
    """Every period from ``start`` to ``end`` (inclusive), in order."""
    keys: list[str] = []
    day = start
    while day <= end:
        key = period_key(day, period)
        if not keys or keys[-1] != key:
            keys.append(key)
        day += dt.timedelta(days=1)
    return keys


def daily_counts(db: Any, filters: Filters, *extra: str) -> dict[dt.date, int]:
    """Inquiries per local date under the filters."""
    where, params = filters.where(*extra)
    rows = db.query(f"SELECT substr(i.created_at, 1, 10) AS day, COUNT(*) AS n {FROM_CLAUSE} {where} "
                    "GROUP BY substr(i.created_at, 1, 10)", params)
    return {dt.date.fromisoformat(r["day"]): int(r["n"]) for r in rows}


def date_span(db: Any, filters: Filters) -> tuple[dt.date, dt.date] | None:
    """The filters' date range, completed by the first and last inquiry where open-ended; None if empty."""
    if filters.date_from and filters.date_to:
        return filters.date_from, filters.date_to
    where, params = filters.where()
    row = next(iter(db.query(f"SELECT MIN(i.created_at) AS lo, MAX(i.created_at) AS hi {FROM_CLAUSE} {where}",
                             params)))
    if row["lo"] is None:
        return None
    return (filters.date_from or dt.date.fromisoformat(row["lo"][:10]),
            filters.date_to or dt.date.fromisoformat(row["hi"][:10]))


def volume(db: Any, filters: Filters, period: str = "day", split: str | None = None) -> dict[str, Any]:
    """Inquiries per day, week or month (zeros filled in), optionally split by a breakdown column."""
    span = date_span(db, filters)
    if span is None:
        return {"period": period, "series": [], "split": split, "by": {}}
    keys = period_keys(*span, period)
    totals: Counter[str] = Counter()
    for day, n in daily_counts(db, filters).items():
        totals[period_key(day, period)] += n
    out: dict[str, Any] = {"period": period, "from": span[0].isoformat(), "to": span[1].isoformat(),
                           "series": [{"key": k, "count": totals.get(k, 0)} for k in keys], "split": split}
    if split:
        where, params = filters.where()
        column = BREAKDOWNS[split]
        by: dict[str, Counter[str]] = {}
        for r in db.query(f"SELECT substr(i.created_at, 1, 10) AS day, {column} AS key, COUNT(*) AS n "
                          f"{FROM_CLAUSE} {where} GROUP BY substr(i.created_at, 1, 10), {column}", params):
            counter = by.setdefault(r["key"] or "", Counter())
            counter[period_key(dt.date.fromisoformat(r["day"]), period)] += int(r["n"])
        out["by"] = {k: [c.get(p, 0) for p in keys] for k, c in sorted(by.items(), key=lambda kv: -sum(kv[1].values()))}
    return out


def breakdown(db: Any, filters: Filters, by: str, limit: int = 100) -> list[dict[str, Any]]:
    """Inquiries per value of a column, largest first, with share, answer rate and satisfaction."""
    column = BREAKDOWNS[by]
    where, params = filters.where()
    rows = list(db.query(
        f"SELECT {column} AS key, COUNT(*) AS n, "
        "SUM(CASE WHEN i.kind = 'answer' THEN 1 ELSE 0 END) AS answered, "
        f"SUM(CASE WHEN {AUTOMATED} THEN 1 ELSE 0 END) AS automated, "
        "SUM(CASE WHEN lf.helpful IS NOT NULL THEN 1 ELSE 0 END) AS rated, "
        "SUM(CASE WHEN lf.helpful = 1 THEN 1 ELSE 0 END) AS helpful, "
        f"MAX(i.entry_title) AS title {FROM_CLAUSE} {where} GROUP BY {column} ORDER BY n DESC, key LIMIT ?",
        [*params, limit]))
    total = sum(int(r["n"]) for r in rows) or 1
    out = []
    for r in rows:
        item: dict[str, Any] = {"key": r["key"], "count": int(r["n"]), "share": round(int(r["n"]) / total, 4),
                                "rated": int(r["rated"] or 0), "helpful": int(r["helpful"] or 0),
                                "satisfaction": _ratio(r["helpful"], r["rated"])}
        if by == "entry":
            item["title"] = r["title"]
        out.append(item)
    return out


def _ratio(numerator: Any, denominator: Any) -> float | None:
    return round(int(numerator or 0) / int(denominator), 4) if denominator else None


def rates(db: Any, filters: Filters) -> dict[str, Any]:
    """Answer, fallback and handoff rates over automated inquiries; satisfaction over rated ones."""
    where, params = filters.where()
    r = next(iter(db.query(
        "SELECT COUNT(*) AS total, "
        f"SUM(CASE WHEN {AUTOMATED} THEN 1 ELSE 0 END) AS automated, "
        f"SUM(CASE WHEN {AUTOMATED} AND i.kind = 'answer' THEN 1 ELSE 0 END) AS answered, "
        f"SUM(CASE WHEN {AUTOMATED} AND i.kind = 'fallback' THEN 1 ELSE 0 END) AS fallback, "
        f"SUM(CASE WHEN {AUTOMATED} AND i.kind = 'handoff' THEN 1 ELSE 0 END) AS handoff, "
        f"SUM(CASE WHEN {AUTOMATED} AND i.kind = 'clarify' THEN 1 ELSE 0 END) AS clarify, "
        "SUM(CASE WHEN lf.helpful IS NOT NULL THEN 1 ELSE 0 END) AS rated, "
        "SUM(CASE WHEN lf.helpful = 1 THEN 1 ELSE 0 END) AS helpful "
        f"{FROM_CLAUSE} {where}", params)))
    automated = int(r["automated"] or 0)
    return {
        "total": int(r["total"] or 0), "automated": automated,
        "answered": int(r["answered"] or 0), "fallback": int(r["fallback"] or 0),
        "handoff": int(r["handoff"] or 0), "clarify": int(r["clarify"] or 0),
        "answer_rate": _ratio(r["answered"], automated), "fallback_rate": _ratio(r["fallback"], automated),
        "handoff_rate": _ratio(r["handoff"], automated), "clarify_rate": _ratio(r["clarify"], automated),
        "rated": int(r["rated"] or 0), "helpful": int(r["helpful"] or 0),
        "satisfaction": _ratio(r["helpful"], r["rated"]),
    }


def top_entries(db: Any, filters: Filters, limit: int = 10) -> list[dict[str, Any]]:
    """The entries answered most often, with their satisfaction."""
    return [{"entry_id": item["key"], **{k: v for k, v in item.items() if k != "key"}}
            for item in breakdown(db, filters, "entry", limit + 1)
            if item["key"] is not None][:limit]


def summary(db: Any, filters: Filters, top: int = 10) -> dict[str, Any]:
    """The headline figures: totals and rates, by kind, by channel, by voice type, top entries."""
    return {
        "filters": filters.describe(),
        **rates(db, filters),
        "kinds": {i["key"]: i["count"] for i in breakdown(db, filters, "kind")},
        "channels": {i["key"]: i["count"] for i in breakdown(db, filters, "channel")},
        "resolutions": {i["key"] or "": i["count"] for i in breakdown(db, filters, "resolution")},
        "voice_types": voice_type_counts(db, filters),
        "top_entries": top_entries(db, filters, top),
    }


def percent(value: float | None, digits: int = 1) -> str:
    """0.8234 → '82.3%'; None → '—'."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def change(current: int, previous: int) -> float | None:
    """Relative change from ``previous`` to ``current`` (None when there was nothing before)."""
    return (current - previous) / previous if previous else None


def sum_counts(items: Iterable[dict[str, Any]]) -> int:
    return sum(int(i["count"]) for i in items)
