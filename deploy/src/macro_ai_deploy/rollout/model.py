"""Values of the traffic migration: weights, the plan, gate results. No I/O."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

DEFAULT_STEPS: tuple[int, ...] = (0, 10, 25, 50, 100)


@dataclass(frozen=True)
class Weights:
    """Listener forward weights in percent. Always two integers in 0..100 that sum to 100."""

    legacy: int
    ecs: int

    def __post_init__(self) -> None:
        for v in (self.legacy, self.ecs):
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 100:
                raise ValueError(f"weight must be an integer 0..100, got {v!r}")
        if self.legacy + self.ecs != 100:
            raise ValueError(f"weights must sum to 100, got legacy={self.legacy} ecs={self.ecs}")

    @classmethod
    def to_ecs(cls, percent: int) -> Weights:
        return cls(100 - percent, percent)

    @classmethod
    def all_legacy(cls) -> Weights:
        return cls(100, 0)

    @property
    def is_all_legacy(self) -> bool:
        return self.ecs == 0

    def __str__(self) -> str:
        return f"legacy {self.legacy}% / ecs {self.ecs}%"


@dataclass(frozen=True)
class Plan:
    """Steps are ECS percentages, strictly increasing, ending at 100."""

    steps: tuple[int, ...] = DEFAULT_STEPS
    bake_seconds: float = 600.0
    check_interval_seconds: float = 30.0
    min_healthy_tasks: int = 2
    capacity_timeout_seconds: float = 600.0
    rollback_attempts: int = 10

    def __post_init__(self) -> None:
        s = tuple(self.steps)
        if not s:
            raise ValueError("a plan needs at least one step")
        if any(not isinstance(x, int) or not 0 <= x <= 100 for x in s):
            raise ValueError(f"steps must be integers 0..100, got {s}")
        if any(b <= a for a, b in itertools.pairwise(s)):
            raise ValueError(f"steps must be strictly increasing, got {s}")
        if s[-1] != 100:
            raise ValueError(f"the last step must be 100, got {s[-1]}")
        if self.bake_seconds < 0 or self.capacity_timeout_seconds < 0:
            raise ValueError("bake and capacity timeout must not be negative")
        if self.check_interval_seconds <= 0:
            raise ValueError("the check interval must be positive")
        if self.min_healthy_tasks < 0 or self.rollback_attempts < 1:
            raise ValueError("min healthy tasks >= 0 and rollback attempts >= 1")
        object.__setattr__(self, "steps", s)

    def next_step(self, ecs_now: int) -> int | None:
        """The first planned ECS percentage above the live one (never skips a planned step)."""
        for s in self.steps:
            if s > ecs_now:
                return s
        return None


@dataclass(frozen=True)
class GateResult:
    name: str
    ok: bool
    detail: str
    # a failure that capacity coming up can cure (too few healthy ECS tasks): may be waited for
    # before a step, never during a bake
    waitable: bool = False


@dataclass(frozen=True)
class GateReport:
    results: tuple[GateResult, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failures(self) -> tuple[GateResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    @property
    def only_waitable_failures(self) -> bool:
        f = self.failures
        return bool(f) and all(r.waitable for r in f)

    def reason(self) -> str:
        return "; ".join(f"{r.name}: {r.detail}" for r in self.failures) or "all gates passed"

    @classmethod
    def error(cls, name: str, exc: BaseException) -> GateReport:
        return cls((GateResult(name, False, f"could not be checked ({type(exc).__name__}: {exc})"),))
