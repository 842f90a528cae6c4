"""The time budget of one rolling step, from the stack's real settings (the aim: serving in under 60 s;
old tasks gone bounded by the longest stream, which sets the deregistration delay and the stop timeout)."""

from __future__ import annotations

from dataclasses import dataclass

SERVING_AIM_SECONDS = 60


@dataclass(frozen=True)
class StepSettings:
    start_seconds: float  # task start and image pull: an estimate (not a stack setting), shown as such
    health_check_interval: int
    healthy_threshold: int
    deregistration_delay: int
    stop_timeout: int


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: float
    note: str = ""


def budget(s: StepSettings) -> tuple[list[Phase], float, float]:
    """(phases, "new revision serving", "old tasks gone") in seconds."""
    healthy = s.health_check_interval * s.healthy_threshold
    serving = s.start_seconds + healthy
    gone = serving + s.deregistration_delay + s.stop_timeout
    phases = [
        Phase("task start and image pull", s.start_seconds, "estimate (--start-estimate)"),
        Phase(
            "healthy in the target group",
            healthy,
            f"{s.healthy_threshold} checks x {s.health_check_interval} s",
        ),
        Phase("deregistration delay (old tasks drain)", s.deregistration_delay, "target group attribute"),
        Phase("stop timeout (SIGTERM to SIGKILL)", s.stop_timeout, "container stopTimeout"),
    ]
    return phases, serving, gone
