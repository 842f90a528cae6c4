"""Helpers for the API tests (importable: ``api/tests`` is on pytest's pythonpath)."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

import pytest
from macro_ai.config.settings import Settings, load_settings
from macro_ai_devstack.testing import base_environment

API_KEY = "test-api-key-" + "k" * 32
COOKIE_KEY = "ab" * 32


def service_environment(database_url: str, **overrides: str) -> dict[str, str]:
    """A complete, valid configuration as environment variables."""
    return {
        **base_environment(),
        "APP_ENV": "test",
        "API_KEY": API_KEY,
        "COOKIE_ENCRYPTION_KEY": COOKIE_KEY,
        "COOKIE_DOMAIN": "api.test.example",
        "AWS_COGNITO_USER_POOL_ID": "us-east-1_" + "0" * 32,
        "AWS_COGNITO_USER_POOL_CLIENT_ID": "test-client",
        "AWS_COGNITO_USER_POOL_SECRET_KEY": "test-client-secret-" + secrets.token_hex(8),
        "RELATIONAL_DATABASE_URL": database_url,
        "LOG_LEVEL": "info",
        **overrides,
    }


def settings_from(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key in list(Settings.model_fields):
        monkeypatch.delenv(key.upper(), raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    return load_settings(env_file=None)


def postgres_folder() -> Path:
    """Outside pytest's temporary root: pytest makes that root private (0700) whenever any pytest
    session starts, which would lock out the PostgreSQL system user mid-run."""
    return Path(tempfile.mkdtemp(prefix="macro-ai-pg-")) / "data"


def settings_for(environment: dict[str, str]) -> Settings:
    """Settings from a mapping, without touching the process environment."""
    fields = {
        key.lower(): value for key, value in environment.items() if key.lower() in Settings.model_fields
    }
    return Settings(_env_file=None, **fields)  # type: ignore[call-arg]
