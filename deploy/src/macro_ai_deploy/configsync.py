"""`config diff|push`: env file -> Parameter Store (SecureString for secrets) and/or Secrets Manager.

Secret values are never rendered: only whether they are added, changed, unchanged or only in the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

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


class Target(StrEnum):
    SSM = "ssm"
    SECRETSMANAGER = "secretsmanager"
    BOTH = "both"


class Action(StrEnum):
    ADD = "add"
    CHANGE = "change"
    RETYPE = "retype"  # same value, wrong parameter type (e.g. a secret stored as plain String)
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


def plan(
    desired: dict[str, str],
    secret_names: frozenset[str],
    ssm_now: dict[str, StoredParam],
    sm_now: dict[str, str] | None,
    target: Target,
    prune: bool = False,
) -> list[Change]:
    changes: list[Change] = []
    to_ssm = {
        k: v for k, v in desired.items() if k not in secret_names or target in (Target.SSM, Target.BOTH)
    }
    for name in sorted(set(to_ssm) | set(ssm_now)):
        secret = name in secret_names
        cur = ssm_now.get(name)
        if name not in to_ssm:
            assert cur is not None
            changes.append(
                Change(
                    "ssm",
                    name,
                    Action.DELETE if prune else Action.EXTRA,
                    secret,
                    _display(cur.value, secret or cur.type == "SecureString"),
                )
            )
            continue
        want_type = "SecureString" if secret else "String"
        if cur is None:
            changes.append(Change("ssm", name, Action.ADD, secret, "-", _display(to_ssm[name], secret)))
        elif cur.value != to_ssm[name]:
            changes.append(
                Change(
                    "ssm",
                    name,
                    Action.CHANGE,
                    secret,
                    _display(cur.value, secret or cur.type == "SecureString"),
                    _display(to_ssm[name], secret),
                )
            )
        elif cur.type != want_type:
            changes.append(Change("ssm", name, Action.RETYPE, secret, cur.type, want_type))
        else:
            changes.append(
                Change(
                    "ssm",
                    name,
                    Action.SAME,
                    secret,
                    _display(cur.value, secret),
                    _display(to_ssm[name], secret),
                )
            )
    if target in (Target.SECRETSMANAGER, Target.BOTH):
        want = {k: v for k, v in desired.items() if k in secret_names}
        now = sm_now or {}
        for name in sorted(set(want) | set(now)):
            if name not in want:
                changes.append(
                    Change("secretsmanager", name, Action.DELETE if prune else Action.EXTRA, True, "(secret)")
                )
            elif name not in now:
                changes.append(Change("secretsmanager", name, Action.ADD, True, "-", "(secret)"))
            elif now[name] != want[name]:
                changes.append(Change("secretsmanager", name, Action.CHANGE, True, "(secret)", "(secret)"))
            else:
                changes.append(Change("secretsmanager", name, Action.SAME, True, "(secret)", "(secret)"))
    return changes


def apply(
    changes: list[Change],
    desired: dict[str, str],
    prefix: str,
    secret_name: str,
    ssm: ParameterStore,
    sm: SecretStore,
    sm_now: dict[str, str] | None,
    kms_key_id: str | None = None,
) -> int:
    n = 0
    for c in changes:
        if c.store != "ssm":
            continue
        if c.action in (Action.ADD, Action.CHANGE, Action.RETYPE):
            ssm.put(prefix + c.name, desired[c.name], secure=c.secret, kms_key_id=kms_key_id)
            n += 1
        elif c.action is Action.DELETE:
            ssm.delete(prefix + c.name)
            n += 1
    sm_changes = [c for c in changes if c.store == "secretsmanager" and c.is_change]
    if sm_changes:
        data = dict(sm_now or {})
        for c in sm_changes:
            if c.action is Action.DELETE:
                data.pop(c.name, None)
            else:
                data[c.name] = desired[c.name]
        sm.write_json(secret_name, data, exists=sm_now is not None, kms_key_id=kms_key_id)
        n += len(sm_changes)
    return n
