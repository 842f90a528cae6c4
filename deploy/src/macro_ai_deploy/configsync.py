"""`config diff|push`: an env file -> where the environment's task reads it (contract's config_locations).

Secrets go to the JSON keys of the environment's Secrets Manager secret; operator parameters (the Cognito ids)
to String parameters. Secret values are never rendered: only whether they are added, changed or unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from macro_ai_contract.config_locations import ConfigLocations
from macro_ai_contract.service import ServiceContract

from macro_ai_deploy.aws.params import ParameterStore, SecretStore, StoredParam
from macro_ai_deploy.errors import UsageError

_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


def parse_env_file(text: str, source: str = "env file") -> dict[str, str]:
    out: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            raise UsageError(f"{source}:{n}: not NAME=value")  # never echo the line: it may hold a secret
        name, value = m.group(1), m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        if name in out:
            raise UsageError(f"{source}:{n}: {name} is set twice")
        out[name] = value
    return out


class Action(StrEnum):
    ADD = "add"
    CHANGE = "change"
    RETYPE = (
        "retype"  # same value, wrong parameter type (e.g. a String the task expects stored as SecureString)
    )
    SAME = "unchanged"
    EXTRA = "only in store"
    DELETE = "delete"


@dataclass(frozen=True)
class Change:
    store: str  # "ssm" | "secretsmanager"
    name: str
    action: Action
    secret: bool
    old: str = ""  # display text, never a secret value
    new: str = ""

    @property
    def is_change(self) -> bool:
        return self.action not in (Action.SAME, Action.EXTRA)


def _display(value: str | None, secret: bool) -> str:
    if value is None:
        return "-"
    return "(secret)" if secret else value


def refused_names(desired: dict[str, str], where: ConfigLocations, contract: ServiceContract) -> list[str]:
    """One line per item of the env file that config push must not write, and why."""
    problems = []
    for name in sorted(set(desired) - where.names):
        if name in contract.known:
            problems.append(f"{name}: set by the stack from its profile (infra), not by config push")
        else:
            problems.append(f"{name}: not in the service contract (typo?)")
    return problems


def _compare(store: str, name: str, secret: bool, now: str | None, want: str) -> Change:
    if now is None:
        return Change(store, name, Action.ADD, secret, "-", _display(want, secret))
    action = Action.SAME if now == want else Action.CHANGE
    return Change(store, name, action, secret, _display(now, secret), _display(want, secret))


def plan(
    desired: dict[str, str],
    where: ConfigLocations,
    ssm_now: dict[str, StoredParam],
    sm_now: dict[str, str] | None,
    prune: bool = False,
) -> list[Change]:
    """What to write so that the task reads ``desired``. ``ssm_now`` is keyed by full parameter name."""
    changes: list[Change] = []
    for name, parameter in sorted(where.parameters.items()):
        if name not in desired:
            continue
        cur = ssm_now.get(parameter)
        secure = name in where.secure
        change = _compare("ssm", name, secure, cur.value if cur else None, desired[name])
        want_type = "SecureString" if secure else "String"
        if cur is not None and change.action is Action.SAME and cur.type != want_type:
            change = Change("ssm", name, Action.RETYPE, secure, cur.type, want_type)
        changes.append(change)
    wanted = {k: v for k, v in desired.items() if k in where.secret_keys}
    now = sm_now or {}
    for name in sorted(set(wanted) | set(now)):
        if name in wanted:
            changes.append(_compare("secretsmanager", name, True, now.get(name), wanted[name]))
        elif name not in where.secret_keys:  # a contract key this file leaves out stays as it is
            changes.append(
                Change("secretsmanager", name, Action.DELETE if prune else Action.EXTRA, True, "(secret)")
            )
    return changes


def apply(
    changes: list[Change],
    desired: dict[str, str],
    where: ConfigLocations,
    ssm: ParameterStore,
    sm: SecretStore,
    sm_now: dict[str, str] | None,
    kms_key_id: str | None = None,
) -> int:
    n = 0
    for c in changes:
        if c.store == "ssm" and c.is_change:
            ssm.put(
                where.parameters[c.name],
                desired[c.name],
                secure=c.name in where.secure,
                kms_key_id=kms_key_id,
            )
            n += 1
    sm_changes = [c for c in changes if c.store == "secretsmanager" and c.is_change]
    if sm_changes:
        data = dict(sm_now or {})
        for c in sm_changes:
            if c.action is Action.DELETE:
                data.pop(c.name, None)
            else:
                data[c.name] = desired[c.name]
        sm.write_json(where.secret_name, data, exists=sm_now is not None, kms_key_id=kms_key_id)
        n += len(sm_changes)
    return n
