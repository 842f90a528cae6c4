from typing import Literal

from pydantic import Field

from macro_ai.schemas import CamelModel


class HealthStatus(CamelModel):
    status: Literal["ok"]
    uptime_seconds: float
    version: str


class LiveStatus(CamelModel):
    status: Literal["alive"]


class CheckResult(CamelModel):
    name: str
    status: Literal["pass", "fail"]
    latency_ms: float
    detail: str


class ReadyStatus(CamelModel):
    status: Literal["ready"]
    checks: list[CheckResult]


class NotReady(CamelModel):
    message: str
    type: Literal["ServiceUnavailable"] = "ServiceUnavailable"
    status: Literal["not_ready"] = "not_ready"
    checks: list[CheckResult]


class DetailedStatus(CamelModel):
    status: Literal["ok", "degraded"]
    version: str
    environment: str
    uptime_seconds: float
    checks: list[CheckResult]


class ConfigStatus(CamelModel):
    status: Literal["complete", "incomplete"]
    environment: str
    missing: list[str] = Field(description="optional items that are not configured, by name")
    invalid: list[str] = Field(description="items whose value cannot be used, by name")
