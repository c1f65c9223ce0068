"""The knowledge editor's HTTP API and the ``/editor/`` page (role ``editor``; admin also passes).

Thin handlers over :mod:`contact.editor` and :mod:`contact.store.kb_edits`; every change is a new
version in the store, written to the audit log, and published to every worker and node
(:func:`contact.web.reloads.reload_everywhere`). A save whose effective base does not validate is
refused with 422 and the loader's problems (as ``contact kb check`` prints them); a save based on a
version that is no longer the latest gets 409 with the current version.

* ``GET /api/v1/editor/entries?q=&kind=&category=&filter=stale|secondary|never_matched|near_fallbacks|edited``
* ``GET|PUT|DELETE /api/v1/editor/entries/{id}`` — open, save (``{"kind", "document", "base_version"}``),
  delete (``?base_version=``)
* ``GET /api/v1/editor/entries/{id}/versions``, ``GET …/diff?from=&to=``, ``POST …/revert``
* ``POST /api/v1/editor/check`` and ``POST /api/v1/editor/preview`` — validate, or answer questions with an
  unsaved edit
* ``GET /api/v1/editor/gaps`` — gap clusters, each with a drafted FAQ
* ``GET|POST /api/v1/editor/synonyms``, ``POST /api/v1/editor/synonyms/preview``
* ``POST /api/v1/editor/phrasings/{id}`` — accept (adding the phrasing to its entry) or reject a proposal
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import web

from contact import editor
from contact.analysis import gaps as gaps_module
from contact.analysis import phrasings, words
from contact.errors import BadRequest, Conflict, NotFound, Unprocessable
from contact.store import kb_edits
from contact.store.accounts import Principal
from contact.store.inquiry_log import INTEGRITY_ERRORS
from contact.web.auth import audit, require
from contact.web.common import read_json, ready_engine
from contact.web.keys import CLOCK, INQUIRY_LOG, KNOWLEDGE
from contact.web.pages import STATIC, asset_route
from contact.web.reloads import reload_everywhere
from contact.web.staff import extractor
from knowledge.editing import (
    SYNONYM_SECTIONS,
    Edit,
    SynonymEdit,
    check_document,
    diff,
    document_yaml,
    effective_synonyms,
    read_synonym_table,
    validate,
)
from knowledge.schema import FILE_KINDS

routes = web.RouteTableDef()
EDITOR = "editor"
MAX_QUESTIONS = 5
SYNONYM_PATTERN = "^[^,\\x00-\\x1f\\x7f-\\x9f]*[^\\s,\\x00-\\x1f\\x7f-\\x9f][^,\\x00-\\x1f\\x7f-\\x9f]*$"
"""A synonym's term or value: one word of the table (no commas or control characters, not only spaces)."""
SYNONYM_WORD = re.compile(SYNONYM_PATTERN)
_SAVE_LOCK = web.AppKey("editor_save_lock", asyncio.Lock)


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})


def _now(request: web.Request) -> str:
    return str(request.app[CLOCK].now().isoformat(timespec="milliseconds"))


async def _edits(request: web.Request) -> dict[str, Edit]:
    return dict(await request.app[INQUIRY_LOG].read(kb_edits.latest_edits))


async def _synonym_edits(request: web.Request) -> list[SynonymEdit]:
    return list(await request.app[INQUIRY_LOG].read(kb_edits.synonym_edits))


def _entry_id(request: web.Request) -> str:
    entry_id = request.match_info["entry_id"]
    if len(entry_id) > 80:
        raise NotFound("no such entry")
    return entry_id


def _int(value: Any, name: str) -> int:
    """A JSON integer field (not a float, not a string)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"'{name}' must be an integer", "invalid_field")
    if not 0 <= value < 10**18:
        raise BadRequest(f"'{name}' is out of range", "invalid_field")
    return value


def _query_int(request: web.Request, name: str, default: int, lo: int = 0, hi: int = 10**18 - 1) -> int:
    """An integer query parameter from ``lo`` to ``hi``; missing or empty: ``default``."""
    raw = request.query.get(name, "")
    if raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or not lo <= int(raw) <= hi:
        raise BadRequest(f"'{name}' must be an integer from {lo} to {hi}", "invalid_parameter")
    return int(raw)


async def _object(request: web.Request) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest("send a JSON object", "invalid_json")
    return body


async def _current(request: web.Request, entry_id: str) -> dict[str, Any] | None:
    edits = await _edits(request)
    shipped = await asyncio.get_running_loop().run_in_executor(None, editor.shipped_of, request.app[KNOWLEDGE])
    return editor.current(shipped, edits, entry_id)


async def _existing(request: web.Request, entry_id: str) -> dict[str, Any]:
    """The entry's current document, or 404 when there is none."""
    current = await _current(request, entry_id)
    if current is None:
        raise NotFound(f"no entry '{entry_id}'")
    return current


async def _validated(request: web.Request, edits: dict[str, Edit]) -> None:
    problems = await asyncio.get_running_loop().run_in_executor(
        None, validate, request.app[KNOWLEDGE].directory, edits)
    if problems:
        raise Unprocessable(f"the knowledge base would not validate ({len(problems)} problem(s)); nothing was saved",
                            problems)


async def _save(request: web.Request, principal: Principal, edit: Edit, based_on: int,
                detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate the effective base with ``edit``, store it as the next version (compare-and-set), audit,
    reload everywhere. One save at a time per process, so that two saves cannot each validate alone."""
    async with request.app[_SAVE_LOCK]:
        edits = await _edits(request)
        latest = edits.get(edit.entry_id)
        if (latest.version if latest else 0) != based_on:
            current = await _current(request, edit.entry_id)
            raise Conflict(f"{edit.entry_id} was changed by {latest.author if latest else '?'} since version "
                           f"{based_on}; reopen it", latest.version if latest else 0, current)
        candidate = {**edits, edit.entry_id: edit}
        await _validated(request, candidate)
        try:
            saved = await request.app[INQUIRY_LOG].read(
                lambda db: kb_edits.save_version(db, edit, based_on, INTEGRITY_ERRORS))
        except kb_edits.Conflict as exc:
            current = await _current(request, edit.entry_id)
            raise Conflict(f"{edit.entry_id} was changed since version {based_on}; reopen it", exc.current,
                           current) from exc
    await audit(request, principal, f"kb.{edit.action}", edit.entry_id, kind=edit.kind, version=saved.version,
                **(detail or {}))
    result, broadcast = await reload_everywhere(request.app)
    return {"id": saved.entry_id, "kind": saved.kind, "version": saved.version, "action": saved.action,
            "author": saved.author, "at": saved.at,
            "reload": {"ok": result.ok, "version": result.version, "seconds": round(result.seconds, 3),
                       "broadcast": broadcast, "problems": list(result.problems[:20])}}


def _version_json(edit: Edit) -> dict[str, Any]:
    return {"version": edit.version, "action": edit.action, "author": edit.author, "at": edit.at,
            "deleted": edit.document is None}


# -- finding and opening entries ----------------------------------------------------------------


@routes.get("/api/v1/editor/entries")
async def search_entries(request: web.Request) -> web.Response:
    """Entries by words or id, kind, category and filters (stale, secondary, never_matched, near_fallbacks, edited)."""
    principal = await require(request, EDITOR)
    unknown = sorted(set(request.query) - {"q", "kind", "category", "filter", "limit"})
    if unknown:
        raise BadRequest(f"unknown parameter '{unknown[0]}'", "unknown_parameter")
    q = request.query.get("q", "")
    if len(q) > 200:
        raise BadRequest("'q' is at most 200 characters", "invalid_parameter")
    kind = request.query.get("kind") or None
    if kind is not None and kind not in FILE_KINDS:
        raise BadRequest(f"'kind' must be one of: {', '.join(FILE_KINDS)}", "invalid_parameter")
    filters = [f for f in request.query.getall("filter", []) if f]
    bad = [f for f in filters if f not in editor.FILTERS]
    if bad:
        raise BadRequest(f"'filter' must be one of: {', '.join(editor.FILTERS)}", "invalid_parameter")
    limit = _query_int(request, "limit", 50, 1, 500)
    engine = ready_engine(request)
    edits = await _edits(request)
    used = await request.app[INQUIRY_LOG].read(editor.usage)
    today = request.app[CLOCK].now().date()
    body = await asyncio.get_running_loop().run_in_executor(None, lambda: editor.search(
        engine.kb, edits, used, today, q=q, kind=kind, category=request.query.get("category") or None,
        filters=filters, limit=limit))
    await audit(request, principal, "kb.search", q=q, kind=kind, filters=filters)
    return _json(body)


@routes.get("/api/v1/editor/entries/{entry_id}")
async def open_entry(request: web.Request) -> web.Response:
    """One entry's current document (before ``{{phone:ID}}`` is filled in), version and YAML."""
    await require(request, EDITOR)
    entry_id = _entry_id(request)
    current = await _existing(request, entry_id)
    return _json({**current, "yaml": document_yaml(current["document"])})


@routes.put("/api/v1/editor/entries/{entry_id}")
async def save_entry(request: web.Request) -> web.Response:
    """Save a new version of an entry (create or edit): ``{"kind", "document", "base_version"}``."""
    principal = await require(request, EDITOR)
    entry_id = _entry_id(request)
    body = await _object(request)
    kind = body.get("kind")
    document = body.get("document")
    based_on = _int(body.get("base_version"), "base_version")
    current = await _current(request, entry_id)
    if not isinstance(kind, str) or kind not in FILE_KINDS:
        raise BadRequest(f"'kind' must be one of: {', '.join(FILE_KINDS)}", "invalid_field")
    if current is not None and kind != current["kind"]:
        raise BadRequest(f"'{entry_id}' is a {current['kind']} entry; its kind cannot change", "kind_mismatch")
    shape = check_document(entry_id, str(kind), document)
    if shape:
        raise Unprocessable("the entry is malformed; nothing was saved", [str(p) for p in shape])
    action = "create" if current is None or current["deleted"] else "edit"
    edit = Edit(entry_id, str(kind), based_on + 1, action, document, principal.name, _now(request))
    return _json(await _save(request, principal, edit, based_on), status=201 if action == "create" else 200)


@routes.delete("/api/v1/editor/entries/{entry_id}")
async def delete_entry(request: web.Request) -> web.Response:
    """Delete an entry (``?base_version=``): kept as a version, so that it can be reverted."""
    principal = await require(request, EDITOR)
    entry_id = _entry_id(request)
    if not request.query.get("base_version"):
        raise BadRequest("'base_version' is required", "invalid_parameter")
    based_on = _query_int(request, "base_version", 0)
    current = await _current(request, entry_id)
    if current is None or current["deleted"]:
        raise NotFound(f"no entry '{entry_id}'")
    edit = Edit(entry_id, current["kind"], based_on + 1, "delete", None, principal.name, _now(request))
    return _json(await _save(request, principal, edit, based_on))


@routes.get("/api/v1/editor/entries/{entry_id}/versions")
async def entry_versions(request: web.Request) -> web.Response:
    """Every version of an entry, newest first; version 0 is the shipped YAML."""
    await require(request, EDITOR)
    entry_id = _entry_id(request)
    current = await _existing(request, entry_id)
    stored = await request.app[INQUIRY_LOG].read(lambda db: kb_edits.versions(db, entry_id))
    items = [_version_json(e) for e in reversed(stored)]
    if current["shipped"]:
        items.append({"version": 0, "action": "shipped", "author": None, "at": None, "deleted": False})
    return _json({"id": entry_id, "current_version": current["version"], "items": items})


async def _document_at(request: web.Request, entry_id: str, version: int) -> tuple[bool, Any]:
    """(whether the version exists, its document)."""
    if version == 0:
        shipped = await asyncio.get_running_loop().run_in_executor(None, editor.shipped_of, request.app[KNOWLEDGE])
        entry = shipped.get(entry_id)
        if entry is None:  # an entry made in the editor: before its first version there was nothing
            stored = await request.app[INQUIRY_LOG].read(lambda db: kb_edits.versions(db, entry_id))
            return (bool(stored), None)
        return (True, entry.document)
    stored = await request.app[INQUIRY_LOG].read(lambda db: kb_edits.versions(db, entry_id))
    found = next((e for e in stored if e.version == version), None)
    return (found is not None, found.document if found else None)


@routes.get("/api/v1/editor/entries/{entry_id}/diff")
async def entry_diff(request: web.Request) -> web.Response:
    """The unified diff between two versions (``from``, ``to``; default: the one before the current, the current)."""
    await require(request, EDITOR)
    entry_id = _entry_id(request)
    current = await _existing(request, entry_id)
    to = _query_int(request, "to", current["version"], 0, 10**12)
    frm = _query_int(request, "from", max(0, to - 1), 0, 10**12)
    docs = []
    for v in (frm, to):
        exists, doc = await _document_at(request, entry_id, v)
        if not exists:
            raise NotFound(f"{entry_id} has no version {v}")
        docs.append(doc)
    return _json({"id": entry_id, "from": frm, "to": to,
                  **diff(docs[0], docs[1], f"{entry_id} v{frm}", f"{entry_id} v{to}")})


@routes.post("/api/v1/editor/entries/{entry_id}/revert")
async def revert_entry(request: web.Request) -> web.Response:
    """Make an earlier version current again: ``{"to_version", "base_version"}`` (a new version, audited)."""
    principal = await require(request, EDITOR)
    entry_id = _entry_id(request)
    body = await _object(request)
    to = _int(body.get("to_version"), "to_version")  # JSON integers only
    based_on = _int(body.get("base_version"), "base_version")
    current = await _existing(request, entry_id)
    exists, doc = await _document_at(request, entry_id, to)
    if not exists:
        raise NotFound(f"{entry_id} has no version {to}")
    edit = Edit(entry_id, current["kind"], based_on + 1, "revert", doc, principal.name, _now(request))
    return _json(await _save(request, principal, edit, based_on, {"to_version": to}))


# -- validation and preview ---------------------------------------------------------------------


def _draft(body: dict[str, Any]) -> tuple[str, str, Any]:
    entry_id, kind, document = body.get("entry_id"), body.get("kind"), body.get("document")
    if not isinstance(entry_id, str) or not entry_id or len(entry_id) > 80:
        raise BadRequest("'entry_id' is required (at most 80 characters)", "invalid_field")
    if not isinstance(kind, str) or kind not in FILE_KINDS:
        raise BadRequest(f"'kind' must be one of: {', '.join(FILE_KINDS)}", "invalid_field")
    if "document" not in body:
        raise BadRequest("'document' is required (null previews a deletion)", "invalid_field")
    if document is not None and not isinstance(document, dict):
        raise BadRequest("'document' must be an object or null", "invalid_field")
    return entry_id, str(kind), document


@routes.post("/api/v1/editor/check")
async def check_entry(request: web.Request) -> web.Response:
    """Validate an unsaved entry with the rest of the base: ``{"entry_id", "kind", "document"}`` →
    ``{"ok", "problems"}`` (the loader's problems, as ``contact kb check`` prints them)."""
    await require(request, EDITOR)
    entry_id, kind, document = _draft(await _object(request))
    problems = [str(p) for p in check_document(entry_id, kind, document)]
    if not problems:
        edits = await _edits(request)
        edits[entry_id] = Edit(entry_id, kind, 0, "edit", document)
        problems = await asyncio.get_running_loop().run_in_executor(
            None, validate, request.app[KNOWLEDGE].directory, edits)
    return _json({"ok": not problems, "problems": problems})


def _question_text(q: Any) -> bool:
    return isinstance(q, str) and bool(q.strip()) and len(q) <= 1000


def _questions(body: dict[str, Any]) -> list[str]:
    """``question`` (one) and ``questions`` (up to five), each text of 1 … 1000 characters; at least one."""
    items: list[str] = []
    if "question" in body:
        if not _question_text(body["question"]):
            raise BadRequest("'question' must be text of 1 … 1000 characters", "invalid_field")
        items.append(body["question"])
    if "questions" in body:
        many = body["questions"]
        if not isinstance(many, list) or not 1 <= len(many) <= MAX_QUESTIONS or not all(map(_question_text, many)):
            raise BadRequest(f"'questions' must be a list of 1 … {MAX_QUESTIONS} texts of 1 … 1000 characters",
                             "invalid_field")
        items += many
    if not items:
        raise BadRequest("send 'question' (or 'questions')", "missing_question")
    return [q.strip() for q in items[:MAX_QUESTIONS]]


async def _preview(request: web.Request, edits: dict[str, Edit], synonym_edits: list[SynonymEdit],
                   questions: list[str]) -> dict[str, Any]:
    state = request.app[KNOWLEDGE]
    live = ready_engine(request)
    now = request.app[CLOCK].now()
    return dict(await asyncio.get_running_loop().run_in_executor(None, lambda: editor.preview(
        state.directory, edits, synonym_edits, live, state.cache_dir, questions, now, None)))


@routes.post("/api/v1/editor/preview")
async def preview_entry(request: web.Request) -> web.Response:
    """How the assistant answers ``question`` with an unsaved edit applied (``document: null`` previews a
    deletion), next to the live answer; nothing is saved."""
    await require(request, EDITOR)
    body = await _object(request)
    entry_id, kind, document = _draft(body)
    questions = _questions(body)
    if document is not None:
        shape = check_document(entry_id, kind, document)
        if shape:
            return _json({"problems": [str(p) for p in shape], "results": [], "build_seconds": None})
    edits = await _edits(request)
    edits[entry_id] = Edit(entry_id, kind, 0, "edit", document)
    return _json(await _preview(request, edits, await _synonym_edits(request), questions))


# -- gaps ---------------------------------------------------------------------------------------


@routes.get("/api/v1/editor/gaps")
async def editor_gaps(request: web.Request) -> web.Response:
    """The gap clusters of the last ``days`` days (default 90), each with a drafted FAQ to complete."""
    principal = await require(request, EDITOR)
    days = _query_int(request, "days", 90, 1, 3660)
    import datetime as dt

    from contact.analysis.filters import parse_filters

    today = request.app[CLOCK].now().date()
    f = parse_filters([("from", (today - dt.timedelta(days=days)).isoformat()), ("to", today.isoformat())], ())
    ext = extractor(request.app)

    def work(db: Any) -> dict[str, Any]:
        docs = words.load_docs(db, f, ext)
        found = [d for d in docs if gaps_module.is_gap(d)]
        return dict(gaps_module.knowledge_gaps(found, background=docs))

    body = await request.app[INQUIRY_LOG].read(work)
    engine = ready_engine(request)
    gaps_module.add_nearest(body["clusters"], gaps_module.engine_nearest(engine))
    taken = {e.id for e in engine.kb.entries()}  # type: ignore[attr-defined]
    for cluster in body["clusters"]:
        draft = editor.draft_from_cluster(cluster, engine.kb, today, taken)
        taken.add(draft["id"])
        cluster["draft"] = draft
    await audit(request, principal, "inquiries.read", "editor-gaps", days=days)
    return _json(body)


# -- synonyms -----------------------------------------------------------------------------------


async def _synonym_table(request: web.Request, extra: list[SynonymEdit] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    from intents.synonyms import DEFAULT_PATH

    table = await asyncio.get_running_loop().run_in_executor(None, read_synonym_table, DEFAULT_PATH)
    return effective_synonyms(table, [*await _synonym_edits(request), *extra])


def _synonym_edit(body: dict[str, Any], principal: Principal, at: str) -> SynonymEdit:
    section, term, value, action = (body.get(k) for k in ("section", "term", "value", "action"))
    if section not in SYNONYM_SECTIONS:
        raise BadRequest(f"'section' must be one of: {', '.join(SYNONYM_SECTIONS)}", "invalid_field")
    if action not in ("add", "remove"):
        raise BadRequest("'action' must be add or remove", "invalid_field")
    for name, text in (("term", term), ("value", value)):
        if not isinstance(text, str) or not text.strip() or len(text) > 50 or not SYNONYM_WORD.match(text):
            raise BadRequest(f"'{name}' must be text of 1 … 50 characters", "invalid_field")
        if not isinstance(text, str) or not SYNONYM_WORD.match(text):
            raise BadRequest(f"'{name}' must be one word: no commas, tabs, line breaks or control characters",
                             "invalid_field")
    return SynonymEdit(str(section), str(term).strip(), str(value).strip(), str(action), principal.name, at)


@routes.get("/api/v1/editor/synonyms")
async def list_synonyms(request: web.Request) -> web.Response:
    """The effective synonym table (shipped + edits) and the edits, newest first."""
    await require(request, EDITOR)
    edits = await _synonym_edits(request)
    return _json({"table": await _synonym_table(request),
                  "edits": [e.__dict__ for e in reversed(edits)]})


async def _check_synonyms(request: web.Request, edit: SynonymEdit) -> None:
    from contact.knowledge_state import effective_synonym_table
    from knowledge.errors import KnowledgeError

    edits = [*await _synonym_edits(request), edit]
    try:
        effective_synonym_table(edits)
    except KnowledgeError as exc:
        raise Unprocessable("the synonym table would not validate; nothing was saved",
                            [str(p) for p in exc.problems]) from exc


@routes.post("/api/v1/editor/synonyms")
async def edit_synonyms(request: web.Request) -> web.Response:
    """Add or remove one entry of the synonym table: ``{"section", "term", "value", "action"}``; live everywhere."""
    principal = await require(request, EDITOR)
    edit = _synonym_edit(await _object(request), principal, _now(request))
    table = await _synonym_table(request)
    if edit.action == "remove" and edit.value not in table[edit.section].get(edit.term, []):
        raise NotFound(f"'{edit.value}' is not listed under {edit.section}.{edit.term}")
    await _check_synonyms(request, edit)
    await request.app[INQUIRY_LOG].read(lambda db: kb_edits.add_synonym_edit(db, edit))
    await audit(request, principal, f"synonyms.{edit.action}", edit.term, section=edit.section, value=edit.value)
    result, broadcast = await reload_everywhere(request.app)
    return _json({"table": await _synonym_table(request), "reload": {"ok": result.ok, "version": result.version,
                                                                     "broadcast": broadcast}}, status=201)


@routes.post("/api/v1/editor/synonyms/preview")
async def preview_synonyms(request: web.Request) -> web.Response:
    """What ``question`` matches with an unsaved synonym edit, next to what it matches now."""
    principal = await require(request, EDITOR)
    body = await _object(request)
    edit = _synonym_edit(body, principal, _now(request))
    questions = _questions(body)
    await _check_synonyms(request, edit)
    return _json(await _preview(request, await _edits(request), [*await _synonym_edits(request), edit], questions))


# -- phrasing proposals -------------------------------------------------------------------------


@routes.post("/api/v1/editor/phrasings/{phrasing_id}")
async def decide_phrasing(request: web.Request) -> web.Response:
    """Accept a proposal — its text becomes a phrasing of its entry, saved as a new version and live — or
    reject it: ``{"status": "accepted" | "rejected"}``."""
    principal = await require(request, EDITOR)
    body = await _object(request)
    status = body.get("status")
    if status not in ("accepted", "rejected"):
        raise BadRequest('send {"status": "accepted" | "rejected"}', "invalid_field")
    raw_id = request.match_info["phrasing_id"]
    phrasing_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18 else 0
    rows = await request.app[INQUIRY_LOG].read(
        lambda db: list(db.query("SELECT * FROM phrasings WHERE id = ?", [phrasing_id])))
    if not rows:
        raise NotFound(f"no phrasing proposal {request.match_info['phrasing_id'][:20]}")
    row = rows[0]
    saved = None
    if status == "accepted":
        current = await _current(request, row["entry_id"])
        if current is None or current["deleted"]:
            raise NotFound(f"the proposal's entry '{row['entry_id']}' no longer exists")
        doc = editor.with_phrasing(current["document"], current["kind"], row["text"])
        if doc is None:
            raise BadRequest(f"{current['kind']} entries take no phrasings", "no_phrasings")
        edit = Edit(row["entry_id"], current["kind"], current["version"] + 1, "edit", doc, principal.name,
                    _now(request))
        saved = await _save(request, principal, edit, current["version"], {"phrasing": phrasing_id})
    decided = await request.app[INQUIRY_LOG].read(
        lambda db: phrasings.decide(db, phrasing_id, str(status), principal.name, _now(request)))
    await audit(request, principal, "phrasings.decide", str(phrasing_id), status=status, entry_id=row["entry_id"])
    return _json({"phrasing": decided, "saved": saved})


# -- the page -----------------------------------------------------------------------------------


@routes.get("/editor")
async def editor_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/editor/")


async def _lock_ctx(app: web.Application) -> Any:
    app[_SAVE_LOCK] = asyncio.Lock()
    yield


def setup_editor(app: web.Application) -> None:
    """Register the editor's API and the /editor/ page."""
    app.cleanup_ctx.append(_lock_ctx)
    app.add_routes(routes)
    static = [("/editor/", "editor.html"), ("/static/editor.js", "editor.js"), ("/static/editor.css", "editor.css")]
    app.add_routes([asset_route(path, name) for path, name in static if (STATIC / name).is_file()])
