"""Serving with a graceful drain.

On SIGTERM (an ECS stop, scale-in or deployment) readiness answers 503 at once while the listener
stays open; requests and streams in flight get up to ``SHUTDOWN_DRAIN_SECONDS`` to finish; then
uvicorn closes the listener, runs the lifespan shutdown and the process exits 0. A second signal
stops at once.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from types import FrameType

import uvicorn

from macro_ai.lifecycle import Lifecycle

# After the drain, uvicorn's own wait for idle keep-alive connections.
CONNECTION_CLOSE_GRACE_SECONDS = 2


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle, drain_seconds: float) -> None:
        super().__init__(config)
        self.lifecycle = lifecycle
        self.drain_seconds = drain_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain_task: asyncio.Task[None] | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Not recorded in _captured_signals: uvicorn would re-raise it after serving and the
        # process would end by the signal instead of exiting 0.
        if self.lifecycle.draining or self._loop is None:
            self.should_exit = True
            self.force_exit = self.lifecycle.draining and sig == signal.SIGINT
            return
        self.lifecycle.begin_drain()
        self._loop.call_soon_threadsafe(self._start_drain)

    def _start_drain(self) -> None:
        self._drain_task = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        await self.lifecycle.wait_idle(self.drain_seconds)
        self.should_exit = True


def uvicorn_config(app: object, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_config=None,
        server_header=False,
        proxy_headers=False,  # client IPs are resolved by our trusted-hops rule instead
        timeout_keep_alive=65,  # longer than the ALB idle timeout (60 s), so the ALB closes first
        timeout_graceful_shutdown=CONNECTION_CLOSE_GRACE_SECONDS,
    )
