"""In-memory doubles of the rollout's ports (clock, router, gate, weight store), for the deploy tests."""

from __future__ import annotations

from collections.abc import Callable

from macro_ai_deploy.rollout.model import GateReport, GateResult, Weights


class FakeClock:
    """Virtual time: sleep() advances instantly and calls the hooks (to inject incidents mid-bake)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start
        self.hooks: list[Callable[[float], None]] = []
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += max(0.0, seconds)
        for hook in list(self.hooks):
            hook(self.t)


class MemoryRouter:
    def __init__(self, weights: Weights | None = None) -> None:
        self.weights = weights or Weights.all_legacy()
        self.history: list[Weights] = []
        self.fail_sets = 0  # the next N set_weights calls raise

    def get_weights(self) -> Weights:
        return self.weights

    def set_weights(self, weights: Weights) -> None:
        if self.fail_sets > 0:
            self.fail_sets -= 1
            raise ConnectionError("listener update failed (simulated)")
        self.weights = weights
        self.history.append(weights)


class ScriptedGate:
    """Gate whose verdict is a function of (weights, call number); records every call."""

    def __init__(self, verdict: Callable[[Weights, int], GateReport] | None = None) -> None:
        self.verdict = verdict or (lambda w, n: GateReport((GateResult("all", True, "ok"),)))
        self.calls: list[Weights] = []

    def check(self, weights: Weights) -> GateReport:
        n = len(self.calls)
        self.calls.append(weights)
        return self.verdict(weights, n)


class MemoryStore:
    def __init__(self, weights: Weights | None = None) -> None:
        self.weights = weights or Weights.all_legacy()
        self.writes: list[Weights] = []

    def read(self) -> Weights | None:
        return self.weights

    def write(self, weights: Weights) -> None:
        self.weights = weights
        self.writes.append(weights)
