"""Serving with a graceful drain that a load balancer can follow.

On SIGTERM (an ECS stop, scale-in or deployment) readiness answers 503 at once, and the instance
keeps accepting and serving new requests for as long as a load balancer needs to notice that (the
contract's detection time plus one health-check timeout): closing the listener earlier makes the
balancer send requests to a closed port. Only then does it stop accepting, give requests and streams
in flight up to ``drain_seconds`` to finish, run the lifespan shutdown and exit 0. Ctrl-C skips the
accepting phase (no balancer is watching a terminal); a second signal stops at once.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
from types import FrameType

import uvicorn
from macro_ai_contract import ServiceContract, load_contract

from macro_ai.lifecycle import Lifecycle

YOUNG_COLLECTION_ALLOCATIONS = 50_000
# After the drain, uvicorn's own wait for idle keep-alive connections.
CONNECTION_CLOSE_GRACE_SECONDS = 2

log = logging.getLogger("macro_ai.server")


class DrainingServer(uvicorn.Server):
    def __init__(
        self, config: uvicorn.Config, lifecycle: Lifecycle, *, accept_seconds: float, drain_seconds: float
    ) -> None:
        super().__init__(config)
        self.lifecycle = lifecycle
        self.accept_seconds = accept_seconds
        self.drain_seconds = drain_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain_task: asyncio.Task[None] | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # Everything built at start (modules, the app, pools: about 180,000 objects) lives as long as
        # the process: moved out of the collector's sight, a full collection walks only what requests
        # made. No collection first: it found about 800 unreachable objects and cost 70 ms of start-up.
        gc.freeze()
        # Young collections far apart: a request's objects are freed by reference counting as it
        # ends, so a young collection finds little to free but still walks every object in flight.
        # With collection off entirely /api/health/live served 11 % more and /api/system-info 21 %
        # more; with these thresholds most of that is back (docs/benchmarks.md).
        gc.set_threshold(YOUNG_COLLECTION_ALLOCATIONS, 20, 20)
        gc.enable()  # macro_ai.cli disabled it for the imports

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Not recorded in _captured_signals: uvicorn would re-raise it after serving and the
        # process would end by the signal instead of exiting 0.
        if self.lifecycle.draining or self._loop is None:
            self.should_exit = True
            self.force_exit = self.lifecycle.draining and sig == signal.SIGINT
            return
        self.lifecycle.begin_drain()
        # Ctrl-C comes from a person at a terminal, not from an orchestrator behind a balancer.
        accept_seconds = 0.0 if sig == signal.SIGINT else self.accept_seconds
        self._loop.call_soon_threadsafe(self._start_drain, accept_seconds)

    def _start_drain(self, accept_seconds: float) -> None:
        self._drain_task = asyncio.ensure_future(self._drain(accept_seconds))

    async def _drain(self, accept_seconds: float) -> None:
        log.info("draining: readiness is 503, still accepting for %ss", accept_seconds)
        await asyncio.sleep(accept_seconds)
        for server in self.servers:
            server.close()
        log.info(
            "stopped accepting; waiting up to %ss for %d in flight",
            self.drain_seconds,
            self.lifecycle.in_flight,
        )
        await self.lifecycle.wait_idle(self.drain_seconds)
        self.should_exit = True


def uvicorn_config(app: object, host: str, port: int, contract: ServiceContract) -> uvicorn.Config:
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        ws="none",  # the API has no WebSocket route; "auto" imports the websockets package at start
        lifespan="on",
        access_log=False,
        log_config=None,
        server_header=False,
        proxy_headers=False,  # client IPs are resolved by our trusted-hops rule instead
        # Longer than the load balancer's idle timeout, so the balancer closes idle connections first
        # and never reuses one the app has just closed (a 502).
        timeout_keep_alive=contract.keep_alive_timeout_seconds,
        timeout_graceful_shutdown=CONNECTION_CLOSE_GRACE_SECONDS,
    )


def draining_server(
    app: object, host: str, port: int, lifecycle: Lifecycle, drain_seconds: float
) -> DrainingServer:
    """The server as ``macro-ai serve`` runs it: keep-alive and drain timing from the service contract
    (``MACRO_AI_SERVICE_CONTRACT`` names another contract file, as tests do), the in-flight grace from
    the ``SHUTDOWN_DRAIN_SECONDS`` setting."""
    contract = load_contract()
    return DrainingServer(
        uvicorn_config(app, host, port, contract),
        lifecycle,
        accept_seconds=contract.accept_after_sigterm_seconds,
        drain_seconds=drain_seconds,
    )
