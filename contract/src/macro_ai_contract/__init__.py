"""Platform facts shared by the API, the CDK app and the operator CLI (the JSON files beside this module).

- ``service``: the service contract (port, health paths, drain timing, configuration and secret names).
- ``environments``: the table of environments (APP_ENV, stack name, configuration location, log retention,
  preview naming).

Standard library only, so that the API image and every tool can import it.
"""

from macro_ai_contract.environments import (
    AppBehaviour,
    Environment,
    EnvironmentTable,
    UnknownEnvironmentError,
    load_environments,
)
from macro_ai_contract.service import ServiceContract, load_contract

__all__ = [
    "AppBehaviour",
    "Environment",
    "EnvironmentTable",
    "ServiceContract",
    "UnknownEnvironmentError",
    "load_contract",
    "load_environments",
]
