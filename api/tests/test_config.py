"""Configuration: validation at start-up, sources and precedence, run-time refresh of secrets."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import boto3
import pytest
from api_support import service_environment, settings_from
from macro_ai.config.live import LiveSettings
from macro_ai.config.settings import ConfigError, Settings, environment_behaviour, load_settings
from macro_ai_contract import load_contract
from macro_ai_devstack.testing import macro_ai_executable

SECRET_API_KEY = "sekrit-api-key-value-" + "x" * 20


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


class TestAwsSources:
    """Against moto's server over HTTP. moto does not enforce KMS permissions on SecureString
    decryption or IAM on reads, so these tests show the loading and precedence, not access control."""

    @pytest.fixture
    def stored(self, aws_env: dict[str, str]) -> dict[str, str]:
        environment_name = "pr-" + str(int(time.time() * 1000) % 900_000 + 1)
        ssm = boto3.client("ssm")
        ssm.put_parameter(
            Name=f"/macro-ai/{environment_name}/COOKIE_DOMAIN", Value="from-ssm.example", Type="String"
        )
        ssm.put_parameter(Name=f"/macro-ai/{environment_name}/LOG_LEVEL", Value="error", Type="String")
        ssm.put_parameter(
            Name=f"/macro-ai/{environment_name}/API_KEY", Value="ssm-api-key-" + "s" * 32, Type="SecureString"
        )
        secret_id = f"macro-ai/{environment_name}/app"
        boto3.client("secretsmanager").create_secret(
            Name=secret_id, SecretString=json.dumps({"API_KEY": SECRET_API_KEY, "UNRELATED": "x"})
        )
        return {"APP_ENV": environment_name, "CONFIG_PARAMETER_STORE": "true", "CONFIG_SECRET_ID": secret_id}

    def test_precedence_environment_then_parameter_store_then_secrets_manager(
        self, stored: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        environment = service_environment("postgresql://x@h/db", **stored, COOKIE_DOMAIN="from-env.example")
        settings = settings_from(environment, monkeypatch)
        assert settings.cookie_domain == "from-ssm.example"  # Parameter Store beats the environment
        assert settings.log_level == "error"
        assert settings.api_key.get_secret_value() == SECRET_API_KEY  # Secrets Manager beats both

    def test_secure_string_is_decrypted(
        self, stored: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stored.pop("CONFIG_SECRET_ID")
        settings = settings_from(service_environment("postgresql://x@h/db", **stored), monkeypatch)
        assert settings.api_key.get_secret_value() == "ssm-api-key-" + "s" * 32

    def test_unreachable_source_is_a_configuration_error(
        self, stored: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stored["CONFIG_SECRET_ID"] = "macro-ai/none/app"
        environment = service_environment("postgresql://x@h/db", **stored)
        with pytest.raises(ConfigError) as error:
            settings_from(environment, monkeypatch)
        assert error.value.problems == [
            "AWS configuration sources: cannot be read (ResourceNotFoundException)"
        ]

    async def test_rotated_secret_is_picked_up_after_the_ttl(
        self, stored: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        settings = settings_from(
            service_environment("postgresql://x@h/db", **stored, CONFIG_REFRESH_SECONDS="1"), monkeypatch
        )
        live = LiveSettings(settings)
        rotated = "rotated-api-key-" + "r" * 32
        boto3.client("secretsmanager").put_secret_value(
            SecretId=stored["CONFIG_SECRET_ID"], SecretString=json.dumps({"API_KEY": rotated})
        )
        assert live.current.api_key.get_secret_value() == SECRET_API_KEY  # cached until the TTL passes

        import asyncio

        task = asyncio.create_task(live.refresh_forever())
        try:
            deadline = time.monotonic() + 10
            while live.current.api_key.get_secret_value() != rotated and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        finally:
            task.cancel()
        assert live.current.api_key.get_secret_value() == rotated

    def test_invalid_rotated_value_keeps_the_last_good_configuration(
        self, stored: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        settings = settings_from(service_environment("postgresql://x@h/db", **stored), monkeypatch)
        live = LiveSettings(settings)
        boto3.client("secretsmanager").put_secret_value(
            SecretId=stored["CONFIG_SECRET_ID"], SecretString=json.dumps({"API_KEY": "too-short"})
        )
        with pytest.raises(ValueError, match=r"API_KEY|api_key"):
            live.refresh_now()
        assert live.current.api_key.get_secret_value() == SECRET_API_KEY


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
        live = LiveSettings(settings)
        assert live.refreshes_from_aws
        assert live.refresh_now()
        assert live.current.relational_database_url.get_secret_value().startswith(
            "postgresql://macroai:n3w-pass@"
        )

    def test_an_incomplete_secret_is_a_configuration_error(
        self, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        boto3.client("secretsmanager").create_secret(
            Name="rds!incomplete", SecretString=json.dumps({"username": "u"})
        )
        with pytest.raises(ConfigError) as error:
            settings_from(service_environment("", DATABASE_LOGIN_ID="rds!incomplete"), monkeypatch)
        assert error.value.problems == ["AWS configuration sources: cannot be read (ValueError)"]


def test_settings_fields_cover_the_service_contract() -> None:
    contract = load_contract().raw
    names = {name.upper() for name in Settings.model_fields}
    declared = set(contract["environment"]) | set(contract["secrets"])
    assert declared <= names, declared - names
    assert contract["port"] == Settings.model_fields["server_port"].default
