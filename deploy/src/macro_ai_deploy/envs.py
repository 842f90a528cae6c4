"""Environments and their stack names (docs/stack-contract.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from macro_ai_deploy.errors import UsageError

LONG_LIVED = {
    "hobby": "MacroAiHobbyStack",
    "staging": "MacroAiStagingStack",
    "production": "MacroAiProductionStack",
}
PREVIEW_PREFIX = "MacroAiPreviewStack-"
_PR = re.compile(r"^pr-([1-9][0-9]{0,6})$")


@dataclass(frozen=True)
class Environment:
    name: str
    stack_name: str
    pr: int | None = None

    @property
    def is_preview(self) -> bool:
        return self.pr is not None

    @property
    def parameter_prefix(self) -> str:
        return f"/macro-ai/{self.name}/"

    @property
    def secret_name(self) -> str:
        return f"macro-ai/{self.name}/app"


def resolve(name: str) -> Environment:
    if name in LONG_LIVED:
        return Environment(name, LONG_LIVED[name])
    m = _PR.match(name)
    if m:
        return Environment(name, f"{PREVIEW_PREFIX}{name}", int(m.group(1)))
    raise UsageError(f"unknown environment {name!r}: expected hobby, staging, production or pr-<number>")


def preview(pr: int | str) -> Environment:
    text = str(pr)
    return resolve(text if text.startswith("pr-") else f"pr-{text}")
