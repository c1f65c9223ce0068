"""HTTP-facing errors of the service, mapped to JSON error bodies in one middleware.

Hierarchy::

    ApiError                  status + machine code + human message
    ├── BadRequest            400 bad_request / invalid_json / invalid_field
    ├── Unauthorized          401 unauthorized (no or bad credentials; WWW-Authenticate is sent)
    ├── Forbidden             403 forbidden / csrf_failed
    ├── NotFound              404 not_found
    ├── PayloadTooLarge       413 payload_too_large
    ├── UnsupportedMediaType  415 unsupported_media_type
    ├── TooManyRequests       429 rate_limited / reload_running (Retry-After is sent)
    └── Unavailable           503 unavailable

    StartupError              the service cannot start (invalid knowledge base …)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


class ApiError(Exception):
    status = 500
    code = "internal_error"
    default_headers: Mapping[str, str] = MappingProxyType({})

    def __init__(self, message: str, code: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = dict(self.default_headers if headers is None else headers)
        if code:
            self.code = code

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(ApiError):
    status = 400
    code = "bad_request"


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"
    default_headers = MappingProxyType({"WWW-Authenticate": 'Bearer realm="contact"'})


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ApiError):
    status = 415
    code = "unsupported_media_type"


class TooManyRequests(ApiError):
    """429: pass ``headers={"Retry-After": seconds}``."""

    status = 429
    code = "rate_limited"


class Unavailable(ApiError):
    status = 503
    code = "unavailable"


class StartupError(Exception):
    """The service cannot start; the message says why, for the operator starting it."""


class Conflict(ApiError):
    """409: the resource changed since the version the request was based on."""

    status = 409
    code = "conflict"

    def __init__(self, message: str, current_version: int, current: object = None) -> None:
        super().__init__(message)
        self.current_version = current_version
        self.current = current

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "current_version": self.current_version,
                          "current": self.current}}


class Unprocessable(ApiError):
    """422: well-formed, but the result would not validate (a knowledge edit the loader refuses)."""

    status = 422
    code = "invalid_knowledge"

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "problems": self.problems}}
