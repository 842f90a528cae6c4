"""Routing by path group (macro_ai.web.route_index) answers exactly as the whole router does."""

from __future__ import annotations

import itertools

import httpx
import pytest
from api_support import API_KEY
from fastapi import FastAPI
from macro_ai.web.route_index import RouteIndex, group_of
from starlette.routing import Route

CHAT = "0b6f2c1e-8d4e-4c4a-9f1e-2a7b3c4d5e6f"
METHODS = ("GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH")


def request_paths(app: FastAPI) -> list[str]:
    """Every route's path with its parameters filled, with and without a trailing slash, and misses."""
    paths = {getattr(route, "path", "/") for route in app.router.routes}
    filled = {path.replace("{id}", CHAT).replace("{chat_id}", CHAT) for path in paths}
    misses = {"/api", "/api/", "/api/nope", "/api/chats/a/b/c"}
    return sorted(filled | {path + "/" for path in filled} | misses)


def client_for(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )


def answer(response: httpx.Response) -> tuple[int, str | None, str | None, bytes]:
    """Status, redirect, Allow and, for errors, the body (success bodies carry uptimes)."""
    body = response.content if response.status_code >= 400 else b""
    return response.status_code, response.headers.get("location"), response.headers.get("allow"), body


async def test_every_route_method_and_miss_is_answered_as_by_the_whole_router(make_app) -> None:  # type: ignore[no-untyped-def]
    indexed, whole = make_app(), make_app()
    assert isinstance(indexed.router.middleware_stack, RouteIndex)
    whole.router.middleware_stack = whole.router.app  # the router as FastAPI builds it
    headers = {
        "X-API-KEY": API_KEY,
        "Authorization": "Bearer not-a-token",
        "Content-Type": "application/json",
    }
    clients = [client_for(app, headers) for app in (indexed, whole)]
    compared = 0
    for path, method in itertools.product(request_paths(indexed), METHODS):
        body = b"{}" if method in {"POST", "PUT", "PATCH"} else None
        ours, theirs = [await client.request(method, path, content=body) for client in clients]
        assert answer(ours) == answer(theirs), f"{method} {path}"
        compared += 1
    assert compared > 100
    for client, app in zip(clients, (indexed, whole), strict=True):
        await client.aclose()
        await app.state.services.close()


def test_a_request_tries_only_the_routes_of_its_group(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    index._build()
    system = [getattr(route, "path", None) for route in index.routers["/api/system-info"].routes]
    chats = {getattr(route, "path", "") for route in index.routers["/api/chats"].routes}
    assert system == ["/api/system-info"]
    assert chats
    assert all(group_of(path) == "/api/chats" for path in chats)
    assert len(app.router.routes) > 20


async def test_a_route_added_later_is_served(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with client_for(app) as client:
        assert (await client.get("/api/health/live")).status_code == 200  # groups built
        app.router.routes.append(Route("/api/health/extra", _plain_ok))
        assert (await client.get("/api/health/extra")).status_code == 200
    await app.state.services.close()


@pytest.mark.parametrize(
    ("path", "group"),
    [
        ("/api/chats", "/api/chats"),
        ("/api/chats/", "/api/chats"),
        (f"/api/chats/{CHAT}/x", "/api/chats"),
        ("/", ""),
    ],
)
def test_group_of(path: str, group: str) -> None:
    assert group_of(path) == group


async def _plain_ok(_: object) -> object:
    from starlette.responses import PlainTextResponse

    return PlainTextResponse("ok")
