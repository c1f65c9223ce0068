"""structlog configured once, at the entry point: JSON lines on stdout with the request id bound.

Nothing logged here contains raw citizen text: handlers log masked text or none.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO, cast

import structlog


class _Std:
    """``sys.stdout`` or ``sys.stderr`` as they are when a line is written (not when logging was set up),
    so that replacing them (pytest's capture, a daemon's redirection) never leaves a closed stream behind."""

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, text: str) -> int:
        return int(getattr(sys, self.name).write(text))

    def flush(self) -> None:
        getattr(sys, self.name).flush()


def configure(level: str = "info", json: bool = True, stderr: bool = False) -> None:
    """Configure structlog and the standard library's root logger (aiohttp's access log).

    The service logs JSON to stdout; command-line tools pass ``stderr=True`` so that their
    output (a token, a report) stays clean on stdout.
    """
    stream = cast(TextIO, _Std("stderr" if stderr else "stdout"))
    numeric = logging.getLevelName(level.upper())
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=False),
        structlog.processors.format_exc_info,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.WriteLoggerFactory(stream),  # one write per line: threads never interleave
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=numeric, stream=stream, format="%(message)s", force=True)
    # aiohttp's access log would print request lines with query strings: our middleware logs instead.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _BadRequestFilter) for f in server_log.filters):
        server_log.addFilter(_BadRequestFilter())


class _BadRequestFilter(logging.Filter):
    """aiohttp logs requests its HTTP parser refuses (a request line over 8 KiB, a bad header …) with the
    client's address and the offending bytes, which may hold a query string with personal data or a
    token: keep only the kind of error."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Error handling request"):
            error = record.exc_info[1] if record.exc_info else None
            record.msg = "http.bad_request refused by the HTTP parser: %s"
            record.args = (type(error).__name__ if error is not None else "unknown",)
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
