"""The operator: the rollout state machine of `macro-deploy migrate`, wired to HAProxy instead of AWS.

A process of its own (`python -m macro_ai_deploy.rehearsal.operator_run ...`) so that a scenario can SIGKILL
it mid-step and start it again, as an operator's laptop can die. Every rollout event is appended to a JSON
lines file as it happens (flushed), with the machine-wide monotonic time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from macro_ai_deploy.rehearsal.gates import HaproxyGates, Thresholds
from macro_ai_deploy.rehearsal.haproxy import RuntimeApi
from macro_ai_deploy.rehearsal.router import HaproxyRouter
from macro_ai_deploy.rehearsal.targets import Targets
from macro_ai_deploy.rollout import Event, Phase, Plan, Rollout, Weights
from macro_ai_deploy.rollout.clock import SystemClock

EXIT = {Phase.COMPLETED: 0, Phase.ROLLED_BACK: 20, Phase.STOPPED_EXTERNALLY: 21, Phase.ROLLBACK_FAILED: 24}


class EcsCapacity:
    """The rehearsal's ECS service already runs its instances: report them, change nothing."""

    def __init__(self, targets: Targets) -> None:
        self.targets = targets

    def ensure(self, min_tasks: int) -> str:
        return f"{self.targets.healthy('ecs')} healthy ECS instance(s), {min_tasks} needed"

    def restore(self) -> str:
        return ""


class FileWeightStore:
    """The stack's LegacyWeight/EcsWeight parameters, as a file in the run folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> Weights | None:
        if not self.path.exists():
            return None
        data = json.loads(self.path.read_text())
        return Weights(int(data["legacy"]), int(data["ecs"]))

    def write(self, weights: Weights) -> None:
        self.path.write_text(json.dumps({"legacy": weights.legacy, "ecs": weights.ecs}))


def event_json(ev: Event) -> str:
    report = None
    if ev.report is not None:
        report = [{"name": r.name, "ok": r.ok, "detail": r.detail} for r in ev.report.results]
    weights = None if ev.weights is None else {"legacy": ev.weights.legacy, "ecs": ev.weights.ecs}
    return json.dumps(
        {
            "mono": time.monotonic(),
            "kind": ev.kind,
            "message": ev.message,
            "weights": weights,
            "gates": report,
        }
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="the rollout against the rehearsal's HAProxy")
    p.add_argument("--socket", type=Path, required=True)
    p.add_argument("--acl", required=True)
    p.add_argument("--steps", required=True, help="comma-separated ECS percentages, ending at 100")
    p.add_argument("--bake", type=float, required=True)
    p.add_argument("--interval", type=float, required=True)
    p.add_argument("--min-healthy", type=int, default=2)
    p.add_argument("--error-rate", type=float, required=True)
    p.add_argument("--response-seconds", type=float, required=True)
    p.add_argument("--events", type=Path, required=True)
    p.add_argument("--store", type=Path, required=True)
    args = p.parse_args(argv)

    api = RuntimeApi(args.socket)
    plan = Plan(
        steps=tuple(int(s) for s in args.steps.split(",")),
        bake_seconds=args.bake,
        check_interval_seconds=args.interval,
        min_healthy_tasks=args.min_healthy,
        capacity_timeout_seconds=60,
        rollback_attempts=10,
    )
    gates = HaproxyGates(api, Thresholds(args.error_rate, args.response_seconds, args.min_healthy))
    with args.events.open("a") as log:

        def record(ev: Event) -> None:
            log.write(event_json(ev) + "\n")
            log.flush()

        result = Rollout(
            plan,
            HaproxyRouter(api, args.acl),
            gates,
            SystemClock(),
            capacity=EcsCapacity(Targets(api)),
            store=FileWeightStore(args.store),
            on_event=record,
        ).run()
    return EXIT.get(result.phase, 1)


if __name__ == "__main__":
    sys.exit(main())
