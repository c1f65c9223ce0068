"""Rising topics: words and clusters of questions whose volume in the last week jumps against the weeks before.

A new benefit, a disaster or a changed rule shows up first as a word or a topic asked about far
more this week than usual. The week is the 7 days ending on ``end``; the baseline is the
``baseline_weeks`` weeks before it, averaged. A word or cluster rises when it occurs in at least
``min_count`` inquiries this week and (this week + 1) / (baseline + 1) ≥ ``min_ratio``; the jump is
scored (this week − baseline) / √(baseline + 1), largest first, each listed with examples and its
weekly counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from contact.analysis.gaps import THRESHOLD, cluster, describe
from contact.analysis.words import Doc, compare_periods


def windows(end: dt.date, baseline_weeks: int) -> list[tuple[dt.date, dt.date]]:
    """The 7-day windows ending on ``end``, oldest first: ``baseline_weeks`` of them, then the current week."""
    return [(end - dt.timedelta(days=7 * k + 6), end - dt.timedelta(days=7 * k))
            for k in range(baseline_weeks, -1, -1)]


def _weekly(docs: Sequence[Doc], spans: list[tuple[dt.date, dt.date]]) -> list[int]:
    return [sum(1 for d in docs if lo <= d.day <= hi) for lo, hi in spans]


def rising(docs: Sequence[Doc], end: dt.date, baseline_weeks: int = 4, min_count: int = 5, min_ratio: float = 2.0,
           limit: int = 10, threshold: float = THRESHOLD) -> dict[str, Any]:
    """Rising words and rising clusters in the week ending ``end`` (``docs`` should cover the baseline too)."""
    spans = windows(end, baseline_weeks)
    start = spans[0][0]
    current_start = spans[-1][0]
    docs = [d for d in docs if start <= d.day <= end]
    current = [d for d in docs if d.day >= current_start]
    previous = [d for d in docs if d.day < current_start]
    words = compare_periods(current, previous, baseline_periods=baseline_weeks, min_count=min_count,
                            min_ratio=min_ratio, limit=limit)
    for item in words:
        item["weekly"] = _weekly([d for d in docs if item["word"] in d.words], spans)
    clusters = []
    for members in cluster(docs, threshold):
        now = [d for d in members if d.day >= current_start]
        count = len(now)
        if count < min_count:
            continue
        baseline = (len(members) - count) / baseline_weeks
        ratio = (count + 1) / (baseline + 1)
        if ratio < min_ratio:
            continue
        item = describe(now)
        item.update({"count": count, "baseline": round(baseline, 2), "ratio": round(ratio, 2),
                     "score": round((count - baseline) / (baseline + 1) ** 0.5, 2),
                     "weekly": _weekly(members, spans)})
        clusters.append(item)
    clusters.sort(key=lambda c: (-c["score"], c["label"]))
    return {
        "week": {"from": current_start.isoformat(), "to": end.isoformat(), "inquiries": len(current)},
        "baseline": {"from": start.isoformat(), "to": (current_start - dt.timedelta(days=1)).isoformat(),
                     "weeks": baseline_weeks, "inquiries": len(previous)},
        "weeks": [lo.isoformat() for lo, _ in spans],
        "words": words, "clusters": clusters[:limit],
    }
