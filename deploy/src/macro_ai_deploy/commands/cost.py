"""`macro-deploy cost [ENV ...] [--all] [--json]`: monthly cost per component from the synthesized templates,
beside the legacy EC2 fleet for the same load, with advice. No AWS calls."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from macro_ai_deploy.cost import data, report
from macro_ai_deploy.cost.templates import PREVIEW, Landscape, profile_names, read_dir, synthesize
from macro_ai_deploy.errors import UsageError


def _profiles(envs: list[str], everything: bool) -> list[str]:
    known = profile_names()
    if everything:
        if envs:
            raise UsageError("give environments or --all, not both")
        return known
    if not envs:
        raise UsageError(f"name the environments to price ({', '.join(known)}) or pass --all")
    unknown = [e for e in envs if e not in known]
    if unknown:
        raise UsageError(f"unknown environment(s) {', '.join(unknown)}: expected {', '.join(known)}")
    return list(dict.fromkeys(envs))


def cost(
    envs: Annotated[
        list[str] | None, typer.Argument(help="hobby | staging | production | preview", show_default=False)
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every environment and the previews.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Plain JSON on stdout.")] = False,
    templates: Annotated[
        Path | None,
        typer.Option(
            help="A cdk.out folder to read (default: synthesize the CDK app here).", file_okay=False
        ),
    ] = None,
    prices: Annotated[
        Path | None, typer.Option(help="Price table (default: cost/prices-us-east-1.json).")
    ] = None,
    loads: Annotated[Path | None, typer.Option(help="Expected load (default: cost/loads.json).")] = None,
    capacity: Annotated[
        Path | None, typer.Option(help="Measured capacity (default: docs/capacity.json).")
    ] = None,
    rps: Annotated[float | None, typer.Option(help="Peak requests/s (overrides loads.json).")] = None,
    hours_per_day: Annotated[
        int | None, typer.Option(help="Busy hours a day (overrides loads.json).")
    ] = None,
    days_per_week: Annotated[
        int | None, typer.Option(help="Busy days a week (overrides loads.json).")
    ] = None,
    open_previews: Annotated[int | None, typer.Option(help="Open previews (overrides loads.json).")] = None,
) -> None:
    """Monthly cost of each profile, component by component, beside the legacy EC2 fleet for the same load."""
    profiles = _profiles(envs or [], everything)
    price_table = data.load_prices(prices or data.DEFAULT_PRICES)
    load_table = data.load_loads(loads or data.DEFAULT_LOADS)
    measured = data.load_capacity(capacity or data.DEFAULT_CAPACITY)
    overrides = {
        "requests_per_second": rps,
        "hours_per_day": hours_per_day,
        "days_per_week": days_per_week,
        "open_previews": open_previews,
    }
    if (rps is not None and rps < 0) or (open_previews is not None and open_previews < 0):
        raise UsageError("--rps and --open-previews must not be negative")
    if hours_per_day is not None and not 0 <= hours_per_day <= 24:
        raise UsageError("--hours-per-day must be 0..24")
    if days_per_week is not None and not 0 <= days_per_week <= 7:
        raise UsageError("--days-per-week must be 0..7")
    changes = {k: v for k, v in overrides.items() if v is not None}
    if open_previews is not None:
        changes.pop("open_previews")
        preview = replace(load_table.of(PREVIEW), open_previews=open_previews)
        load_table = replace(load_table, profiles={**load_table.profiles, PREVIEW: preview})
    load_of = {p: replace(load_table.of(p), **changes) for p in profiles}  # type: ignore[arg-type]
    if not as_json:
        Console(stderr=True).print(
            "reading " + (str(templates) if templates else "the CDK app (synthesizing, about a minute)"),
            markup=False,
        )
    raw = read_dir(templates) if templates else synthesize()
    landscape = Landscape(raw, load_table)
    reports = report.build(landscape, profiles, price_table, load_table, measured, load_of)
    if as_json:
        typer.echo(json.dumps(report.as_json(reports, price_table, measured, load_table), indent=2))
        return
    console = Console(highlight=False, width=None if Console().is_terminal else 200)
    report.render(console, reports, price_table, measured, load_table)
