"""Where an environment's task reads the configuration that operators own, computed from the two tables.

The CDK app points the task definition here and ``macro-deploy config push`` writes here; neither spells a
path itself, so the two cannot drift apart (a test synthesizes every stack and compares).

- Secrets: one JSON key per contract secret in the environment's Secrets Manager secret.
- Operator parameters (e.g. the Cognito ids): String parameters under the environment's prefix.
- Everything else is written by the stack from its profile; nobody pushes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from macro_ai_contract.environments import Environment
from macro_ai_contract.service import ServiceContract


@dataclass(frozen=True)
class ConfigLocations:
    parameters: dict[str, str]  # item name -> Parameter Store name (String)
    secret_name: str
    secret_keys: tuple[str, ...]

    @property
    def names(self) -> frozenset[str]:
        """Every item an operator sets for this environment."""
        return frozenset(self.parameters) | frozenset(self.secret_keys)


def config_locations(env: Environment, contract: ServiceContract) -> ConfigLocations:
    return ConfigLocations(
        parameters={name: f"{env.parameter_prefix}{name}" for name in contract.operator_parameters},
        secret_name=env.secret_name,
        secret_keys=contract.secrets,
    )
