"""structlog configured once, at the entry point: JSON lines on stdout with the request id bound.

Nothing logged here contains raw citizen text: handlers log masked text or none.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog


def configure(level: str = "info", json: bool = True, stream: TextIO | None = None) -> None:
    """Configure structlog and the standard library's root logger (aiohttp's access log).

    The service logs JSON to stdout; command-line tools pass ``stream=sys.stderr`` so that their
    output (a token, a report) stays clean on stdout.
    """
    stream = stream or sys.stdout
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
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=numeric, stream=stream, format="%(message)s", force=True)
    # aiohttp's access log would print request lines with query strings: our middleware logs instead.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
