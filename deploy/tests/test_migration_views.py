"""The migration's live view: plain lines collapse repeated passes (CI logs); the Rich panel shows step k/n,
a bar per fleet, the bake countdown and the latest gates, within 80 columns."""

from __future__ import annotations

import io

from macro_ai_deploy.rollout import Event, GateReport, GateResult, Plan, Weights
from macro_ai_deploy.views_migrate import LivePanel, PlainLines
from rich.console import Console

PASS = GateReport((GateResult("alarms", True, "3 alarm(s) OK"), GateResult("ecs healthy", True, "2 healthy")))
FAIL = GateReport((GateResult("alarms", False, "api-5xx is ALARM (Threshold Crossed: 5 > 1)"),))


def console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=80, force_terminal=False, color_system=None), out


def test_plain_lines_collapse_repeated_passes():
    c, out = console()
    lines = PlainLines(c)
    at25 = Weights.to_ecs(25)
    lines(Event(0, "set", "listener now legacy 75% / ecs 25%", at25))
    for i in range(20):
        lines(Event(30 * i, "gate", f"gates for {at25}: pass", at25, PASS))
    lines(Event(600, "gate", f"gates for {at25}: FAIL", at25, FAIL))
    lines.close()
    text = out.getvalue()
    assert text.count("gates for legacy 75% / ecs 25%: pass") == 1
    assert "... and 19 more passing check(s)" in text
    assert "FAIL" in text


def test_live_panel_shows_step_bars_countdown_and_gates():
    c, out = console()
    now = {"t": 0.0}
    panel = LivePanel(c, "macro-deploy migrate production", lambda: now["t"])
    panel.set_plan(Plan(steps=(0, 10, 25, 50, 100), bake_seconds=600))
    panel(Event(0, "set", "listener now legacy 75% / ecs 25%", Weights.to_ecs(25)))
    now["t"] = 240.0
    panel(Event(240, "gate", "gates: pass", Weights.to_ecs(25), PASS))
    c.print(panel.render())
    text = out.getvalue()
    assert "step 3/5: 25 % ECS" in text
    assert "ecs    ████████" in text
    assert "bake: 6m left of 10m" in text
    assert "ok   alarms: 3 alarm(s) OK" in text
    assert all(len(line) <= 80 for line in text.splitlines())
