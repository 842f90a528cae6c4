"""DirectRoute: the handler is called as it is, and only a handler that takes the Request alone."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from macro_ai.errors import install_error_handlers
from macro_ai.web.direct_route import DirectRoute
from macro_ai.web.query import parse_query
from pydantic import BaseModel, Field


class Page(BaseModel):
    page: int = Field(1, ge=1)


async def echo(request: Request) -> Response:
    return Response(str(parse_query(Page, request).page).encode(), media_type="text/plain")


async def declared(page: int = 1) -> Response:
    return Response(b"")


def test_a_handler_with_declared_parameters_is_refused() -> None:
    router = APIRouter()
    with pytest.raises(TypeError, match="takes the Request alone"):
        router.add_api_route("/x", declared, route_class_override=DirectRoute)


async def test_the_handler_answers_and_its_errors_reach_the_app_handlers() -> None:
    app = FastAPI()
    install_error_handlers(app)
    app.router.add_api_route("/echo", echo, route_class_override=DirectRoute)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/echo?page=7")).text == "7"
        refused = await client.get("/echo?page=0")
    assert refused.status_code == 422
    assert refused.json()["details"][0]["path"] == "query.page"
