"""`config diff|push`: an env file into Parameter Store / Secrets Manager, where the task reads it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from macro_ai_contract import load_contract

from macro_ai_deploy import configsync
from macro_ai_deploy.aws.params import ParameterStore, SecretStore
from macro_ai_deploy.envs import Environment
from macro_ai_deploy.errors import NotFound, Refused
from macro_ai_deploy.runtime import EnvArg, Runtime, console, environment, runtime, say
from macro_ai_deploy.views import changes_table

app = typer.Typer(no_args_is_help=True, help="Push configuration to Parameter Store / Secrets Manager.")

EnvFileOpt = Annotated[Path, typer.Option("--env-file", help="NAME=value lines.", exists=False)]
SecretsToOpt = Annotated[
    configsync.Target,
    typer.Option(
        help="Where secrets go: ssm (SecureString), secretsmanager (JSON secret macro-ai/<env>/app), or both."
    ),
]
AllowUnknownOpt = Annotated[bool, typer.Option(help="Accept names not in the contract.")]
ContractOpt = Annotated[str | None, typer.Option(help="Path of service-contract.json.")]


@dataclass(frozen=True)
class ConfigPlan:
    env: Environment
    desired: dict[str, str]
    ssm: ParameterStore
    sm: SecretStore
    sm_now: dict[str, str] | None
    changes: list[configsync.Change]

    @property
    def where(self) -> str:
        return self.env.parameter_prefix + "*"


def _config_plan(
    rt: Runtime,
    env: str,
    env_file: Path,
    secrets_to: configsync.Target,
    prune: bool,
    allow_unknown: bool,
    contract_path: str | None,
) -> ConfigPlan:
    e = environment(env)
    c = load_contract(Path(contract_path) if contract_path else None)
    if not env_file.is_file():
        raise NotFound(f"env file {env_file} does not exist")
    desired = configsync.parse_env_file(env_file.read_text(), str(env_file))
    unknown = sorted(set(desired) - c.known)
    if unknown and not allow_unknown:
        raise Refused(f"not in the service contract: {', '.join(unknown)} (typo? or pass --allow-unknown)")
    # Where the environment's task reads its configuration: the environment table decides, for both sides.
    ssm = ParameterStore(rt.aws.client("ssm"))
    sm = SecretStore(rt.aws.client("secretsmanager"))
    ssm_now = ssm.read_prefix(e.parameter_prefix)
    sm_now = sm.read_json(e.secret_name) if secrets_to is not configsync.Target.SSM else None
    changes = configsync.plan(desired, frozenset(c.secrets), ssm_now, sm_now, secrets_to, prune)
    return ConfigPlan(e, desired, ssm, sm, sm_now, changes)


@app.command("diff")
def config_diff(
    ctx: typer.Context,
    env: EnvArg,
    env_file: EnvFileOpt,
    secrets_to: SecretsToOpt = configsync.Target.SSM,
    prune: Annotated[bool, typer.Option(help="Show store-only items as deletions.")] = False,
    allow_unknown: AllowUnknownOpt = False,
    contract_path: ContractOpt = None,
    exit_code: Annotated[bool, typer.Option(help="Exit 8 when there are changes.")] = False,
) -> None:
    """Show what `config push` would change. Secret values are never shown."""
    p = _config_plan(runtime(ctx), env, env_file, secrets_to, prune, allow_unknown, contract_path)
    n = sum(c.is_change for c in p.changes)
    console.print(changes_table(p.changes))
    secret = f", secret {p.env.secret_name}" if secrets_to is not configsync.Target.SSM else ""
    say(f"{n} change(s) for {p.env.name} ({p.where}{secret})")
    if exit_code and n:
        raise typer.Exit(8)


@app.command("push")
def config_push(
    ctx: typer.Context,
    env: EnvArg,
    env_file: EnvFileOpt,
    secrets_to: SecretsToOpt = configsync.Target.SSM,
    prune: Annotated[bool, typer.Option(help="Delete store-only items.")] = False,
    allow_unknown: AllowUnknownOpt = False,
    contract_path: ContractOpt = None,
    kms_key_id: Annotated[str | None, typer.Option(help="KMS key for SecureString/secret.")] = None,
) -> None:
    """Write the env file to Parameter Store (SecureString for the contract's secrets) / Secrets Manager."""
    p = _config_plan(runtime(ctx), env, env_file, secrets_to, prune, allow_unknown, contract_path)
    console.print(changes_table(p.changes))
    n = configsync.apply(
        p.changes,
        p.desired,
        p.env.parameter_prefix,
        p.env.secret_name,
        p.ssm,
        p.sm,
        p.sm_now,
        kms_key_id,
    )
    say(f"{p.env.name}: {n} change(s) written")
