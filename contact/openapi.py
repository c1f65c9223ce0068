"""The OpenAPI 3.0 description of the HTTP API, served at ``GET /api/v1/openapi.json``.

Adding an endpoint
------------------

Add one entry to :data:`PATHS` (path written as in aiohttp, ``{name}`` for a path parameter), built
with :func:`op`; put new body shapes in :data:`SCHEMAS` and refer to them with :func:`ref`::

    SCHEMAS["Suggestions"] = obj({"items": array(ref("Candidate"))}, required=["items"])
    PATHS["/api/v1/suggest"] = {
        "get": op("Ranked answers while the operator types", tag="operator", auth=True,
                  params=[query("q", "What the caller has said so far", required=True)],
                  ok=ref("Suggestions"), errors=(400, 401, 403)),
    }

``errors`` lists the error statuses the endpoint can answer (each is the project's
``{"error": {"code", "message"}}`` body, see :data:`ERROR_RESPONSES`); ``ok_status``,
``ok_type`` (``"text/csv"`` …) and ``body`` (a request-body schema) cover the rest.
``tests/test_openapi.py`` fails while a route under ``/api/`` (or ``/healthz``, ``/readyz``,
``/metrics``) is registered on the app but missing here, and a schemathesis run against a live
server checks that real responses match what is written here.

Limits come from the running app's settings (``max_text_chars``), so the description served is the
one that server enforces.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from importlib import metadata
from typing import Any, get_args

from aiohttp import web

from contact.config import Settings
from contact.keys import KNOWLEDGE, SETTINGS
from contact.requests import CHANNELS, LANGS
from knowledge.calendar import OpeningKind
from knowledge.loader import KnowledgeBase
from knowledge.schema import WARDS

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
BOOL: Schema = {"type": "boolean"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
DATE: Schema = {"type": "string", "format": "date"}
DATE_OR_EMPTY: Schema = {"anyOf": [DATE, {"type": "string", "maxLength": 0}]}
"""A date parameter where an empty value (``?to=``) means "not given"."""


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
    422: "The request was understood but cannot be carried out.",
    429: "Too many requests from this address (rate_limit); Retry-After says when to try again.",
    503: "Not ready (knowledge base loading) or the inquiry could not be recorded (disk full, read-only "
         "database): nothing was stored; try again or call 044-200-3939.",
}


def op(summary: str, *, tag: str, ok: Schema | None = None, ok_status: int = 200, ok_type: str = "application/json",
       ok_description: str = "OK", description: str | None = None, params: Iterable[Schema] = (),
       body: Schema | None = None, errors: Iterable[int] = (), auth: bool | str = False,
       extra_responses: dict[str, Any] | None = None) -> dict[str, Any]:
    """One operation: its summary, parameters, request body, success response and error responses.

    ``auth``: True for an API token or the session cookie; ``"or-loopback"`` when loopback clients
    need none while no admin token is configured.
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
        if auth == "or-loopback":
            operation["security"].append({})  # loopback clients need none while no admin token is set
    return operation


SCHEMAS: dict[str, Schema] = {
    "Error": obj({
        "error": obj({"code": {**STR, "description": "machine-readable, e.g. invalid_field, rate_limited"},
                      "message": {**STR, "description": "what was wrong, for a developer"}},
                     required=["code", "message"]),
    }, required=["error"]),
    "AskRequest": obj({
        "text": {**STR, "minLength": 1, "description": "the question (1..max_text_chars characters after trimming)"},
        "session_id": nullable({**STR, "pattern": "^[A-Za-z0-9_-]{8,64}$",
                                "description": "continue a conversation (from an earlier response)"}),
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
        "explain": {"type": "object", "description": "with debug: how the matcher decided"},
    }, required=["inquiry_id", "session_id", "kind", "message", "answer", "confidence", "candidates", "clarify",
                 "follow_ups"]),
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
    }, required=["status", "problems"]),
    "Reload": obj({"ok": BOOL, "entries": INT, "seconds": NUM, "problems": array(STR)},
                  required=["ok", "entries", "problems"]),
    "LoginRequest": obj({"name": {**STR, "minLength": 1}, "password": STR}, required=["name", "password"]),
    "Me": obj({"name": STR, "role": {**STR, "enum": ["operator", "staff", "admin"]},
               "csrf": nullable({**STR, "description": "send it back as X-CSRF-Token on state changes"})},
              required=["name", "role"]),
    "AuditPage": obj({"items": array({"type": "object"})}, required=["items"]),
    # -- staff (contact/staff.py, contact/analysis/) --
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

OPENINGS_PARAMS = [
    query("office", "office id (see /api/v1/offices)", required=True, schema={**STR, "minLength": 1}),
    query("from", "first day, YYYY-MM-DD (default, also when empty: today)",
          schema={**DATE_OR_EMPTY, "example": "2026-12-01"}),
    query("to", "last day, YYYY-MM-DD (default, also when empty: 30 days after from; at most 366 days)",
          schema={**DATE_OR_EMPTY, "example": "2026-12-31"}),
    query("window", "only the openings of this window (e.g. 区民課)"),
]
CITIZEN = (429, 503)
"""Every citizen endpoint can be rate limited (429) or not ready (503)."""
BODY = (400, 408, 413)
"""Every endpoint with a JSON body can refuse it."""

STAFF_FILTERS = [
    query("from", "first day, YYYY-MM-DD (local date; empty: not given)", schema=DATE_OR_EMPTY),
    query("to", "last day, YYYY-MM-DD (inclusive; empty: not given)", schema=DATE_OR_EMPTY),
    query("ward", "ward(s), comma-separated or repeated; none: no ward"),
    query("channel", "channel(s): web, phone, fax, mail, visit, chat, operator"),
    query("category", "category(ies)"),
    query("kind", "answer, clarify, fallback, handoff, smalltalk, operator"),
    query("resolution", "answered, forwarded, callback, complaint"),
    query("voice_type", "問い合わせ, 意見・要望, 苦情, 提案, 感謝"),
    query("entry_id", "matched entry id(s)"),
    query("helpful", "true, false, none (not rated) or rated",
          schema={**STR, "enum": ["true", "false", "none", "rated"]}),
    query("q", "words that must all occur in the text, note or entry title", schema={**STR, "maxLength": 200}),
]
"""The filters every staff list and statistic takes (contact.analysis.filters); bad values are 400."""
STAFF_ERRORS = (400, 401, 403)


def _staff(summary: str, *params: Schema, ok: Schema | None = None, ok_type: str = "application/json",
           description: str | None = None) -> dict[str, Any]:
    return op(summary, tag="staff", auth=True, params=[*STAFF_FILTERS, *params], ok=ok or ref("StaffView"),
              ok_type=ok_type, description=description, errors=STAFF_ERRORS)


PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/ask": {
        "post": op("Ask a question", tag="citizen", body=ref("AskRequest"), ok=ref("AskResponse"),
                   description="The inquiry is recorded (personal data masked) before the answer is sent.",
                   errors=(*BODY, *CITIZEN)),
    },
    "/api/v1/feedback": {
        "post": op("Rate an answer", tag="citizen", body=ref("FeedbackRequest"), ok=ref("Ok"), ok_status=201,
                   errors=(*BODY, 404, *CITIZEN)),
    },
    "/api/v1/offices": {
        "get": op("Offices (区役所, 支所, 出張所 …)", tag="citizen", ok=ref("Offices"),
                  params=[query("ward", "only the offices of this ward (e.g. 中原区)")], errors=CITIZEN),
    },
    "/api/v1/entries/{entry_id}": {
        "get": op("One knowledge entry", tag="citizen", ok=ref("Entry"),
                  params=[path_param("entry_id", "entry id, e.g. juminhyo")], errors=(404, *CITIZEN)),
    },
    "/api/v1/openings": {
        "get": op("Opening days and hours of an office", tag="citizen", ok=ref("Openings"), params=OPENINGS_PARAMS,
                  errors=(400, *CITIZEN)),
    },
    "/api/v1/openings.ics": {
        "get": op("The same as an iCalendar file", tag="citizen", ok={"type": "string"}, ok_type="text/calendar",
                  params=OPENINGS_PARAMS, errors=(400, *CITIZEN)),
    },
    "/api/v1/chat": {
        "get": op("The widget's chat (WebSocket)", tag="citizen", ok_status=101, ok_description="Switching Protocols",
                  description="JSON text frames; the protocol is described in contact/chat.py. Browsers may connect "
                              "from this service's own pages and the widget_origins only.",
                  errors=(400, 403, *CITIZEN)),
    },
    "/api/v1/admin/reload": {
        "post": op("Reload the knowledge base", tag="admin", ok=ref("Reload"), auth="or-loopback",
                   description="Admins, CONTACT_ADMIN_TOKEN, or loopback clients when no token is set. A base with "
                               "problems is refused (422) and the old one keeps serving.",
                   errors=(401, 403),
                   extra_responses={"422": {"description": "The new base has problems; the old one keeps serving.",
                                            "content": {"application/json": {"schema": ref("Reload")}}}}),
    },
    "/api/v1/login": {
        "post": op("Sign in (sets the session cookie)", tag="accounts", body=ref("LoginRequest"), ok=ref("Me"),
                   errors=(*BODY, 401, 429)),
    },
    "/api/v1/logout": {
        "post": op("Sign out", tag="accounts", ok=ref("Ok"), auth=True, errors=(401, 403)),
    },
    "/api/v1/me": {
        "get": op("Who is signed in", tag="accounts", ok=ref("Me"), auth=True, errors=(401, 403)),
    },
    "/api/v1/audit": {
        "get": op("The audit log, newest first (admin)", tag="admin", ok=ref("AuditPage"), auth=True,
                  params=[query("limit", "at most this many rows (1..500, default 100)", schema=INT),
                          query("before", "rows with a smaller id (paging)", schema=INT)],
                  errors=(400, 401, 403)),
    },
    "/api/v1/inquiries": {
        "get": _staff("The inquiry log, newest first (staff; audited)",
                      query("limit", "page size, 1..500 (default 50)", schema=INT),
                      query("offset", "rows to skip (default 0)", schema=INT),
                      query("order", "newest (default) or oldest", schema={**STR, "enum": ["newest", "oldest"]}),
                      ok=ref("InquiryPage")),
    },
    "/api/v1/inquiries.csv": {
        "get": _staff("The inquiry log as CSV for Excel (UTF-8 with BOM, CRLF; formula-safe cells)",
                      ok={"type": "string"}, ok_type="text/csv"),
    },
    "/api/v1/stats/summary": {
        "get": _staff("Totals, answer/fallback/handoff rates, satisfaction, counts by kind, channel, voice type, "
                      "top entries", query("top", "how many top entries (1..100, default 10)", schema=INT)),
    },
    "/api/v1/stats/volume": {
        "get": _staff("Inquiries per day, week (from Monday) or month",
                      query("period", "day (default), week or month", schema={**STR, "enum": ["day", "week", "month"]}),
                      query("split", "also per ward, channel, category, voice_type, kind, resolution, entry or lang")),
    },
    "/api/v1/stats/breakdown": {
        "get": _staff("Inquiries per ward, channel, category, voice type, kind, resolution, entry or language",
                      query("by", "the column (default category)"),
                      query("limit", "at most (default 100)", schema=INT)),
    },
    "/api/v1/stats/gaps": {
        "get": _staff("Knowledge gaps: clusters of unanswered and low-confidence questions with the nearest entry",
                      query("max_confidence", "below this an answer counts as weak (default 0.6)", schema=NUM),
                      query("min_size", "smallest cluster listed (default 2)", schema=INT),
                      query("limit", "clusters listed (default 20)", schema=INT),
                      query("include_unhelpful", "also answers rated not helpful (true/false)")),
    },
    "/api/v1/stats/rising": {
        "get": _staff("Words and clusters jumping in the 7 days ending 'end' against the weeks before",
                      query("end", "last day of the week (default: 'to' or today)", schema=DATE),
                      query("weeks", "baseline weeks (default 4)", schema=INT),
                      query("min_count", "least count this week (default 5)", schema=INT),
                      query("limit", "at most (default 10)", schema=INT)),
    },
    "/api/v1/stats/words": {
        "get": _staff("The most frequent content words, per period",
                      query("period", "day, week or month (default)"),
                      query("limit", "words (default 30)", schema=INT)),
    },
    "/api/v1/stats/cooccurrence": {
        "get": _staff("Word pairs occurring in the same inquiries (Jaccard)",
                      query("limit", "pairs (default 30)", schema=INT),
                      query("min_count", "least inquiries with both (default 3)", schema=INT),
                      query("vocabulary", "how many frequent words are paired (default 60)", schema=INT)),
    },
    "/api/v1/stats/kwic": {
        "get": _staff("Concordance (KWIC) lines of a word", query("word", "the word", required=True),
                      query("width", "characters of context (default 20)", schema=INT),
                      query("limit", "lines (default 50)", schema=INT)),
    },
    "/api/v1/stats/crosstab": {
        "get": _staff("Cross table: words (or category, voice_type, kind, entry_id) × ward, channel or voice_type",
                      query("rows", "word (default), category, voice_type, kind or entry_id"),
                      query("columns", "ward (default), channel or voice_type"),
                      query("limit", "rows (default 20)", schema=INT)),
    },
    "/api/v1/reports/monthly": {
        "get": _staff("The monthly report: one self-contained HTML page (charts, gaps, rising topics, voice types)",
                      query("month", "YYYY-MM (default: this month)"), query("download", "1: as an attachment"),
                      ok={"type": "string"}, ok_type="text/html",
                      description="The filters narrow the report (e.g. one ward); from and to are refused."),
    },
    "/api/v1/phrasings": {
        "get": op("Phrasings proposed from traffic, for review (staff)", tag="staff", auth=True,
                  params=[query("status", "pending (default), accepted, rejected or all"),
                          query("entry_id", "only proposals for this entry"),
                          query("limit", "1..500 (default 50)", schema=INT),
                          query("offset", "rows to skip", schema=INT)],
                  ok=ref("PhrasingPage"), errors=STAFF_ERRORS),
    },
    "/api/v1/phrasings/{phrasing_id}": {
        "post": op("Accept or reject a proposed phrasing (staff; audited)", tag="staff", auth=True,
                   params=[path_param("phrasing_id", "the proposal's id")], body=ref("PhrasingDecision"),
                   ok=ref("Phrasing"), errors=(*BODY, 401, 403, 404),
                   description="Accepted phrasings reach the matcher through `contact kb learned --into KB_DIR`."),
    },
    "/api/v1/openapi.json": {
        "get": op("This description", tag="meta", ok={"type": "object"}),
    },
    "/healthz": {
        "get": op("Liveness: the process answers", tag="meta", ok=ref("Health")),
    },
    "/readyz": {
        "get": op("Readiness: knowledge base loaded and inquiry log writable", tag="meta", ok=ref("Ready"),
                  extra_responses={"503": {"description": "Not ready; problems says why.",
                                           "content": {"application/json": {"schema": ref("Ready")}}}}),
    },
    "/metrics": {
        "get": op("Prometheus metrics", tag="meta", ok={"type": "string"}, ok_type="text/plain", auth="or-loopback",
                  description="Admins, CONTACT_ADMIN_TOKEN, or loopback clients when no token is set.",
                  errors=(401, 403)),
    },
}

# -- operator console (contact/operator.py, contact/desk.py, contact/suggest.py) --
_OPERATOR_CHANNELS = ["phone", "fax", "mail", "visit", "chat"]
_RESOLUTIONS = ["answered", "forwarded", "callback", "complaint"]
SCHEMAS.update({
    "ForwardTarget": obj({
        "id": STR, "kind": {**STR, "enum": ["window", "office"]}, "name": STR, "office_id": STR,
        "ward": nullable(STR), "phone": nullable(STR),
        "phone_note": nullable({**STR, "description": "set when phone is the building's main number"}),
        "floor": nullable(STR), "counter": nullable(STR),
    }, required=["id", "kind", "name", "office_id", "ward", "phone"]),
    "Suggestion": obj({
        "entry_id": STR,
        "kind": {**STR, "enum": ["procedure", "faq", "office", "window", "life_event", "calendar"]},
        "title": STR, "score": {**NUM, "minimum": 0, "maximum": 1},
        "answer": {**STR, "description": "the text to read out or copy"},
        "bring": array(STR), "fee": nullable(STR), "deadline": nullable(STR), "online": nullable(STR),
        "saturday": nullable({**BOOL, "description": "accepted at the 2nd/4th Saturday openings (null: unknown)"}),
        "checklist": array(STR), "forward": array(ref("ForwardTarget")),
        "department": nullable(STR), "category": nullable(STR), "source_url": nullable(STR),
        "reviewed": nullable(STR), "certainty": {**STR, "enum": ["confirmed", "secondary", "unverified"]},
        "unverified": array(STR, description="fields to confirm with the window before stating them"),
        "matched": array(STR), "prefix": {**BOOL, "description": "the entry's name begins with what was typed"},
    }, required=["entry_id", "kind", "title", "score", "answer", "forward", "source_url", "reviewed"]),
    "SuggestContext": obj({
        "ward": nullable({**STR, "enum": list(WARDS)}),
        "ward_from": nullable({**STR, "enum": ["query", "param"]}),
        "ward_words": nullable(STR), "date": nullable(DATE),
        "date_from": nullable({**STR, "enum": ["query", "param"]}),
        "date_text": nullable(STR), "day": nullable({**STR, "description": "is the office open that day, hours"}),
        "offices": array(STR),
    }, required=["ward", "ward_from", "date", "date_from"]),
    "Suggestions": obj({
        "q": STR, "kind": {**STR, "enum": ["answer", "clarify", "fallback", "handoff", "smalltalk"]},
        "context": ref("SuggestContext"), "suggestions": array(ref("Suggestion"), maxItems=10),
    }, required=["q", "kind", "context", "suggestions"]),
    "InquiryRecord": obj({
        "channel": {**STR, "enum": _OPERATOR_CHANNELS},
        "resolution": {**STR, "enum": _RESOLUTIONS,
                       "description": "answered 回答済, forwarded 転送, callback 折り返し, complaint 苦情・要望"},
        "text": {**STR, "minLength": 1, "description": "what the caller asked (at most max_text_chars); stored masked"},
        "ward": nullable({**STR, "enum": list(WARDS)}),
        "category": nullable({**STR, "maxLength": 100, "description": "default: the chosen entry's category"}),
        "forwarded_to": nullable({**STR, "description": "a window or office id; required for forwarded"}),
        "note": nullable({**STR, "maxLength": 2000, "description": "stored masked"}),
        "entry_id": nullable({**STR, "description": "the suggestion chosen; proposed as a phrasing of it"}),
    }, required=["channel", "resolution", "text"]),
    "InquiryRecorded": obj({"id": STR, "created_at": STR, "phrasing_proposed": BOOL},
                           required=["id", "created_at", "phrasing_proposed"]),
    "OperatorDirectory": obj({
        "channels": array(obj({"code": STR, "label": STR}, required=["code", "label"])),
        "resolutions": array(obj({"code": STR, "label": STR}, required=["code", "label"])),
        "wards": array(STR), "categories": array(STR), "targets": array(ref("ForwardTarget")),
    }, required=["channels", "resolutions", "wards", "categories", "targets"]),
})
PATHS["/api/v1/inquiries"]["post"] = op(
    "Record an inquiry taken by phone, FAX, mail, at the counter or in a chat (operator; audited)", tag="operator",
    auth=True, body=ref("InquiryRecord"), ok=ref("InquiryRecorded"), ok_status=201,
    errors=(*BODY, 401, 403, 503),
    description="Text and note are stored with personal data masked. Error codes: missing_field, invalid_field, "
                "text_too_long, unknown_entry, unknown_target, invalid_body, invalid_json.")
PATHS.update({
    "/api/v1/suggest": {
        "get": op("Suggested answers while the operator types (operator)", tag="operator", auth=True,
                  params=[query("q", "what the caller has said so far (a fragment is enough)", required=True,
                                schema={**STR, "minLength": 1, "maxLength": 200}),
                          query("ward", "the caller's ward, when known (a ward in q wins)",
                                schema={**STR, "enum": list(WARDS)}),
                          query("date", "the day asked about, YYYY-MM-DD (a date in q wins)", schema=DATE),
                          query("limit", "suggestions, 1..10 (default 5)",
                                schema={**INT, "minimum": 1, "maximum": 10})],
                  ok=ref("Suggestions"), errors=(400, 401, 403, 503),
                  description="The Server-Timing header gives the time spent on the server (auth, suggest, total)."),
    },
    "/api/v1/operator/directory": {
        "get": op("Choices of the record form: channels, resolutions, wards, categories, windows and offices "
                  "(operator)", tag="operator", auth=True, ok=ref("OperatorDirectory"), errors=(401, 403, 503)),
    },
    "/api/v1/operator/ws": {
        "get": op("The operators' live-chat queue (WebSocket; operator)", tag="operator", auth=True, ok_status=101,
                  ok_description="Switching Protocols",
                  description="JSON text frames (claim, claim_next, history, reply, close, ping); the protocol is "
                              "described in contact/operator.py. Browsers must connect from this service's origin.",
                  errors=(400, 401, 403)),
    },
})


def _version() -> str:
    try:
        return metadata.version("contact-kawasaki")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def build_spec(settings: Settings, kb: KnowledgeBase | None = None) -> dict[str, Any]:
    """The OpenAPI document for a server with these settings (and this knowledge base, when loaded)."""
    schemas = copy.deepcopy(SCHEMAS)
    schemas["AskRequest"]["properties"]["text"]["maxLength"] = settings.max_text_chars
    schemas["FeedbackRequest"]["properties"]["comment"]["maxLength"] = settings.max_text_chars
    paths = copy.deepcopy(PATHS)
    if kb is not None:  # the ids this server knows, so that clients (and schemathesis) can pick real ones
        offices = sorted(o.id for o in kb.offices.values() if o.hours is not None and o.hours.profile is not None)
        for path in ("/api/v1/openings", "/api/v1/openings.ics"):
            for param in paths[path]["get"]["parameters"]:
                if param["name"] == "office" and offices:
                    param["schema"] = {**STR, "enum": offices}
        entry_param = paths["/api/v1/entries/{entry_id}"]["get"]["parameters"][0]
        example = "juminhyo" if kb.get("juminhyo") is not None else next(iter(sorted(kb.offices)), "juminhyo")
        entry_param["schema"] = {**STR, "example": example}
    responses: dict[str, Any] = {}
    for status, description in ERROR_RESPONSES.items():
        response: dict[str, Any] = {"description": description,
                                    "content": {"application/json": {"schema": ref("Error")}}}
        if status == 429:
            response["headers"] = {"Retry-After": {"description": "seconds to wait", "required": True,
                                                   "schema": INT}}
        responses[f"E{status}"] = response
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "contact — a contact-center assistant for a Japanese city",
            "version": _version(),
            "description": "Citizens' questions answered from the city's knowledge base, with sources. Errors are "
                           "always {\"error\": {\"code\", \"message\"}}. Citizen endpoints are rate limited per "
                           "client address and answer CORS preflights for the configured widget origins.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": responses,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "an API token from `contact users token NAME`"},
                "session": {"type": "apiKey", "in": "cookie", "name": "contact_session",
                            "description": "set by POST /api/v1/login; state changes also need X-CSRF-Token"},
            },
        },
    }


routes = web.RouteTableDef()


@routes.get("/api/v1/openapi.json")
async def openapi_json(request: web.Request) -> web.Response:
    """The OpenAPI description of this server's API."""
    knowledge = request.app[KNOWLEDGE]
    spec = build_spec(request.app[SETTINGS], knowledge.engine.kb if knowledge.ready else None)
    return web.json_response(spec, headers={"Cache-Control": "no-cache"})
