"""JSON lines on stdout, the format CloudWatch Logs and the awslogs driver expect.

structlog renders with orjson straight to stdout's buffer; the standard library's loggers
(uvicorn, SQLAlchemy, Alembic) go through the same renderer. A redaction step drops the values of
keys that look sensitive, so a careless ``log.info(..., password=...)`` still leaks nothing.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

import orjson
import structlog

_SENSITIVE = re.compile(r"pass(word)?|secret|token|cookie|authori[sz]ation|api[_-]?key|credential", re.I)
REDACTED = "[redacted]"
# The current request's id, set once per request by the edge (macro_ai.web.edge) and added to
# every log line written while handling it (one context variable: cheaper than structlog's
# general-purpose contextvars binding on the hot path).
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


def add_request_id(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in event:
        if _SENSITIVE.search(key):
            event[key] = REDACTED
    return event


def _dumps(event: Any, **_: Any) -> bytes:
    return orjson.dumps(event, default=str)


def configure_logging(level: str = "info") -> None:
    numeric = logging.getLevelName(level.upper())
    shared: list[Any] = [
        add_request_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        redact,
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.processors.EventRenamer("message"),
            structlog.processors.JSONRenderer(serializer=_dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.BytesLoggerFactory(sys.stdout.buffer),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.EventRenamer("message"),
            structlog.processors.JSONRenderer(
                serializer=lambda e, **_: orjson.dumps(e, default=str).decode()
            ),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Requests are logged once, by our middleware, with the request id.
    logging.getLogger("uvicorn.access").disabled = True
