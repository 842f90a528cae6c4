"""`config diff|push`: an env file written exactly where the environment's task reads it.

Secrets become keys of the environment's Secrets Manager JSON secret; the contract's operator parameters (the
Cognito ids) become String parameters. The CDK app computes the same locations with the same function
(macro_ai_contract.config_locations); infra/tests/test_config_locations.py compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from macro_ai_contract import load_contract, load_environments
from macro_ai_contract.config_locations import ConfigLocations, config_locations

from macro_ai_deploy import configsync
from macro_ai_deploy.aws.params import ParameterStore, SecretStore
from macro_ai_deploy.envs import Environment
from macro_ai_deploy.errors import NotFound, Refused
from macro_ai_deploy.runtime import EnvArg, Runtime, console, environment, runtime, say
from macro_ai_deploy.views import changes_table

app = typer.Typer(no_args_is_help=True, help="Push configuration where the environment's task reads it.")

EnvFileOpt = Annotated[Path, typer.Option("--env-file", help="NAME=value lines.", exists=False)]
ContractOpt = Annotated[str | None, typer.Option(help="Path of service-contract.json.")]


@dataclass(frozen=True)
class ConfigPlan:
    env: Environment
    where: ConfigLocations
    desired: dict[str, str]
    ssm: ParameterStore
    sm: SecretStore
    sm_now: dict[str, str] | None
    changes: list[configsync.Change]


def _config_plan(rt: Runtime, env: str, env_file: Path, prune: bool, contract_path: str | None) -> ConfigPlan:
    e = environment(env)
    c = load_contract(Path(contract_path) if contract_path else None)
    if not env_file.is_file():
        raise NotFound(f"env file {env_file} does not exist")
    desired = configsync.parse_env_file(env_file.read_text(), str(env_file))
    where = config_locations(load_environments().resolve(e.name), c)
    if problems := configsync.refused_names(desired, where, c):
        raise Refused("; ".join(problems))
    ssm = ParameterStore(rt.aws.client("ssm"))
    sm = SecretStore(rt.aws.client("secretsmanager"))
    ssm_now = ssm.read_names(sorted(where.parameters.values()))
    sm_now = sm.read_json(where.secret_name)
    changes = configsync.plan(desired, where, ssm_now, sm_now, prune)
    return ConfigPlan(e, where, desired, ssm, sm, sm_now, changes)


@app.command("diff")
def config_diff(
    ctx: typer.Context,
    env: EnvArg,
    env_file: EnvFileOpt,
    prune: Annotated[bool, typer.Option(help="Show secret keys outside the contract as deletions.")] = False,
    contract_path: ContractOpt = None,
    exit_code: Annotated[bool, typer.Option(help="Exit 8 when there are changes.")] = False,
) -> None:
    """Show what `config push` would change. Secret values are never shown."""
    p = _config_plan(runtime(ctx), env, env_file, prune, contract_path)
    n = sum(c.is_change for c in p.changes)
    console.print(changes_table(p.changes))
    say(
        f"{n} change(s) for {p.env.name} (secret {p.where.secret_name}, parameters {p.env.parameter_prefix}*)"
    )
    if exit_code and n:
        raise typer.Exit(8)


@app.command("push")
def config_push(
    ctx: typer.Context,
    env: EnvArg,
    env_file: EnvFileOpt,
    prune: Annotated[bool, typer.Option(help="Delete secret keys outside the contract.")] = False,
    contract_path: ContractOpt = None,
    kms_key_id: Annotated[str | None, typer.Option(help="KMS key when the secret is created.")] = None,
) -> None:
    """Write the env file where the environment's task reads it: secrets to its Secrets Manager secret,
    operator parameters (Cognito ids) to Parameter Store. Everything else comes from the stack's profile."""
    p = _config_plan(runtime(ctx), env, env_file, prune, contract_path)
    console.print(changes_table(p.changes))
    n = configsync.apply(p.changes, p.desired, p.where, p.ssm, p.sm, p.sm_now, kms_key_id)
    say(f"{p.env.name}: {n} change(s) written")
