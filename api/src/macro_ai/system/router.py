"""``/api/system-info``: version, environment, uptime, runtime and memory of this process.

It is probed by monitoring and benchmarked, so it is built lean: what cannot change while the process
lives is computed once, the memory figures are sampled at most once per ``MEMORY_SAMPLE_SECONDS``
(a read of /proc and a getrusage call cost more than the rest of the request), and the body is
written with orjson, and FastAPI's per-request handler is skipped (``DirectRoute``).
``response_model`` still documents the shape in the OpenAPI document.
"""

import os
import platform
import resource
import sys
import time

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from macro_ai import __version__
from macro_ai.core import core_of
from macro_ai.schemas import CamelModel
from macro_ai.web.direct_route import DirectRoute

router = APIRouter(prefix="/api", tags=["system"])
MEMORY_SAMPLE_SECONDS = 1.0


class Runtime(CamelModel):
    python: str
    implementation: str
    platform: str
    pid: int


class Memory(CamelModel):
    rss_bytes: int
    max_rss_bytes: int


class SystemInfo(CamelModel):
    version: str
    environment: str
    uptime_seconds: float
    runtime: Runtime
    memory: Memory


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux
        return 0


class _MemorySample:
    def __init__(self) -> None:
        self.taken = -MEMORY_SAMPLE_SECONDS
        self.figures: dict[str, int] = {}

    def current(self) -> dict[str, int]:
        now = time.monotonic()
        if now - self.taken >= MEMORY_SAMPLE_SECONDS:
            max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            self.figures = {"rssBytes": _rss_bytes(), "maxRssBytes": max_rss}
            self.taken = now
        return self.figures


_RUNTIME = {
    "python": sys.version.split()[0],
    "implementation": platform.python_implementation(),
    "platform": sys.platform,
    # Read per request (cheap): a forked worker has a pid of its own.
}
_memory = _MemorySample()


async def system_info(request: Request) -> Response:
    core = core_of(request)
    body = {
        "version": __version__,
        "environment": core.settings.app_env,
        "uptimeSeconds": round(core.lifecycle.uptime_seconds, 3),
        "runtime": {**_RUNTIME, "pid": os.getpid()},
        "memory": _memory.current(),
    }
    return Response(orjson.dumps(body), media_type="application/json")


# A direct route (macro_ai.web.direct_route): the handler takes the Request alone.
router.add_api_route(
    "/system-info",
    system_info,
    methods=["GET"],
    response_model=SystemInfo,
    summary="Runtime, version, uptime and memory",
    route_class_override=DirectRoute,
)
