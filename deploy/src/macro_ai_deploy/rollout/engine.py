"""Drives the pure state machine through the ports. Still no AWS here."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from macro_ai_deploy.rollout.machine import (
    CapacityRequested,
    CheckGates,
    Command,
    CountFallback,
    EnsureCapacity,
    FallbackCounted,
    Finish,
    GatesChecked,
    Mode,
    Observation,
    Phase,
    SetFailed,
    SetWeights,
    State,
    Ticked,
    Wait,
    WeightsSet,
    start,
    step,
)
from macro_ai_deploy.rollout.model import GateReport, Plan, Weights
from macro_ai_deploy.rollout.ports import Capacity, Clock, FleetHealth, Gate, TrafficRouter, WeightStore
from macro_ai_deploy.signals import deferred_interrupts


@dataclass(frozen=True)
class Event:
    at: float  # seconds since the run began
    kind: str  # start | capacity | gate | set | wait | rollback | finish | writeback | hold | note
    message: str
    weights: Weights | None = None
    report: GateReport | None = None


@dataclass
class Result:
    phase: Phase  # the terminal phase (or the phase at the moment of an interrupt, see `held`)
    final: Weights | None
    reason: str
    events: list[Event] = field(default_factory=list)
    held: bool = False  # interrupted: traffic left at the last gated weights
    writeback: str = ""  # what happened to the stack parameters
    writeback_failed: bool = False


class Rollout:
    def __init__(
        self,
        plan: Plan,
        router: TrafficRouter,
        gate: Gate,
        clock: Clock,
        *,
        capacity: Capacity | None = None,
        store: WeightStore | None = None,
        mode: Mode = Mode.STEPPED,
        on_event: Callable[[Event], None] | None = None,
        health: FleetHealth | None = None,
    ) -> None:
        self.plan, self.router, self.gate, self.clock = plan, router, gate, clock
        self.capacity, self.store, self.mode = capacity, store, mode
        self.health = health
        self.on_event = on_event
        self.events: list[Event] = []
        self._t0 = clock.now()
        self.state: State | None = None

    def _emit(
        self, kind: str, message: str, weights: Weights | None = None, report: GateReport | None = None
    ) -> None:
        ev = Event(self.clock.now() - self._t0, kind, message, weights, report)
        self.events.append(ev)
        if self.on_event:
            self.on_event(ev)

    def _read_live(self) -> Weights | None:
        try:
            return self.router.get_weights()
        except Exception as exc:  # a read failure is a failed gate, not a crash
            self._emit("note", f"could not read the listener weights: {exc}")
            return None

    def _execute(self, cmd: Command) -> Observation:
        if isinstance(cmd, CheckGates):
            try:
                report = self.gate.check(cmd.weights)
            except Exception as exc:
                report = GateReport.error("gates", exc)
            live = self._read_live()
            verdict = "pass" if report.ok else f"FAIL: {report.reason()}"
            self._emit("gate", f"gates for {cmd.weights}: {verdict}", cmd.weights, report)
            return GatesChecked(report, live, self.clock.now())
        if isinstance(cmd, SetWeights):
            try:
                self.router.set_weights(cmd.weights)
            except Exception as exc:
                self._emit("set", f"setting {cmd.weights} FAILED: {exc}", cmd.weights)
                return SetFailed(f"{type(exc).__name__}: {exc}", self.clock.now())
            self._emit("set", f"listener now {cmd.weights}", cmd.weights)
            return WeightsSet(self.clock.now())
        if isinstance(cmd, Wait):
            self.clock.sleep(cmd.seconds)
            return Ticked(self.clock.now())
        if isinstance(cmd, CountFallback):
            if self.health is None:
                return FallbackCounted(None, self.clock.now())
            try:
                n: int | None = self.health.legacy_healthy()
            except Exception as exc:  # cannot count: the rollback still goes ahead, as it always did
                self._emit("note", f"could not count the legacy fleet's healthy targets: {exc}")
                n = None
            if n is not None:
                self._emit("rollback", f"legacy target group: {n} healthy target(s)")
            return FallbackCounted(n, self.clock.now())
        if isinstance(cmd, EnsureCapacity):
            if self.capacity is not None:
                try:
                    msg = self.capacity.ensure(cmd.min_tasks)
                except Exception as exc:
                    msg = f"could not scale the ECS service up ({exc}); the gates decide"
                self._emit("capacity", msg)
            return CapacityRequested(self.clock.now())
        raise TypeError(f"unknown command {cmd!r}")

    def run(self) -> Result:
        live = self.router.get_weights()
        self._emit("start", f"{self.mode.value} rollout from live weights {live}", live)
        state, cmd = start(self.plan, live, self.clock.now(), self.mode)
        self.state = state
        try:
            return self._drive(state, cmd)
        finally:
            # whatever ends the run (a result, Ctrl-C, SIGTERM, a bug), the raised minimum goes back
            self._restore_capacity()

    def _drive(self, state: State, cmd: Command) -> Result:
        with contextlib.ExitStack() as guard:
            held_back: list[str] | None = None
            while True:
                try:
                    while not isinstance(cmd, Finish):
                        if state.phase is Phase.ROLLING_BACK and held_back is None:
                            # from here on, SIGINT and SIGTERM wait until the rollback has finished
                            held_back = guard.enter_context(deferred_interrupts())
                        first_rollback_set = isinstance(cmd, SetWeights) and state.rollback_attempts == 1
                        if first_rollback_set and state.phase is Phase.ROLLING_BACK:
                            self._emit("rollback", f"ROLLING BACK to 100 % legacy: {state.reason}")
                        obs = self._execute(cmd)
                        state, cmd = step(state, obs)
                        self.state = state
                    break
                except KeyboardInterrupt:
                    if state.phase is Phase.ROLLING_BACK:
                        # arrived just before the guard: the rollback is not interruptible, carry on
                        self._emit(
                            "note", "interrupt received while rolling back: finishing the rollback first"
                        )
                        continue
                    return self._hold(state)
            guard.close()
            if held_back:
                self._emit(
                    "note", f"{', '.join(held_back)} received during the rollback: deferred until it ended"
                )
        self._emit("finish", f"{cmd.phase.value}: {cmd.reason}", cmd.weights)
        result = Result(cmd.phase, cmd.weights, cmd.reason, self.events)
        if cmd.phase in (Phase.COMPLETED, Phase.ROLLED_BACK):
            self._write_back(result)
        return result

    def _hold(self, state: State) -> Result:
        """Interrupted outside a rollback: the live weights passed their gate; resume or abort later."""
        current = self._read_live() or state.live
        msg = f"interrupted: traffic held at {current}; resume with `migrate start` or run `migrate abort`"
        self._emit("hold", msg, current)
        return Result(state.phase, current, msg, self.events, held=True)

    def _restore_capacity(self) -> None:
        if self.capacity is not None:
            try:
                msg = self.capacity.restore()
            except Exception as exc:
                msg = f"could not restore the ECS scaling minimum: {exc}"
            if msg:
                self._emit("capacity", msg)

    def _write_back(self, result: Result) -> None:
        if self.store is None or result.final is None:
            result.writeback = "no weight parameters in the stack: nothing to write back"
            return
        try:
            self.store.write(result.final)
            live = self.router.get_weights()
            if live != result.final:
                raise RuntimeError(f"listener reads {live} after the stack update, expected {result.final}")
        except KeyboardInterrupt:
            # traffic is already where the result says; only the IaC record is behind
            result.writeback = (
                f"DRIFT: interrupted while writing {result.final} back to the stack parameters; "
                "traffic is right, run `migrate abort` or the stack update again"
            )
            result.writeback_failed = True
        except Exception as exc:
            result.writeback = f"DRIFT: could not write {result.final} back to the stack parameters: {exc}"
            result.writeback_failed = True
        else:
            result.writeback = (
                f"stack parameters LegacyWeight={result.final.legacy} "
                f"EcsWeight={result.final.ecs}: in sync with the listener"
            )
        self._emit("writeback", result.writeback, result.final)


def abort(router: TrafficRouter, store: WeightStore | None, clock: Clock, attempts: int = 10) -> Result:
    """All traffic to legacy now (no gate: going back is always allowed), then write back."""
    events: list[Event] = []
    t0 = clock.now()
    last_error = ""
    for i in range(attempts):
        try:
            router.set_weights(Weights.all_legacy())
            break
        except Exception as exc:
            last_error = f"{type(exc).__name__}: {exc}"
            events.append(Event(clock.now() - t0, "set", f"attempt {i + 1} failed: {last_error}"))
            clock.sleep(2.0)
    else:
        return Result(Phase.ROLLBACK_FAILED, None, f"could not set 100 % legacy: {last_error}", events)
    events.append(Event(clock.now() - t0, "set", "listener now 100 % legacy", Weights.all_legacy()))
    result = Result(Phase.ROLLED_BACK, Weights.all_legacy(), "aborted by the operator", events)
    if store is None:
        result.writeback = "no weight parameters in the stack: nothing to write back"
        return result
    try:
        store.write(Weights.all_legacy())
    except Exception as exc:
        result.writeback = f"DRIFT: could not write 100/0 back to the stack parameters: {exc}"
        result.writeback_failed = True
    else:
        result.writeback = "stack parameters LegacyWeight=100 EcsWeight=0: in sync with the listener"
    return result
