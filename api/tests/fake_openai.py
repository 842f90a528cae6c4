"""An OpenAI-compatible chat completions server on a real loopback socket, with knobs for the
streaming tests: pace, a gate before the rest of the reply, a failure mid-stream, an error."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from macro_ai_devstack.testing import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass
class Script:
    chunks: list[str] = field(default_factory=lambda: ["Hello", " there", "!"])
    delay: float = 0.0
    gate_after_first: threading.Event | None = None  # hold the rest until the test releases it
    fail_after: int | None = None  # abort the connection after this many chunks
    status: int = 200


class FakeOpenAI:
    def __init__(self) -> None:
        self.script = Script()
        self.sent: list[str] = []
        self.finished = threading.Event()
        self.disconnected = threading.Event()
        self.requests: list[dict[str, object]] = []
        self.port = free_port()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reset(self, script: Script) -> None:
        self.script = script
        self.sent = []
        self.finished.clear()
        self.disconnected.clear()

    async def completions(self, request: Request) -> Response:
        self.requests.append(await request.json())
        script = self.script
        if script.status != 200:
            return JSONResponse(
                {"error": {"message": "upstream broke", "type": "server_error"}}, status_code=script.status
            )

        async def events() -> AsyncIterator[bytes]:
            completed = False
            try:
                for index, text in enumerate(script.chunks):
                    if script.fail_after is not None and index == script.fail_after:
                        raise RuntimeError("provider crashed mid-stream")
                    if script.delay:
                        await asyncio.sleep(script.delay)
                    chunk = {
                        "id": "c1",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": "fake",
                        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
                    }
                    yield f"data: {json.dumps(chunk)}\n\n".encode()
                    self.sent.append(text)
                    if index == 0 and script.gate_after_first is not None:
                        while not script.gate_after_first.is_set():
                            await asyncio.sleep(0.01)
                yield b"data: [DONE]\n\n"
                completed = True
                self.finished.set()
            finally:
                if not completed and script.fail_after is None:
                    self.disconnected.set()

        return StreamingResponse(events(), media_type="text/event-stream")


@contextmanager
def fake_openai_server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    app = Starlette(routes=[Route("/v1/chat/completions", fake.completions, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=fake.port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)
