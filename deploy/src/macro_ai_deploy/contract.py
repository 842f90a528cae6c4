"""Reads service-contract.json (the one source of truth for the service's config and secret names)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from macro_ai_deploy.errors import NotFound

NAME = "service-contract.json"


@dataclass(frozen=True)
class Contract:
    path: Path
    environment: frozenset[str]
    secrets: frozenset[str]
    parameter_prefix: str
    secret_name: str

    @property
    def known(self) -> frozenset[str]:
        return self.environment | self.secrets


def find(explicit: str | None = None) -> Path:
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    if os.environ.get("MACRO_DEPLOY_CONTRACT"):
        candidates.append(Path(os.environ["MACRO_DEPLOY_CONTRACT"]))
    for base in (Path.cwd(), Path(__file__).resolve().parent):
        candidates += [p / NAME for p in (base, *base.parents)]
    for c in candidates:
        if c.is_file():
            return c
    raise NotFound(f"{NAME} not found (run from the repository or pass --contract)")


def load(explicit: str | None = None) -> Contract:
    path = find(explicit)
    data = json.loads(path.read_text())
    return Contract(
        path=path,
        environment=frozenset(data.get("environment", {})),
        secrets=frozenset(data.get("secrets", {})),
        parameter_prefix=data.get("parameterStorePrefix", "/macro-ai/{environment}/"),
        secret_name=data.get("secretsManagerSecretName", "macro-ai/{environment}/app"),
    )
