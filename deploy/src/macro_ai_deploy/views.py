"""Rich renderings: deployment snapshots, status tables, rollout events, config changes."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from macro_ai_deploy.aws.ecs import td_short
from macro_ai_deploy.configsync import Action, Change
from macro_ai_deploy.rollout import Event
from macro_ai_deploy.watch import Snapshot

_EVENT_STYLE = {
    "gate": "cyan",
    "set": "bold",
    "rollback": "bold red",
    "finish": "bold",
    "writeback": "magenta",
    "hold": "yellow",
    "capacity": "blue",
    "start": "bold",
}


def deployments_table(deps: list[dict]) -> Table:  # type: ignore[type-arg]
    t = Table(title="deployments", title_justify="left", expand=False)
    for col in ("id", "status", "revision", "rollout", "desired", "pending", "running", "failed"):
        t.add_column(col)
    for d in deps:
        state = d.get("rolloutState", "")
        style = {"COMPLETED": "green", "FAILED": "red", "IN_PROGRESS": "yellow"}.get(state, "")
        t.add_row(
            d.get("id", ""),
            d.get("status", ""),
            td_short(d.get("taskDefinition", "")),
            Text(state, style=style),
            str(d.get("desiredCount", 0)),
            str(d.get("pendingCount", 0)),
            str(d.get("runningCount", 0)),
            str(d.get("failedTasks", 0)),
        )
    return t


def snapshot_view(snap: Snapshot, stage: str, elapsed: float) -> Group:
    parts: list[object] = [
        Text(f"[{elapsed:5.0f}s] stack {snap.stack.status}", style="bold"),
        deployments_table(snap.deployments),
    ]
    if snap.targets is not None:
        parts.append(Text(f"ECS targets: {snap.targets.summary()}"))
    events = snap.service.get("events", [])[:3]
    for e in events:
        parts.append(Text(f"  event: {e.get('message', '')}", style="dim"))
    parts.append(Text(f"→ {stage}", style="yellow"))
    return Group(*parts)  # type: ignore[arg-type]


def event_line(ev: Event) -> Text:
    text = Text(f"[{ev.at:6.0f}s] ", style="dim")
    text.append(f"{ev.kind:<9} ", style=_EVENT_STYLE.get(ev.kind, ""))
    text.append(ev.message)
    return text


def changes_table(changes: list[Change], show_unchanged: bool = False) -> Table:
    t = Table(title="configuration changes", title_justify="left")
    for col in ("store", "name", "change", "current", "new"):
        t.add_column(col, overflow="fold")
    style = {
        Action.ADD: "green",
        Action.CHANGE: "yellow",
        Action.RETYPE: "yellow",
        Action.DELETE: "red",
        Action.EXTRA: "dim",
        Action.SAME: "dim",
    }
    for c in changes:
        if c.action is Action.SAME and not show_unchanged:
            continue
        t.add_row(
            c.store,
            c.name + (" 🔒" if c.secret else ""),
            Text(c.action.value, style=style[c.action]),
            c.old,
            c.new,
        )
    return t
