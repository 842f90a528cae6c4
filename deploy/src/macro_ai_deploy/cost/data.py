"""The three inputs kept as data: the dated price table, the expected load per profile, the measured capacity.

Each loader checks its file and raises CostDataError with one line naming the file and the problem.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from macro_ai_contract.api_metrics import load_api_metrics
from macro_ai_contract.fargate import FARGATE_SIZES

from macro_ai_deploy.errors import UsageError

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[3]
DEFAULT_PRICES = HERE / "prices-us-east-1.json"
DEFAULT_LOADS = HERE / "loads.json"
# Written by `make bench` (bench/run.py); read here. One place for the measured per-task capacity.
DEFAULT_CAPACITY = REPO_ROOT / "docs" / "capacity.json"


class CostDataError(UsageError):
    """A price table, load file or capacity file that cannot be used."""


@dataclass(frozen=True)
class Price:
    key: str
    usd: float
    unit: str
    source: str


@dataclass(frozen=True)
class PriceTable:
    region: str
    as_of: str
    verified: bool
    hours_per_month: float
    prices: dict[str, Price]
    task_sizes: dict[int, tuple[int, ...]]  # Fargate CPU units -> allowed memory (MiB)
    path: str

    def usd(self, key: str) -> float:
        return self.price(key).usd

    def price(self, key: str) -> Price:
        try:
            return self.prices[key]
        except KeyError:
            raise CostDataError(f"{self.path}: no price {key!r} (add it, with its unit and source)") from None


@dataclass(frozen=True)
class Traffic:
    bytes_per_request: float
    new_connections_per_request: float
    nat_gb_per_task_month: float
    endpoint_gb_per_task_month: float


@dataclass(frozen=True)
class LogAssumptions:
    """What the log volume needs besides the measured bytes (those are in the capacity file)."""

    legacy_bytes_per_request: float  # the old service's request log line (an estimate: see loads.json)
    metric_routes_per_minute: float  # routes with a request in a minute, per task: one metric document each
    event_overhead_bytes: float  # bytes CloudWatch bills per log event beyond its message (0 unless priced)


@dataclass(frozen=True)
class CustomMetricCounts:
    """CloudWatch custom metrics (billed per metric-month, by the hour they are published)."""

    api_per_route: int  # the API's embedded metrics per route value (contract api-metrics.json)
    api_aggregate: int  # ... and without the route dimension (same file)
    api_routes_per_hour: float  # routes with a request in an hour (each publishes api_per_route metrics)
    insights_per_cluster: int  # Container Insights, cluster dimension
    insights_per_service: int  # Container Insights, service and task-family dimensions


@dataclass(frozen=True)
class LegacyBaseline:
    instance_type: str
    count: int


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    quiet_requests_per_second: float
    hours_per_day: int
    days_per_week: int
    start_hour_utc: int
    interruptions_ok: bool
    may_stop_when_quiet: bool
    saving_goal_percent: float | None
    legacy: LegacyBaseline | None
    open_previews: int = 0


@dataclass(frozen=True)
class LegacyDefaults:
    root_volume_gib: float
    root_volume_type: str
    public_ipv4_per_instance: bool
    load_balancer_azs: int


@dataclass(frozen=True)
class Loads:
    headroom_percent: float
    traffic: Traffic
    logs: LogAssumptions
    custom_metrics: CustomMetricCounts
    task_memory_floor_mib: int
    legacy_default: LegacyDefaults
    profiles: dict[str, Load]
    path: str

    def of(self, profile: str) -> Load:
        try:
            return self.profiles[profile]
        except KeyError:
            raise CostDataError(f"{self.path}: no load for profile {profile!r}") from None


@dataclass(frozen=True)
class Capacity:
    """Requests per second one vCPU serves, from the benchmark's single worker on the sizing endpoint."""

    requests_per_vcpu_second: float
    endpoint: str
    measured: str  # when and by which command
    machine: str
    path: str
    log_bytes_per_request: float = 0.0  # the API's stdout per request on the sizing endpoint
    metric_document_bytes: float = 0.0  # one embedded-metric document (a route's minute)
    log_measured: str = "?"


def shown(path: Path) -> str:
    """A path as the operator reads it: relative to the repository when inside it."""
    resolved = path.resolve()
    return str(resolved.relative_to(REPO_ROOT)) if resolved.is_relative_to(REPO_ROOT) else str(path)


def _read(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise CostDataError(f"{what} {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise CostDataError(f"{what} {path} is not readable JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CostDataError(f"{what} {path}: expected a JSON object")
    return data


def _number(value: Any, where: str, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CostDataError(f"{where}: expected a number, got {value!r}")
    if value < minimum:
        raise CostDataError(f"{where}: must be >= {minimum}, got {value}")
    return float(value)


def load_prices(path: Path = DEFAULT_PRICES) -> PriceTable:
    data = _read(path, "price table")
    try:
        prices = {
            key: Price(key, _number(p["usd"], f"{path}: {key}.usd"), str(p["unit"]), str(p["source"]))
            for key, p in data["prices"].items()
        }
        return PriceTable(
            region=str(data["region"]),
            as_of=str(data["as_of"]),
            verified=bool(data.get("verified_against_price_list", False)),
            hours_per_month=_number(data["hours_per_month"], f"{path}: hours_per_month", 1),
            prices=prices,
            # Fargate's own size table (macro_ai_contract.fargate) unless a price file names others.
            task_sizes={
                int(cpu): tuple(int(m) for m in mem)
                for cpu, mem in data["fargate_task_sizes"].items()
                if not cpu.startswith("$")
            }
            if "fargate_task_sizes" in data
            else dict(FARGATE_SIZES),
            path=shown(path),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, CostDataError):
            raise
        raise CostDataError(f"price table {path}: missing or malformed field {exc}") from None


def _load(entry: dict[str, Any], where: str) -> Load:
    legacy = entry.get("legacy")
    hours, days = int(entry["hours_per_day"]), int(entry["days_per_week"])
    start = int(entry["start_hour_utc"])
    if not 0 <= hours <= 24 or not 0 <= days <= 7 or not 0 <= start <= 23:
        raise CostDataError(f"{where}: hours_per_day 0..24, days_per_week 0..7, start_hour_utc 0..23")
    goal = entry.get("saving_goal_percent")
    return Load(
        requests_per_second=_number(entry["requests_per_second"], f"{where}.requests_per_second"),
        quiet_requests_per_second=_number(
            entry.get("quiet_requests_per_second", 0.0), f"{where}.quiet_requests_per_second"
        ),
        hours_per_day=hours,
        days_per_week=days,
        start_hour_utc=start,
        interruptions_ok=bool(entry["interruptions_ok"]),
        may_stop_when_quiet=bool(entry["may_stop_when_quiet"]),
        saving_goal_percent=None if goal is None else _number(goal, f"{where}.saving_goal_percent"),
        legacy=None if legacy is None else LegacyBaseline(str(legacy["instance_type"]), int(legacy["count"])),
        open_previews=int(entry.get("open_previews", 0)),
    )


def load_loads(path: Path = DEFAULT_LOADS) -> Loads:
    data = _read(path, "load file")
    try:
        t, legacy = data["traffic"], data["legacy_default"]
        logs, metrics = data["logs"], data["custom_metrics"]
        return Loads(
            headroom_percent=_number(data["headroom_percent"], f"{path}: headroom_percent"),
            traffic=Traffic(**{k: _number(v, f"{path}: traffic.{k}") for k, v in t.items()}),
            logs=LogAssumptions(
                **{k: _number(logs[k], f"{path}: logs.{k}") for k in LogAssumptions.__dataclass_fields__}
            ),
            custom_metrics=CustomMetricCounts(
                # What the API publishes is the contract's list, not an estimate of this file.
                api_per_route=load_api_metrics().per_route(),
                api_aggregate=load_api_metrics().route_less(),
                api_routes_per_hour=_number(
                    metrics["api_routes_per_hour"], f"{path}: custom_metrics.api_routes_per_hour"
                ),
                insights_per_cluster=int(
                    _number(metrics["insights_per_cluster"], f"{path}: custom_metrics.insights_per_cluster")
                ),
                insights_per_service=int(
                    _number(metrics["insights_per_service"], f"{path}: custom_metrics.insights_per_service")
                ),
            ),
            task_memory_floor_mib=int(data["task_memory_floor_mib"]),
            legacy_default=LegacyDefaults(
                root_volume_gib=_number(legacy["root_volume_gib"], f"{path}: legacy_default.root_volume_gib"),
                root_volume_type=str(legacy["root_volume_type"]),
                public_ipv4_per_instance=bool(legacy["public_ipv4_per_instance"]),
                load_balancer_azs=int(legacy["load_balancer_azs"]),
            ),
            profiles={k: _load(v, f"{path}: profiles.{k}") for k, v in data["profiles"].items()},
            path=shown(path),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, CostDataError):
            raise
        raise CostDataError(f"load file {path}: missing or malformed field {exc}") from None


def load_capacity(path: Path = DEFAULT_CAPACITY) -> Capacity:
    data = _read(path, "capacity file (written by `make bench`)")
    try:
        endpoint = str(data["sizing_endpoint"])
        per_worker = _number(
            data["requests_per_second"][endpoint], f"{path}: requests_per_second[{endpoint}]"
        )
        vcpus = _number(data["vcpus_per_worker"], f"{path}: vcpus_per_worker", 0.01)
    except (KeyError, TypeError) as exc:
        raise CostDataError(f"capacity file {path}: missing or malformed field {exc}") from None
    if per_worker <= 0:
        raise CostDataError(f"capacity file {path}: {endpoint} has no measured throughput")
    when = str(data.get("measured_by_endpoint", {}).get(endpoint, "?"))
    if "log_bytes_per_request" not in data or "metric_document_bytes" not in data:
        raise CostDataError(
            f"capacity file {path}: no log_bytes_per_request / metric_document_bytes "
            "(measure them: `make bench BENCH=chats`, or `python bench/log_volume.py` and copy the figures)"
        )
    return Capacity(
        requests_per_vcpu_second=per_worker / vcpus,
        endpoint=endpoint,
        measured=when,
        machine=str(data.get("machine", "?")),
        path=shown(path),
        log_bytes_per_request=_number(data["log_bytes_per_request"], f"{path}: log_bytes_per_request", 1),
        metric_document_bytes=_number(data["metric_document_bytes"], f"{path}: metric_document_bytes", 1),
        log_measured=str(data.get("measured", {}).get("log_bytes_per_request", "?")),
    )
