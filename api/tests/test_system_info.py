"""``/api/system-info`` writes its body by hand (for speed): it must still be exactly the documented
``SystemInfo`` shape, and its figures must be live."""

from __future__ import annotations

import os

import httpx
from api_support import API_KEY
from macro_ai.system.router import SystemInfo

KEY = {"X-API-KEY": API_KEY}


async def test_the_body_is_exactly_the_documented_shape(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/system-info", headers=KEY)).json()
    # Round-tripped through the model: a missing, renamed, extra or mistyped field changes it.
    assert SystemInfo.model_validate(body).model_dump(by_alias=True) == body
    assert body["runtime"]["pid"] == os.getpid()
    assert body["memory"]["rssBytes"] > 0
    assert body["memory"]["maxRssBytes"] >= body["memory"]["rssBytes"] // 2


async def test_uptime_moves(client: httpx.AsyncClient) -> None:
    first = (await client.get("/api/system-info", headers=KEY)).json()["uptimeSeconds"]
    second = (await client.get("/api/system-info", headers=KEY)).json()["uptimeSeconds"]
    assert second >= first >= 0
