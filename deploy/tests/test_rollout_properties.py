"""Hypothesis properties of the rollout over random fleets, incidents and interrupts (virtual time).

- no step and no rollback ever routes traffic to a fleet with zero healthy targets;
- a rollback is never interrupted (an interrupt during it is deferred, the run still ends rolled back);
- resume never skips a gate: from any live weights, every move is preceded, at the same instant, by a
  passing gate check of exactly the weights it sets, and a resumed level is re-checked before moving on.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from macro_ai_deploy.rollout import GateReport, GateResult, Phase, Plan, Rollout, Weights
from rollout_doubles import FakeClock, MemoryRouter


@dataclass
class Fleets:
    """Healthy targets per fleet as a function of (virtual) time, plus alarm windows."""

    legacy: list[tuple[float, int]]  # (from time, healthy count) steps
    ecs: list[tuple[float, int]]
    alarm_at: float | None
    clock: FakeClock

    @staticmethod
    def at(steps: list[tuple[float, int]], t: float) -> int:
        n = steps[0][1]
        for start, count in steps:
            if t >= start:
                n = count
        return n

    def healthy(self) -> tuple[int, int]:
        t = self.clock.now() - 1000.0
        return self.at(self.legacy, t), self.at(self.ecs, t)

    def legacy_healthy(self) -> int:
        return self.healthy()[0]


class ModelGate:
    """What AwsGates checks, against the model: alarms, and healthy targets wherever traffic would go."""

    def __init__(self, fleets: Fleets, min_ecs: int) -> None:
        self.fleets, self.min_ecs = fleets, min_ecs
        self.passed: list[tuple[float, Weights]] = []

    def check(self, weights: Weights) -> GateReport:
        legacy, ecs = self.fleets.healthy()
        t = self.fleets.clock.now() - 1000.0
        results = [GateResult("alarms", self.fleets.alarm_at is None or t < self.fleets.alarm_at, "")]
        if weights.legacy > 0:
            results.append(GateResult("legacy healthy", legacy >= 1, f"{legacy}"))
        if weights.ecs > 0:
            results.append(GateResult("ecs healthy", ecs >= max(1, self.min_ecs), f"{ecs}", waitable=True))
        report = GateReport(tuple(results))
        if report.ok:
            self.passed.append((self.fleets.clock.now(), weights))
        return report


class WatchedRouter(MemoryRouter):
    def __init__(self, weights: Weights, fleets: Fleets) -> None:
        super().__init__(weights)
        self.fleets = fleets
        self.moves: list[tuple[float, Weights, tuple[int, int]]] = []

    def set_weights(self, weights: Weights) -> None:
        super().set_weights(weights)
        self.moves.append((self.fleets.clock.now(), weights, self.fleets.healthy()))


health_steps = st.lists(
    st.tuples(st.floats(0, 3000, allow_nan=False), st.integers(0, 3)), min_size=1, max_size=4
).map(lambda xs: sorted(xs))
live_weights = st.sampled_from([0, 10, 25, 50, 100]).map(Weights.to_ecs)


@settings(max_examples=300, deadline=None)
@given(
    legacy=health_steps,
    ecs=health_steps,
    alarm_at=st.none() | st.floats(0, 3000, allow_nan=False),
    live=live_weights,
    failing_sets=st.integers(0, 4),
)
def test_traffic_never_goes_to_a_fleet_without_healthy_targets(legacy, ecs, alarm_at, live, failing_sets):
    clock = FakeClock()
    fleets = Fleets(legacy, ecs, alarm_at, clock)
    router = WatchedRouter(live, fleets)
    router.fail_sets = failing_sets
    gate = ModelGate(fleets, 1)
    plan = Plan(bake_seconds=300, check_interval_seconds=30, min_healthy_tasks=1, capacity_timeout_seconds=60)
    result = Rollout(plan, router, gate, clock, health=fleets).run()
    for _, weights, (legacy_ok, ecs_ok) in router.moves:
        assert weights.legacy == 0 or legacy_ok > 0, (weights, legacy_ok)
        assert weights.ecs == 0 or ecs_ok > 0, (weights, ecs_ok)
    if result.phase is Phase.HELD_NO_FALLBACK:
        assert fleets.legacy_healthy() == 0
        assert router.weights == result.final


@settings(max_examples=200, deadline=None)
@given(live=live_weights, ecs=health_steps, alarm_at=st.none() | st.floats(0, 3000, allow_nan=False))
def test_resume_never_skips_a_gate(live, ecs, alarm_at):
    clock = FakeClock()
    fleets = Fleets([(0.0, 2)], ecs, alarm_at, clock)
    router = WatchedRouter(live, fleets)
    gate = ModelGate(fleets, 1)
    plan = Plan(bake_seconds=120, check_interval_seconds=30, min_healthy_tasks=1, capacity_timeout_seconds=60)
    Rollout(plan, router, gate, clock, health=fleets).run()
    forward = [(t, w) for t, w, _ in router.moves if w.ecs > 0]
    for t, w in forward:
        assert (t, w) in gate.passed  # a passing check of exactly these weights, at the same instant
    previous = live.ecs
    for _, w in forward:
        assert w.ecs == plan.next_step(previous)  # one planned step at a time, from the live level
        previous = w.ecs
    if live.ecs > 0 and forward:
        # the resumed level was re-checked (a full bake) before the first move
        first_move = forward[0][0]
        assert any(w == live and t < first_move for t, w in gate.passed)


@settings(max_examples=100, deadline=None)
@given(interrupt_on=st.integers(0, 5), failing_sets=st.integers(1, 5))
def test_a_rollback_is_never_interrupted(interrupt_on, failing_sets):
    """Ctrl-C arriving at any point of a (retrying) rollback: the run still ends with 100 % legacy."""
    clock = FakeClock()
    fleets = Fleets([(0.0, 2)], [(0.0, 2)], 0.0, clock)  # an alarm from the start: the gate fails
    router = MemoryRouter(Weights.to_ecs(50))
    router.fail_sets = failing_sets
    calls = {"n": 0}
    original = router.set_weights

    def interrupting_set(weights: Weights) -> None:
        calls["n"] += 1
        if calls["n"] == interrupt_on + 1:
            raise KeyboardInterrupt  # as the deferred signal handler would, if it were not deferred
        original(weights)

    router.set_weights = interrupting_set  # type: ignore[method-assign]
    plan = Plan(bake_seconds=60, check_interval_seconds=30, min_healthy_tasks=1)
    result = Rollout(plan, router, ModelGate(fleets, 1), clock, health=fleets).run()
    assert not result.held
    assert result.phase in (Phase.ROLLED_BACK, Phase.ROLLBACK_FAILED)
    if result.phase is Phase.ROLLED_BACK:
        assert router.weights == Weights.all_legacy()
