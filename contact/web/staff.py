"""The staff's (広聴) HTTP API and page: the inquiry log, statistics, knowledge gaps, rising topics, words,
the monthly report and the review of proposed phrasings. Thin handlers over :mod:`contact.analysis`.

Every endpoint needs the ``staff`` role (admins too) and every read of the log is written to the audit
log (``inquiries.read`` with the view and the filters). All list and statistics endpoints take the
filters of :mod:`contact.analysis.filters` (``from``, ``to``, ``ward``, ``channel``, ``category``,
``kind``, ``resolution``, ``voice_type``, ``entry_id``, ``helpful``, ``q``); a bad value is a 400 with
code ``invalid_filter`` (``unknown_parameter``, ``invalid_parameter`` for the others). Every JSON view
carries ``voice_types``: the counts by voice type of the inquiries it covers.

* ``GET /api/v1/inquiries`` — a page of inquiries (``limit`` ≤ 500, ``offset``, ``order=newest|oldest``)
  with ``total`` and ``next_offset``; ``GET /api/v1/inquiries.csv`` — all of them for Excel.
* ``GET /api/v1/stats/summary`` — totals, answer/fallback/handoff rates, satisfaction, top entries;
  ``/stats/volume?period=day|week|month[&split=channel]``; ``/stats/breakdown?by=ward|channel|category|…``.
* ``GET /api/v1/stats/gaps`` — clusters of unanswered questions with the nearest entry.
* ``GET /api/v1/stats/rising?end=YYYY-MM-DD`` — words and clusters jumping in the week ending ``end``.
* ``GET /api/v1/stats/words?period=``, ``/stats/cooccurrence``, ``/stats/kwic?word=``,
  ``/stats/crosstab?rows=word|category|voice_type&columns=ward|channel``.
* ``GET /api/v1/reports/monthly?month=YYYY-MM`` — the monthly report (HTML; ``download=1`` to save).
* ``GET /api/v1/phrasings?status=pending`` and ``POST /api/v1/phrasings/{id}`` ``{"status": "accepted"}``.
* ``/staff/`` — the dashboard page (sign in at /login).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import replace
from typing import Any

from aiohttp import web

from contact.analysis import gaps as gaps_module
from contact.analysis import inquiries, phrasings, report, rising, stats, words
from contact.analysis.filters import (
    FilterError,
    Filters,
    choice_param,
    float_param,
    int_param,
    parse_date,
    parse_filters,
)
from contact.errors import BadRequest, NotFound
from contact.store.accounts import Principal
from contact.web.auth import audit, require
from contact.web.common import read_json
from contact.web.keys import CLOCK, INQUIRY_LOG, KNOWLEDGE
from contact.web.pages import STATIC, asset_route

routes = web.RouteTableDef()
_EXTRACTOR = web.AppKey("staff_words", words.WordExtractor)

STAFF = "staff"


def extractor(app: web.Application) -> words.WordExtractor:
    """The app's word extractor (with the matcher's user dictionary of city terms)."""
    return app[_EXTRACTOR]


async def _extractor_ctx(app: web.Application) -> AsyncIterator[None]:
    knowledge = app[KNOWLEDGE]  # loaded by the knowledge context, registered before this one
    user = getattr(knowledge.engine.tokenizer, "user_dictionaries", ()) if knowledge.ready else ()
    app[_EXTRACTOR] = words.WordExtractor(user)
    yield


def _filters(request: web.Request, *allowed: str) -> Filters:
    try:
        return parse_filters(request.query.items(), allowed)
    except FilterError as exc:
        raise BadRequest(exc.message, exc.code) from exc


def _param(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except FilterError as exc:
        raise BadRequest(exc.message, exc.code) from exc


async def _read(request: web.Request, principal: Principal, view: str, filters: Filters | None,
                fn: Callable[[Any], Any], **detail: Any) -> Any:
    """Run ``fn(db)`` in the executor, then write the audit row of this read."""
    result = await request.app[INQUIRY_LOG].read(fn)
    await audit(request, principal, "inquiries.read", view, filters=filters.describe() if filters else {},
                **detail)
    return result


def _json(body: Any) -> web.Response:
    return web.json_response(body, headers={"Cache-Control": "no-store"})


# -- the log --------------------------------------------------------------------------------------


@routes.get("/api/v1/inquiries")
async def list_inquiries(request: web.Request) -> web.Response:
    """A page of inquiries under the filters, newest first."""
    principal = await require(request, STAFF)
    f = _filters(request, "limit", "offset", "order")
    limit = _param(int_param, request.query, "limit", 50, 1, 500)
    offset = _param(int_param, request.query, "offset", 0, 0, 10_000_000)
    oldest = _param(choice_param, request.query, "order", ("newest", "oldest"), "newest") == "oldest"
    body = await _read(request, principal, "list", f,
                       lambda db: inquiries.list_inquiries(db, f, limit, offset, oldest), limit=limit, offset=offset)
    return _json(body)


@routes.get("/api/v1/inquiries.csv")
async def inquiries_csv(request: web.Request) -> web.Response:
    """Every inquiry under the filters as CSV for Excel (UTF-8 with BOM, CRLF, formula-safe cells)."""
    principal = await require(request, STAFF)
    f = _filters(request)
    data = await _read(request, principal, "csv", f, lambda db: inquiries.to_csv(inquiries.iter_inquiries(db, f)))
    span = "-".join(d.isoformat().replace("-", "") for d in (f.date_from, f.date_to) if d)
    name = f"inquiries-{span}.csv" if span else "inquiries.csv"
    return web.Response(body=data, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


# -- statistics -----------------------------------------------------------------------------------


@routes.get("/api/v1/stats/summary")
async def stats_summary(request: web.Request) -> web.Response:
    """Totals, rates, satisfaction, counts by kind, channel, resolution and voice type, top entries."""
    principal = await require(request, STAFF)
    f = _filters(request, "top")
    top = _param(int_param, request.query, "top", 10, 1, 100)
    return _json(await _read(request, principal, "summary", f, lambda db: stats.summary(db, f, top)))


@routes.get("/api/v1/stats/volume")
async def stats_volume(request: web.Request) -> web.Response:
    """Inquiries per day, week (from Monday) or month, optionally split by a breakdown."""
    principal = await require(request, STAFF)
    f = _filters(request, "period", "split")
    period = _param(choice_param, request.query, "period", stats.PERIODS, "day")
    split = request.query.get("split") or None
    if split is not None and split not in stats.BREAKDOWNS:
        raise BadRequest(f"'split' must be one of: {', '.join(stats.BREAKDOWNS)}", "invalid_parameter")
    if period == "day" and f.date_from and f.date_to and (f.date_to - f.date_from).days > 1000:
        raise BadRequest("daily volume spans at most 1000 days; use period=week or month", "invalid_parameter")

    def work(db: Any) -> dict[str, Any]:
        return {**stats.volume(db, f, period, split), "voice_types": inquiries.voice_type_counts(db, f)}

    return _json(await _read(request, principal, "volume", f, work, period=period))


@routes.get("/api/v1/stats/breakdown")
async def stats_breakdown(request: web.Request) -> web.Response:
    """Inquiries per ward, channel, category, voice type, kind, resolution, entry or language."""
    principal = await require(request, STAFF)
    f = _filters(request, "by", "limit")
    by = _param(choice_param, request.query, "by", tuple(stats.BREAKDOWNS), "category")
    limit = _param(int_param, request.query, "limit", 100, 1, 1000)

    def work(db: Any) -> dict[str, Any]:
        return {"by": by, "items": stats.breakdown(db, f, by, limit), "voice_types": inquiries.voice_type_counts(db, f)}

    return _json(await _read(request, principal, "breakdown", f, work, by=by))


def _docs_view(request: web.Request, principal: Principal, view: str, f: Filters,
               fn: Callable[[list[words.Doc]], dict[str, Any]], **detail: Any) -> Coroutine[Any, Any, Any]:
    """Read the inquiries under the filters with their words, then ``fn(docs)``, plus the voice-type counts."""
    ext = extractor(request.app)

    def work(db: Any) -> dict[str, Any]:
        docs = words.load_docs(db, f, ext)
        return {**fn(docs), "inquiries": len(docs), "voice_types": inquiries.voice_type_counts(db, f)}

    return _read(request, principal, view, f, work, **detail)


@routes.get("/api/v1/stats/gaps")
async def stats_gaps(request: web.Request) -> web.Response:
    """Knowledge gaps: clusters of unanswered and low-confidence questions, each with the nearest entry."""
    principal = await require(request, STAFF)
    f = _filters(request, "max_confidence", "min_size", "limit", "include_unhelpful")
    max_confidence = _param(float_param, request.query, "max_confidence", 0.6, 0.0, 1.0)
    min_size = _param(int_param, request.query, "min_size", 2, 1, 1000)
    limit = _param(int_param, request.query, "limit", 20, 1, 200)
    unhelpful = _param(choice_param, request.query, "include_unhelpful", ("false", "true"), "false") == "true"

    def gaps_of(docs: list[words.Doc]) -> dict[str, Any]:
        found = [d for d in docs if gaps_module.is_gap(d, max_confidence, unhelpful)]
        result = gaps_module.knowledge_gaps(found, max_confidence, min_size, limit, background=docs)
        return {**result, "max_confidence": max_confidence}

    body = await _docs_view(request, principal, "gaps", f, gaps_of)
    knowledge = request.app[KNOWLEDGE]
    if knowledge.ready:  # the matcher runs on the event loop, like every ask
        gaps_module.add_nearest(body["clusters"], gaps_module.engine_nearest(knowledge.engine))
    return _json(body)


def _end_date(request: web.Request, f: Filters) -> dt.date:
    if request.query.get("end"):
        return _param(parse_date, request.query["end"], "end")  # type: ignore[no-any-return]
    today = request.app[CLOCK].now().date()
    return min(f.date_to, today) if f.date_to else today


@routes.get("/api/v1/stats/rising")
async def stats_rising(request: web.Request) -> web.Response:
    """Words and clusters of questions whose count in the 7 days ending ``end`` jumps against the weeks before."""
    principal = await require(request, STAFF)
    f = _filters(request, "end", "weeks", "min_count", "limit")
    end = _end_date(request, f)
    weeks = _param(int_param, request.query, "weeks", 4, 1, 26)
    min_count = _param(int_param, request.query, "min_count", 5, 1, 10_000)
    limit = _param(int_param, request.query, "limit", 10, 1, 100)
    window = replace(f, date_from=end - dt.timedelta(days=7 * weeks + 6), date_to=end)
    return _json(await _docs_view(request, principal, "rising", window,
                                  lambda docs: rising.rising(docs, end, weeks, min_count, limit=limit)))


@routes.get("/api/v1/stats/words")
async def stats_words(request: web.Request) -> web.Response:
    """The most frequent content words, with their counts per day, week or month."""
    principal = await require(request, STAFF)
    f = _filters(request, "period", "limit")
    period = _param(choice_param, request.query, "period", stats.PERIODS, "month")
    limit = _param(int_param, request.query, "limit", 30, 1, 300)
    return _json(await _docs_view(request, principal, "words", f,
                                  lambda docs: words.frequencies(docs, period, limit)))


@routes.get("/api/v1/stats/cooccurrence")
async def stats_cooccurrence(request: web.Request) -> web.Response:
    """Pairs of words that occur in the same inquiries (Jaccard coefficient)."""
    principal = await require(request, STAFF)
    f = _filters(request, "limit", "min_count", "vocabulary")
    limit = _param(int_param, request.query, "limit", 30, 1, 300)
    min_count = _param(int_param, request.query, "min_count", 3, 1, 10_000)
    vocabulary = _param(int_param, request.query, "vocabulary", 60, 2, 500)
    return _json(await _docs_view(request, principal, "cooccurrence", f, lambda docs: {
        "pairs": words.cooccurrence(docs, vocabulary, min_count, limit)}))


@routes.get("/api/v1/stats/kwic")
async def stats_kwic(request: web.Request) -> web.Response:
    """Concordance lines (KWIC) of one word: its occurrences with the text around them."""
    principal = await require(request, STAFF)
    f = _filters(request, "word", "width", "limit")
    word = (request.query.get("word") or "").strip()
    if not word or len(word) > 50:
        raise BadRequest("'word' is required (at most 50 characters)", "invalid_parameter")
    width = _param(int_param, request.query, "width", 20, 5, 100)
    limit = _param(int_param, request.query, "limit", 50, 1, 500)
    ext = extractor(request.app)
    content = [t for t in ext.tokens(word)[1] if t.pos in words.WORD_POS]
    form = content[0].normalized if len(content) == 1 else word  # 引越し → 引っ越し, the form words are counted by
    return _json(await _docs_view(request, principal, "kwic", f, lambda docs: {
        "word": form, "lines": words.kwic(docs, form, ext, width, limit)}, word=form))


@routes.get("/api/v1/stats/crosstab")
async def stats_crosstab(request: web.Request) -> web.Response:
    """Words (or categories, voice types, kinds, entries) × wards, channels or voice types."""
    principal = await require(request, STAFF)
    f = _filters(request, "rows", "columns", "limit")
    rows = _param(choice_param, request.query, "rows", words.ROW_FIELDS, "word")
    columns = _param(choice_param, request.query, "columns", tuple(words.COLUMN_FIELDS), "ward")
    limit = _param(int_param, request.query, "limit", 20, 1, 200)
    return _json(await _docs_view(request, principal, "crosstab", f,
                                  lambda docs: words.crosstab(docs, rows, columns, limit)))


# -- the monthly report ---------------------------------------------------------------------------

REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
              "frame-ancestors 'none'")


async def monthly_report_html(request: web.Request, month: str, f: Filters) -> str:
    """Collect (executor), add the nearest entries (event loop, the matcher), render."""
    clock = request.app[CLOCK]
    ext = extractor(request.app)
    data = await request.app[INQUIRY_LOG].read(
        lambda db: report.collect(db, month, ext, clock.now().date(), f, now=clock.now()))
    knowledge = request.app[KNOWLEDGE]
    if knowledge.ready:
        gaps_module.add_nearest(data.gaps["clusters"], gaps_module.engine_nearest(knowledge.engine))
    return report.render(data)


@routes.get("/api/v1/reports/monthly")
async def monthly_report(request: web.Request) -> web.Response:
    """The monthly report as one self-contained HTML page (``download=1``: as an attachment)."""
    principal = await require(request, STAFF)
    f = _filters(request, "month", "download")
    if f.date_from or f.date_to:
        raise BadRequest("the month sets the dates: leave out 'from' and 'to'", "invalid_parameter")
    month = request.query.get("month") or request.app[CLOCK].now().date().isoformat()[:7]
    _param(report.parse_month, month)
    try:
        html = await monthly_report_html(request, month, f)
    except FilterError as exc:
        raise BadRequest(exc.message, exc.code) from exc
    await audit(request, principal, "inquiries.read", "report", month=month, filters=f.describe())
    disposition = "attachment" if request.query.get("download") in ("1", "true") else "inline"
    return web.Response(text=html, content_type="text/html", charset="utf-8", headers={
        "Content-Disposition": f'{disposition}; filename="report-{month}.html"', "Cache-Control": "no-store",
        "Content-Security-Policy": REPORT_CSP})


# -- phrasing proposals ---------------------------------------------------------------------------


@routes.get("/api/v1/phrasings")
async def list_phrasings(request: web.Request) -> web.Response:
    """Proposed phrasings (default: pending), oldest first, with the entry's title (staff and editors)."""
    principal = await require(request, STAFF, "editor")
    unknown = sorted(set(request.query) - {"status", "entry_id", "limit", "offset"})
    if unknown:
        raise BadRequest(f"unknown parameter '{unknown[0]}'", "unknown_parameter")
    status = request.query.get("status") or "pending"
    if status not in (*phrasings.STATUSES, "all"):
        raise BadRequest(f"'status' must be one of: {', '.join(phrasings.STATUSES)}, all", "invalid_parameter")
    entry_id = request.query.get("entry_id") or None
    limit = _param(int_param, request.query, "limit", 50, 1, 500)
    offset = _param(int_param, request.query, "offset", 0, 0, 10_000_000)
    body = await request.app[INQUIRY_LOG].read(
        lambda db: phrasings.list_phrasings(db, None if status == "all" else status, entry_id, limit, offset))
    knowledge = request.app[KNOWLEDGE]
    for item in body["items"]:
        entry = knowledge.engine.kb.get(item["entry_id"]) if knowledge.ready else None
        item["entry_title"] = (getattr(entry, "name", None) or getattr(entry, "question", None)) if entry else None
    await audit(request, principal, "phrasings.read", status=status, entry_id=entry_id)
    return _json(body)


@routes.post("/api/v1/phrasings/{phrasing_id}")
async def decide_phrasing(request: web.Request) -> web.Response:
    """Accept or reject a proposal (``{"status": "accepted" | "rejected" | "pending"}``); audited."""
    principal = await require(request, STAFF)
    body = await read_json(request)
    status = body.get("status") if isinstance(body, dict) else None
    if status not in phrasings.STATUSES:
        raise BadRequest(f"send {{\"status\": one of {', '.join(phrasings.STATUSES)}}}", "invalid_field")
    try:
        phrasing_id = int(request.match_info["phrasing_id"])
    except ValueError as exc:
        raise NotFound("no such phrasing proposal") from exc
    if not 0 < phrasing_id < 2**63:  # SQLite integers are 64-bit: a longer id names no row
        raise NotFound("no such phrasing proposal")
    at = request.app[CLOCK].now().isoformat(timespec="milliseconds")
    row = await request.app[INQUIRY_LOG].read(lambda db: phrasings.decide(db, phrasing_id, status, principal.name, at))
    if row is None:
        raise NotFound(f"no phrasing proposal {phrasing_id}")
    await audit(request, principal, "phrasings.decide", str(phrasing_id), status=status, entry_id=row["entry_id"])
    return _json(row)


# -- the page -------------------------------------------------------------------------------------


@routes.get("/staff")
async def staff_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/staff/")


def setup_staff(app: web.Application) -> None:
    """Register the staff API and the /staff/ page (after the knowledge base's cleanup context)."""
    app.cleanup_ctx.append(_extractor_ctx)
    app.add_routes(routes)
    static = [("/staff/", "staff.html"), ("/static/staff.js", "staff.js"), ("/static/staff.css", "staff.css")]
    app.add_routes([asset_route(path, name) for path, name in static if (STATIC / name).is_file()])


