"""Targets in HAProxy's backends, handled the way the ALB handles a target group.

Register: the instance's address goes on a free slot, which then must pass the health check.
Deregister: the slot drains (no new requests; in-flight ones continue); it is released as soon as it has
no sessions left, or when the deregistration delay is over, when the remaining sessions are closed, as the
ALB closes them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from macro_ai_deploy.rehearsal.haproxy import HaproxyError, RuntimeApi, slot_names


@dataclass(frozen=True)
class DrainResult:
    server: str
    waited_seconds: float
    cut_sessions: int  # sessions still open when the deregistration delay ran out (closed by the balancer)


class Targets:
    def __init__(self, api: RuntimeApi) -> None:
        self.api = api

    def _state(self, fleet: str) -> dict[str, str]:
        return {
            r.server: r.status
            for r in self.api.stats()
            if r.proxy == fleet and r.server not in ("BACKEND", "FRONTEND")
        }

    def free_slot(self, fleet: str) -> str:
        states = self._state(fleet)
        for name in slot_names(fleet):
            if states.get(name) == "MAINT":
                return name
        raise HaproxyError(f"no free slot in backend {fleet}")

    def register(self, fleet: str, port: int) -> str:
        slot = self.free_slot(fleet)
        for cmd in (
            f"set server {fleet}/{slot} addr 127.0.0.1 port {port}",
            f"set server {fleet}/{slot} state ready",
        ):
            self.api.command(cmd)
        return slot

    def wait_healthy(self, fleet: str, slot: str, timeout: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self._state(fleet).get(slot) == "UP":
                return time.monotonic() - started
            time.sleep(0.2)
        raise HaproxyError(f"{fleet}/{slot} not healthy within {timeout:.0f} s")

    def healthy(self, fleet: str) -> int:
        return sum(1 for status in self._state(fleet).values() if status == "UP")

    def deregister(self, fleet: str, slot: str, delay_seconds: float) -> DrainResult:
        self.api.command(f"set server {fleet}/{slot} state drain")
        started = time.monotonic()
        open_sessions = 0
        while True:
            row = self.api.server(fleet, slot)
            open_sessions = row.current_sessions if row else 0
            if open_sessions == 0 or time.monotonic() - started >= delay_seconds:
                break
            time.sleep(0.1)
        if open_sessions:
            self.api.command(f"shutdown sessions server {fleet}/{slot}")
        self.api.command(f"set server {fleet}/{slot} state maint")
        return DrainResult(f"{fleet}/{slot}", time.monotonic() - started, open_sessions)
