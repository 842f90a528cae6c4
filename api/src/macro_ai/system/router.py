import os
import platform
import resource
import sys

from fastapi import APIRouter, Request

from macro_ai import __version__
from macro_ai.deps import services_of
from macro_ai.schemas import CamelModel

router = APIRouter(tags=["system"])


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


@router.get("/system-info", response_model=SystemInfo, summary="Runtime, version, uptime and memory")
async def system_info(request: Request) -> SystemInfo:
    services = services_of(request)  # a plain call, not a dependency: this route is benchmarked
    return SystemInfo(
        version=__version__,
        environment=services.settings.app_env,
        uptime_seconds=round(services.lifecycle.uptime_seconds, 3),
        runtime=Runtime(
            python=sys.version.split()[0],
            implementation=platform.python_implementation(),
            platform=sys.platform,
            pid=os.getpid(),
        ),
        memory=Memory(
            rss_bytes=_rss_bytes(), max_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        ),
    )
