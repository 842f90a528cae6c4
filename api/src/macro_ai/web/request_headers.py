"""The request headers the edge reads, found in one pass over the header list.

Every request passes the edge, and each of its steps used to scan the headers for its own one.
"""

from __future__ import annotations

import random
import re

_SAFE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_TRACE_ROOT = re.compile(r"Root=([A-Za-z0-9-]{1,64})")

# A header not listed here is not looked at; the last occurrence of a listed one wins.
_FIELDS = {
    b"x-request-id": "request_id",
    b"x-amzn-trace-id": "trace_id",
    b"x-forwarded-for": "forwarded_for",
    b"origin": "origin",
    b"access-control-request-method": "preflight_method",
    b"x-api-key": "api_key",
    b"content-length": "content_length",
    b"transfer-encoding": "transfer_encoding",
    b"content-type": "content_type",
}


class RequestHeaders:
    __slots__ = tuple(_FIELDS.values())

    request_id: bytes | None
    trace_id: bytes | None
    forwarded_for: bytes | None
    origin: bytes | None
    preflight_method: bytes | None
    api_key: bytes | None
    content_length: bytes | None
    transfer_encoding: bytes | None
    content_type: bytes | None

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        for field in _FIELDS.values():
            setattr(self, field, None)
        for name, value in headers:
            if (found := _FIELDS.get(name)) is not None:
                setattr(self, found, value)

    def request_id_or_new(self) -> str:
        """The caller's ``X-Request-Id`` if it is safe to log, else the ALB trace root, else a new id."""
        if self.request_id is not None:
            candidate = self.request_id.decode("latin-1")
            if _SAFE_ID.fullmatch(candidate):
                return candidate
        if self.trace_id is not None and (match := _TRACE_ROOT.search(self.trace_id.decode("latin-1"))):
            return match.group(1)
        # 128 random bits, as unique as a uuid4; an id, not a secret, so no system call for it.
        return f"{random.getrandbits(128):032x}"

    @property
    def has_body(self) -> bool:
        return self.transfer_encoding is not None or (
            self.content_length is not None and self.content_length != b"0"
        )
