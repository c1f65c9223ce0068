"""HTTP-facing errors of the service, mapped to JSON error bodies in one middleware.

Hierarchy::

    ApiError                  status + machine code + human message
    ├── BadRequest            400 bad_request / invalid_json / invalid_field
    ├── Forbidden             403 forbidden
    ├── NotFound              404 not_found
    ├── PayloadTooLarge       413 payload_too_large
    └── Unavailable           503 unavailable

    StartupError              the service cannot start (invalid knowledge base …)
"""

from __future__ import annotations


class ApiError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def body(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(ApiError):
    status = 400
    code = "bad_request"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"


class Unavailable(ApiError):
    status = 503
    code = "unavailable"


class StartupError(Exception):
    """The service cannot start; the message says why, for the operator starting it."""
