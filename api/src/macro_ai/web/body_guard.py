"""Request bodies: bounded before they are read, and JSON bodies valid UTF-8.

A declared ``Content-Length`` over the limit is refused with 413 before a byte of the body is read
(uvicorn stops reading the socket while nobody consumes the body). A body without a length (chunked)
is read up to the limit and refused as soon as it passes it. Every route here parses its body whole
anyway, so holding it (at most the limit) costs nothing extra; requests without a body pass untouched.

JSON must be UTF-8 (RFC 8259); FastAPI would answer anything else with an undocumented 400.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import Message, Receive

from macro_ai.errors import error_response

TOO_LARGE_TYPE = "PayloadTooLarge"
NOT_UTF8_MESSAGE = "Request body is not valid UTF-8 JSON"


def _is_json(content_type: bytes | None) -> bool:
    """Whether FastAPI would parse the body as JSON: no content type, or a JSON media type."""
    if content_type is None:
        return True
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


class BodyGuard:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def refusal_before_reading(self, content_length: bytes | None) -> Response | None:
        if content_length is None:
            return None  # chunked: counted while it is read
        if not content_length.isdigit():
            return error_response(400, "Invalid Content-Length")
        if int(content_length) > self.max_bytes:
            return self._too_large()
        return None

    async def read(self, receive: Receive, content_type: bytes | None) -> Receive | Response:
        """Read the body whole: a refusal, or a channel that replays it to the app.

        Raises ``ClientDisconnect`` when the client goes away mid-body: nobody is left to answer.
        """
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise ClientDisconnect
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _is_json(content_type):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as error:
                details = [{"path": "body", "message": f"invalid UTF-8 at byte {error.start}"}]
                return error_response(422, NOT_UTF8_MESSAGE, "ValidationError", details)
        return _replay(body, receive)

    def _too_large(self) -> Response:
        # The rest of the body stays unread, so the connection cannot carry another request.
        return error_response(
            413,
            f"Request body larger than {self.max_bytes} bytes",
            TOO_LARGE_TYPE,
            headers={"Connection": "close"},
        )


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, as one message; then the real channel (for ``http.disconnect``)."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
