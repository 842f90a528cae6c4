"""The small interfaces through which the rollout touches the world (AWS, an emulator, a local LB)."""

from __future__ import annotations

from typing import Protocol

from macro_ai_deploy.rollout.model import GateReport, Weights


class TrafficRouter(Protocol):
    def get_weights(self) -> Weights: ...

    def set_weights(self, weights: Weights) -> None: ...


class Gate(Protocol):
    def check(self, weights: Weights) -> GateReport:
        """Is it safe for `weights` to be (or become) live? Must not raise for a failed check."""
        ...


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class Capacity(Protocol):
    def ensure(self, min_tasks: int) -> str:
        """Ask for at least `min_tasks` ECS tasks before traffic moves; returns what was done."""
        ...

    def restore(self) -> str:
        """Undo what ensure() changed (called once the run has ended); returns what was done."""
        ...


class WeightStore(Protocol):
    """Where the IaC keeps the weights (the stack's LegacyWeight/EcsWeight parameters)."""

    def read(self) -> Weights | None: ...

    def write(self, weights: Weights) -> None: ...


class FleetHealth(Protocol):
    """How many healthy targets the legacy fleet has right now (asked before every rollback)."""

    def legacy_healthy(self) -> int: ...
