"""Environments as macro-deploy sees them: the shared table (macro_ai_contract), deployed ones only."""

from __future__ import annotations

from dataclasses import dataclass

from macro_ai_contract import UnknownEnvironmentError, load_environments
from macro_ai_contract import environments as table

from macro_ai_deploy.errors import UsageError

__all__ = ["Environment", "deployed_names", "preview", "resolve"]


@dataclass(frozen=True)
class Environment:
    """A deployed environment: the table's facts, with the stack that holds it."""

    name: str
    stack_name: str
    app_env: str
    parameter_prefix: str
    secret_name: str
    pr: int | None = None
    confirm_changes: bool = False  # ask before changing it, unless --yes (the table says which)

    @property
    def is_preview(self) -> bool:
        return self.pr is not None

    @classmethod
    def of(cls, env: table.Environment) -> Environment:
        if env.stack_name is None:
            raise UsageError(
                f"environment {env.name!r} is local: it has no stack (expected {deployed_names()})"
            )
        return cls(
            env.name,
            env.stack_name,
            env.app_env,
            env.parameter_prefix,
            env.secret_name,
            env.pr,
            env.confirm_changes,
        )


def resolve(name: str) -> Environment:
    """A deployed environment by name (``hobby``, ``production``, ``pr-<n>``)."""
    try:
        return Environment.of(load_environments().resolve(name))
    except UnknownEnvironmentError as exc:
        raise UsageError(str(exc)) from None


def preview(pr: int | str) -> Environment:
    try:
        return Environment.of(load_environments().preview(pr))
    except UnknownEnvironmentError as exc:
        raise UsageError(str(exc)) from None


def deployed_names() -> str:
    """For help and error texts: every deployed environment of the table, then the preview pattern."""
    return ", ".join(e.name for e in load_environments().deployed()) + ", pr-<number>"
