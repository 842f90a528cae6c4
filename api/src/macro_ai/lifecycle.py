"""Process lifecycle shared by the server and the app: start time, in-flight work, draining."""

from __future__ import annotations

import asyncio
import time


class Lifecycle:
    def __init__(self) -> None:
        self.started_monotonic = time.monotonic()
        self.draining = False
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def uptime_seconds(self) -> float:
        return time.monotonic() - self.started_monotonic

    def request_started(self) -> None:
        self.in_flight += 1
        self._idle.clear()

    def request_finished(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self._idle.set()

    def begin_drain(self) -> None:
        """Readiness answers 503 from now on; requests in flight keep running."""
        self.draining = True

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is in flight; False if the timeout ran out first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True
