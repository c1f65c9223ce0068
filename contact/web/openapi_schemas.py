"""The building blocks of the OpenAPI description (:mod:`contact.web.openapi`): schema helpers
(:func:`obj`, :func:`array`, :func:`ref`, :func:`nullable`, parameters), :func:`op` for one operation,
the error responses every endpoint shares, and :data:`SCHEMAS`, the request and response bodies.

Plain data, no aiohttp: the document is put together, with the running server's limits, by
:func:`contact.web.openapi.build_spec`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, get_args

from contact.requests import CHANNELS, LANGS
from knowledge.calendar import OpeningKind
from knowledge.schema import WARDS

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
BOOL: Schema = {"type": "boolean"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
DATE: Schema = {"type": "string", "format": "date"}
_YEAR = "(?:19|20|21)[0-9][0-9]"
REQUEST_DATE: Schema = {"type": "string", "pattern": (
    f"^(?:{_YEAR}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    "|(?:(?:19|20|21)(?:0[48]|[2468][048]|[13579][26])|2000)-02-29)$"),
    "description": "a date YYYY-MM-DD from 1900-01-01 to 2199-12-31 (contact.analysis.filters.FIRST_DATE, LAST_DATE)"}
"""A date the service accepts in a request. A pattern rather than ``format: date``, so that the description
says what the server checks: a real calendar day within the accepted years."""
EMPTY: Schema = {"type": "string", "maxLength": 0}
DATE_OR_EMPTY: Schema = {"anyOf": [REQUEST_DATE, EMPTY]}
"""A date parameter where an empty value (``?to=``) means "not given"."""
TEXT: Schema = {"type": "string", "pattern": "\\S"}
"""Text that is not blank after trimming (the server strips white space before checking it)."""


def int_or_empty(lo: int, hi: int) -> Schema:
    """An integer query parameter from ``lo`` to ``hi``; empty means "not given" (the default)."""
    return {"anyOf": [{"type": "integer", "minimum": lo, "maximum": hi}, EMPTY]}


def num_or_empty(lo: float, hi: float) -> Schema:
    return {"anyOf": [{"type": "number", "minimum": lo, "maximum": hi}, EMPTY]}


def choice_or_empty(choices: Iterable[str]) -> Schema:
    """One of ``choices``; empty means "not given" (the default)."""
    return {"type": "string", "enum": [*choices, ""]}


def choice_list(choices: Iterable[str]) -> Schema:
    """A comma-separated list of ``choices`` (white space around each ignored, empty items skipped)."""
    alternatives = "|".join(re.escape(c) for c in choices)
    item = f"\\s*(?:{alternatives})?\\s*"
    return {"type": "string", "pattern": f"^{item}(?:,{item})*$"}


def value_list(max_chars: int) -> Schema:
    """A comma-separated list of values of at most ``max_chars`` characters each."""
    return {"type": "string", "pattern": f"^[^,]{{0,{max_chars}}}(?:,[^,]{{0,{max_chars}}})*$"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or null (OpenAPI 3.0: an enum must list null itself)."""
    if "$ref" in schema:
        return {"allOf": [schema], "nullable": True}
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None], "nullable": True}
    return {**schema, "nullable": True}


def array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


def obj(properties: dict[str, Schema], required: Sequence[str] = (), **extra: Any) -> Schema:
    schema: Schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def query(name: str, description: str, required: bool = False, schema: Schema = STR) -> Schema:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def path_param(name: str, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": STR}


ERROR_RESPONSES: dict[int, str] = {
    400: "Bad input: invalid JSON, a missing, empty, over-long or mistyped field (the code says which).",
    401: "No or bad credentials (an API token or the session cookie of /login).",
    403: "Signed in without the needed role, a missing CSRF token, or a refused origin.",
    404: "No such id.",
    408: "The request body did not arrive in time (body_timeout).",
    413: "The request body is larger than max_body_bytes.",
    415: "The body is not JSON (Content-Type: application/json is required).",
    422: "The request was understood but cannot be carried out.",
    429: "Too many requests from this address (rate_limit), too many failed sign-ins, or a knowledge reload "
         "running or too recent; Retry-After says when to try again.",
    503: "Not ready (knowledge base loading) or the inquiry could not be recorded (disk full, read-only "
         "database): nothing was stored; try again or call 044-200-3939.",
}


def op(summary: str, *, tag: str, ok: Schema | None = None, ok_status: int = 200, ok_type: str = "application/json",
       ok_description: str = "OK", description: str | None = None, params: Iterable[Schema] = (),
       body: Schema | None = None, errors: Iterable[int] = (), auth: bool = False,
       extra_responses: dict[str, Any] | None = None) -> dict[str, Any]:
    """One operation: its summary, parameters, request body, success response and error responses.

    ``auth``: True for an API token (the admin token included) or the session cookie.
    """
    operation: dict[str, Any] = {"summary": summary, "tags": [tag]}
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = list(params)
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    ok_response: dict[str, Any] = {"description": ok_description}
    if ok is not None:
        ok_response["content"] = {ok_type: {"schema": ok}}
    responses: dict[str, Any] = {str(ok_status): ok_response}
    for status in sorted(set(errors)):
        responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    responses.update(extra_responses or {})
    operation["responses"] = responses
    if auth:
        operation["security"] = [{"bearer": []}, {"session": []}]
    return operation


SCHEMAS: dict[str, Schema] = {
    "Error": obj({
        "error": obj({"code": {**STR, "description": "machine-readable, e.g. invalid_field, rate_limited"},
                      "message": {**STR, "description": "what was wrong, for a developer"}},
                     required=["code", "message"]),
    }, required=["error"]),
    "AskRequest": obj({
        "text": {**TEXT, "minLength": 1, "description": "the question (1..max_text_chars characters after trimming)"},
        "session_id": nullable({**STR, "description": "continue a conversation: the session_id of an earlier "
                                "response (32 hex digits); any other value starts a new session"}),
        "ward": nullable({**STR, "enum": list(WARDS), "description": "the citizen's ward, when known"}),
        "channel": nullable({**STR, "enum": list(CHANNELS), "default": "web"}),
        "lang": nullable({**STR, "enum": list(LANGS), "default": "ja"}),
        "debug": {**BOOL, "default": False, "description": "add the matcher's explanation (explain)"},
        "pick_of": nullable({**STR, "pattern": "^[A-Za-z0-9_-]{8,64}$",
                             "description": "the inquiry_id whose candidates (clarify options) this question picks "
                                            "one of; the earlier question is proposed as a phrasing of the pick"}),
    }, required=["text"]),
    "Answer": obj({
        "entry_id": STR, "title": STR, "text": STR, "source_url": STR, "department": STR,
        "reviewed": {**STR, "description": "when the facts were last checked (YYYY-MM-DD)"},
        "checklist": array(STR, description="life events: the procedures to do, in order"),
    }, required=["entry_id", "title", "text", "source_url", "department", "reviewed"]),
    "Candidate": obj({"entry_id": STR, "title": STR, "score": {**NUM, "minimum": 0, "maximum": 1},
                      "matched": array(STR)}, required=["entry_id", "title", "score"]),
    "Clarify": obj({"question": STR, "options": array(STR)}, required=["question", "options"]),
    "AskResponse": obj({
        "inquiry_id": STR,
        "session_id": STR,
        "kind": {**STR, "enum": ["answer", "clarify", "fallback", "handoff", "smalltalk"]},
        "message": {**STR, "description": "the text to show, whatever the kind"},
        "answer": nullable(ref("Answer")),
        "confidence": {**NUM, "minimum": 0, "maximum": 1},
        "candidates": array(ref("Candidate"), maxItems=5),
        "clarify": nullable(ref("Clarify")),
        "follow_ups": array(STR),
        "ward": nullable(STR),
        "lang": {**STR, "enum": ["ja", "en"], "description": "the language of the reply: en for lang=en or a "
                 "question written in English (an entry without English text is given in Japanese, said so in "
                 "English)"},
        "explain": {"type": "object", "description": "with debug: how the matcher decided"},
    }, required=["inquiry_id", "session_id", "kind", "message", "answer", "confidence", "candidates", "clarify",
                 "follow_ups"]),
    "KbFinding": obj({
        "kind": STR, "entry_id": STR, "detail": STR, "title": nullable(STR), "certainty": nullable(STR),
        "source_url": nullable(STR), "source_date": nullable(STR), "reviewed": nullable(STR),
    }, required=["kind", "entry_id", "detail"]),
    "KbFindings": obj({
        "today": STR, "entries": INT, "max_age_days": INT,
        "counts": {"type": "object", "additionalProperties": INT, "description": "findings by kind (whole base)"},
        "kinds": array(STR), "items": array(ref("KbFinding")),
    }, required=["today", "entries", "counts", "items"]),
    "FeedbackRequest": obj({
        "inquiry_id": {**STR, "minLength": 1},
        "helpful": BOOL,
        "comment": nullable({**STR, "description": "optional; at most max_text_chars characters, stored masked"}),
    }, required=["inquiry_id", "helpful"]),
    "Ok": obj({"ok": {**BOOL, "enum": [True]}}, required=["ok"]),
    "Entry": obj({"id": STR, "type": {**STR, "enum": ["office", "window", "procedure", "faq", "lifeevent"]}},
                 required=["id", "type"], additionalProperties=True,
                 description="A knowledge entry as stored (fields by type; see knowledge/schema.py)."),
    "Offices": obj({"offices": array(ref("Entry"))}, required=["offices"]),
    "Opening": obj({
        "date": DATE,
        "open": nullable({**STR, "pattern": "^[0-2][0-9]:[0-5][0-9]$", "description": "null: hours not verified"}),
        "close": nullable({**STR, "pattern": "^[0-2][0-9]:[0-5][0-9]$"}),
        "kind": {**STR, "enum": list(get_args(OpeningKind))},
        "windows": array(STR, description="empty: the whole office"),
        "note": nullable(STR),
        "certain": BOOL,
    }, required=["date", "open", "close", "kind", "windows"]),
    "Openings": obj({
        "office": obj({"id": STR, "name": STR}, required=["id", "name"]),
        "from": DATE, "to": DATE, "window": nullable(STR),
        "openings": array(ref("Opening")),
    }, required=["office", "from", "to", "openings"]),
    "Health": obj({"status": {**STR, "enum": ["ok"]}}, required=["status"]),
    "Ready": obj({
        "status": {**STR, "enum": ["ok", "unavailable"]},
        "problems": array(STR, description="why not ready, e.g. 'inquiry log unavailable: the disk is full …'"),
        "entries": INT,
        "kb_problems": array(STR, description="problems of the last refused knowledge reload"),
        "kb_version": nullable({**STR, "description": "hash of the knowledge-base files this process serves"}),
        "kb_loaded_at": nullable({**STR, "description": "when this process loaded them (UTC)"}),
        "process": {**STR, "description": "which process answered (host:pid:random)"},
    }, required=["status", "problems"]),
    "Reload": obj({"ok": BOOL, "entries": INT, "seconds": NUM, "problems": array(STR),
                   "version": nullable({**STR, "description": "the version served here after the reload"}),
                   "broadcast": {**BOOL, "description": "every other worker and node was told to reload"}},
                  required=["ok", "entries", "problems"]),
    "LoginRequest": obj({"name": {**STR, "minLength": 1}, "password": STR}, required=["name", "password"]),
    "Me": obj({"name": STR, "role": {**STR, "enum": ["operator", "staff", "editor", "admin"]},
               "csrf": nullable({**STR, "description": "send it back as X-CSRF-Token on state changes"})},
              required=["name", "role"]),
    "AuditPage": obj({"items": array({"type": "object"})}, required=["items"]),
    # -- staff (contact/web/staff.py, contact/analysis/) --
    "VoiceTypes": obj({t: INT for t in ("問い合わせ", "意見・要望", "苦情", "提案", "感謝")},
                      required=["問い合わせ", "意見・要望", "苦情", "提案", "感謝"],
                      description="inquiries per voice type (声の種類) under the request's filters"),
    "Inquiry": obj({
        "id": STR, "created_at": STR, "channel": STR, "ward": nullable(STR), "category": nullable(STR), "text": STR,
        "kind": STR, "entry_id": nullable(STR), "entry_title": nullable(STR), "confidence": nullable(NUM),
        "resolution": nullable(STR), "forwarded_to": nullable(STR), "voice_type": nullable(STR),
        "helpful": nullable(BOOL), "comment": nullable(STR), "note": nullable(STR), "operator": nullable(STR),
        "source": nullable(STR), "lang": nullable(STR), "session_id": nullable(STR), "handoff_id": nullable(STR),
        "latency_ms": nullable(NUM), "candidates": array(STR),
    }, required=["id", "created_at", "channel", "text", "kind"]),
    "InquiryPage": obj({"total": INT, "limit": INT, "offset": INT, "next_offset": nullable(INT),
                        "filters": {"type": "object"}, "voice_types": ref("VoiceTypes"),
                        "items": array(ref("Inquiry"))},
                       required=["total", "limit", "offset", "items", "voice_types"]),
    "StaffView": obj({"voice_types": ref("VoiceTypes")}, required=["voice_types"], additionalProperties=True,
                     description="A statistic of the inquiry log; fields by view (see contact/analysis/)."),
    "Phrasing": obj({"id": INT, "entry_id": STR, "text": STR, "origin": {**STR, "enum": ["citizen", "operator"]},
                     "inquiry_id": nullable(STR), "created_at": STR,
                     "status": {**STR, "enum": ["pending", "accepted", "rejected"]},
                     "decided_by": nullable(STR), "decided_at": nullable(STR), "entry_title": nullable(STR)},
                    required=["id", "entry_id", "text", "origin", "status"]),
    "PhrasingPage": obj({"total": INT, "counts": {"type": "object"}, "items": array(ref("Phrasing"))},
                        required=["total", "items"]),
    "PhrasingDecision": obj({"status": {**STR, "enum": ["accepted", "rejected", "pending"]}}, required=["status"]),
}
