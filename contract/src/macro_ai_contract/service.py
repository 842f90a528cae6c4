"""The service contract (``service-contract.json`` beside this module).

What the API container needs from its platform: port, health-check paths, drain timing, the names of its
environment variables and of its secrets. The task definition, the Dockerfile checks, compose and
``macro-deploy config`` are derived from it; nothing here is re-typed by hand.

``MACRO_AI_SERVICE_CONTRACT`` names another contract file (tests use it).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CONTRACT_FILE = Path(__file__).with_name("service-contract.json")
CONTRACT_ENV = "MACRO_AI_SERVICE_CONTRACT"


@dataclass(frozen=True)
class ServiceContract:
    service: str
    port: int
    liveness_path: str
    readiness_path: str
    load_balancer_check_path: str
    container_check_path: str
    drain_seconds: int  # after the detection time: the longest wait for in-flight requests and streams
    stop_timeout_seconds: int
    shutdown_margin_seconds: int  # what the process needs after draining to exit, within the stop timeout
    health_check_interval_seconds: int
    health_check_timeout_seconds: int
    healthy_threshold: int
    unhealthy_threshold: int
    load_balancer_idle_timeout_seconds: int
    keep_alive_timeout_seconds: int
    max_request_body_bytes: int
    max_stream_seconds: int
    unhandled_error_message: str  # the log message of an exception no handler caught
    environment: tuple[str, ...]
    secrets: tuple[str, ...]
    operator_parameters: tuple[str, ...]  # environment items operators set (config push), not the stacks
    raw: dict[str, Any]

    @property
    def detection_seconds(self) -> int:
        """How long a load balancer takes to stop routing to a target whose health check fails."""
        return self.health_check_interval_seconds * self.unhealthy_threshold

    @property
    def accept_after_sigterm_seconds(self) -> int:
        """How long a terminated instance keeps accepting new requests: the detection time plus one
        health-check timeout, since the deciding check may take that long to answer."""
        return self.detection_seconds + self.health_check_timeout_seconds

    @property
    def known(self) -> frozenset[str]:
        """Every configuration name the service reads (environment and secrets)."""
        return frozenset(self.environment) | frozenset(self.secrets)


def _names(section: dict[str, Any]) -> tuple[str, ...]:
    return tuple(k for k in section if not k.startswith("$"))


def parse_contract(data: dict[str, Any]) -> ServiceContract:
    health = data["health"]
    shutdown = data["shutdown"]
    balancer = data["loadBalancer"]
    http = data["http"]
    contract = ServiceContract(
        service=str(data["service"]),
        port=int(data["port"]),
        liveness_path=str(health["liveness"]),
        readiness_path=str(health["readiness"]),
        load_balancer_check_path=str(health["loadBalancerCheck"]),
        container_check_path=str(health["containerCheck"]),
        drain_seconds=int(shutdown["drainSeconds"]),
        stop_timeout_seconds=int(shutdown["stopTimeoutSeconds"]),
        shutdown_margin_seconds=int(shutdown["marginSeconds"]),
        health_check_interval_seconds=int(balancer["healthCheckIntervalSeconds"]),
        health_check_timeout_seconds=int(balancer["healthCheckTimeoutSeconds"]),
        healthy_threshold=int(balancer["healthyThreshold"]),
        unhealthy_threshold=int(balancer["unhealthyThreshold"]),
        load_balancer_idle_timeout_seconds=int(balancer["idleTimeoutSeconds"]),
        keep_alive_timeout_seconds=int(http["keepAliveTimeoutSeconds"]),
        max_request_body_bytes=int(http["maxRequestBodyBytes"]),
        max_stream_seconds=int(data["streams"]["maxSeconds"]),
        unhandled_error_message=str(data["logs"]["unhandledErrorMessage"]),
        environment=_names(data["environment"]),
        secrets=_names(data["secrets"]),
        operator_parameters=tuple(data["operatorParameters"]["names"]),
        raw=data,
    )
    problems = []
    if contract.drain_seconds >= contract.stop_timeout_seconds:
        problems.append("drainSeconds must be shorter than stopTimeoutSeconds")
    if contract.drain_seconds < contract.max_stream_seconds:
        problems.append(
            "drainSeconds must be at least streams.maxSeconds (a draining task finishes its streams)"
        )
    needed = contract.accept_after_sigterm_seconds + contract.drain_seconds + contract.shutdown_margin_seconds
    if contract.stop_timeout_seconds < needed:
        problems.append(
            f"stopTimeoutSeconds must be at least the accepting time after SIGTERM "
            f"({contract.accept_after_sigterm_seconds}: detection + one check timeout) + drainSeconds "
            f"({contract.drain_seconds}) + marginSeconds ({contract.shutdown_margin_seconds}) = {needed}"
        )
    if contract.stop_timeout_seconds > 120:
        problems.append("stopTimeoutSeconds above 120 is not an ECS value")
    if stray := set(contract.operator_parameters) - set(contract.environment):
        problems.append(f"operatorParameters not in environment: {sorted(stray)}")
    if contract.keep_alive_timeout_seconds <= contract.load_balancer_idle_timeout_seconds:
        problems.append("keepAliveTimeoutSeconds must exceed the load balancer's idleTimeoutSeconds")
    if contract.health_check_timeout_seconds >= contract.health_check_interval_seconds:
        problems.append("the health check timeout must be shorter than its interval")
    if problems:
        raise ValueError("contract: " + "; ".join(problems))
    if overlap := set(contract.environment) & set(contract.secrets):
        raise ValueError(f"contract: names both environment and secret: {sorted(overlap)}")
    return contract


def contract_path() -> Path:
    return Path(os.environ.get(CONTRACT_ENV) or CONTRACT_FILE)


@cache
def _load(path: Path) -> ServiceContract:
    return parse_contract(json.loads(path.read_text(encoding="utf-8")))


def load_contract(path: Path | None = None) -> ServiceContract:
    return _load(path or contract_path())
