"""The table of environments (``environments.json``): one entry per environment, read by every package.

An environment has a name (what operators type: ``hobby``, ``production``, ``pr-42``), the ``APP_ENV`` its
containers run with, the CloudFormation stack that holds it (none for local ones), the configuration namespace
its parameters and secret live under, and a log retention class. Previews are one pattern, not entries.

``MACRO_AI_ENVIRONMENTS`` names another table file (tests use it to add an environment).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

TABLE_FILE = Path(__file__).with_name("environments.json")
TABLE_ENV = "MACRO_AI_ENVIRONMENTS"


class UnknownEnvironmentError(ValueError):
    """A name that is neither an entry of the table nor a preview ``pr-<n>``."""


@dataclass(frozen=True)
class AppBehaviour:
    """What the service does differently per ``APP_ENV``, as data rather than ``if env == ...`` branches."""

    reads_dotenv: bool
    secure_cookies: bool
    offline_provider_allowed: bool


@dataclass(frozen=True)
class Environment:
    name: str
    app_env: str
    config_name: str  # the namespace of its Parameter Store parameters and its secret
    stack_name: str | None  # None: a local environment (development, test) with no stack
    log_retention: str | None
    parameter_prefix: str  # e.g. /macro-ai/production/
    secret_name: str  # e.g. macro-ai/production/app
    pr: int | None = None
    # Items kept where the running EC2 fleet reads them (Parameter Store), for an adopting stack.
    fleet_parameters: tuple[str, ...] = ()
    # macro-deploy asks before it changes this environment (deploy, rollback, migrate) unless --yes
    confirm_changes: bool = False

    @property
    def is_preview(self) -> bool:
        return self.pr is not None

    @property
    def is_deployed(self) -> bool:
        return self.stack_name is not None


def _behaviour(data: dict[str, Any]) -> AppBehaviour:
    return AppBehaviour(
        reads_dotenv=bool(data["readsDotenv"]),
        secure_cookies=bool(data["secureCookies"]),
        offline_provider_allowed=bool(data["offlineProviderAllowed"]),
    )


class EnvironmentTable:
    """The parsed table. Every lookup of an environment's facts goes through here."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._prefix_template = str(data["parameterStorePrefix"])
        self._secret_template = str(data["secretName"])
        self.log_retention_days: dict[str, int] = {k: int(v) for k, v in data["logRetentionDays"].items()}
        self._preview: dict[str, Any] = dict(data["preview"])
        self.pr_pattern: str = str(self._preview["prPattern"])
        self._preview_name = re.compile(
            "^" + re.escape(self._preview["name"]).replace(re.escape("{pr}"), f"({self.pr_pattern})") + "$"
        )
        self._behaviours: dict[str, AppBehaviour] = {}
        self._entries: dict[str, Environment] = {}
        for entry in data["environments"]:
            name = str(entry["name"])
            if "app" in entry:
                self._behaviours[str(entry.get("appEnv", name))] = _behaviour(entry["app"])
            self._entries[name] = self._build(entry, name)
        self.preview_behaviour = _behaviour(self._preview["app"])
        self._check()

    def _build(self, entry: dict[str, Any], name: str, pr: int | None = None) -> Environment:
        config = str(entry.get("config", name))
        return Environment(
            name=name,
            app_env=str(entry.get("appEnv", name)).format(pr=pr),
            config_name=config,
            stack_name=str(entry["stack"]).format(pr=pr) if "stack" in entry else None,
            log_retention=entry.get("logRetention"),
            parameter_prefix=self._prefix_template.format(config=config),
            secret_name=self._secret_template.format(config=config),
            pr=pr,
            confirm_changes=bool(entry.get("confirmChanges", False)),
            fleet_parameters=tuple(entry.get("fleetParameters", ())),
        )

    def _check(self) -> None:
        problems: list[str] = []
        for env in self._entries.values():
            if env.app_env not in self._behaviours:
                problems.append(f"{env.name}: appEnv {env.app_env!r} has no entry with its 'app' behaviour")
            if env.log_retention is not None and env.log_retention not in self.log_retention_days:
                problems.append(f"{env.name}: unknown log retention class {env.log_retention!r}")
            if self._preview_name.match(env.name):
                problems.append(f"{env.name}: the name is taken by the preview pattern")
        if self._preview["logRetention"] not in self.log_retention_days:
            problems.append("preview: unknown log retention class")
        if problems:
            raise ValueError("environments.json: " + "; ".join(problems))

    # -- lookups
    def resolve(self, name: str) -> Environment:
        """An environment by name: a table entry, or ``pr-<n>`` for a preview."""
        if name in self._entries:
            return self._entries[name]
        pr = self.preview_pr(name)
        if pr is None:
            raise UnknownEnvironmentError(
                f"unknown environment {name!r}: expected one of {', '.join(self.names())} "
                f"or {self._preview['name'].format(pr='<number>')}"
            )
        return self.preview(pr)

    def preview(self, pr: int | str) -> Environment:
        text = str(pr).removeprefix("pr-")
        if not re.fullmatch(self.pr_pattern, text):
            raise UnknownEnvironmentError(f"{pr!r} is not a pull request number ({self.pr_pattern})")
        return self._build(self._preview, self._preview["name"].format(pr=int(text)), int(text))

    def preview_pr(self, name: str) -> int | None:
        match = self._preview_name.match(name)
        return int(match.group(1)) if match else None

    def names(self) -> list[str]:
        return list(self._entries)

    def deployed(self) -> list[Environment]:
        """The long-lived environments that have a stack, in table order."""
        return [env for env in self._entries.values() if env.is_deployed]

    # -- previews
    @property
    def preview_config(self) -> Environment:
        """Where every preview's configuration lives (one shared namespace)."""
        config = str(self._preview["config"])
        return Environment(
            name=config,
            app_env=str(self._preview["appEnv"]),
            config_name=config,
            stack_name=None,
            log_retention=self.preview_log_retention,
            parameter_prefix=self._prefix_template.format(config=config),
            secret_name=self._secret_template.format(config=config),
        )

    @property
    def preview_stack_prefix(self) -> str:
        """What every preview stack's name starts with (for listing them)."""
        return str(self._preview["stack"]).split("{pr}")[0]

    def preview_of_stack(self, stack_name: str) -> Environment | None:
        """The preview a stack holds, or None when the stack is not a preview stack."""
        template = re.escape(str(self._preview["stack"])).replace(re.escape("{pr}"), f"({self.pr_pattern})")
        match = re.fullmatch(template, stack_name)
        return self.preview(match.group(1)) if match else None

    @property
    def preview_shared_stack(self) -> str:
        return str(self._preview["sharedStack"])

    @property
    def preview_log_retention(self) -> str:
        return str(self._preview["logRetention"])

    def preview_api_host(self, pr: int, domain: str) -> str:
        return str(self._preview["apiHost"]).format(pr=pr, domain=domain)

    def preview_frontend_origin(self, pr: int, domain: str) -> str:
        return str(self._preview["frontendOrigin"]).format(pr=pr, domain=domain)

    def preview_frontend_origin_regex(self, domain: str) -> str:
        """An anchored pattern matching every preview frontend origin of ``domain``."""
        literal = re.escape(str(self._preview["frontendOrigin"]))
        literal = literal.replace(re.escape("{pr}"), self.pr_pattern)
        return "^" + literal.replace(re.escape("{domain}"), re.escape(domain)) + "$"

    # -- the service's view
    def app_envs(self) -> list[str]:
        """``APP_ENV`` values the service accepts, besides ``pr-<n>``."""
        return list(self._behaviours)

    def app_env_description(self) -> str:
        return ", ".join(self.app_envs()) + f" or {self._preview['appEnv'].format(pr='<number>')}"

    def behaviour(self, app_env: str) -> AppBehaviour:
        """The service's behaviour for an ``APP_ENV`` value; ``UnknownEnvironmentError`` if it is none."""
        if app_env in self._behaviours:
            return self._behaviours[app_env]
        if self.preview_pr(app_env) is not None:
            return self.preview_behaviour
        raise UnknownEnvironmentError(f"APP_ENV must be {self.app_env_description()}")

    def is_preview_app_env(self, app_env: str) -> bool:
        return app_env not in self._behaviours and self.preview_pr(app_env) is not None


def table_path() -> Path:
    return Path(os.environ.get(TABLE_ENV) or TABLE_FILE)


@cache
def _load(path: Path) -> EnvironmentTable:
    return EnvironmentTable(json.loads(path.read_text(encoding="utf-8")))


def load_environments(path: Path | None = None) -> EnvironmentTable:
    return _load(path or table_path())
