"""Rate limits shared through a real Redis server: the limit holds across tasks, and a Redis outage
lets requests through instead of failing them."""

from __future__ import annotations

import httpx
import pytest
from api_support import API_KEY, REDIS, service_environment, settings_for
from macro_ai.main import create_app
from macro_ai_devstack.testing import free_port

pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is installed by `make test`")


def task(migrated_database: str, redis_url: str) -> httpx.AsyncClient:
    environment = service_environment(
        migrated_database, REDIS_URL=redis_url, TRUSTED_PROXY_HOPS="1", API_RATE_LIMIT_MAX_REQUESTS="4"
    )
    app = create_app(settings_for(environment))
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"X-API-KEY": API_KEY, "X-Forwarded-For": "203.0.113.50"},
    )


async def test_limit_holds_across_tasks(migrated_database: str, redis_url: str) -> None:
    async with task(migrated_database, redis_url) as first, task(migrated_database, redis_url) as second:
        codes = []
        for client in (first, second, first, second, first, second):
            codes.append((await client.get("/api/system-info")).status_code)
        assert codes == [200, 200, 200, 200, 429, 429]
        other_ip = await first.get("/api/system-info", headers={"X-Forwarded-For": "203.0.113.51"})
        assert other_ip.status_code == 200


async def test_a_redis_outage_fails_open(migrated_database: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    async with task(migrated_database, unreachable) as client:
        codes = [(await client.get("/api/system-info")).status_code for _ in range(6)]
    assert codes == [200] * 6
