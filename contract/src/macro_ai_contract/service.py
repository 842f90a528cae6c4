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
    drain_seconds: int
    stop_timeout_seconds: int
    environment: tuple[str, ...]
    secrets: tuple[str, ...]
    raw: dict[str, Any]

    @property
    def known(self) -> frozenset[str]:
        """Every configuration name the service reads (environment and secrets)."""
        return frozenset(self.environment) | frozenset(self.secrets)


def _names(section: dict[str, Any]) -> tuple[str, ...]:
    return tuple(k for k in section if not k.startswith("$"))


def parse_contract(data: dict[str, Any]) -> ServiceContract:
    health = data["health"]
    shutdown = data["shutdown"]
    contract = ServiceContract(
        service=str(data["service"]),
        port=int(data["port"]),
        liveness_path=str(health["liveness"]),
        readiness_path=str(health["readiness"]),
        load_balancer_check_path=str(health["loadBalancerCheck"]),
        container_check_path=str(health["containerCheck"]),
        drain_seconds=int(shutdown["drainSeconds"]),
        stop_timeout_seconds=int(shutdown["stopTimeoutSeconds"]),
        environment=_names(data["environment"]),
        secrets=_names(data["secrets"]),
        raw=data,
    )
    if contract.drain_seconds >= contract.stop_timeout_seconds:
        raise ValueError("contract: drainSeconds must be shorter than stopTimeoutSeconds")
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
