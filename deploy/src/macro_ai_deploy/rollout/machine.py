"""The traffic migration as a pure state machine.

`start()` and `step()` take a state and an observation and return the next state and ONE command for a
driver to execute (check gates, set weights, wait, ensure capacity, finish). Nothing here does I/O, reads a
clock or raises on a failed gate, so every path can be enumerated by tests.

Rules:
* the only forward move is to the next planned step above the live ECS weight (or 100 when promoting),
  and it is always issued directly after a passing gate check for exactly those weights;
* after every move the new weights bake: gates are checked every `check_interval_seconds` and once more
  when the bake time is over;
* any failed gate (or failed move) sets 100 % legacy at once, but only onto a legacy target group that has
  healthy targets: before the rollback the driver counts them, and with none the run holds the live weights
  (HELD_NO_FALLBACK: the operator is alerted, traffic is not sent into an empty fleet); a failed rollback
  is retried;
* weights that change behind our back (another operator ran `abort`) stop the run without touching traffic;
* resuming starts from the live weights: a non-zero live ECS weight is re-baked (gated) before any move.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from macro_ai_deploy.rollout.model import GateReport, Plan, Weights


class Mode(StrEnum):
    STEPPED = "stepped"  # follow the plan's steps
    PROMOTE = "promote"  # straight to 100 % (still gated, still baked)
    NEXT = "next"  # one planned step, baked, then stop
    HOLD = "hold"  # do not advance: keep gating the live weights for one bake (a pause), roll back on failure


class Phase(StrEnum):
    CAPACITY = "capacity"  # asked for ECS capacity, next: gate before the first move
    GATING = "gating"  # checking gates before moving to `target`
    MOVING = "moving"  # weights for `target` are being set
    BAKING = "baking"  # holding `live`, checking gates until bake_until
    ROLLING_BACK = "rolling_back"  # setting 100 % legacy
    # terminal
    COMPLETED = "completed"
    ROLLED_BACK = "rolled_back"
    STOPPED_EXTERNALLY = "stopped_externally"
    ROLLBACK_FAILED = "rollback_failed"
    HELD_NO_FALLBACK = "held_no_fallback"  # a gate failed, but legacy has no healthy target to go back to


TERMINAL = {
    Phase.COMPLETED,
    Phase.ROLLED_BACK,
    Phase.STOPPED_EXTERNALLY,
    Phase.ROLLBACK_FAILED,
    Phase.HELD_NO_FALLBACK,
}


# ---- commands (what the driver must do next) ----
@dataclass(frozen=True)
class CheckGates:
    weights: Weights  # the weights the gates are asked about (live when baking, target before a move)


@dataclass(frozen=True)
class SetWeights:
    weights: Weights


@dataclass(frozen=True)
class Wait:
    seconds: float


@dataclass(frozen=True)
class EnsureCapacity:
    min_tasks: int


@dataclass(frozen=True)
class CountFallback:
    """Count the healthy targets of the legacy target group before sending traffic back to it."""


@dataclass(frozen=True)
class Finish:
    phase: Phase
    weights: Weights  # what is live, as far as we know
    reason: str


Command = CheckGates | SetWeights | Wait | EnsureCapacity | CountFallback | Finish


# ---- observations (what the driver saw) ----
@dataclass(frozen=True)
class GatesChecked:
    report: GateReport
    live: Weights | None  # weights read back from the router at the same time (None: could not read)
    now: float


@dataclass(frozen=True)
class WeightsSet:
    now: float


@dataclass(frozen=True)
class SetFailed:
    error: str
    now: float


@dataclass(frozen=True)
class Ticked:
    now: float


@dataclass(frozen=True)
class CapacityRequested:
    now: float


@dataclass(frozen=True)
class FallbackCounted:
    legacy_healthy: int | None  # None: the driver cannot count (no health port): roll back as before
    now: float


Observation = GatesChecked | WeightsSet | SetFailed | Ticked | CapacityRequested | FallbackCounted


@dataclass(frozen=True)
class State:
    plan: Plan
    mode: Mode
    phase: Phase
    live: Weights
    target: int | None = None
    bake_until: float = 0.0
    gate_wait_until: float = 0.0
    rollback_attempts: int = 0
    reason: str = ""
    moves: int = 0  # forward moves made by this run


def _next_target(state: State) -> int | None:
    if state.live.ecs >= 100:
        return None
    if state.mode is Mode.PROMOTE:
        return 100
    return state.plan.next_step(state.live.ecs)


def _finish(state: State, phase: Phase, reason: str) -> tuple[State, Command]:
    s = replace(state, phase=phase, reason=reason, target=None)
    return s, Finish(phase, s.live, reason)


def _rollback(state: State, reason: str) -> tuple[State, Command]:
    """Go back to legacy: first count its healthy targets (never route traffic into an empty fleet)."""
    s = replace(state, phase=Phase.ROLLING_BACK, reason=reason, target=None, rollback_attempts=0)
    if state.live.is_all_legacy:
        return _finish(replace(s, phase=Phase.ROLLING_BACK), Phase.ROLLED_BACK, reason)
    return s, CountFallback()


def _advance(state: State, now: float) -> tuple[State, Command]:
    """Bake is over (or nothing to bake): decide the next move."""
    if state.mode is Mode.HOLD:
        return _finish(state, Phase.COMPLETED, f"held at {state.live} with the gates green; nothing advanced")
    if state.mode is Mode.NEXT and state.moves >= 1:
        return _finish(state, Phase.COMPLETED, f"promoted one step to {state.live}, gates green")
    target = _next_target(state)
    if target is None:
        return _finish(state, Phase.COMPLETED, f"all traffic on ECS ({state.live}), gates green")
    deadline = now + state.plan.capacity_timeout_seconds
    if state.live.ecs == 0 and state.plan.min_healthy_tasks > 0:
        s = replace(state, phase=Phase.CAPACITY, target=target, gate_wait_until=deadline)
        return s, EnsureCapacity(state.plan.min_healthy_tasks)
    s = replace(state, phase=Phase.GATING, target=target, gate_wait_until=deadline)
    return s, CheckGates(Weights.to_ecs(target))


def _bake_tick(state: State, now: float) -> tuple[State, Command]:
    remaining = state.bake_until - now
    if remaining <= 0:
        return state, CheckGates(state.live)
    return state, Wait(min(state.plan.check_interval_seconds, remaining))


def start(plan: Plan, live: Weights, now: float, mode: Mode = Mode.STEPPED) -> tuple[State, Command]:
    """Begin (or resume) from the live weights."""
    state = State(plan=plan, mode=mode, phase=Phase.BAKING, live=live)
    if live.ecs > 0:
        # resumed mid-rollout (or already at 100 %): re-verify the live level for a full bake first
        state = replace(state, bake_until=now + plan.bake_seconds)
        return state, CheckGates(live)
    return _advance(state, now)


def step(state: State, obs: Observation) -> tuple[State, Command]:
    if state.phase in TERMINAL:
        return state, Finish(state.phase, state.live, state.reason)

    if state.phase is Phase.ROLLING_BACK:
        if isinstance(obs, FallbackCounted):
            if obs.legacy_healthy is not None and obs.legacy_healthy < 1:
                return _finish(
                    state,
                    Phase.HELD_NO_FALLBACK,
                    f"{state.reason}; but the legacy target group has no healthy targets: traffic HELD at "
                    f"{state.live} (rolling back would send it into an empty fleet); act now",
                )
            return replace(state, rollback_attempts=state.rollback_attempts + 1), SetWeights(
                Weights.all_legacy()
            )
        if isinstance(obs, WeightsSet):
            s = replace(state, live=Weights.all_legacy())
            return _finish(s, Phase.ROLLED_BACK, state.reason)
        if isinstance(obs, SetFailed):
            if state.rollback_attempts >= state.plan.rollback_attempts:
                return _finish(
                    state,
                    Phase.ROLLBACK_FAILED,
                    f"{state.reason}; and setting 100 % legacy failed {state.rollback_attempts} times: "
                    f"{obs.error}",
                )
            return state, Wait(min(2.0, state.plan.check_interval_seconds))
        # after the pause between attempts, count again: the legacy fleet may have emptied meanwhile
        return state, CountFallback()

    if isinstance(obs, GatesChecked):
        if obs.live is not None and obs.live != state.live:
            # someone else moved traffic (e.g. `migrate abort`): never fight them
            s = replace(state, live=obs.live)
            return _finish(
                s,
                Phase.STOPPED_EXTERNALLY,
                f"weights changed outside this run: expected {state.live}, "
                f"found {obs.live}; stopped without touching traffic",
            )
        if state.phase is Phase.GATING:
            assert state.target is not None
            if obs.report.ok and obs.live is not None:
                return replace(state, phase=Phase.MOVING), SetWeights(Weights.to_ecs(state.target))
            if obs.live is not None and obs.report.only_waitable_failures and obs.now < state.gate_wait_until:
                return state, Wait(state.plan.check_interval_seconds)
            why = obs.report.reason() if not obs.report.ok else "could not read the live weights"
            return _rollback(state, f"gate failed before moving to {state.target}% ECS: {why}")
        if state.phase is Phase.BAKING:
            if not obs.report.ok or obs.live is None:
                why = obs.report.reason() if not obs.report.ok else "could not read the live weights"
                return _rollback(state, f"gate failed while baking at {state.live}: {why}")
            if obs.now >= state.bake_until:
                return _advance(state, obs.now)
            return _bake_tick(state, obs.now)

    if isinstance(obs, CapacityRequested) and state.phase is Phase.CAPACITY:
        assert state.target is not None
        return replace(state, phase=Phase.GATING), CheckGates(Weights.to_ecs(state.target))

    if isinstance(obs, Ticked):
        if state.phase is Phase.GATING:
            assert state.target is not None
            return state, CheckGates(Weights.to_ecs(state.target))
        if state.phase is Phase.BAKING:
            return state, CheckGates(state.live)

    if state.phase is Phase.MOVING:
        assert state.target is not None
        if isinstance(obs, WeightsSet):
            s = replace(
                state,
                phase=Phase.BAKING,
                live=Weights.to_ecs(state.target),
                target=None,
                bake_until=obs.now + state.plan.bake_seconds,
                moves=state.moves + 1,
            )
            return _bake_tick(s, obs.now)
        if isinstance(obs, SetFailed):
            return _rollback(state, f"moving to {state.target}% ECS failed: {obs.error}")

    raise ValueError(f"unexpected observation {type(obs).__name__} in phase {state.phase.value}")
