"""structlog configured once, at the entry point: JSON lines on stdout with the request id bound.

Nothing logged here contains raw citizen text: handlers log masked text or none.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure(level: str = "info", json: bool = True) -> None:
    """Configure structlog and the standard library's root logger (aiohttp's access log)."""
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
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=numeric, stream=sys.stdout, format="%(message)s")
    # aiohttp's access log would print request lines with query strings: our middleware logs instead.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
