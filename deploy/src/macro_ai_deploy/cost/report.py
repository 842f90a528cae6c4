"""One profile's report (estimate, advice, goal), as a plain dict for --json and as Rich tables."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from macro_ai_deploy.cost.advice import Advice, advise
from macro_ai_deploy.cost.data import Capacity, Load, Loads, PriceTable
from macro_ai_deploy.cost.model import Estimate, Pricer, price
from macro_ai_deploy.cost.templates import Landscape


@dataclass(frozen=True)
class ProfileReport:
    profile: str
    stacks: tuple[str, ...]
    load: Load
    estimate: Estimate
    advice: tuple[Advice, ...]

    @property
    def goal_met(self) -> bool | None:
        goal, saving = self.load.saving_goal_percent, self.estimate.saving_percent
        if goal is None or saving is None:
            return None
        return saving >= goal


def build(
    landscape: Landscape,
    profiles: list[str],
    prices: PriceTable,
    loads: Loads,
    capacity: Capacity,
    load_of: dict[str, Load],
) -> list[ProfileReport]:
    reports = []
    for profile in profiles:
        load = load_of[profile]
        deployment = landscape.deployment(profile)
        pricer = Pricer(prices, loads, capacity)
        estimate = price(deployment, pricer, load, loads.legacy_default)
        reports.append(
            ProfileReport(
                profile=profile,
                stacks=tuple(
                    f"{p.inventory.stack} x {p.copies}" if p.copies != 1 else p.inventory.stack
                    for p in deployment.parts
                ),
                load=load,
                estimate=estimate,
                advice=advise(estimate, deployment, pricer, load, loads),
            )
        )
    return reports


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} %"


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def as_json(
    reports: list[ProfileReport], prices: PriceTable, capacity: Capacity, loads: Loads
) -> dict[str, Any]:
    used = sorted({key for r in reports for key in r.estimate.prices_used})
    return {
        "prices": {
            "region": prices.region,
            "as_of": prices.as_of,
            "verified_against_price_list": prices.verified,
            "file": prices.path,
            "hours_per_month": prices.hours_per_month,
            "used": {k: {**asdict(prices.price(k)), "as_of": prices.as_of} for k in used},
        },
        "capacity": asdict(capacity),
        "headroom_percent": loads.headroom_percent,
        "profiles": [
            {
                "profile": r.profile,
                "stacks": list(r.stacks),
                "load": asdict(r.load),
                "components": [asdict(line) for line in r.estimate.lines],
                "fargate_monthly_usd": round(r.estimate.fargate_usd, 2),
                "legacy_monthly_usd": None
                if r.estimate.legacy_usd is None
                else round(r.estimate.legacy_usd, 2),
                "saving_percent": _round(r.estimate.saving_percent),
                "saving_percent_without_shared": _round(r.estimate.saving_percent_without_shared),
                "saving_goal_percent": r.load.saving_goal_percent,
                "goal_met": r.goal_met,
                "tasks": [
                    {
                        "stack": sw.stack,
                        "service": sw.service.name,
                        "copies": sw.copies,
                        "average_tasks": round(sw.week.average_tasks, 3),
                        "peak_tasks": sw.week.peak_tasks,
                        "on_demand_task_hours": round(sw.on_demand_task_hours, 1),
                        "spot_task_hours": round(sw.spot_task_hours, 1),
                    }
                    for sw in r.estimate.services
                ],
                "advice": [asdict(a) for a in r.advice],
                "notes": list(r.estimate.notes),
            }
            for r in reports
        ],
    }


def _summary(reports: list[ProfileReport]) -> Table:
    table = Table(title="Monthly cost: Fargate design against the legacy EC2 fleet, same load")
    for column in ("profile", "Fargate", "EC2 fleet", "saving", "saving w/o shared", "goal (whole bill)"):
        table.add_column(column, justify="left" if column == "profile" else "right")
    for r in reports:
        goal = r.load.saving_goal_percent
        verdict = "-" if r.goal_met is None else f"{'met' if r.goal_met else 'NOT met'} (>= {goal:g} %)"
        table.add_row(
            r.profile,
            _money(r.estimate.fargate_usd),
            _money(r.estimate.legacy_usd),
            _percent(r.estimate.saving_percent),
            _percent(r.estimate.saving_percent_without_shared),
            verdict,
        )
    return table


def render(
    console: Console, reports: list[ProfileReport], prices: PriceTable, capacity: Capacity, loads: Loads
) -> None:
    for r in reports:
        load = r.load
        previews = f", {load.open_previews} open previews" if load.open_previews else ""
        table = Table(
            title=f"{r.profile}: {', '.join(r.stacks)}",
            caption=f"load: {load.requests_per_second:g} req/s for {load.hours_per_day} h a day, "
            f"{load.days_per_week} days a week, {load.quiet_requests_per_second:g} req/s otherwise{previews}",
        )
        table.add_column("component")
        table.add_column("Fargate", justify="right")
        table.add_column("EC2 fleet", justify="right")
        table.add_column("how")
        for line in r.estimate.lines:
            how = (
                line.detail
                if line.shared or r.estimate.legacy_usd is None
                else f"{line.detail} | EC2: {line.legacy_detail}"
            )
            table.add_row(
                line.component + (" (both)" if line.shared else ""),
                _money(line.fargate_usd),
                _money(line.legacy_usd),
                how,
            )
        table.add_section()
        table.add_row("total", _money(r.estimate.fargate_usd), _money(r.estimate.legacy_usd), "")
        console.print(table)
        for a in r.advice:
            console.print(f"  advice ({a.kind}): {a.text}", markup=False)
        for note in r.estimate.notes:
            console.print(f"  note: {note}", markup=False)
        console.print()
    console.print(_summary(reports))
    check = (
        "checked"
        if prices.verified
        else "NOT checked against the AWS Price List API; check before a decision"
    )
    console.print(
        f"Prices: {prices.region} list prices as of {prices.as_of} ({prices.path}; {check}); "
        f"{prices.hours_per_month:g} h a month. Capacity: {capacity.requests_per_vcpu_second:.0f} req/s "
        f"per vCPU on {capacity.endpoint}, measured {capacity.measured} ({capacity.path}).",
        markup=False,
    )
    console.print(
        f"Logs per request: Fargate {capacity.log_bytes_per_request:.0f} B measured "
        f"{capacity.log_measured} ({capacity.path}), plus {capacity.metric_document_bytes:.0f} B a route "
        f"and task-minute of metrics; EC2 fleet {loads.logs.legacy_bytes_per_request:.0f} B estimated "
        f"({loads.path}: the old pino-http line, reconstructed larger; the smaller figure kept).",
        markup=False,
    )
