"""Static pages and scripts served from ``contact/static`` (no build step): cached by ETag, compressed."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent.parent / "static"


@functools.lru_cache(maxsize=32)
def _static(name: str) -> tuple[bytes, str]:
    data = (STATIC / name).read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:20] + '"'


def static_response(request: web.Request, name: str, content_type: str, cache: str = "no-cache") -> web.Response:
    """``contact/static/<name>`` with an ETag (304 when unchanged) and gzip when the client accepts it."""
    data, etag = _static(name)
    headers = {"Cache-Control": cache, "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    text = content_type.startswith("text/") or content_type.endswith(("+xml", "javascript"))
    response = web.Response(body=data, content_type=content_type, charset="utf-8" if text else None, headers=headers)
    if text:  # an icon or an image is compressed already
        response.enable_compression()
    return response


_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml",
          ".ico": "image/vnd.microsoft.icon"}


def asset_route(path: str, name: str, cache: str = "no-cache") -> web.RouteDef:
    """A GET route serving one static file, e.g. ``asset_route("/login", "login.html")``."""
    content_type = _TYPES[Path(name).suffix]

    async def handler(request: web.Request) -> web.Response:
        return static_response(request, name, content_type, cache)

    handler.__doc__ = f"The static file contact/static/{name}."
    return web.get(path, handler)
