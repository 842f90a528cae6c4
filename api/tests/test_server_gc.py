"""``macro-ai serve`` imports with garbage collection off (macro_ai.cli) and relies on the server to
turn it back on, tuned, once it serves: a server left without collection would leak every cycle."""

from __future__ import annotations

import gc
from typing import Any

from macro_ai.lifecycle import Lifecycle
from macro_ai.server import YOUNG_COLLECTION_ALLOCATIONS, draining_server
from macro_ai_devstack.testing import free_port


async def lifespan_only(scope: dict[str, Any], receive: Any, send: Any) -> None:
    while scope["type"] == "lifespan":
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        else:
            await send({"type": "lifespan.shutdown.complete"})
            return


async def test_serving_turns_collection_back_on_with_the_startup_heap_frozen() -> None:
    threshold = gc.get_threshold()
    gc.disable()
    try:
        server = draining_server(lifespan_only, "127.0.0.1", free_port(), Lifecycle(), drain_seconds=1)
        server.config.load()
        server.lifespan = server.config.lifespan_class(server.config)
        await server.startup()
        try:
            assert gc.isenabled()
            assert gc.get_threshold()[0] == YOUNG_COLLECTION_ALLOCATIONS
            assert gc.get_freeze_count() > 0
        finally:
            await server.shutdown()
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        gc.enable()
