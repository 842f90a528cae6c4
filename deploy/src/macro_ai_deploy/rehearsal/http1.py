"""A small HTTP/1.1 keep-alive client on asyncio streams, for the load generator.

Why not httpx: with hundreds of open connections (every streamed reply holds one for seconds) its pool
costs more CPU per request than the service does, and a load generator that falls behind measures itself.
This client keeps a stack of idle connections to one host and reads Content-Length and chunked bodies.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class ProtocolError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    def __init__(self, host: str, port: int, timeout: float = 120.0, max_idle: float = 30.0) -> None:
        # max_idle: below the balancer's idle timeout, so a connection is never reused as it closes
        self.host, self.port, self.timeout, self.max_idle = host, port, timeout, max_idle
        self._idle: list[tuple[float, asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        on_chunk: Callable[[bytes], None] | None = None,
    ) -> Response:
        return await asyncio.wait_for(
            self._request(method, path, headers or {}, json_body, on_chunk), self.timeout
        )

    async def _request(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        json_body: Any,
        on_chunk: Callable[[bytes], None] | None,
    ) -> Response:
        reader, writer = await self._connection()
        try:
            body = b"" if json_body is None else json.dumps(json_body).encode()
            lines = [
                f"{method} {path} HTTP/1.1",
                f"Host: {self.host}:{self.port}",
                f"Content-Length: {len(body)}",
            ]
            if json_body is not None:
                lines.append("Content-Type: application/json")
            lines += [f"{k}: {v}" for k, v in headers.items()]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            status_line = await reader.readline()
            if not status_line:
                raise ProtocolError("connection closed before the status line")
            parts = status_line.decode("latin-1").split(" ", 2)
            response = Response(int(parts[1]))
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                key, _, value = line.decode("latin-1").partition(":")
                response.headers[key.strip().lower()] = value.strip()
            response.body = await self._body(reader, response, on_chunk)
        except BaseException:
            writer.close()
            raise
        if response.headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self._idle.append((time.monotonic(), reader, writer))
        return response

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """The most recently used idle connection that the balancer cannot have closed yet, or a new one."""
        while self._idle:
            since, reader, writer = self._idle.pop()
            if time.monotonic() - since < self.max_idle and not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection(self.host, self.port)

    @staticmethod
    async def _body(
        reader: asyncio.StreamReader, response: Response, on_chunk: Callable[[bytes], None] | None
    ) -> bytes:
        if response.headers.get("transfer-encoding", "").lower() == "chunked":
            collected: list[bytes] = []
            while True:
                size_line = await reader.readline()
                if not size_line:
                    raise ProtocolError("stream cut: connection closed inside a chunked body")
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while (trailer := await reader.readline()) not in (b"\r\n", b"\n"):
                        if not trailer:
                            raise ProtocolError("stream cut: connection closed before the last chunk ended")
                    return b"".join(collected)
                data = await reader.readexactly(size + 2)
                collected.append(data[:-2])
                if on_chunk is not None:
                    on_chunk(data[:-2])
        length = response.headers.get("content-length")
        if length is not None:
            return await reader.readexactly(int(length))
        return await reader.read()

    def close(self) -> None:
        for _, _, writer in self._idle:
            writer.close()
        self._idle.clear()
