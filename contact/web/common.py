"""What every handler shares: the request body as JSON, and the loaded matcher (503 until it is loaded).

The handlers of :mod:`contact.web` stay thin: they parse with these, call the plain-Python core
(:mod:`contact.assistant`, :mod:`contact.chat`, :mod:`contact.store`, :mod:`contact.analysis`) and
return JSON; errors raised as :class:`contact.errors.ApiError` become JSON in one middleware.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from contact.errors import BadRequest, Unavailable
from contact.web.keys import KNOWLEDGE
from intents.engine import Engine


async def read_json(request: web.Request) -> Any:
    """The request body as JSON; 413 past the size limit (aiohttp), 400 when it is not JSON."""
    raw = await request.read()
    if not raw:
        raise BadRequest("the request body is empty; send a JSON object", "invalid_json")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadRequest("the request body must be UTF-8", "invalid_json") from exc
    except (ValueError, RecursionError) as exc:  # ValueError: also integers past Python's 4300-digit limit
        raise BadRequest("the request body is not valid JSON", "invalid_json") from exc


def ready_engine(request: web.Request) -> Engine:
    """The loaded matcher (and its knowledge base); 503 while the knowledge base is not loaded yet."""
    knowledge = request.app[KNOWLEDGE]
    if not knowledge.ready:
        raise Unavailable("the knowledge base is not loaded yet")
    return knowledge.engine
