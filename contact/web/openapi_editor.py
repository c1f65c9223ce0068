"""The knowledge editor's part of the OpenAPI description (contact/web/editor.py): merged into
:data:`contact.web.openapi.PATHS` and :data:`contact.web.openapi_schemas.SCHEMAS`."""

from __future__ import annotations

from typing import Any

from contact.editor import FILTERS
from contact.web.editor import MAX_QUESTIONS, SYNONYM_PATTERN
from contact.web.openapi_schemas import (
    BOOL,
    INT,
    NUM,
    SCHEMAS,
    STR,
    array,
    choice_or_empty,
    int_or_empty,
    nullable,
    obj,
    op,
    path_param,
    query,
    ref,
)
from knowledge.schema import FILE_KINDS

BODY = (400, 408, 413)
ERRORS = (400, 401, 403)
KIND = {**STR, "enum": list(FILE_KINDS)}
DOCUMENT = {"type": "object", "description": "the whole entry as its YAML file holds it (knowledge/schema.py); "
            "its id is the path's entry_id"}
VERSION: dict[str, Any] = {**INT, "minimum": 0, "maximum": 10**18 - 1}
DRAFT_ID: dict[str, Any] = {**STR, "minLength": 1, "maxLength": 80}
QUESTION: dict[str, Any] = {**STR, "pattern": "\\S", "maxLength": 1000}
WORD: dict[str, Any] = {**STR, "minLength": 1, "maxLength": 50, "pattern": SYNONYM_PATTERN}
SYNONYM: dict[str, Any] = {"section": {**STR, "enum": ["replace", "expand"]}, "term": WORD, "value": WORD,
                           "action": {**STR, "enum": ["add", "remove"]}}
ENTRY_ID = path_param("entry_id", "the entry's id (lower-case ASCII slug)")
_ANSWERED = obj({"kind": STR, "confidence": NUM,
                 "answer": nullable(obj({"entry_id": STR, "title": STR, "text": STR, "source_url": STR})),
                 "candidates": array(obj({"entry_id": STR, "title": STR, "score": NUM}))},
                required=["kind", "answer", "candidates"])

SCHEMAS.update({
    "EditorEntryList": obj({
        "total": INT,
        "items": array(obj({"id": STR, "kind": STR, "title": STR, "category": nullable(STR), "version": INT,
                            "answered": INT, "near_fallbacks": INT, "flags": array(STR)},
                           required=["id", "kind", "title", "version", "flags"])),
        "deleted": array(obj({"id": STR, "kind": STR, "version": INT})),
    }, required=["total", "items", "deleted"]),
    "EditorEntry": obj({
        "id": STR, "kind": STR, "version": INT, "document": nullable({"type": "object"}), "deleted": BOOL,
        "shipped": BOOL, "file": nullable(STR), "author": nullable(STR), "at": nullable(STR), "yaml": STR,
    }, required=["id", "kind", "version", "document", "deleted", "shipped"]),
    "EditorSave": obj({"kind": KIND, "document": DOCUMENT,
                       "base_version": {**VERSION,
                                        "description": "the version the edit was based on (0: the shipped YAML)"}},
                      required=["kind", "document", "base_version"]),
    "EditorSaved": obj({
        "id": STR, "kind": STR, "version": INT, "action": {**STR, "enum": ["create", "edit", "delete", "revert"]},
        "author": STR, "at": STR,
        "reload": obj({"ok": BOOL, "version": nullable(STR), "seconds": NUM, "broadcast": BOOL,
                       "problems": array(STR)}),
    }, required=["id", "kind", "version", "action", "reload"]),
    "EditorVersions": obj({"id": STR, "current_version": INT,
                           "items": array(obj({"version": INT, "action": STR, "author": nullable(STR),
                                               "at": nullable(STR), "deleted": BOOL}))},
                          required=["id", "current_version", "items"]),
    "EditorDiff": obj({"id": STR, "from": INT, "to": INT, "unified": STR, "fields": array(STR)},
                      required=["unified", "fields"]),
    "EditorRevert": obj({"to_version": VERSION, "base_version": VERSION},
                        required=["to_version", "base_version"]),
    "EditorDraft": obj({"entry_id": DRAFT_ID, "kind": KIND, "document": nullable(DOCUMENT)},
                       required=["entry_id", "kind", "document"]),
    "EditorPreviewRequest": obj({"entry_id": DRAFT_ID, "kind": KIND, "document": nullable(DOCUMENT),
                                 "question": QUESTION,
                                 "questions": array(QUESTION, minItems=1, maxItems=MAX_QUESTIONS)},
                                required=["entry_id", "kind", "document"]),
    "EditorCheck": obj({"ok": BOOL, "problems": array(STR)}, required=["ok", "problems"]),
    "EditorPreview": obj({
        "problems": array(STR), "build_seconds": nullable(NUM), "load_seconds": NUM, "seconds": NUM,
        "results": array(obj({"question": STR, "with_edit": _ANSWERED, "live": _ANSWERED})),
    }, required=["problems", "results"]),
    "EditorGaps": obj({"total": INT, "clusters": array({"type": "object", "properties": {
        "draft": {"type": "object"}, "examples": array(STR)}})}, required=["clusters"]),
    "SynonymEdit": obj(SYNONYM, required=["section", "term", "value", "action"]),
    "SynonymPreview": obj({**SYNONYM, "question": QUESTION}, required=["section", "term", "value", "action",
                                                                       "question"]),
    "SynonymTable": obj({"table": obj({"replace": {"type": "object"}, "expand": {"type": "object"}}),
                         "edits": array({"type": "object"}), "reload": {"type": "object"}}, required=["table"]),
    "EditorPhrasing": obj({"phrasing": nullable({"type": "object"}), "saved": nullable(ref("EditorSaved"))},
                          required=["phrasing", "saved"]),
})

_CONFLICT = {"409": {"description": "The entry changed since base_version: error.current_version and error.current "
                                    "(the entry as it is now). Nothing was saved.",
                     "content": {"application/json": {"schema": ref("Error")}}},
             "422": {"description": "The knowledge base would not validate with this change (error.problems, as "
                                    "`contact kb check` prints them). Nothing was saved.",
                     "content": {"application/json": {"schema": ref("Error")}}}}


def _op(summary: str, **kwargs: Any) -> dict[str, Any]:
    return op(summary + " (editor)", tag="editor", auth=True, **kwargs)


EDITOR_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/editor/entries": {
        "get": _op("Find entries by words or id, kind, category and conditions", params=[
            query("q", "words that must all occur in the entry, or its id", schema={**STR, "maxLength": 200}),
            query("kind", "offices, windows, procedures, faqs or life_events", schema=choice_or_empty(FILE_KINDS)),
            query("category", "the entry's category"),
            query("filter", "stale, secondary, never_matched, near_fallbacks or edited (repeatable: all must hold)",
                  schema=choice_or_empty(FILTERS)),
            query("limit", "1..500 (default 50)", schema=int_or_empty(1, 500))],
            ok=ref("EditorEntryList"), errors=(*ERRORS, 503)),
    },
    "/api/v1/editor/entries/{entry_id}": {
        "get": _op("One entry's current document, version and YAML", params=[ENTRY_ID], ok=ref("EditorEntry"),
                   errors=(401, 403, 404)),
        "put": _op("Save a new version of an entry (create or edit); audited, live everywhere", params=[ENTRY_ID],
                   body=ref("EditorSave"), ok=ref("EditorSaved"), errors=(*BODY, 401, 403),
                   extra_responses={"201": {"description": "Created",
                                            "content": {"application/json": {"schema": ref("EditorSaved")}}},
                                    **_CONFLICT}),
        "delete": _op("Delete an entry (kept as a version: it can be reverted)",
                      params=[ENTRY_ID, query("base_version", "the version the deletion is based on", required=True,
                                              schema={**STR, "pattern": "^[0-9]{1,18}$"})],
                      ok=ref("EditorSaved"), errors=(400, 401, 403, 404), extra_responses=_CONFLICT),
    },
    "/api/v1/editor/entries/{entry_id}/versions": {
        "get": _op("Every version of an entry, newest first (0: the shipped YAML)", params=[ENTRY_ID],
                   ok=ref("EditorVersions"), errors=(401, 403, 404)),
    },
    "/api/v1/editor/entries/{entry_id}/diff": {
        "get": _op("The diff between two versions of an entry", params=[
            ENTRY_ID, query("from", "a version (default: the one before to)", schema=int_or_empty(0, 10**12)),
            query("to", "a version (default: the current one)", schema=int_or_empty(0, 10**12))],
            ok=ref("EditorDiff"), errors=(400, 401, 403, 404)),
    },
    "/api/v1/editor/entries/{entry_id}/revert": {
        "post": _op("Make an earlier version current again (a new version; audited)", params=[ENTRY_ID],
                    body=ref("EditorRevert"), ok=ref("EditorSaved"), errors=(*BODY, 401, 403, 404),
                    extra_responses=_CONFLICT),
    },
    "/api/v1/editor/check": {
        "post": _op("Validate an unsaved entry with the rest of the base", body=ref("EditorDraft"),
                    ok=ref("EditorCheck"), errors=(*BODY, 401, 403)),
    },
    "/api/v1/editor/preview": {
        "post": _op("Answer questions with an unsaved edit, next to the live answers; nothing is saved",
                    body=ref("EditorPreviewRequest"), ok=ref("EditorPreview"), errors=(*BODY, 401, 403, 503)),
    },
    "/api/v1/editor/gaps": {
        "get": _op("Gap clusters of the last days, each with a drafted FAQ",
                   params=[query("days", "1..3660 (default 90)", schema=int_or_empty(1, 3660))],
                   ok=ref("EditorGaps"), errors=(*ERRORS, 503)),
    },
    "/api/v1/editor/synonyms": {
        "get": _op("The synonym table with its edits", ok=ref("SynonymTable"), errors=(401, 403)),
        "post": _op("Add or remove one synonym; audited, live everywhere", body=ref("SynonymEdit"),
                    ok_status=201, ok=ref("SynonymTable"), errors=(*BODY, 401, 403, 404, 422)),
    },
    "/api/v1/editor/synonyms/preview": {
        "post": _op("What a question matches with an unsaved synonym edit", body=ref("SynonymPreview"),
                    ok=ref("EditorPreview"), errors=(*BODY, 401, 403, 422, 503)),
    },
    "/api/v1/editor/phrasings/{phrasing_id}": {
        "post": _op("Accept a proposed phrasing into its entry (a new version, live) or reject it",
                    params=[path_param("phrasing_id", "the proposal's id")],
                    body=obj({"status": {**STR, "enum": ["accepted", "rejected"]}}, required=["status"]),
                    ok=ref("EditorPhrasing"), errors=(*BODY, 401, 403, 404), extra_responses=_CONFLICT),
    },
}

EDITOR_SEMANTIC_ERRORS: dict[tuple[str, str], dict[str, str]] = {
    ("put", "/api/v1/editor/entries/{entry_id}"): {"kind_mismatch": "the entry exists with another kind"},
    ("post", "/api/v1/editor/preview"): {"missing_question": "neither question nor questions was sent"},
    ("post", "/api/v1/editor/phrasings/{phrasing_id}"): {"no_phrasings": "the proposal's entry kind takes none"},
}
"""The editor's 400s that a request valid per the schema can still get (see contact.web.openapi.SEMANTIC_ERRORS)."""
