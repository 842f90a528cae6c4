"""The HTTP edge, in process: API key, CORS, security headers, rate limits, request ids, errors."""

from __future__ import annotations

import httpx
import pytest
from api_support import API_KEY
from macro_ai.web.client_ip import client_ip

KEY = {"X-API-KEY": API_KEY}


async def client_for(app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


class TestApiKey:
    async def test_missing_wrong_and_right(self, client: httpx.AsyncClient) -> None:
        missing = await client.get("/api/system-info")
        wrong = await client.get("/api/system-info", headers={"X-API-KEY": API_KEY[:-1] + "x"})
        right = await client.get("/api/system-info", headers=KEY)
        assert (missing.status_code, missing.json()) == (
            401,
            {"message": "Missing API key", "type": "Unauthorized", "status": 401},
        )
        assert (wrong.status_code, wrong.json()["message"]) == (401, "Invalid API key")
        assert right.status_code == 200
        assert right.json()["environment"] == "test"

    @pytest.mark.parametrize("path", ["/api/health", "/api/health/live", "/api/openapi.json", "/api/docs"])
    async def test_exempt_routes(self, client: httpx.AsyncClient, path: str) -> None:
        assert (await client.get(path)).status_code == 200


class TestCors:
    @pytest.fixture
    async def cors_client(self, make_app):  # type: ignore[no-untyped-def]
        app = make_app(CORS_ALLOWED_ORIGINS="https://app.example.com", CUSTOM_DOMAIN_NAME="example.com")
        async with await client_for(app) as client:
            yield client

    async def preflight(self, client: httpx.AsyncClient, origin: str) -> httpx.Response:
        return await client.options(
            "/api/system-info",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "x-api-key",
            },
        )

    @pytest.mark.parametrize("origin", ["https://app.example.com", "https://pr-42.example.com"])
    async def test_allowed_origins(self, cors_client: httpx.AsyncClient, origin: str) -> None:
        preflight = await self.preflight(cors_client, origin)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == origin
        assert preflight.headers["access-control-allow-credentials"] == "true"
        actual = await cors_client.get("/api/system-info", headers={**KEY, "Origin": origin})
        assert actual.headers["access-control-allow-origin"] == origin

    @pytest.mark.parametrize(
        "origin",
        [
            "https://evil.example/?x=app.example.com",  # the old substring bug
            "https://app.example.com.evil.example",
            "https://pr-42.example.com.evil.example",
            "https://evil-pr-42.example.com",
            "https://pr-42.example.comm",
            "http://pr-42.example.com",
            "https://pr-x.example.com",
        ],
    )
    async def test_denied_origins(self, cors_client: httpx.AsyncClient, origin: str) -> None:
        preflight = await self.preflight(cors_client, origin)
        assert preflight.status_code == 400
        assert "access-control-allow-origin" not in preflight.headers
        actual = await cors_client.get("/api/system-info", headers={**KEY, "Origin": origin})
        assert "access-control-allow-origin" not in actual.headers


async def test_security_headers_and_no_store(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/system-info", headers=KEY)
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["cache-control"] == "no-store"
    assert "server" not in response.headers


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/no-such-route", headers=KEY)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"message": "Route not found", "type": "NotFound", "status": 404}
    wrong_method = await client.delete("/api/system-info", headers=KEY)
    assert wrong_method.status_code == 405
    assert set(wrong_method.json()) == {"message", "type", "status"}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/api/chats", "GET, POST"),  # two routes, one resource: both methods
        ("PATCH", "/api/chats/5f0c6a0e-8c1f-4c49-9c3e-3d6a3c6f0b11", "DELETE, GET, PUT"),
        ("DELETE", "/api/system-info", "GET"),
    ],
)
async def test_405_allow_lists_every_method_of_the_resource(
    client: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path, headers=KEY)
    assert response.status_code == 405
    assert response.headers.get_list("allow") == [allowed]
    assert response.json()["type"] == "MethodNotAllowed"


class TestRequestId:
    async def test_echoed_when_given(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/health/live", headers={"X-Request-Id": "abc-123"})
        assert response.headers["x-request-id"] == "abc-123"

    async def test_taken_from_the_alb_trace_header(self, client: httpx.AsyncClient) -> None:
        trace = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1"
        response = await client.get("/api/health/live", headers={"X-Amzn-Trace-Id": trace})
        assert response.headers["x-request-id"] == "1-67891233-abcdef012345678912345678"

    async def test_generated_when_absent_or_unsafe(self, client: httpx.AsyncClient) -> None:
        first = await client.get("/api/health/live")
        unsafe = await client.get("/api/health/live", headers={"X-Request-Id": "bad id\twith spaces"})
        assert len(first.headers["x-request-id"]) == 32
        assert unsafe.headers["x-request-id"] != "bad id\twith spaces"
        assert first.headers["x-request-id"] != unsafe.headers["x-request-id"]


class TestRateLimits:
    async def test_429_with_headers_per_client_ip_behind_one_proxy(self, make_app) -> None:  # type: ignore[no-untyped-def]
        app = make_app(
            TRUSTED_PROXY_HOPS="1", API_RATE_LIMIT_MAX_REQUESTS="3", RATE_LIMIT_MAX_REQUESTS="1000"
        )
        async with await client_for(app) as client:
            alice = {**KEY, "X-Forwarded-For": "203.0.113.10"}
            codes = [(await client.get("/api/system-info", headers=alice)).status_code for _ in range(3)]
            assert codes == [200, 200, 200]
            limited = await client.get("/api/system-info", headers=alice)
            assert limited.status_code == 429
            assert limited.json() == {
                "message": "Too many requests, please try again later",
                "type": "TooManyRequests",
                "status": 429,
            }
            assert limited.headers["ratelimit-limit"] == "3"
            assert limited.headers["ratelimit-remaining"] == "0"
            assert 0 < int(limited.headers["retry-after"]) <= 60
            # Another client behind the same load balancer has its own budget.
            bob = await client.get("/api/system-info", headers={**KEY, "X-Forwarded-For": "203.0.113.20"})
            assert bob.status_code == 200
            assert bob.headers["ratelimit-remaining"] == "2"
            # Alice cannot escape by writing her own X-Forwarded-For entries: only the last hop is trusted.
            spoofed = await client.get(
                "/api/system-info", headers={**KEY, "X-Forwarded-For": "198.51.100.7, 203.0.113.10"}
            )
            assert spoofed.status_code == 429

    async def test_auth_routes_have_their_own_stricter_bucket(self, make_app) -> None:  # type: ignore[no-untyped-def]
        app = make_app(AUTH_RATE_LIMIT_MAX_REQUESTS="2")
        async with await client_for(app) as client:
            codes = [
                (await client.post("/api/auth/login", headers=KEY, json={})).status_code for _ in range(3)
            ]
            assert codes[-1] == 429
            assert codes[:2] != [429, 429]
            assert (await client.get("/api/system-info", headers=KEY)).status_code == 200

    async def test_health_is_never_limited(self, make_app) -> None:  # type: ignore[no-untyped-def]
        app = make_app(RATE_LIMIT_MAX_REQUESTS="1")
        async with await client_for(app) as client:
            assert {(await client.get("/api/health/live")).status_code for _ in range(5)} == {200}


@pytest.mark.parametrize(
    ("peer", "forwarded", "hops", "expected"),
    [
        ("10.0.0.5", None, 0, "10.0.0.5"),
        ("10.0.0.5", "203.0.113.1", 0, "10.0.0.5"),  # no trusted proxy: the header is ignored
        ("10.0.0.5", "203.0.113.1", 1, "203.0.113.1"),
        ("10.0.0.5", "6.6.6.6, 203.0.113.1", 1, "203.0.113.1"),
        ("10.0.0.5", "203.0.113.1, 10.0.0.9", 2, "203.0.113.1"),
        ("10.0.0.5", None, 1, "10.0.0.5"),  # header missing: fall back to the peer
        ("10.0.0.5", "203.0.113.1", 3, "203.0.113.1"),  # fewer entries than hops: the leftmost
    ],
)
def test_client_ip_through_trusted_hops(peer: str, forwarded: str | None, hops: int, expected: str) -> None:
    assert client_ip((peer, 1234), forwarded.encode() if forwarded else None, hops) == expected


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        ("Bearer abc.def", "abc.def"),
        ("bearer abc.def", "abc.def"),
        ("BEARER  abc.def ", "abc.def"),
        ("Bearer", None),
        ("Bearer ", None),
        ("Basic abc.def", None),
        ("abc.def", None),
    ],
)
def test_bearer_token_parsing(header: str | None, token: str | None) -> None:
    from macro_ai.deps import bearer_token

    assert bearer_token(header) == token
