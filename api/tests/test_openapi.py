"""The OpenAPI document against the app itself (schemathesis, in process, real PostgreSQL, a
signed-in session from the Cognito emulator)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import schemathesis
from api_support import API_KEY, GENEROUS_LIMITS, TEST_PASSWORD, service_environment, settings_for
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from macro_ai.auth.cognito import secret_hash
from macro_ai.main import create_app
from macro_ai_devstack.cognito import CognitoPool
from schemathesis.specs.openapi.checks import positive_data_acceptance


# Where a schema-valid body may still be refused by design: rules JSON Schema cannot state (the two
# passwords match; the last message is the user's and has text), and Cognito's own answers (a wrong
# code, a password policy) which are documented 400s.
def may_refuse_valid_data(path: str) -> bool:
    return path.startswith("/api/auth/") or path == "/api/chats/{chat_id}/stream"


CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def environment(
    migrated_database: str, cognito_pool: CognitoPool, aws_emulator: str
) -> Iterator[dict[str, str]]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {**CREDENTIALS, "AWS_ENDPOINT_URL": aws_emulator}.items():
            patch.setenv(key, value)
        yield service_environment(migrated_database, **cognito_pool.environment(), **GENEROUS_LIMITS)


@pytest.fixture(scope="module")
def app(environment: dict[str, str]) -> FastAPI:
    return create_app(settings_for(environment))


@pytest.fixture(scope="module")
def access_token(cognito_pool: CognitoPool, environment: dict[str, str]) -> str:
    """A confirmed user of the pool, signed in directly at the emulator (this user has no profile row
    yet, which the API must answer with a 404, never a 500)."""
    cognito = boto3.client("cognito-idp", endpoint_url=cognito_pool.endpoint_url, region_name="us-east-1")
    email = "schemathesis@example.com"
    digest = secret_hash(email, cognito_pool.client_id, cognito_pool.client_secret)
    cognito.sign_up(
        ClientId=cognito_pool.client_id, SecretHash=digest, Username=email, Password=TEST_PASSWORD
    )
    cognito.admin_confirm_sign_up(UserPoolId=cognito_pool.user_pool_id, Username=email)
    result = cognito.initiate_auth(
        ClientId=cognito_pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": TEST_PASSWORD, "SECRET_HASH": digest},
    )
    token: str = result["AuthenticationResult"]["AccessToken"]
    return token


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


def run_operation(operation: Any, headers: dict[str, str]) -> None:
    examples = 10 if operation.path.startswith("/api/auth/") else 25
    excluded = [positive_data_acceptance] if may_refuse_valid_data(operation.path) else []

    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def exercise(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    exercise()


def test_no_server_errors_and_responses_match_the_schema(
    api_schema: schemathesis.BaseSchema, access_token: str
) -> None:
    """Every operation, with schemathesis' default checks (no 5xx, status codes, content types,
    bodies and headers as documented), signed in. Driven through hypothesis directly: schemathesis'
    pytest plugin does not run under pytest 9."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 23  # every route of SPEC 1.1 (paths x methods)
    headers = {"X-API-KEY": API_KEY, "Authorization": f"Bearer {access_token}"}
    for operation in operations:
        run_operation(operation, headers)


def test_document_declares_security_and_error_responses(app: FastAPI) -> None:
    document = app.openapi()
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-KEY",
        "description": "client application key",
    }
    assert schemes["CookieAuth"]["name"] == "macro-ai-accessToken"
    assert schemes["BearerAuth"]["scheme"] == "bearer"
    system_info = document["paths"]["/api/system-info"]["get"]
    assert system_info["security"] == [{"ApiKey": []}]
    assert {"200", "401", "429"} <= set(system_info["responses"])
    chat = document["paths"]["/api/chats/{chat_id}"]["get"]
    assert chat["security"] == [{"ApiKey": [], "CookieAuth": []}, {"ApiKey": [], "BearerAuth": []}]
    assert {"200", "401", "404", "422", "429"} <= set(chat["responses"])
    assert chat["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    stream = document["paths"]["/api/chats/{chat_id}/stream"]["post"]
    assert "text/plain" in stream["responses"]["200"]["content"]
    ready = document["paths"]["/api/health/ready"]["get"]
    assert "security" not in ready
    assert "503" in ready["responses"]
