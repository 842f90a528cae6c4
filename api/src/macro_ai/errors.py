"""One error shape for every failure: ``{message, type, status, details?}``.

``details`` lists validation problems by field path and message only: never the offending input,
never a stack trace, in any environment.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.responses import Response

log = structlog.get_logger("macro_ai.errors")


class ErrorDetail(BaseModel):
    path: str
    message: str


class ErrorBody(BaseModel):
    message: str
    type: str
    status: int = Field(description="The HTTP status code, repeated for clients that read only the body")
    details: list[ErrorDetail] | None = None


class AppError(Exception):
    """An expected failure that maps to a status code, raised by services."""

    status_code = 400
    error_type = "BadRequest"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(AppError):
    status_code = 404
    error_type = "NotFound"


class UnauthorizedError(AppError):
    status_code = 401
    error_type = "Unauthorized"


class ConflictError(AppError):
    status_code = 409
    error_type = "Conflict"


def _type_name(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.replace(" ", "").replace("-", "")
    except ValueError:
        return "Error"


def error_bytes(
    status: int, message: str, error_type: str, details: Sequence[dict[str, str]] | None = None
) -> bytes:
    body: dict[str, Any] = {"message": message, "type": error_type, "status": status}
    if details:
        body["details"] = list(details)
    return orjson.dumps(body)


def error_response(
    status: int,
    message: str,
    error_type: str | None = None,
    details: Sequence[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        error_bytes(status, message, error_type or _type_name(status), details),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def validation_details(errors: Sequence[Any]) -> list[dict[str, str]]:
    return [
        {"path": ".".join(str(part) for part in error.get("loc", ())), "message": str(error.get("msg", ""))}
        for error in errors
    ]


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and message == "Not Found":
        message = "Route not found"
    return error_response(exc.status_code, message, headers=dict(exc.headers) if exc.headers else None)


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(
        422, "Request validation failed", "ValidationError", validation_details(exc.errors())
    )


async def _app_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return error_response(exc.status_code, exc.message, exc.error_type)


class DatabaseBusyError(Exception):
    """No database connection within the pool timeout, or no database right now (a restart)."""


DATABASE_BUSY_MESSAGE = "The service is busy; please retry"
RETRY_AFTER_SECONDS = 1


async def _database_busy(_: Request, exc: Exception) -> Response:
    """No pooled connection came free within the pool timeout (an overload), or the database is
    restarting: not a bug. A 503 with Retry-After tells clients to come back; a 500 would page someone."""
    log.warning("database pool exhausted", error_type=type(exc).__name__)
    return error_response(
        503, DATABASE_BUSY_MESSAGE, "ServiceUnavailable", headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


# For the routers whose handlers use the database, in their OpenAPI responses.
DATABASE_BUSY: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": f"{DATABASE_BUSY_MESSAGE} (no database connection free in time)"}
}


async def _unexpected(_: Request, exc: Exception) -> Response:
    log.error("unhandled error", error_type=type(exc).__name__, exc_info=exc)
    return error_response(500, "Internal server error", "InternalServerError")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(DatabaseBusyError, _database_busy)
    app.add_exception_handler(Exception, _unexpected)
