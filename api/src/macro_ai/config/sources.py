"""Where the settings come from: one delivery path per kind of value.

Plain settings are environment variables (the ECS task definition's ``environment``); secrets are
environment variables too, injected by ECS from Secrets Manager or Parameter Store at task start
(rotating one is a rolling redeploy). In development a ``.env`` file may fill in what the
environment lacks. The one value read from AWS by the process itself is the RDS-managed database
login (``DATABASE_LOGIN_ID``), because RDS rotates it on its own schedule: see
``macro_ai.config.database_login``. Every problem is reported by item name, never by value.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from macro_ai_contract import load_environments
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from macro_ai.config.schema import Settings, environment_behaviour


class ConfigError(Exception):
    """Configuration that cannot be used. ``problems`` holds one line per item, never a value."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _describe(error: Mapping[str, Any]) -> str:
    location = ".".join(str(part) for part in error["loc"]) or "configuration"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "is required but missing"
    elif error["type"] in {"too_short", "string_too_short"}:
        message = f"is too short (at least {error['ctx']['min_length']} characters)"
    return f"{location.upper()}: {message}"


class _Bootstrap(BaseSettings):
    """The items needed before the rest can be read: which environment, and the database login."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", env_ignore_empty=True)
    app_env: str = "development"
    aws_region: str = "us-east-1"
    database_login_id: str | None = None


def load_settings(env_file: Path | None = Path(".env")) -> Settings:
    """Load and validate everything, or raise ConfigError listing every problem by name."""
    try:
        dotenv = env_file if env_file is not None and env_file.is_file() else None
        bootstrap = _Bootstrap(_env_file=dotenv)
        reads_dotenv = environment_behaviour(bootstrap.app_env).reads_dotenv
    except ValidationError as exc:
        raise ConfigError([_describe(e) for e in exc.errors()]) from None
    except ValueError:
        raise ConfigError([f"APP_ENV: must be {load_environments().app_env_description()}"]) from None
    arguments: dict[str, Any] = {"_env_file": dotenv if reads_dotenv else None}
    if bootstrap.database_login_id:
        from macro_ai.config.database_login import read_database_url

        try:
            arguments["relational_database_url"] = read_database_url(
                bootstrap.database_login_id, bootstrap.aws_region
            )
        except Exception as exc:  # any AWS failure is a configuration failure, reported by kind only
            raise ConfigError([f"DATABASE_LOGIN_ID: cannot be read ({type(exc).__name__})"]) from None
    try:
        return Settings(**arguments)
    except ValidationError as exc:
        raise ConfigError([_describe(e) for e in exc.errors()]) from None
