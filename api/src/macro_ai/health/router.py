from fastapi import APIRouter, Request
from fastapi.responses import Response

from macro_ai import __version__
from macro_ai.core import core_of
from macro_ai.health.config_report import config_report
from macro_ai.health.schemas import (
    CheckResult,
    ConfigStatus,
    DetailedStatus,
    HealthStatus,
    LiveStatus,
    NotReady,
    ReadyStatus,
)
from macro_ai.health.service import Check, HealthService
from macro_ai.web.json_response import JSONBytes

router = APIRouter(prefix="/api/health", tags=["health"])
_ALIVE = b'{"status":"alive"}'


def _service(request: Request) -> HealthService:
    # A plain call, not a dependency: the health routes are probed constantly and stay lean.
    return core_of(request).health


def _results(checks: list[Check]) -> list[CheckResult]:
    return [
        CheckResult(
            name=c.name, status="pass" if c.ok else "fail", latency_ms=round(c.latency_ms, 2), detail=c.detail
        )
        for c in checks
    ]


@router.get("", response_model=HealthStatus, summary="Service status (no dependency checks)")
async def health(request: Request) -> HealthStatus:
    return HealthStatus(
        status="ok", uptime_seconds=round(_service(request).lifecycle.uptime_seconds, 3), version=__version__
    )


@router.get("/live", response_model=LiveStatus, summary="Liveness: the process can serve")
async def live() -> Response:
    return Response(_ALIVE, media_type="application/json")


@router.get(
    "/ready",
    response_model=ReadyStatus,
    responses={503: {"model": NotReady, "description": "Not ready: database, migrations or draining"}},
    summary="Readiness: database reachable, migrations at head, not shutting down",
)
async def ready(request: Request) -> JSONBytes:
    checks = await _service(request).readiness()
    results = [r.model_dump(by_alias=True) for r in _results(checks)]
    if all(c.ok for c in checks):
        return JSONBytes({"status": "ready", "checks": results})
    failed = ", ".join(f"{c.name} {c.detail}" for c in checks if not c.ok)
    body = {
        "message": f"Not ready: {failed}",
        "type": "ServiceUnavailable",
        "status": "not_ready",
        "checks": results,
    }
    return JSONBytes(body, status_code=503)


@router.get("/detailed", response_model=DetailedStatus, summary="Every check with status and latency")
async def detailed(request: Request) -> DetailedStatus:
    service = _service(request)
    checks = [service.shutdown_check(), service.features_check(), *await service.database_check()]
    settings = service.settings
    return DetailedStatus(
        status="ok" if all(c.ok for c in checks) else "degraded",
        version=__version__,
        environment=settings.app_env,
        uptime_seconds=round(service.lifecycle.uptime_seconds, 3),
        checks=_results(checks),
    )


@router.get("/config", response_model=ConfigStatus, summary="Missing or invalid configuration, by name only")
async def config(request: Request) -> ConfigStatus:
    return config_report(_service(request).settings)
