"""Request bodies: bounded before they are read, and JSON bodies valid UTF-8.

A declared ``Content-Length`` over the limit is refused with 413 before a byte of the body is read
(uvicorn stops reading the socket while nobody consumes the body). A body without a length (chunked)
is read up to the limit and refused as soon as it passes it. Every route here parses its body whole
anyway, so holding it (at most the limit) costs nothing extra; requests without a body pass untouched.

JSON must be UTF-8 (RFC 8259); FastAPI would answer anything else with an undocumented 400.
"""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from macro_ai.errors import error_response

TOO_LARGE_TYPE = "PayloadTooLarge"
NOT_UTF8_MESSAGE = "Request body is not valid UTF-8 JSON"


def _is_json(content_type: bytes | None) -> bool:
    """Whether FastAPI would parse the body as JSON: no content type, or a JSON media type."""
    if content_type is None:
        return True
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


class RequestBodyGuard:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not async: a request without a body passes with no frame added to its await chain.
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        length: bytes | None = None
        chunked = False
        content_type: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"content-type":
                content_type = value
        if (length is None and not chunked) or length == b"0":
            return self.app(scope, receive, send)
        if length is not None:
            if not length.isdigit():
                return error_response(400, "Invalid Content-Length")(scope, receive, send)
            if int(length) > self.max_bytes:
                return self._too_large(scope, receive, send)
        return self._read_then_pass(scope, receive, send, content_type)

    async def _read_then_pass(
        self, scope: Scope, receive: Receive, send: Send, content_type: bytes | None
    ) -> None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away mid-body: nobody to answer
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _is_json(content_type):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as error:
                details = [{"path": "body", "message": f"invalid UTF-8 at byte {error.start}"}]
                await error_response(422, NOT_UTF8_MESSAGE, "ValidationError", details)(scope, receive, send)
                return
        await self.app(scope, _replay(body, receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The rest of the body stays unread, so the connection cannot carry another request.
        response = error_response(
            413,
            f"Request body larger than {self.max_bytes} bytes",
            TOO_LARGE_TYPE,
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


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
