"""The OpenAPI document, completed with what the middleware enforces.

Routers declare their own responses; the API-key requirement and the 401/429 answers of the edge
middleware apply to every non-exempt route, and the 413/422 of the body guard to every route that
takes a body; they are added here, from the same exemption rules the
middleware uses, so the document cannot drift from the behaviour.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from macro_ai.deps import authenticates, principal
from macro_ai.errors import ErrorBody
from macro_ai.web.api_key import EXEMPT_PREFIXES

SECURITY_SCHEMES = {
    "ApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-KEY",
        "description": "client application key",
    },
    "CookieAuth": {"type": "apiKey", "in": "cookie", "name": "macro-ai-accessToken"},
    "BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
}
USER_SECURITY: list[dict[str, list[str]]] = [
    {"CookieAuth": []},
    {"BearerAuth": []},
]  # what macro_ai.deps.principal accepts
_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def _depends_on(dependant: Dependant, call: object) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def _signed_in_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(path, method) of every operation whose handler needs a signed-in user."""
    return {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, APIRoute)
        and (_depends_on(route.dependant, principal) or authenticates(route.endpoint))
        for method in route.methods or ()
    }


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ERROR_REF}},
    }
    if headers:
        response["headers"] = headers
    return response


def build_openapi(app: FastAPI, max_body_bytes: int) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    schemas = components.setdefault("schemas", {})
    schemas.update(ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}))
    schemas["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    rate_headers = {
        name: {"schema": {"type": "integer"}}
        for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
    }
    signed_in = _signed_in_operations(app)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:  # the body guard's answers (macro_ai.web.body_guard)
                responses["413"] = _error(f"Request body larger than {max_body_bytes} bytes")
                responses["422"] = _error(
                    "Request validation failed (details by field path), or the JSON body is not valid UTF-8"
                )
            elif "422" in responses or operation.get("parameters"):  # in the one error shape
                responses["422"] = _error("Request validation failed (details by field path)")
            if path.startswith(EXEMPT_PREFIXES):
                continue
            user_security = USER_SECURITY if (path, method) in signed_in else [{}]
            operation["security"] = [{"ApiKey": [], **requirement} for requirement in user_security]
            responses.setdefault("401", _error("Missing or invalid API key or credentials"))
            responses.setdefault(
                "429",
                _error(
                    "Rate limit exceeded", {**rate_headers, "Retry-After": {"schema": {"type": "integer"}}}
                ),
            )
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    app.openapi_schema = document
    return document
