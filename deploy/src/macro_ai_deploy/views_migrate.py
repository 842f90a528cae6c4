"""What the operator sees while a migration runs: a Rich live panel on a terminal (step k/n, a weight bar
per fleet, the bake countdown, the latest gate results), plain lines otherwise (CI logs), where repeated
passing gate checks of the same weights collapse into one line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

from macro_ai_deploy.durations import format_duration
from macro_ai_deploy.rollout import Event, Plan, Weights
from macro_ai_deploy.views import event_line
from macro_ai_deploy.views_status import bar


class PlainLines:
    """One line per event; a run of passing checks of the same weights prints once, then a count."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._passes: tuple[Weights | None, int] = (None, 0)

    def _flush(self) -> None:
        weights, n = self._passes
        if n > 1:
            self.console.print(
                Text(f"{'':9}{'':10}... and {n - 1} more passing check(s) of {weights}", style="dim")
            )
        self._passes = (None, 0)

    def __call__(self, ev: Event) -> None:
        if ev.kind == "gate" and ev.report is not None and ev.report.ok:
            weights, n = self._passes
            if weights == ev.weights and n:
                self._passes = (weights, n + 1)
                return
            self._flush()
            self._passes = (ev.weights, 1)
        else:
            self._flush()
        self.console.print(event_line(ev))

    def close(self) -> None:
        self._flush()


class LivePanel:
    """A live panel redrawn on every event and four times a second (the countdown moves between events)."""

    def __init__(self, console: Console, title: str, now: Callable[[], float]) -> None:
        self.console, self.title, self.now = console, title, now
        self.plan: Plan | None = None
        self.live_weights: Weights | None = None
        self.baking_since: float | None = None
        self.t0 = now()
        self.last_gates: list[tuple[bool, str]] = []
        self.passes = 0
        self.log: list[Event] = []
        self._live = Live(console=console, refresh_per_second=4, get_renderable=self.render, transient=False)

    def set_plan(self, plan: Plan) -> None:
        self.plan = plan

    def __enter__(self) -> LivePanel:
        self._live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._live.__exit__(*exc)

    def __call__(self, ev: Event) -> None:
        if ev.weights is not None and ev.kind in ("start", "set"):
            self.live_weights = ev.weights
            self.baking_since = self.now() if ev.kind == "set" else self.baking_since
        if ev.kind == "gate" and ev.report is not None:
            self.last_gates = [(r.ok, f"{r.name}: {r.detail}") for r in ev.report.results]
            self.passes = self.passes + 1 if ev.report.ok else 0
        else:
            self.log.append(ev)
        self._live.refresh()

    def render(self) -> Panel:
        parts: list[Any] = []
        w = self.live_weights
        if self.plan is not None and w is not None:
            steps = self.plan.steps
            k = sum(1 for s in steps if s <= w.ecs)
            parts.append(Text(f"step {k}/{len(steps)}: {w.ecs} % ECS", style="bold"))
            parts.append(Text(f"ecs    {bar(w.ecs, 30)} {w.ecs:3d} %"))
            parts.append(Text(f"legacy {bar(w.legacy, 30)} {w.legacy:3d} %"))
            if self.baking_since is not None:
                left = max(0.0, self.plan.bake_seconds - (self.now() - self.baking_since))
                parts.append(
                    Text(f"bake: {format_duration(left)} left of {format_duration(self.plan.bake_seconds)}")
                )
        if self.last_gates:
            head = f"gates ({self.passes} passing check(s) in a row)" if self.passes else "gates"
            parts.append(Text(head, style="bold"))
            for ok, text in self.last_gates:
                parts.append(Text(f"  {'ok  ' if ok else 'FAIL'} {text}", style="" if ok else "red"))
        for ev in self.log[-6:]:
            parts.append(event_line(ev))
        return Panel(Group(*parts), title=self.title, width=80)
