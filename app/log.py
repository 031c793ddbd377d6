"""Structured logging: structlog everywhere, JSON outside development, request id bound.

Log lines carry ids and codes only. Query strings and bodies are never logged, because a
search by name or a request body can carry personal data.

Every line also says which process wrote it (``process``: ``api``, ``worker``,
``fake-notify``), named once at start-up with :func:`name_process`, so the interleaved output
of several processes (``make run``, a shared log store) can be told apart.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from app.settings import Settings

#: This process's name in every log line. Not a context variable: the request middleware
#: clears those at the start of each request.
_process: dict[str, str] = {}


def name_process(name: str) -> None:
    """Name this process in every log line from now on (``process=name``)."""
    _process["process"] = name


def _add_process(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Any:
    for key, value in _process.items():
        event.setdefault(key, value)
    return event


def configure_logging(settings: Settings) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _add_process,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.json_logs
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # uvicorn's access log prints the raw path and query string; ours logs the route template.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every outbound URL at INFO; ours carry ids only, but keep that to WARNING.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
