"""Request bodies at the edge: 413 before an oversized body is read (declared or chunked), 422 for
JSON that is not UTF-8, both in the one error shape and in the OpenAPI document."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from api_support import API_KEY, GENEROUS_LIMITS, service_environment
from fastapi import FastAPI
from macro_ai_contract import load_contract
from macro_ai_devstack.testing import ServerProcess, running_server

LIMIT = load_contract().max_request_body_bytes
HEAD = (
    f"POST /api/auth/login HTTP/1.1\r\nHost: test\r\nX-API-KEY: {API_KEY}\r\n"
    "Content-Type: application/json\r\n"
)


@pytest.fixture(scope="module")
def server(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    log = tmp_path_factory.mktemp("body") / "server.log"
    # Unbuffered, as the image runs it: the access log is read while the server runs.
    environment = service_environment(migrated_database, **GENEROUS_LIMITS, PYTHONUNBUFFERED="1")
    with running_server(environment, log) as process:
        yield process


def read_response(connection: socket.socket) -> tuple[int, dict[str, str], dict[str, object]]:
    """One HTTP/1.1 response with a Content-Length body, read off the socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines[1:])}
    while len(body) < int(headers["content-length"]):
        body += connection.recv(65536)
    return int(lines[0].split()[1]), headers, json.loads(body)


def test_declared_oversized_body_is_refused_before_it_is_sent(server: ServerProcess) -> None:
    """10 MB announced, 1 KB sent: the 413 comes back at once, without waiting for the rest."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(f"{HEAD}Content-Length: {10 * 1024 * 1024}\r\n\r\n".encode() + b"{" * 1024)
        status, headers, body = read_response(connection)
    assert status == 413
    assert headers["connection"] == "close"  # the unread rest cannot be followed by another request
    assert body["type"] == "PayloadTooLarge"
    assert str(LIMIT) in str(body["message"])


def test_chunked_body_is_refused_as_soon_as_it_passes_the_limit(server: ServerProcess) -> None:
    """No length given: the body is counted as it arrives; one byte over the limit and the answer is
    413, while the client has not even finished sending."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(f"{HEAD}Transfer-Encoding: chunked\r\n\r\n".encode())
        piece = 64 * 1024
        for _ in range(LIMIT // piece + 1):
            connection.sendall(f"{piece:x}\r\n".encode() + b" " * piece + b"\r\n")
        status, _, body = read_response(connection)  # no terminating chunk was sent
    assert (status, body["type"]) == (413, "PayloadTooLarge")


def test_a_client_that_leaves_mid_body_is_logged_499_and_not_answered(server: ServerProcess) -> None:
    """Half a chunked body, then the client goes away: nothing to answer, and the access log says 499
    (client closed request), not a 5xx that would count against the service."""
    request_id = f"leaves-{time.monotonic_ns()}"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(f"{HEAD}X-Request-Id: {request_id}\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        connection.sendall(b'5\r\n{"a":\r\n')
    deadline = time.monotonic() + 5
    lines: list[dict[str, object]] = []
    while not lines and time.monotonic() < deadline:
        time.sleep(0.05)
        lines = [
            json.loads(line)
            for line in server.log_path.read_text().splitlines()
            if request_id in line and '"message":"request"' in line
        ]
    assert [line["status"] for line in lines] == [499]


def test_body_at_the_limit_still_reaches_the_route(server: ServerProcess) -> None:
    padding = LIMIT - len('{"email": "a@example.com", "password": "", "pad": ""}')
    body = json.dumps({"email": "a@example.com", "password": "", "pad": " " * padding}).encode()
    assert len(body) == LIMIT
    response = httpx.post(
        server.url + "/api/auth/login",
        content=body,
        headers={"X-API-KEY": API_KEY, "Content-Type": "application/json"},
    )
    assert response.status_code == 422  # parsed and validated by the route (empty password)
    assert response.json()["type"] == "ValidationError"


@pytest.mark.parametrize("content_type", ["application/json", "application/merge-patch+json", None])
async def test_invalid_utf8_json_is_422_in_the_error_shape(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"X-API-KEY": API_KEY} | ({"Content-Type": content_type} if content_type else {})
    response = await client.post(
        "/api/auth/login", content=b'{"email": "\xff\xfe@example.com"}', headers=headers
    )
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "ValidationError"
    assert body["message"] == "Request body is not valid UTF-8 JSON"
    assert body["details"] == [{"path": "body", "message": "invalid UTF-8 at byte 11"}]


def test_openapi_documents_413_and_422_on_every_route_with_a_body(app: FastAPI) -> None:
    document = app.openapi()
    with_body = [
        (path, method, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]
    assert len(with_body) >= 8
    for path, method, operation in with_body:
        for status in ("413", "422"):
            response = operation["responses"].get(status)
            assert response is not None, (path, method, status)
            assert response["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }


@pytest.fixture
def app(make_app) -> FastAPI:  # type: ignore[no-untyped-def]
    built: FastAPI = make_app()
    return built
