"""The OpenAPI 3.0 description of the HTTP API, served at ``GET /api/v1/openapi.json``.

Adding an endpoint
------------------

Add one entry to :data:`PATHS` (path written as in aiohttp, ``{name}`` for a path parameter), built
with :func:`~contact.web.openapi_schemas.op`; put new body shapes in
:data:`contact.web.openapi_schemas.SCHEMAS` and refer to them with ``ref``::

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
from importlib import metadata
from typing import Any

from aiohttp import web

from contact.analysis import phrasings, stats, words
from contact.analysis.filters import CHANNELS, KINDS, NONE, RESOLUTIONS, VOICE_TYPES
from contact.config import Settings
from contact.web.keys import KNOWLEDGE, SETTINGS
from contact.web.openapi_editor import EDITOR_PATHS, EDITOR_SEMANTIC_ERRORS
from contact.web.openapi_schemas import (
    BOOL,
    DATE,
    DATE_OR_EMPTY,
    ERROR_RESPONSES,
    INT,
    NUM,
    SCHEMAS,
    STR,
    TEXT,
    Schema,
    array,
    choice_list,
    choice_or_empty,
    int_or_empty,
    nullable,
    num_or_empty,
    obj,
    op,
    path_param,
    query,
    ref,
    value_list,
)
from knowledge.audit import KINDS as FINDING_KINDS
from knowledge.loader import KnowledgeBase
from knowledge.schema import WARDS

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
    query("ward", "ward(s), comma-separated or repeated; none: no ward", schema=choice_list((*WARDS, NONE))),
    query("channel", "channel(s): web, phone, fax, mail, visit, chat, operator", schema=choice_list((*CHANNELS, NONE))),
    query("category", "category(ies), at most 100 characters each", schema=value_list(100)),
    query("kind", "answer, clarify, fallback, handoff, smalltalk, operator", schema=choice_list((*KINDS, NONE))),
    query("resolution", "answered, forwarded, callback, complaint", schema=choice_list((*RESOLUTIONS, NONE))),
    query("voice_type", "問い合わせ, 意見・要望, 苦情, 提案, 感謝", schema=choice_list((*VOICE_TYPES, NONE))),
    query("entry_id", "matched entry id(s), at most 100 characters each", schema=value_list(100)),
    query("helpful", "true, false, none (not rated) or rated",
          schema=choice_or_empty(["true", "false", "none", "rated"])),
    query("q", "words that must all occur in the text, note or entry title", schema={**STR, "maxLength": 200}),
]
"""The filters every staff list and statistic takes (contact.analysis.filters); bad values are 400."""
STAFF_ERRORS = (400, 401, 403)


def _staff(summary: str, *params: Schema, ok: Schema | None = None, ok_type: str = "application/json",
           description: str | None = None, dates: bool = True) -> dict[str, Any]:
    filters = [f for f in STAFF_FILTERS if dates or f["name"] not in ("from", "to")]
    return op(summary, tag="staff", auth=True, params=[*filters, *params], ok=ok or ref("StaffView"),
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
                  description="JSON text frames; the protocol is described in contact/web/chat.py. Browsers may "
                              "connect from this service's own pages and the widget_origins only.",
                  errors=(400, 403, *CITIZEN)),
    },
    "/api/v1/admin/reload": {
        "post": op("Reload the knowledge base", tag="admin", ok=ref("Reload"), auth=True,
                   description="The admin token (CONTACT_ADMIN_TOKEN, else the file made at first start), an "
                               "admin's token or sign-in. One at a time, reload_interval seconds apart "
                               "(429 with Retry-After). A base with problems is refused (422) and the old one "
                               "keeps serving; a good one is broadcast on the store's event bus, so every "
                               "worker and node reloads.",
                   errors=(401, 403, 429),
                   extra_responses={"422": {"description": "The new base has problems; the old one keeps serving.",
                                            "content": {"application/json": {"schema": ref("Reload")}}}}),
    },
    "/api/v1/login": {
        "post": op("Sign in (sets the session cookie)", tag="accounts", body=ref("LoginRequest"), ok=ref("Me"),
                   description="JSON only (415 otherwise), from this service's own origin (403 csrf_failed for "
                               "a foreign Origin or Sec-Fetch-Site).",
                   errors=(*BODY, 401, 403, 415, 429)),
    },
    "/api/v1/logout": {
        "post": op("Sign out", tag="accounts", ok=ref("Ok"), auth=True, errors=(401, 403)),
    },
    "/api/v1/me": {
        "get": op("Who is signed in", tag="accounts", ok=ref("Me"), auth=True, errors=(401, 403)),
    },
    "/api/v1/audit": {
        "get": op("The audit log, newest first (admin)", tag="admin", ok=ref("AuditPage"), auth=True,
                  params=[query("limit", "at most this many rows (default 100; below 1 is 1, above 500 is 500)",
                                schema=INT),
                          query("before", "rows with a smaller id (paging)",
                                schema={**INT, "minimum": 1, "maximum": 2**63 - 1})],
                  errors=(400, 401, 403)),
    },
    "/api/v1/inquiries": {
        "get": _staff("The inquiry log, newest first (staff; audited)",
                      query("limit", "page size, 1..500 (default 50)", schema=int_or_empty(1, 500)),
                      query("offset", "rows to skip (default 0)", schema=int_or_empty(0, 10_000_000)),
                      query("order", "newest (default) or oldest", schema=choice_or_empty(["newest", "oldest"])),
                      ok=ref("InquiryPage")),
    },
    "/api/v1/inquiries.csv": {
        "get": _staff("The inquiry log as CSV for Excel (UTF-8 with BOM, CRLF; formula-safe cells)",
                      ok={"type": "string"}, ok_type="text/csv"),
    },
    "/api/v1/stats/summary": {
        "get": _staff("Totals, answer/fallback/handoff rates, satisfaction, counts by kind, channel, voice type, "
                      "top entries",
                      query("top", "how many top entries (1..100, default 10)", schema=int_or_empty(1, 100))),
    },
    "/api/v1/stats/volume": {
        "get": _staff("Inquiries per day, week (from Monday) or month",
                      query("period", "day (default), week or month", schema=choice_or_empty(stats.PERIODS)),
                      query("split", "also per ward, channel, category, voice_type, kind, resolution, entry or lang",
                            schema=choice_or_empty(stats.BREAKDOWNS))),
    },
    "/api/v1/stats/breakdown": {
        "get": _staff("Inquiries per ward, channel, category, voice type, kind, resolution, entry or language",
                      query("by", "the column (default category)", schema=choice_or_empty(stats.BREAKDOWNS)),
                      query("limit", "at most (1..1000, default 100)", schema=int_or_empty(1, 1000))),
    },
    "/api/v1/stats/gaps": {
        "get": _staff("Knowledge gaps: clusters of unanswered and low-confidence questions with the nearest entry",
                      query("max_confidence", "below this an answer counts as weak (0..1, default 0.6)",
                            schema=num_or_empty(0.0, 1.0)),
                      query("min_size", "smallest cluster listed (1..1000, default 2)", schema=int_or_empty(1, 1000)),
                      query("limit", "clusters listed (1..200, default 20)", schema=int_or_empty(1, 200)),
                      query("include_unhelpful", "also answers rated not helpful (true/false)",
                            schema=choice_or_empty(["false", "true"]))),
    },
    "/api/v1/stats/rising": {
        "get": _staff("Words and clusters jumping in the 7 days ending 'end' against the weeks before",
                      query("end", "last day of the week (default: 'to' or today)", schema=DATE_OR_EMPTY),
                      query("weeks", "baseline weeks (1..26, default 4)", schema=int_or_empty(1, 26)),
                      query("min_count", "least count this week (1..10000, default 5)",
                            schema=int_or_empty(1, 10_000)),
                      query("limit", "at most (1..100, default 10)", schema=int_or_empty(1, 100))),
    },
    "/api/v1/stats/words": {
        "get": _staff("The most frequent content words, per period",
                      query("period", "day, week or month (default)", schema=choice_or_empty(stats.PERIODS)),
                      query("limit", "words (1..300, default 30)", schema=int_or_empty(1, 300))),
    },
    "/api/v1/stats/cooccurrence": {
        "get": _staff("Word pairs occurring in the same inquiries (Jaccard)",
                      query("limit", "pairs (1..300, default 30)", schema=int_or_empty(1, 300)),
                      query("min_count", "least inquiries with both (1..10000, default 3)",
                            schema=int_or_empty(1, 10_000)),
                      query("vocabulary", "how many frequent words are paired (2..500, default 60)",
                            schema=int_or_empty(2, 500))),
    },
    "/api/v1/stats/kwic": {
        "get": _staff("Concordance (KWIC) lines of a word",
                      query("word", "the word (at most 50 characters)", required=True,
                            schema={**TEXT, "maxLength": 50}),
                      query("width", "characters of context (5..100, default 20)", schema=int_or_empty(5, 100)),
                      query("limit", "lines (1..500, default 50)", schema=int_or_empty(1, 500))),
    },
    "/api/v1/stats/crosstab": {
        "get": _staff("Cross table: words (or category, voice_type, kind, entry_id) × ward, channel or voice_type",
                      query("rows", "word (default), category, voice_type, kind or entry_id",
                            schema=choice_or_empty(words.ROW_FIELDS)),
                      query("columns", "ward (default), channel or voice_type",
                            schema=choice_or_empty(words.COLUMN_FIELDS)),
                      query("limit", "rows (1..200, default 20)", schema=int_or_empty(1, 200))),
    },
    "/api/v1/reports/monthly": {
        "get": _staff("The monthly report: one self-contained HTML page (charts, gaps, rising topics, voice types)",
                      query("month", "YYYY-MM from 1900-01 to 2199-12 (default, also when empty: this month)",
                            schema={"type": "string", "pattern": "^(?:(?:19|20|21)[0-9][0-9]-(?:0[1-9]|1[0-2]))?$"}),
                      query("download", "1: as an attachment"),
                      ok={"type": "string"}, ok_type="text/html", dates=False,
                      description="The filters narrow the report (e.g. one ward); the month sets the dates, so "
                                  "from and to are refused."),
    },
    "/api/v1/phrasings": {
        "get": op("Phrasings proposed from traffic, for review (staff)", tag="staff", auth=True,
                  params=[query("status", "pending (default), accepted, rejected or all",
                                schema=choice_or_empty((*phrasings.STATUSES, "all"))),
                          query("entry_id", "only proposals for this entry"),
                          query("limit", "1..500 (default 50)", schema=int_or_empty(1, 500)),
                          query("offset", "rows to skip", schema=int_or_empty(0, 10_000_000))],
                  ok=ref("PhrasingPage"), errors=STAFF_ERRORS),
    },
    "/api/v1/phrasings/{phrasing_id}": {
        "post": op("Accept or reject a proposed phrasing (staff; audited)", tag="staff", auth=True,
                   params=[path_param("phrasing_id", "the proposal's id")], body=ref("PhrasingDecision"),
                   ok=ref("Phrasing"), errors=(*BODY, 401, 403, 404),
                   description="Accepted phrasings reach the matcher through `contact kb learned --into KB_DIR`."),
    },
    "/api/v1/kb/findings": {
        "get": op("Stale and uncertain facts of the knowledge base (staff)", tag="staff", auth=True,
                  params=[query("kind", "comma-separated finding kinds (default: all): "
                                + ", ".join(FINDING_KINDS), schema=choice_list(FINDING_KINDS)),
                          query("max_age_days", "sources older than this are old-source (default 1095)",
                                schema=int_or_empty(1, 36_500)),
                          query("max_review_days", "reviews older than this are overdue (default 365)",
                                schema=int_or_empty(1, 36_500))],
                  ok=ref("KbFindings"), errors=(*STAFF_ERRORS, 503),
                  description="What `contact kb check` lists, with each entry's title, certainty, source, "
                              "source date and review date."),
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
        "get": op("Prometheus metrics", tag="meta", ok={"type": "string"}, ok_type="text/plain", auth=True,
                  description="The admin token (CONTACT_ADMIN_TOKEN, else the file made at first start), an "
                              "admin's token or sign-in.",
                  errors=(401, 403)),
    },
}

PATHS.update(EDITOR_PATHS)  # the knowledge editor (contact/web/openapi_editor.py)
PATHS["/api/v1/phrasings"]["get"]["summary"] = "Phrasings proposed from traffic, for review (staff, editor)"

# -- operator console (contact/web/operator.py, contact/chat/desk.py, contact/chat/suggest.py) --
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
        "text": {**TEXT, "minLength": 1,
                 "description": "what the caller asked (at most max_text_chars); stored masked"},
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
                                schema={**TEXT, "minLength": 1, "maxLength": 200}),
                          query("ward", "the caller's ward, when known (a ward in q wins)",
                                schema=choice_or_empty(WARDS)),
                          query("date", "the day asked about, YYYY-MM-DD (a date in q wins)", schema=DATE_OR_EMPTY),
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
                              "described in contact/web/operator.py. Browsers must connect from this service's origin.",
                  errors=(400, 401, 403)),
    },
})


_RANGE = {"invalid_range": "'from' is after 'to', or the range is longer than allowed"}
SEMANTIC_ERRORS: dict[tuple[str, str], dict[str, str]] = {
    **{("get", path): _RANGE for path, ops in PATHS.items() if "get" in ops
       and any(p["name"] == "from" for p in ops["get"].get("parameters", []))},
    ("get", "/api/v1/openings"): {**_RANGE, "unknown_window": "the office has no window of that name"},
    ("get", "/api/v1/openings.ics"): {**_RANGE, "unknown_window": "the office has no window of that name"},
    ("get", "/api/v1/reports/monthly"): {"month_not_begun": "the month is after the server's today"},
    **EDITOR_SEMANTIC_ERRORS,
    ("post", "/api/v1/inquiries"): {"missing_target": "resolution forwarded without forwarded_to",
                                    "unknown_entry": "entry_id names no entry of the knowledge base",
                                    "unknown_target": "forwarded_to names no window or office"},
}
"""The 400s a request valid per the schema can still get, because the rule spans parameters or depends on
the data (JSON Schema cannot say "from <= to"), by error code: published as ``x-semantic-errors`` on each
operation. Every other rule is in the schema, so that the description and the validation agree: the
schemathesis run (tests/test_openapi.py) fails on a schema-valid request refused with any other code, and
on a schema-violating one accepted."""


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
    for (method, path), codes in SEMANTIC_ERRORS.items():
        paths[path][method]["x-semantic-errors"] = dict(codes)
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
