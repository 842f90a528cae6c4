"""The per-request log line, written straight to stdout with orjson.

Same fields and format as every other log line (see ``macro_ai.logs``), without structlog's
processor chain: this runs once per request and is the largest part of the middleware's cost.
Only fields we choose are written, so no header, cookie or body can reach the log.
"""

from __future__ import annotations

import datetime
import sys
from typing import BinaryIO

import orjson

_UTC = datetime.UTC


class AccessLog:
    def __init__(self, stream: BinaryIO | None = None, enabled: bool = True) -> None:
        self._stream = stream or sys.stdout.buffer
        self.enabled = enabled

    def write(
        self, request_id: str, method: str, path: str, status: int, duration_ms: float, client_ip: str
    ) -> None:
        if not self.enabled:
            return
        self._stream.write(
            orjson.dumps(
                {
                    "time": datetime.datetime.now(_UTC),  # orjson writes RFC 3339 itself, faster
                    "level": "info" if status < 500 else "error",
                    "message": "request",
                    "request_id": request_id,
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": round(duration_ms, 2),
                    "client_ip": client_ip,
                },
                option=orjson.OPT_APPEND_NEWLINE | orjson.OPT_UTC_Z,  # "...Z", as structlog writes
            )
        )
