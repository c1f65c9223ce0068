"""Validation of request bodies: plain functions from parsed JSON to typed requests.

Every failure raises :class:`contact.errors.BadRequest` naming the field, so a
handler never sees a malformed value and a client always learns what was wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, get_args

from contact.errors import BadRequest
from knowledge.schema import WARDS

Channel = Literal["web", "phone", "fax", "mail", "visit", "chat", "operator"]
Lang = Literal["ja", "en"]
CHANNELS: tuple[str, ...] = get_args(Channel)
LANGS: tuple[str, ...] = get_args(Lang)
_INQUIRY_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
"""The form of the session ids the server issues (``uuid.uuid4().hex``). A client's ``session_id`` of any
other form (a phone number, a name …) is neither stored nor logged: the request gets a new session."""


@dataclass(frozen=True)
class AskRequest:
    text: str
    session_id: str | None
    ward: str | None
    channel: str
    lang: str
    debug: bool = False
    pick_of: str | None = None
    """The inquiry whose offered candidates this question picks one of (the widget's clarify buttons)."""


@dataclass(frozen=True)
class FeedbackRequest:
    inquiry_id: str
    helpful: bool
    comment: str | None


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object", "invalid_body")
    return body


def _clean(text: str) -> str:
    """Replace lone surrogates (valid in JSON escapes, not in UTF-8) so the text can be stored."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string", "invalid_field")
    return _clean(value)


def _choice(body: dict[str, Any], name: str, choices: tuple[str, ...], default: str) -> str:
    value = _optional_str(body, name)
    if value is None:
        return default
    if value not in choices:
        raise BadRequest(f"'{name}' must be one of: {', '.join(choices)}", "invalid_field")
    return value


def parse_ask(body: Any, max_chars: int) -> AskRequest:
    body = _object(body)
    if "text" not in body:
        raise BadRequest("'text' is required", "missing_field")
    text = body["text"]
    if not isinstance(text, str):
        raise BadRequest("'text' must be a string", "invalid_field")
    text = _clean(text).strip()
    if not text:
        raise BadRequest("'text' must not be empty", "invalid_field")
    if len(text) > max_chars:
        raise BadRequest(f"'text' must be at most {max_chars} characters", "text_too_long")
    session_id = _optional_str(body, "session_id")
    if session_id is not None and not SESSION_ID.match(session_id):
        session_id = None  # not one the server issued: a new session is issued instead
    ward = _optional_str(body, "ward")
    if ward is not None and ward not in WARDS:
        raise BadRequest(f"'ward' must be one of: {', '.join(WARDS)}", "invalid_field")
    debug = body.get("debug", False)
    if not isinstance(debug, bool):
        raise BadRequest("'debug' must be true or false", "invalid_field")
    pick_of = _optional_str(body, "pick_of")
    if pick_of is not None and not _INQUIRY_ID.match(pick_of):
        raise BadRequest("'pick_of' must be an inquiry id", "invalid_field")
    return AskRequest(
        text=text,
        session_id=session_id,
        ward=ward,
        channel=_choice(body, "channel", CHANNELS, "web"),
        lang=_choice(body, "lang", LANGS, "ja"),
        debug=debug,
        pick_of=pick_of,
    )


def parse_feedback(body: Any, max_chars: int) -> FeedbackRequest:
    body = _object(body)
    inquiry_id = _optional_str(body, "inquiry_id")
    if not inquiry_id:
        raise BadRequest("'inquiry_id' is required", "missing_field")
    helpful = body.get("helpful")
    if not isinstance(helpful, bool):
        raise BadRequest("'helpful' must be true or false", "invalid_field")
    comment = _optional_str(body, "comment")
    if comment is not None:
        comment = comment.strip() or None
    if comment and len(comment) > max_chars:
        raise BadRequest(f"'comment' must be at most {max_chars} characters", "text_too_long")
    return FeedbackRequest(inquiry_id=inquiry_id, helpful=helpful, comment=comment)
