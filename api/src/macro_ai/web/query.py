"""Query parameters as one pydantic model, parsed in the handler, for the hottest reads.

FastAPI 0.165 solves every declared parameter and dependency of a route on every request, and for
``GET /api/chats`` that cost a quarter of the request's CPU (docs/benchmarks.md). A hot handler takes
the ``Request`` alone and parses its query with one model call; the same model documents the
parameters (``query_parameters``), and a bad value is the same 422 as FastAPI's (``query.<name>``).
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

Query = TypeVar("Query", bound=BaseModel)


def parse_query(model: type[Query], request: Request) -> Query:
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as error:
        errors = [{**detail, "loc": ("query", *detail["loc"])} for detail in error.errors()]
        raise RequestValidationError(errors) from None


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The model's fields as OpenAPI query parameters, as FastAPI writes declared ones."""
    properties = model.model_json_schema()["properties"]
    return [
        {
            "name": field.alias or name,
            "in": "query",
            "required": field.is_required(),
            "schema": properties[field.alias or name],
        }
        for name, field in model.model_fields.items()
    ]
