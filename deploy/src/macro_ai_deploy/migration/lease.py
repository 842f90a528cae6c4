"""The migration's lease and run record: one JSON document per stack in Parameter Store.

Only one run may move a stack's traffic. `acquire` creates the record with a create-if-absent write
(SSM put_parameter Overwrite=False), so of two runs starting together exactly one succeeds. The record holds
what a later run needs to resume faithfully (the plan, the step reached, the scaling minimum the IaC had
before the run raised it) and a heartbeat; a run whose heartbeat is older than `stale_after` seconds is dead,
and only then may another run take the lease over, with --steal. The AWS-side safety net writes its reason
under `safetyNet` in the same record; every write here is read-modify-write, so that key survives.

A takeover cannot be create-if-absent alone: the old record must go first, and two runs taking over the
same dead run could each delete the other's fresh record and both create one. So a takeover settles
(`TAKEOVER_SETTLE_SECONDS`, far longer than the read, delete and create of a rival that read the same
dead record) and reads the record again: only the run whose record survived holds the lease.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from macro_ai_deploy.errors import DeployError
from macro_ai_deploy.exitcodes import ExitCode
from macro_ai_deploy.rollout import Plan


class RecordStore(Protocol):
    def create(self, value: str) -> bool:
        """Write only if absent (True); False when a record already exists."""
        ...

    def read(self) -> str | None: ...

    def put(self, value: str) -> None: ...

    def delete(self) -> None: ...


class LeaseHeld(DeployError):  # noqa: N818 - reads as the outcome
    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.MIGRATION_LEASE_HELD)


@dataclass(frozen=True)
class StoredPlan:
    steps: tuple[int, ...]
    bake_seconds: float
    check_interval_seconds: float
    min_healthy_tasks: int

    @classmethod
    def of(cls, plan: Plan) -> StoredPlan:
        return cls(plan.steps, plan.bake_seconds, plan.check_interval_seconds, plan.min_healthy_tasks)

    def applied_to(self, plan: Plan) -> Plan:
        return Plan(
            steps=self.steps,
            bake_seconds=self.bake_seconds,
            check_interval_seconds=self.check_interval_seconds,
            min_healthy_tasks=self.min_healthy_tasks,
            capacity_timeout_seconds=plan.capacity_timeout_seconds,
            rollback_attempts=plan.rollback_attempts,
        )


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    owner: str
    plan: StoredPlan
    started_at: float  # epoch seconds
    heartbeat: float  # epoch seconds
    stale_after: float  # seconds without a heartbeat after which the run counts as dead
    step: int  # the ECS percentage reached
    original_minimum: int | None  # the IaC's scaling minimum before the run raised it
    mode: str = "stepped"
    safety_net: dict[str, Any] | None = None
    held: bool = False  # interrupted on purpose (Ctrl-C): the next `migrate start` resumes it, no --steal

    def is_live(self, now: float) -> bool:
        return not self.held and now - self.heartbeat < self.stale_after

    def describe(self, now: float) -> str:
        age = max(0.0, now - self.heartbeat)
        state = "HELD (interrupted)" if self.held else "live" if self.is_live(now) else "STALE"
        return (
            f"run {self.run_id[:8]} by {self.owner}, at {self.step}% ECS, plan "
            f"{','.join(map(str, self.plan.steps))}; heartbeat {age:.0f}s ago ({state})"
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "runId": self.run_id,
            "owner": self.owner,
            "mode": self.mode,
            "plan": {
                "steps": list(self.plan.steps),
                "bakeSeconds": self.plan.bake_seconds,
                "checkIntervalSeconds": self.plan.check_interval_seconds,
                "minHealthyTasks": self.plan.min_healthy_tasks,
            },
            "startedAt": self.started_at,
            "heartbeat": self.heartbeat,
            "staleAfterSeconds": self.stale_after,
            "step": self.step,
            "originalMinimum": self.original_minimum,
            "held": self.held,
        }
        if self.safety_net is not None:
            data["safetyNet"] = self.safety_net
        return data


def parse(text: str | None) -> tuple[RunRecord | None, dict[str, Any]]:
    """(the run's lease if the record holds one, the raw document). A record written only by the safety
    net, or one that cannot be read, holds no lease."""
    if not text:
        return None, {}
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            return None, {}
        p = data["plan"]
        rec = RunRecord(
            run_id=str(data["runId"]),
            owner=str(data["owner"]),
            plan=StoredPlan(
                tuple(int(s) for s in p["steps"]),
                float(p["bakeSeconds"]),
                float(p["checkIntervalSeconds"]),
                int(p["minHealthyTasks"]),
            ),
            started_at=float(data["startedAt"]),
            heartbeat=float(data["heartbeat"]),
            stale_after=float(data["staleAfterSeconds"]),
            step=int(data["step"]),
            original_minimum=None if data.get("originalMinimum") is None else int(data["originalMinimum"]),
            mode=str(data.get("mode", "stepped")),
            safety_net=data.get("safetyNet"),
            held=bool(data.get("held", False)),
        )
    except (ValueError, KeyError, TypeError):
        return None, data if isinstance(data, dict) else {}
    return rec, data


def stale_after(plan: Plan) -> float:
    """A run beats at least every check interval; three missed beats (and never under 90 s) means dead."""
    return max(90.0, 3 * plan.check_interval_seconds)


TAKEOVER_SETTLE_SECONDS = 5.0


class Lease:
    def __init__(self, store: RecordStore, owner: str, settle: Callable[[], None] = lambda: None) -> None:
        """``settle`` waits ``TAKEOVER_SETTLE_SECONDS`` after a takeover (the runtime's clock)."""
        self.store, self.owner, self.settle = store, owner, settle
        self.record: RunRecord | None = None
        self.lost_to: str = ""
        self.stolen_from: str = ""  # set when acquire() took over a dead run

    def acquire(
        self, plan: Plan, step: int, original_minimum: int | None, now: float, mode: str, steal: bool
    ) -> RunRecord:
        """Hold the lease or raise LeaseHeld. A stolen (stale) run's plan and minimum are inherited."""
        mine = RunRecord(
            uuid.uuid4().hex,
            self.owner,
            StoredPlan.of(plan),
            now,
            now,
            stale_after(plan),
            step,
            original_minimum,
            mode,
        )
        if self.store.create(json.dumps(mine.to_json())):
            self.record = mine
            return mine
        existing, raw = parse(self.store.read())
        if existing is not None and existing.is_live(now):
            raise LeaseHeld(
                f"another migration holds the lease: {existing.describe(now)}; wait for it, or stop it "
                "(`migrate abort` moves traffic back; its run then stops by itself)"
            )
        if existing is not None and not steal and not existing.held:
            raise LeaseHeld(
                f"a migration died without releasing the lease: {existing.describe(now)}; "
                "resume it with `migrate start --steal` (its plan and scaling minimum are kept)"
            )
        if existing is not None:  # held, or stale and --steal: resume that run on its own terms
            self.stolen_from = existing.describe(now)
            mine = RunRecord(
                mine.run_id,
                self.owner,
                existing.plan,
                existing.started_at,
                now,
                existing.stale_after,
                step,
                existing.original_minimum,
                existing.mode,
                existing.safety_net,
            )
        elif raw.get("safetyNet") is not None:
            mine = replace(mine, safety_net=raw["safetyNet"])
        # the old document is no lease (dead run, or only the safety net's note): replace it, create-if-absent
        self.store.delete()
        if not self.store.create(json.dumps(mine.to_json())):
            raise LeaseHeld("another migration took the lease at the same moment: try again")
        self.settle()
        survivor, _ = parse(self.store.read())
        if survivor is None or survivor.run_id != mine.run_id:
            raise LeaseHeld("another migration took the lease at the same moment: try again")
        self.record = mine
        return mine

    def beat(self, step: int, now: float) -> bool:
        """Refresh the heartbeat and the step reached. False (and nothing written) if the lease is lost."""
        if self.record is None:
            return False
        current, raw = parse(self.store.read())
        if current is None or current.run_id != self.record.run_id:
            self.lost_to = current.describe(now) if current else "the record was deleted"
            self.record = None
            return False
        self.record = replace(self.record, heartbeat=now, step=step)
        doc = {**raw, **self.record.to_json()}  # keeps the safety net's key
        if current.safety_net is not None:
            doc["safetyNet"] = current.safety_net
        self.store.put(json.dumps(doc))
        return True

    def safety_net(self) -> dict[str, Any] | None:
        _, raw = parse(self.store.read())
        note = raw.get("safetyNet")
        return note if isinstance(note, dict) else None

    def hold(self, step: int, now: float) -> None:
        """Interrupted on purpose: keep the record (plan, minimum, step) for the next `migrate start`."""
        if self.record is None:
            return
        current, raw = parse(self.store.read())
        if current is None or current.run_id != self.record.run_id:
            return
        held = replace(self.record, heartbeat=now, step=step, held=True)
        doc = {**raw, **held.to_json()}
        if current.safety_net is not None:
            doc["safetyNet"] = current.safety_net
        self.store.put(json.dumps(doc))
        self.record = None

    def clear_if_dead(self, now: float) -> str:
        """Delete the record of a run whose heartbeat is stale (after `abort` nothing is left to resume).

        A live run's record is left alone: that run notices the moved weights and releases it itself.
        Returns what was cleared ("" for nothing)."""
        current, _ = parse(self.store.read())
        if current is None or current.is_live(now):
            return ""
        self.store.delete()
        return current.describe(now)

    def release(self) -> None:
        """The run has ended: the record goes (only if it is still ours)."""
        if self.record is None:
            return
        current, _ = parse(self.store.read())
        if current is not None and current.run_id == self.record.run_id:
            self.store.delete()
        self.record = None
