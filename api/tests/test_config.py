"""Configuration: validation at start-up, its one source (the environment), and the database login
that follows RDS rotation."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import boto3
import pytest
from api_support import service_environment, settings_from
from macro_ai.config import ConfigError, Settings, load_settings
from macro_ai.config.database_login import DatabaseUrl
from macro_ai.config.schema import environment_behaviour, environment_variable_names
from macro_ai_contract import load_contract
from macro_ai_devstack.testing import macro_ai_executable


def start_with(environment: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [macro_ai_executable(), "serve"], env=environment, capture_output=True, text=True, timeout=20
    )
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    ("item", "value", "expected"),
    [
        ("API_KEY", None, "is required but missing"),
        ("API_KEY", "short-" + "s" * 10, "is too short (at least 32 characters)"),
        ("COOKIE_ENCRYPTION_KEY", "zz" * 32, "64 hexadecimal characters"),
        ("COOKIE_ENCRYPTION_KEY", "ab" * 31, "64 hexadecimal characters"),
        ("RELATIONAL_DATABASE_URL", "mysql://user:sekrit-db-password@db/app", "postgresql://"),
        ("AWS_COGNITO_USER_POOL_SECRET_KEY", None, "is required but missing"),
        ("SERVER_PORT", "70000", "less than or equal to 65535"),
        ("APP_ENV", "prod", "development, test, staging, production or pr-<number>"),
        ("AI_PROVIDER", "openai", "OPENAI_API_KEY is required"),
        ("CORS_ALLOWED_ORIGINS", "https://ok.example,https://bad.example/path", "no path"),
    ],
)
def test_bad_configuration_stops_the_process_naming_the_item(
    item: str, value: str | None, expected: str
) -> None:
    environment = service_environment("postgresql://u:sekrit-db-password@127.0.0.1:1/db")
    environment.pop(item, None)
    if value is not None:
        environment[item] = value
    result, elapsed = start_with(environment)

    assert result.returncode == 78
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("configuration error:")]
    assert any(item in line and expected in line for line in error_lines), result.stderr
    assert "Traceback" not in result.stderr
    # Fail fast: nothing is waited on before validation.
    assert elapsed < 10
    secrets = [
        "sekrit-db-password",
        environment.get("AWS_COGNITO_USER_POOL_SECRET_KEY"),
        environment.get("API_KEY"),
    ]
    if item.endswith(("KEY", "URL")):
        secrets.append(value)
    for secret in filter(None, secrets):
        assert secret not in result.stderr + result.stdout


def test_every_problem_is_reported_at_once() -> None:
    environment = service_environment("postgresql://x@127.0.0.1/db")
    for item in ("API_KEY", "COOKIE_ENCRYPTION_KEY", "AWS_COGNITO_USER_POOL_ID"):
        environment.pop(item)
    result, _ = start_with(environment)
    assert result.returncode == 78
    for item in ("API_KEY", "COOKIE_ENCRYPTION_KEY", "AWS_COGNITO_USER_POOL_ID"):
        assert f"configuration error: {item}:" in result.stderr


@pytest.mark.parametrize(
    ("name", "secure_cookies", "reads_dotenv"),
    [
        ("development", False, True),
        ("test", True, False),
        ("pr-42", True, False),
        ("staging", True, False),
        ("production", True, False),
    ],
)
def test_environment_detection(name: str, secure_cookies: bool, reads_dotenv: bool) -> None:
    behaviour = environment_behaviour(name)
    assert (behaviour.secure_cookies, behaviour.reads_dotenv) == (secure_cookies, reads_dotenv)


@pytest.mark.parametrize(
    "name", ["preview", "pr-", "pr-0", "pr-x", "pr-1234567", "Production", "dev", "hobby"]
)
def test_unknown_environment_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="APP_ENV must be"):
        environment_behaviour(name)


def test_offline_provider_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = service_environment("postgresql://x@h/db", APP_ENV="production", AI_PROVIDER="offline")
    with pytest.raises(ConfigError) as error:
        settings_from(environment, monkeypatch)
    assert any("offline is not allowed in production" in problem for problem in error.value.problems)


def test_dotenv_is_read_in_development_only_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = service_environment("postgresql://x@h/db", APP_ENV="development")
    environment.pop("COOKIE_DOMAIN")
    environment.pop("LOG_LEVEL")
    dotenv = tmp_path / ".env"
    dotenv.write_text("COOKIE_DOMAIN=from-dotenv.example\nLOG_LEVEL=debug\n")
    settings_from(environment, monkeypatch)  # sets the environment
    monkeypatch.setenv("LOG_LEVEL", "warning")

    settings = load_settings(env_file=dotenv)
    assert settings.cookie_domain == "from-dotenv.example"
    assert settings.log_level == "warning"  # the environment beats .env

    monkeypatch.setenv("APP_ENV", "staging")
    monkeypatch.setenv("AI_PROVIDER", "openai")
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    assert load_settings(env_file=dotenv).cookie_domain == "localhost"  # .env ignored outside development


def test_csv_origins_and_preview_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(
        service_environment(
            "postgresql://x@h/db",
            CORS_ALLOWED_ORIGINS="https://app.example.com, http://localhost:3000",
            CUSTOM_DOMAIN_NAME="example.com",
        ),
        monkeypatch,
    )
    assert settings.cors_allowed_origins == ["https://app.example.com", "http://localhost:3000"]
    pattern = re.compile(settings.preview_origin_pattern or "")
    assert pattern.fullmatch("https://pr-42.example.com")
    assert not pattern.fullmatch("https://pr-42.example.com.evil.test")


def test_values_are_not_read_from_aws_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """One way in: the environment (ECS injects secrets at task start). The switches for a second,
    run-time read from Parameter Store and Secrets Manager are gone, so they change nothing."""
    environment = service_environment(
        "postgresql://x@h/db", CONFIG_PARAMETER_STORE="true", CONFIG_SECRET_ID="macro-ai/test/app"
    )
    settings = settings_from(environment, monkeypatch)  # no AWS endpoint: a read would fail
    assert settings.api_key.get_secret_value() == environment["API_KEY"]
    assert not {"CONFIG_PARAMETER_STORE", "CONFIG_SECRET_ID"} & environment_variable_names()


@pytest.mark.parametrize(("value", "accepted"), [("0", True), ("5", True), ("5.5", False), ("-1", False)])
def test_token_clock_leeway_is_zero_by_default_and_at_most_five_seconds(
    value: str, accepted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        settings_from(service_environment("postgresql://x@h/db"), monkeypatch).token_clock_leeway_seconds == 0
    )
    environment = service_environment("postgresql://x@h/db", TOKEN_CLOCK_LEEWAY_SECONDS=value)
    if accepted:
        assert settings_from(environment, monkeypatch).token_clock_leeway_seconds == float(value)
    else:
        with pytest.raises(ConfigError) as error:
            settings_from(environment, monkeypatch)
        assert [p.split(":")[0] for p in error.value.problems] == ["TOKEN_CLOCK_LEEWAY_SECONDS"]


def test_empty_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """ECS injects every key of the app secret; an optional one left empty must not break start-up."""
    environment = service_environment(
        "postgresql://x@h/db", REDIS_URL="", OPENAI_API_KEY="", CUSTOM_DOMAIN_NAME=""
    )
    settings = settings_from(environment, monkeypatch)
    assert settings.redis_url is None
    assert settings.openai_api_key is None
    assert settings.custom_domain_name is None


class TestRdsManagedDatabaseSecret:
    """An RDS-managed master secret (moto's Secrets Manager; RDS's own rotation is not emulated, so a
    rotation is played by writing a new secret version)."""

    @pytest.fixture
    def database_secret(self, aws_env: dict[str, str]) -> str:
        name = f"rds!db-{time.time_ns()}"
        document = {
            "username": "macroai",
            "password": "p@ss:word/1",
            "host": "db.internal",
            "port": 5432,
            "dbname": "macro_ai",
            "engine": "postgres",
        }
        boto3.client("secretsmanager").create_secret(Name=name, SecretString=json.dumps(document))
        return name

    def test_url_is_built_from_the_secret_and_follows_rotation(
        self, database_secret: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        environment = service_environment("", DATABASE_LOGIN_ID=database_secret)
        settings = settings_from(environment, monkeypatch)
        expected = "postgresql://macroai:p%40ss%3Aword%2F1@db.internal:5432/macro_ai"
        assert settings.relational_database_url.get_secret_value() == expected

        rotated = {
            "username": "macroai",
            "password": "n3w-pass",
            "host": "db.internal",
            "port": 5432,
            "dbname": "macro_ai",
        }
        boto3.client("secretsmanager").put_secret_value(
            SecretId=database_secret, SecretString=json.dumps(rotated)
        )
        database_url = DatabaseUrl(settings)
        assert database_url.follows_rotation
        assert database_url.current == expected
        assert database_url.refresh_now()
        assert database_url.current.startswith("postgresql://macroai:n3w-pass@")
        assert not database_url.refresh_now()  # unchanged since

    async def test_the_background_refresh_follows_rotation_and_survives_a_bad_version(
        self, database_secret: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import asyncio

        environment = service_environment(
            "", DATABASE_LOGIN_ID=database_secret, DATABASE_LOGIN_REFRESH_SECONDS="1"
        )
        database_url = DatabaseUrl(settings_from(environment, monkeypatch))
        secrets = boto3.client("secretsmanager")
        secrets.put_secret_value(SecretId=database_secret, SecretString=json.dumps({"username": "only"}))
        task = asyncio.create_task(database_url.refresh_forever())
        try:
            await asyncio.sleep(1.5)
            assert database_url.current.startswith("postgresql://macroai:p%40ss")  # last good kept
            rotated = {"username": "macroai", "password": "rotated", "host": "db.internal"}
            secrets.put_secret_value(SecretId=database_secret, SecretString=json.dumps(rotated))
            deadline = time.monotonic() + 10
            while "rotated" not in database_url.current and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        finally:
            task.cancel()
        assert database_url.current == "postgresql://macroai:rotated@db.internal:5432/postgres"

    def test_an_incomplete_secret_is_a_configuration_error(
        self, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        boto3.client("secretsmanager").create_secret(
            Name="rds!incomplete", SecretString=json.dumps({"username": "u"})
        )
        with pytest.raises(ConfigError) as error:
            settings_from(service_environment("", DATABASE_LOGIN_ID="rds!incomplete"), monkeypatch)
        assert error.value.problems == ["DATABASE_LOGIN_ID: cannot be read (ValueError)"]


def test_settings_fields_cover_the_service_contract() -> None:
    contract = load_contract().raw
    names = {name.upper() for name in Settings.model_fields}
    declared = set(contract["environment"]) | set(contract["secrets"])
    assert declared <= names, declared - names
    assert contract["port"] == Settings.model_fields["server_port"].default
