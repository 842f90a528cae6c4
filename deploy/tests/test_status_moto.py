"""`status` against moto: the verdict line, traffic per fleet at 80 columns, --check and --json."""

from __future__ import annotations

import json


def test_status_shows_image_weights_targets_alarms(world, cli):
    world.set_alarm("macro-ai-hobby-latency", "ALARM")
    r = cli("status", "hobby")
    assert r.exit_code == 0, r.all_output
    out = r.stdout
    assert out.splitlines()[0].startswith("hobby: GATE FAILING: alarms: macro-ai-hobby-latency is ALARM")
    assert "image c0ffee" in out
    assert "legacy ████████████████████ 100 %  2 healthy" in out
    assert "ecs    ░░░░░░░░░░░░░░░░░░░░   0 %  2 healthy" in out
    assert "deployments" in out
    assert all(len(line) <= 80 for line in out.splitlines())
    # --check turns the failing gate into an exit code; --json carries the same facts
    assert cli("status", "hobby", "--check").exit_code == 27
    doc = json.loads(cli("status", "hobby", "--json").stdout)
    assert doc["ok"] is False
    assert {f["name"]: f["weight"] for f in doc["fleets"]} == {"ecs": 0, "legacy": 100}
    world.set_alarm("macro-ai-hobby-latency", "OK")
    ok = cli("status", "hobby", "--check")
    assert ok.exit_code == 0, ok.all_output
    # moto's ECS deployments never leave IN_PROGRESS, so the verdict is "deploying", not a failure
    assert ok.stdout.startswith("hobby: DEPLOYING macro-ai-api-hobby:1")


def test_watch_refreshes_until_ctrl_c(world, cli, clock):
    ticks = {"n": 0}

    def ctrl_c_on_the_third_refresh(t):
        ticks["n"] += 1
        if ticks["n"] == 3:
            raise KeyboardInterrupt

    clock.hooks.append(ctrl_c_on_the_third_refresh)
    r = cli("status", "hobby", "--watch", "--interval", "5s")
    assert r.exit_code == 0, r.all_output
    assert r.stdout.count("hobby: ") == 3  # three renders: the first, then two refreshes
    assert clock.slept == [5, 5, 5]
