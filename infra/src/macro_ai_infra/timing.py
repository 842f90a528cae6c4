"""Drain and health-check timing of the ECS side, derived from the service contract (never re-typed).

One rolling step of a deploy (docs/infra.md, "Rolling step"):
- new revision serving: task start and image pull, then ``healthy_threshold x interval`` of passing checks;
- old tasks gone: ECS deregisters an old task, the load balancer lets its open requests and streams run for
  the deregistration delay, then ECS sends SIGTERM and waits up to the stop timeout.
"""

from __future__ import annotations

from dataclasses import dataclass

from macro_ai_contract.service import ServiceContract

MAX_DEREGISTRATION_DELAY_SECONDS = 300  # beyond this every rolling step is slow for no stream's benefit


@dataclass(frozen=True)
class DrainTiming:
    health_check_interval_seconds: int
    health_check_timeout_seconds: int
    healthy_threshold: int
    unhealthy_threshold: int
    deregistration_delay_seconds: int
    stop_timeout_seconds: int

    @property
    def healthy_after_seconds(self) -> int:
        return self.health_check_interval_seconds * self.healthy_threshold


def drain_timing(contract: ServiceContract) -> DrainTiming:
    """The longest stream may still run when the task is deregistered; a request that arrived during the
    detection time (before the balancer saw the task leave) may start one, so the delay covers both."""
    delay = contract.max_stream_seconds + contract.detection_seconds
    if delay > MAX_DEREGISTRATION_DELAY_SECONDS:
        raise ValueError(f"a {delay} s deregistration delay makes every rolling step slow")
    return DrainTiming(
        health_check_interval_seconds=contract.health_check_interval_seconds,
        health_check_timeout_seconds=contract.health_check_timeout_seconds,
        healthy_threshold=contract.healthy_threshold,
        unhealthy_threshold=contract.unhealthy_threshold,
        deregistration_delay_seconds=delay,
        stop_timeout_seconds=contract.stop_timeout_seconds,
    )
