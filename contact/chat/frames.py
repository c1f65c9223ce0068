"""Validation of WebSocket frame fields, shared by the citizens' chat and the operators' console.

A frame is one JSON object; every field a handler reads goes through one of these functions, which
return the value or raise :class:`contact.errors.BadRequest` naming the field (the socket answers an
``error`` frame and stays open). Nothing that comes back from here can break the reply: ids are plain
ASCII, texts have lone surrogates replaced by "?" as :mod:`contact.requests` does (they are valid in
JSON escapes, not in UTF-8, and would make the reply frame or the database write fail), and integers
fit SQLite's 64 bits.

>>> frame_id({"type": "ping", "id": "q-1"})
'q-1'
>>> frame_id({"type": "ping", "id": "\\ud800"})
Traceback (most recent call last):
...
contact.errors.BadRequest: 'id' must be 1-64 printable ASCII characters (it is echoed as reply_to)
"""

from __future__ import annotations

import re
from typing import Any

from contact.errors import BadRequest

MAX_ID_CHARS = 64
_ID = re.compile(r"^[\x21-\x7e]{1,64}$")
"""A client's frame id: printable ASCII without spaces (what widgets and consoles send: counters, UUIDs)."""
_HANDOFF_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_INT = 2**63 - 1


def frame_id(frame: dict[str, Any]) -> str | None:
    """The optional ``id`` a client gives a frame, echoed as ``reply_to``."""
    value = frame.get("id")
    if value is None:
        return None
    if not isinstance(value, str) or not _ID.match(value):
        raise BadRequest(f"'id' must be 1-{MAX_ID_CHARS} printable ASCII characters (it is echoed as reply_to)",
                         "invalid_field")
    return value


def handoff_id(frame: dict[str, Any]) -> str:
    """The required ``handoff_id`` of a chat in the queue."""
    value = frame.get("handoff_id")
    if value is None:
        raise BadRequest("'handoff_id' is required: the id of a chat in the queue", "missing_field")
    if not isinstance(value, str) or not _HANDOFF_ID.match(value):
        raise BadRequest("'handoff_id' must be the id of a chat in the queue (1-64 of A-Z, a-z, 0-9, '_', '-')",
                         "invalid_field")
    return value


def echo_handoff_id(frame: dict[str, Any]) -> str | None:
    """``handoff_id`` when it is well formed (to repeat in an error frame), else None."""
    value = frame.get("handoff_id")
    return value if isinstance(value, str) and _HANDOFF_ID.match(value) else None


def text(frame: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """A string field, lone surrogates replaced by "?"; length limits are the handler's."""
    value = frame.get(name)
    if value is None:
        if required:
            raise BadRequest(f"'{name}' is required", "missing_field")
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string", "invalid_field")
    return value.encode("utf-8", "replace").decode("utf-8")


def count(frame: dict[str, Any], name: str) -> int | None:
    """An optional integer >= 0 that fits a 64-bit column (a message id)."""
    value = frame.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_INT:
        raise BadRequest(f"'{name}' must be an integer from 0 to {MAX_INT}", "invalid_field")
    return value
