"""The service contract (``service-contract.json`` at the repository root), read at synth time.

The task definition is derived from this file: port, health-check paths, stop timeout, the names of the
environment variables and of the secrets. Nothing here is re-typed by hand.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CONTRACT_FILE = "service-contract.json"
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
    parameter_store_prefix: str
    secrets_manager_secret_name: str
    environment: tuple[str, ...]
    secrets: tuple[str, ...]

    def parameter_prefix(self, environment: str) -> str:
        return self.parameter_store_prefix.format(environment=environment)

    def secret_name(self, environment: str) -> str:
        return self.secrets_manager_secret_name.format(environment=environment)


def find_contract_file(start: Path | None = None) -> Path:
    """Locate the contract: ``$MACRO_AI_SERVICE_CONTRACT``, else walk up from this file and from cwd."""
    explicit = os.environ.get(CONTRACT_ENV)
    if explicit:
        return Path(explicit)
    starts = [start] if start else [Path(__file__).resolve().parent, Path.cwd().resolve()]
    for origin in starts:
        for directory in (origin, *origin.parents):
            candidate = directory / CONTRACT_FILE
            if candidate.is_file():
                return candidate
    raise FileNotFoundError(f"{CONTRACT_FILE} not found above {starts}; set {CONTRACT_ENV}")


def parse_contract(data: dict[str, object]) -> ServiceContract:
    health = data["health"]
    shutdown = data["shutdown"]
    environment = data["environment"]
    secrets = data["secrets"]
    assert isinstance(health, dict)
    assert isinstance(shutdown, dict)
    assert isinstance(environment, dict)
    assert isinstance(secrets, dict)
    contract = ServiceContract(
        service=str(data["service"]),
        port=int(str(data["port"])),
        liveness_path=str(health["liveness"]),
        readiness_path=str(health["readiness"]),
        load_balancer_check_path=str(health["loadBalancerCheck"]),
        container_check_path=str(health["containerCheck"]),
        drain_seconds=int(shutdown["drainSeconds"]),
        stop_timeout_seconds=int(shutdown["stopTimeoutSeconds"]),
        parameter_store_prefix=str(data["parameterStorePrefix"]),
        secrets_manager_secret_name=str(data["secretsManagerSecretName"]),
        environment=tuple(k for k in environment if not k.startswith("$")),
        secrets=tuple(k for k in secrets if not k.startswith("$")),
    )
    if contract.drain_seconds >= contract.stop_timeout_seconds:
        raise ValueError("contract: drainSeconds must be shorter than stopTimeoutSeconds")
    if overlap := set(contract.environment) & set(contract.secrets):
        raise ValueError(f"contract: names both environment and secret: {sorted(overlap)}")
    return contract


@cache
def load_contract(path: Path | None = None) -> ServiceContract:
    source = path or find_contract_file()
    return parse_contract(json.loads(source.read_text(encoding="utf-8")))
