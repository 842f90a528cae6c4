"""Unit and property tests of the pure rollout state machine and its driver (no AWS)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from macro_ai_deploy.rollout import GateReport, GateResult, Mode, Phase, Plan, Rollout, Weights, abort
from macro_ai_deploy.rollout.machine import CheckGates, Finish, SetWeights, start
from rollout_doubles import FakeClock, MemoryRouter, MemoryStore, ScriptedGate

OK = GateReport((GateResult("alarms", True, "all OK"),))


def fail(name: str = "alarms", waitable: bool = False) -> GateReport:
    return GateReport((GateResult(name, False, f"{name} broken", waitable),))


class Recorder:
    """Wraps router and gate so the exact interleaving of checks and moves is recorded."""

    def __init__(self, router: MemoryRouter, gate: ScriptedGate) -> None:
        self.router, self.gate = router, gate
        self.log: list[tuple[str, Weights, bool]] = []

    def get_weights(self) -> Weights:
        return self.router.get_weights()

    def set_weights(self, weights: Weights) -> None:
        before = self.router.weights
        self.router.set_weights(weights)
        self.log.append(("set", weights, weights.ecs > before.ecs))

    def check(self, weights: Weights) -> GateReport:
        report = self.gate.check(weights)
        self.log.append(("gate", weights, report.ok))
        return report


def run(plan: Plan, live: Weights, verdict, mode=Mode.STEPPED, fail_sets=0, clock=None):
    router = MemoryRouter(live)
    router.fail_sets = fail_sets
    rec = Recorder(router, ScriptedGate(verdict))
    store = MemoryStore()
    clock = clock or FakeClock()
    result = Rollout(plan, rec, rec, clock, store=store, mode=mode).run()
    return result, router, rec, store, clock


PLAN = Plan(bake_seconds=60, check_interval_seconds=20, min_healthy_tasks=0)


def test_happy_path_walks_every_step_and_writes_back():
    result, router, rec, store, clock = run(PLAN, Weights.all_legacy(), lambda w, n: OK)
    assert result.phase is Phase.COMPLETED
    assert [w.ecs for w in router.history] == [10, 25, 50, 100]
    assert store.writes == [Weights(0, 100)]
    assert not result.writeback_failed
    # each step baked for its full 60 s: 4 bakes, checked every 20 s
    assert sum(clock.slept) == pytest.approx(4 * 60)
    gates_per_level = [w.ecs for kind, w, _ in rec.log if kind == "gate"]
    assert gates_per_level.count(50) >= 3  # one before the move, repeated during the bake


def test_gate_failure_during_third_step_bake_rolls_back_at_once():
    # fail the first gate check at 50 % that happens after the weights reached 50 % (third step's bake)
    def verdict(w, n):
        return fail("alarms") if w.ecs == 50 and state["at50"] else OK

    state = {"at50": False}

    class Hook:
        def __init__(self, router):
            self.router = router

        def __call__(self, t):
            state["at50"] = self.router.weights.ecs == 50

    router = MemoryRouter()
    clock = FakeClock()
    clock.hooks.append(Hook(router))
    store = MemoryStore()
    result = Rollout(PLAN, router, ScriptedGate(verdict), clock, store=store).run()
    assert result.phase is Phase.ROLLED_BACK
    assert router.weights == Weights.all_legacy()
    assert [w.ecs for w in router.history] == [10, 25, 50, 0]
    assert "alarms broken" in result.reason
    assert "baking" in result.reason
    assert store.writes == [Weights.all_legacy()]


def test_failing_gate_before_first_step_never_moves_forward():
    result, router, _rec, *_ = run(PLAN, Weights.all_legacy(), lambda w, n: fail())
    assert result.phase is Phase.ROLLED_BACK
    assert all(w.ecs == 0 for w in router.history)


def test_waitable_failure_waits_for_capacity_then_proceeds():
    plan = Plan(bake_seconds=0, check_interval_seconds=5, min_healthy_tasks=2, capacity_timeout_seconds=60)
    verdict = lambda w, n: fail("ecs-tasks", waitable=True) if n < 3 else OK  # noqa: E731
    result, _router, _rec, _, clock = run(plan, Weights.all_legacy(), verdict)
    assert result.phase is Phase.COMPLETED
    assert clock.slept[:3] == [5, 5, 5]


def test_waitable_failure_times_out_into_rollback():
    plan = Plan(bake_seconds=0, check_interval_seconds=5, min_healthy_tasks=2, capacity_timeout_seconds=20)
    result, router, *_ = run(plan, Weights.all_legacy(), lambda w, n: fail("ecs-tasks", waitable=True))
    assert result.phase is Phase.ROLLED_BACK
    assert router.weights.ecs == 0
    assert "ecs-tasks" in result.reason


def test_waitable_failure_during_bake_is_not_waited_for():
    verdict = lambda w, n: fail("ecs-tasks", waitable=True) if n == 2 else OK  # noqa: E731
    result, router, *_ = run(PLAN, Weights.all_legacy(), verdict)
    assert result.phase is Phase.ROLLED_BACK
    assert router.weights.ecs == 0


def test_promote_goes_straight_to_100_but_still_gated_and_baked():
    result, router, _rec, _, clock = run(PLAN, Weights.to_ecs(25), lambda w, n: OK, mode=Mode.PROMOTE)
    assert result.phase is Phase.COMPLETED
    assert [w.ecs for w in router.history] == [100]
    assert sum(clock.slept) == pytest.approx(2 * 60)  # re-bake at 25, then bake at 100


def test_promote_with_failing_gate_rolls_back():
    result, router, *_ = run(PLAN, Weights.to_ecs(25), lambda w, n: fail(), mode=Mode.PROMOTE)
    assert result.phase is Phase.ROLLED_BACK
    assert router.weights == Weights.all_legacy()


def test_failed_move_rolls_back():
    result, router, *_ = run(PLAN, Weights.all_legacy(), lambda w, n: OK, fail_sets=1)
    assert result.phase is Phase.ROLLED_BACK
    assert router.weights == Weights.all_legacy()
    assert "moving to 10% ECS failed" in result.reason


def test_rollback_is_retried_until_it_sticks():
    plan = Plan(bake_seconds=10, check_interval_seconds=5, min_healthy_tasks=0, rollback_attempts=5)
    router = MemoryRouter(Weights.to_ecs(25))
    gate = ScriptedGate(lambda w, n: fail())

    class Flaky(MemoryRouter):
        pass

    # first rollback attempts fail 3 times, then succeed
    orig = router.set_weights
    count = {"n": 0}

    def flaky(w):
        count["n"] += 1
        if count["n"] <= 3:
            raise ConnectionError("throttled")
        orig(w)

    router.set_weights = flaky  # type: ignore[method-assign]
    result = Rollout(plan, router, gate, FakeClock()).run()
    assert result.phase is Phase.ROLLED_BACK
    assert router.weights == Weights.all_legacy()


def test_rollback_that_never_sticks_is_reported_loudly():
    plan = Plan(bake_seconds=10, check_interval_seconds=5, min_healthy_tasks=0, rollback_attempts=3)
    router = MemoryRouter(Weights.to_ecs(25))
    router.fail_sets = 99
    result = Rollout(plan, router, ScriptedGate(lambda w, n: fail()), FakeClock()).run()
    assert result.phase is Phase.ROLLBACK_FAILED
    assert "failed 3 times" in result.reason


def test_external_abort_stops_the_run_without_touching_traffic():
    router = MemoryRouter()
    clock = FakeClock()

    def someone_aborts(t):
        if router.weights.ecs == 25:
            router.weights = Weights.all_legacy()  # another operator ran `migrate abort`

    clock.hooks.append(someone_aborts)
    result = Rollout(PLAN, router, ScriptedGate(), clock).run()
    assert result.phase is Phase.STOPPED_EXTERNALLY
    assert [w.ecs for w in router.history] == [10, 25]
    assert router.weights == Weights.all_legacy()


def test_gate_exception_counts_as_failure():
    def boom(w, n):
        raise TimeoutError("cloudwatch timed out")

    result, router, *_ = run(PLAN, Weights.to_ecs(10), boom)
    assert result.phase is Phase.ROLLED_BACK
    assert router.weights.ecs == 0
    assert "TimeoutError" in result.reason


def test_interrupt_holds_traffic_and_does_not_write_back():
    router = MemoryRouter()
    clock = FakeClock()
    store = MemoryStore()

    def ctrl_c(t):
        if router.weights.ecs == 25:
            raise KeyboardInterrupt

    clock.hooks.append(ctrl_c)
    result = Rollout(PLAN, router, ScriptedGate(), clock, store=store).run()
    assert result.held
    assert result.final == Weights.to_ecs(25)
    assert router.weights == Weights.to_ecs(25)
    assert store.writes == []


def test_resume_off_plan_weight_goes_to_next_planned_step_only():
    _result, router, rec, *_ = run(PLAN, Weights.to_ecs(17), lambda w, n: OK)
    assert [w.ecs for w in router.history] == [25, 50, 100]
    assert rec.log[0] == ("gate", Weights.to_ecs(17), True)  # re-verify the live level first


def test_resume_at_100_rebakes_and_writes_back():
    result, router, _rec, store, _ = run(PLAN, Weights(0, 100), lambda w, n: OK)
    assert result.phase is Phase.COMPLETED
    assert router.history == []
    assert store.writes == [Weights(0, 100)]


def test_abort_sets_legacy_and_writes_back():
    router, store = MemoryRouter(Weights.to_ecs(50)), MemoryStore(Weights.to_ecs(50))
    result = abort(router, store, FakeClock())
    assert result.phase is Phase.ROLLED_BACK
    assert router.weights == Weights.all_legacy()
    assert store.weights == Weights.all_legacy()


def test_writeback_failure_is_reported_as_drift():
    class BrokenStore(MemoryStore):
        def write(self, weights):
            raise RuntimeError("stack is UPDATE_IN_PROGRESS")

    router = MemoryRouter()
    result = Rollout(PLAN, router, ScriptedGate(), FakeClock(), store=BrokenStore()).run()
    assert result.phase is Phase.COMPLETED
    assert result.writeback_failed
    assert "DRIFT" in result.writeback


@pytest.mark.parametrize(("legacy", "ecs"), [(100, 1), (50, 49), (-1, 101), (101, -1)])
def test_weights_reject_anything_not_summing_to_100(legacy, ecs):
    with pytest.raises(ValueError, match="weight"):
        Weights(legacy, ecs)


@pytest.mark.parametrize("steps", [(), (0, 50), (0, 50, 50, 100), (10, 5, 100), (0, 101)])
def test_plan_rejects_bad_steps(steps):
    with pytest.raises(ValueError, match="step"):
        Plan(steps=steps)


# ---------------------------------------------------------------- property tests
steps_st = (
    st.lists(st.integers(1, 99), max_size=5, unique=True)
    .map(lambda xs: (*tuple(sorted(xs)), 100))
    .flatmap(lambda s: st.sampled_from([s, (0, *s)]))
)

plans = st.builds(
    Plan,
    steps=steps_st,
    bake_seconds=st.sampled_from([0.0, 5.0, 30.0]),
    check_interval_seconds=st.sampled_from([1.0, 7.0, 30.0]),
    min_healthy_tasks=st.integers(0, 3),
    capacity_timeout_seconds=st.sampled_from([0.0, 10.0]),
    rollback_attempts=st.integers(1, 4),
)
# a gate script: the verdict of the n-th gate call (ok / hard failure / waitable failure / exception)
verdicts = st.lists(st.sampled_from(["ok", "ok", "ok", "fail", "wait", "raise"]), max_size=60)


def scripted(script):
    def verdict(w, n):
        v = script[n] if n < len(script) else "ok"
        if v == "ok":
            return OK
        if v == "raise":
            raise ConnectionError("gate backend down")
        return fail("x", waitable=(v == "wait"))

    return verdict


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    plan=plans,
    live_ecs=st.integers(0, 100),
    script=verdicts,
    mode=st.sampled_from(list(Mode)),
    fail_sets=st.integers(0, 2),
)
def test_properties_of_every_run(plan, live_ecs, script, mode, fail_sets):
    result, router, rec, store, _clock = run(
        plan, Weights.to_ecs(live_ecs), scripted(script), mode, fail_sets
    )

    # 1. every weight ever set (and read) sums to 100
    for w in [*router.history, router.weights]:
        assert w.legacy + w.ecs == 100
        assert 0 <= w.ecs <= 100

    # 2. every forward move is immediately preceded by a PASSING gate check for exactly those weights,
    #    and goes to the next planned step above the previous live weight (or 100 when promoting)
    prev_ecs = live_ecs
    for i, (kind, w, _flag) in enumerate(rec.log):
        if kind == "set":
            if w.ecs > prev_ecs:
                assert i > 0, rec.log
                assert rec.log[i - 1] == ("gate", w, True), rec.log[: i + 1]
                expected = 100 if mode is Mode.PROMOTE else plan.next_step(prev_ecs)
                assert w.ecs == expected
            else:
                assert w == Weights.all_legacy()  # the only backward move is all the way back
            prev_ecs = w.ecs

    # 3. every failure path ends at 100 % legacy (or is reported as a failed rollback)
    if result.phase is Phase.ROLLED_BACK:
        assert router.weights == Weights.all_legacy()
        assert store.writes[-1] == Weights.all_legacy()
    elif result.phase is Phase.ROLLBACK_FAILED:
        assert fail_sets >= plan.rollback_attempts
    else:
        assert result.phase is Phase.COMPLETED
        # a stepped or promoting run completes at 100 %; `promote` (next) and `pause` (hold) stop earlier
        done = {Mode.STEPPED: 100, Mode.PROMOTE: 100, Mode.HOLD: live_ecs}.get(
            mode, plan.next_step(live_ecs) or 100
        )
        assert router.weights == Weights.to_ecs(done)
        assert store.writes[-1] == Weights.to_ecs(done)
        # nothing failed that was not waited out
        hard = [i for i, (k, _, ok) in enumerate(rec.log) if k == "gate" and not ok]
        for i in hard:
            assert script[sum(1 for k, *_ in rec.log[:i] if k == "gate")] == "wait"


@settings(max_examples=200, deadline=None)
@given(plan=plans, live_ecs=st.integers(0, 100))
def test_resume_never_moves_forward_without_a_gate(plan, live_ecs):
    # the very first command from any live weight is never a forward move
    _, cmd = start(plan, Weights.to_ecs(live_ecs), 0.0)
    assert not (isinstance(cmd, SetWeights) and cmd.weights.ecs > live_ecs)
    if live_ecs > 0:
        assert cmd == CheckGates(Weights.to_ecs(live_ecs))  # the live level is re-verified first
    # and with all gates failing, nothing ever moves forward from there
    _result, router, *_ = run(plan, Weights.to_ecs(live_ecs), lambda w, n: fail())
    assert all(w.ecs <= live_ecs for w in router.history)
    assert router.weights == Weights.all_legacy()
    assert not isinstance(cmd, Finish) or live_ecs == 100
