"""`status` as text that fits 80 columns (verdict first, traffic as percentages per named fleet), or JSON."""

from __future__ import annotations

import textwrap

from rich.text import Text

from macro_ai_deploy.status_report import Report

WIDTH = 80
LABEL = 12  # width of the left-hand labels


def bar(percent: int, width: int = 20) -> str:
    filled = round(width * percent / 100)
    return "█" * filled + "░" * (width - filled)


def _rows(label: str, lines: list[str]) -> list[str]:
    out: list[str] = []
    for i, line in enumerate(lines or ["-"]):
        head = (label if i == 0 else "").ljust(LABEL)
        wrapped = textwrap.wrap(line, WIDTH - LABEL, subsequent_indent="  ") or [""]
        out.append(head + wrapped[0])
        out += [" " * LABEL + w for w in wrapped[1:]]
    return out


def render(r: Report) -> list[Text]:
    style = "bold green" if r.ok else "bold red"
    lines = [Text(textwrap.shorten(f"{r.env}: {r.verdict}", WIDTH, placeholder=" …"), style=style)]
    text: list[str] = []
    text += _rows("stack", [f"{r.stack} {r.stack_status}", *([r.url] if r.url else [])])
    text += _rows(
        "service",
        [
            f"{r.revision} image {r.image_tag}; tasks {r.running}/{r.desired} running"
            + (f", {r.pending} pending" if r.pending else "")
        ],
    )
    traffic = []
    for f in r.fleets:
        share = f"{bar(f.weight)} {f.weight:3d} %" if f.weight is not None else "not weighted"
        states = ", ".join(f"{n} {s}" for s, n in sorted(f.states.items())) or "no targets"
        traffic.append(f"{f.name:<7}{share}  {states}")
    text += _rows("traffic", traffic)
    text += _rows(
        "deployments",
        [
            f"{d.get('status')} {d.get('revision')} {d.get('rolloutState') or ''} "
            f"{d.get('runningCount')}/{d.get('desiredCount')} running"
            + (f", {d.get('failedTasks')} failed" if d.get("failedTasks") else "")
            for d in r.deployments
        ],
    )
    text += _rows("gates", [f"{'ok  ' if g.ok else 'FAIL'} {g.name}: {g.detail}" for g in r.gates])
    text += _rows("migration", [r.run or "no run holds the lease", *r.notes])
    if r.safety_net:
        text += _rows("safety net", [", ".join(f"{k}: {v}" for k, v in r.safety_net.items())])
    for line in text:
        style = "red" if " FAIL " in f" {line} " else ""
        lines.append(Text(line, style=style))
    return lines
