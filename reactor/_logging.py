"""structlog set-up, done once by the entry point (never at import)."""

from __future__ import annotations

import logging
import sys

import structlog


class _Foreign(logging.StreamHandler):  # type: ignore[type-arg]
    """What libraries log through the standard library (aiohttp's "Error handling
    request", asyncio's warnings), rendered as Reactor's own lines are."""


def configure(level: str = "info", json: bool = False) -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    threshold = logging.getLevelNamesMapping()[level.upper()]
    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            stamp,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        # One write per line (a print writes the line and its newline apart): lines
        # from `--workers`, which share stderr, never run into each other.
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Without a handler the standard library prints its records bare, a traceback over
    # many lines: not JSON under --log-json, and not filtered by --log-level.
    handler = _Foreign(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name,
                           structlog.processors.add_log_level, stamp],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer]))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Foreign)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(threshold)
