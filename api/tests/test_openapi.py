"""The OpenAPI document against the app itself (schemathesis, in process, real PostgreSQL)."""

from __future__ import annotations

import pytest
import schemathesis
from api_support import API_KEY, GENEROUS_LIMITS, service_environment, settings_for
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from macro_ai.main import create_app


@pytest.fixture(scope="module")
def app(migrated_database: str) -> FastAPI:
    return create_app(settings_for(service_environment(migrated_database, **GENEROUS_LIMITS)))


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


def test_no_server_errors_and_responses_match_the_schema(api_schema: schemathesis.BaseSchema) -> None:
    """Every operation, with schemathesis' default checks (no 5xx, status codes, content types,
    bodies and headers as documented). Driven through hypothesis directly: schemathesis' pytest
    plugin does not run under pytest 9."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 6
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def exercise(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"X-API-KEY": API_KEY})

        exercise()


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
    ready = document["paths"]["/api/health/ready"]["get"]
    assert "security" not in ready
    assert "503" in ready["responses"]
