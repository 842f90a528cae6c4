"""Where an environment's task reads the configuration that operators own, computed from the two tables.

The CDK app points the task definition here and ``macro-deploy config push`` writes here; neither spells a
path itself, so the two cannot drift apart (infra/tests/test_config_locations.py synthesizes every stack,
pushes to the AWS emulator and compares).

- Secrets: one JSON key per contract secret in the environment's Secrets Manager secret, except the items the
  environment keeps where its running EC2 fleet reads them (``fleetParameters`` in environments.json: one
  Parameter Store parameter each, SecureString for secrets, so an adopting stack reads the fleet's values).
- Operator parameters (e.g. the Cognito ids): String parameters under the environment's prefix.
- Everything else is written by the stack from its profile; nobody pushes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from macro_ai_contract.environments import Environment
from macro_ai_contract.service import ServiceContract


@dataclass(frozen=True)
class ConfigLocations:
    parameters: dict[str, str]  # item name -> Parameter Store name
    secure: frozenset[str]  # the parameters stored as SecureString (secrets kept in Parameter Store)
    secret_name: str
    secret_keys: tuple[str, ...]  # the contract secrets kept as JSON keys of ``secret_name``

    @property
    def names(self) -> frozenset[str]:
        """Every item an operator sets for this environment."""
        return frozenset(self.parameters) | frozenset(self.secret_keys)


def config_locations(env: Environment, contract: ServiceContract) -> ConfigLocations:
    in_parameters = dict.fromkeys((*contract.operator_parameters, *env.fleet_parameters))
    return ConfigLocations(
        parameters={name: f"{env.parameter_prefix}{name}" for name in in_parameters},
        secure=frozenset(env.fleet_parameters) & frozenset(contract.secrets),
        secret_name=env.secret_name,
        secret_keys=tuple(name for name in contract.secrets if name not in env.fleet_parameters),
    )
