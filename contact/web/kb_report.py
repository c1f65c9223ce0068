"""The staff's report of stale and uncertain facts in the knowledge base: ``GET /api/v1/kb/findings``.

A thin handler over :func:`knowledge.audit.audit` (what ``contact kb check`` prints): facts whose source
is older than ``max_age_days``, entries without a source date or overdue for review, facts from a
secondary source or not verified, and contradictions between entries. Each finding carries the entry's
title, certainty, source, source date and review date, so that an editor can act on it from the
``/staff/`` page's 知識の鮮度 tab. Needs the ``staff`` role (admins too); reads no personal data.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from contact.analysis.filters import FilterError, int_param
from contact.errors import BadRequest
from contact.web.auth import require
from contact.web.common import ready_engine
from contact.web.keys import CLOCK
from knowledge.audit import DEFAULT_MAX_AGE_DAYS, DEFAULT_MAX_REVIEW_DAYS, KINDS, Report, audit
from knowledge.loader import KnowledgeBase

routes = web.RouteTableDef()

_PARAMS = {"kind", "max_age_days", "max_review_days"}

_last: dict[tuple[object, ...], tuple[KnowledgeBase, Report]] = {}
"""The last report computed, with the base it was computed on (a reload makes a new base object)."""


def findings_body(kb: KnowledgeBase, report: Report, kinds: set[str]) -> dict[str, Any]:
    """The JSON body: counts by kind over the whole base, and the findings of the kinds asked for."""
    items = []
    for f in report.findings:
        if kinds and f.kind not in kinds:
            continue
        entry = kb.get(f.entry_id)
        items.append({
            "kind": f.kind, "entry_id": f.entry_id, "detail": f.detail,
            "title": (getattr(entry, "name", None) or getattr(entry, "question", None)) if entry else None,
            "certainty": entry.certainty if entry else None,
            "source_url": entry.source_url if entry else None,
            "source_date": entry.source_date.isoformat() if entry and entry.source_date else None,
            "reviewed": entry.reviewed.isoformat() if entry else None,
        })
    return {"today": report.today.isoformat(), "entries": report.entries, "max_age_days": report.max_age_days,
            "counts": {k: report.counts_by_kind.get(k, 0) for k in KINDS}, "kinds": list(KINDS), "items": items}


@routes.get("/api/v1/kb/findings")
async def kb_findings(request: web.Request) -> web.Response:
    """Stale and uncertain facts of the loaded base (``kind`` comma-separated; ages in days)."""
    await require(request, "staff")
    unknown = sorted(set(request.query) - _PARAMS)
    if unknown:
        raise BadRequest(f"unknown parameter '{unknown[0]}'", "unknown_parameter")
    kinds = {k.strip() for k in request.query.get("kind", "").split(",") if k.strip()}
    bad = sorted(kinds - set(KINDS))
    if bad:
        raise BadRequest(f"'kind' must be among: {', '.join(KINDS)}", "invalid_parameter")
    try:
        max_age = int_param(request.query, "max_age_days", DEFAULT_MAX_AGE_DAYS, 1, 36_500)
        max_review = int_param(request.query, "max_review_days", DEFAULT_MAX_REVIEW_DAYS, 1, 36_500)
    except FilterError as exc:
        raise BadRequest(exc.message, exc.code) from exc
    kb = ready_engine(request).kb
    today = request.app[CLOCK].now().date()
    key = (today, max_age, max_review)
    cached = _last.get(key)
    if cached is not None and cached[0] is kb:
        report = cached[1]
    else:  # half a second over the shipped base: once per base, day and ages
        report = await asyncio.get_running_loop().run_in_executor(None, audit, kb, today, max_age, max_review)
        _last.clear()
        _last[key] = (kb, report)
    return web.json_response(findings_body(kb, report, kinds), headers={"Cache-Control": "no-store"})
