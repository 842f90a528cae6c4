"""Helpers for the API tests (importable: ``api/tests`` is on pytest's pythonpath)."""

from __future__ import annotations

import secrets
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from macro_ai.config import Settings, load_settings
from macro_ai_devstack.testing import base_environment

API_KEY = "test-api-key-" + "k" * 32
GENEROUS_LIMITS = {f"{prefix}RATE_LIMIT_MAX_REQUESTS": "1000000" for prefix in ("", "AUTH_", "API_")}
COOKIE_KEY = "ab" * 32
REDIS = shutil.which("redis-server")


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


TEST_PASSWORD = "Correct-Horse-9"


async def signed_in(
    client: httpx.AsyncClient, email: str | None = None, password: str = TEST_PASSWORD
) -> dict[str, Any]:
    """Register, confirm and log in a new user through the API; the login response body."""
    email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": password, "confirmPassword": password}
    assert (await client.post("/api/auth/register", json=body)).status_code == 201
    confirmed = await client.post("/api/auth/confirm-registration", json={"email": email, "code": "012345"})
    assert confirmed.status_code == 200
    login = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    result: dict[str, Any] = {**login.json(), "email": email, "password": password}
    return result


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['tokens']['accessToken']}"}


def emulator_signing_key() -> Any:
    """The private key moto signs its tokens with (shipped inside moto: public knowledge)."""
    import gzip
    import json
    from importlib.resources import files

    import jwt

    raw = (files("moto.cognitoidp") / "resources" / "jwks-private.json.gz").read_bytes()
    return jwt.PyJWK(json.loads(gzip.decompress(raw))).key


def forge_token(claims: dict[str, Any], key: Any = None, kid: str = "dummy") -> str:
    import jwt

    return jwt.encode(
        claims, key if key is not None else emulator_signing_key(), algorithm="RS256", headers={"kid": kid}
    )


def contract_file(folder: Path, balancer: dict[str, int] | None = None, **sections: dict[str, int]) -> Path:
    """A copy of the service contract with some timings changed, for ``MACRO_AI_SERVICE_CONTRACT``
    (e.g. a health check every 2 s instead of 5 s, so a drain test takes seconds, not a minute)."""
    import json

    from macro_ai_contract.service import CONTRACT_FILE, parse_contract

    data = json.loads(CONTRACT_FILE.read_text(encoding="utf-8"))
    data["loadBalancer"].update(balancer or {})
    for name, changes in sections.items():
        data[name].update(changes)
    parse_contract(data)  # the changed contract must still be a valid one
    path = folder / f"contract-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def fast_drain_contract(folder: Path) -> Path:
    """Health checks every 2 s, out after 2 failures (detection 4 s, accept window 5 s), short idle
    timeouts: the same shape as production, scaled down for tests."""
    return contract_file(
        folder,
        balancer={
            "healthCheckIntervalSeconds": 2,
            "healthCheckTimeoutSeconds": 1,
            "healthyThreshold": 2,
            "unhealthyThreshold": 2,
            "idleTimeoutSeconds": 1,
        },
        http={"keepAliveTimeoutSeconds": 2},
        shutdown={"drainSeconds": 5, "stopTimeoutSeconds": 15, "marginSeconds": 1},
        streams={"maxSeconds": 5},
    )
