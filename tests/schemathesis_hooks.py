"""A schemathesis check for tests/test_openapi.py (loaded with ``SCHEMATHESIS_HOOKS=tests.schemathesis_hooks``).

``valid_requests_are_accepted`` is schemathesis' ``positive_data_acceptance`` made exact for this API: a
request generated valid per the schema must not be refused with 400, unless the operation lists the error
code under ``x-semantic-errors`` (rules across parameters or about the data, such as ``from`` after ``to``;
see ``contact.web.openapi.SEMANTIC_ERRORS``). Any other 400 means that the description and the validation
disagree (finding 11 of issue #16).
"""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.check
def valid_requests_are_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        error = response.json()["error"]
        code, message = error["code"], error["message"]
    except Exception:  # not the API's JSON error (the HTTP parser's plain-text 400)
        code, message = None, response.text[:200]
    allowed = case.operation.definition.raw.get("x-semantic-errors", {})
    if code in allowed:
        return None
    raise AssertionError(f"a request valid per the schema was refused: 400 {code}: {message}")
