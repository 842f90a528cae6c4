"""Day-to-day migrate verbs on the moto server: `promote` moves one planned step (`--full`: to 100 %),
`pause` keeps gating the live weights without advancing (and still rolls back on a failed gate)."""

from __future__ import annotations


def test_promote_moves_exactly_one_planned_step(world, cli, aws_client):
    world.set_weights(25)
    r = cli("migrate", "promote", "hobby", "--bake", "2m", "--interval", "30s")
    assert r.exit_code == 0, r.all_output
    assert "promote 25 -> 50 % ECS (next step)" in r.stdout
    assert world.listener_weights() == {"legacy": 50, "ecs": 50}
    assert "promoted one step" in r.stdout


def test_pause_gates_without_advancing(world, cli, clock, aws_client):
    world.set_weights(10)
    seen: list[int] = []
    clock.hooks.append(lambda t: seen.append(world.listener_weights()["ecs"]))
    r = cli("migrate", "pause", "hobby", "--for", "5m", "--interval", "30s")
    assert r.exit_code == 0, r.all_output
    assert set(seen) == {10}
    assert len(seen) >= 10  # it kept checking during the whole pause
    assert world.listener_weights() == {"legacy": 90, "ecs": 10}


def test_pause_still_rolls_back_on_a_failed_gate(world, cli, clock, aws_client):
    world.set_weights(10)
    ticks = {"n": 0}

    def alarm_later(t):
        ticks["n"] += 1
        if ticks["n"] == 3:
            world.set_alarm("macro-ai-hobby-5xx", "ALARM")

    clock.hooks.append(alarm_later)
    r = cli("migrate", "pause", "hobby", "--for", "5m", "--interval", "30s")
    assert r.exit_code == 20, r.all_output
    assert world.listener_weights() == {"legacy": 100, "ecs": 0}
