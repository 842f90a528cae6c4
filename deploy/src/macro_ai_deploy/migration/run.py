"""One migration run: take the lease, drive the rollout through the stack's ports, keep the record beating,
release the lease whatever happens."""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from macro_ai_contract.outputs import StackOutput, migration_record_parameter

from macro_ai_deploy.aws.records import SsmRecord
from macro_ai_deploy.migration.lease import TAKEOVER_SETTLE_SECONDS, Lease
from macro_ai_deploy.migration.target import MigrationTarget
from macro_ai_deploy.rollout import Event, Mode, Phase, Plan, Result, Rollout
from macro_ai_deploy.runtime import Runtime
from macro_ai_deploy.signals import sigterm_as_interrupt


def default_owner() -> str:
    """Who is running: the CI run when there is one, else user@host, with the process id."""
    ci = os.environ.get("GITHUB_RUN_ID")
    who = f"github-actions run {ci} ({os.environ.get('GITHUB_ACTOR', '?')})" if ci else None
    if who is None:
        try:
            who = f"{getpass.getuser()}@{socket.gethostname()}"
        except Exception:  # no user name in some containers
            who = socket.gethostname()
    return f"{who} pid {os.getpid()}"


def lease_for(rt: Runtime, target: MigrationTarget) -> Lease:
    store = SsmRecord(rt.aws.client("ssm"), migration_record_parameter(target.env.stack_name))
    return Lease(store, rt.owner or default_owner(), lambda: rt.clock.sleep(TAKEOVER_SETTLE_SECONDS))


@dataclass
class Run:
    plan: Plan
    result: Result
    safety_net: dict[str, object] | None = None


def run_migration(
    rt: Runtime,
    t: MigrationTarget,
    plan: Plan,
    mode: Mode,
    steal: bool,
    on_event: Callable[[Event], None],
    on_plan: Callable[[Plan, str], None],
) -> Run:
    lease = lease_for(rt, t)
    live = t.router.get_weights()
    record = lease.acquire(
        plan, live.ecs, t.capacity.scaling_minimum(), rt.utcnow().timestamp(), mode.value, steal
    )
    if lease.stolen_from:
        plan = record.plan.applied_to(plan)
    on_plan(
        plan,
        f"took over the lease of {lease.stolen_from}; its stored plan applies" if lease.stolen_from else "",
    )
    if record.original_minimum is not None:
        t.capacity.remember_original(record.original_minimum)

    def beat(ev: Event) -> None:
        on_event(ev)
        held = lease.record.step if lease.record is not None else record.step
        step = ev.weights.ecs if ev.weights is not None and ev.kind in ("set", "start") else held
        if not lease.beat(step, rt.utcnow().timestamp()):
            on_event(Event(ev.at, "hold", f"the migration lease was taken over ({lease.lost_to}): stopping"))
            raise KeyboardInterrupt  # stop where we are, as an interrupt does (a rollback still finishes)

    rollout = Rollout(
        plan,
        t.router,
        t.gates,
        rt.clock,
        capacity=t.capacity,
        store=t.store,
        mode=mode,
        on_event=beat,
        health=t.gates,
    )
    try:
        with sigterm_as_interrupt():
            result = rollout.run()
        note = lease.safety_net() if result.phase is Phase.STOPPED_EXTERNALLY else None
        if result.held and result.final is not None:
            lease.hold(result.final.ecs, rt.utcnow().timestamp())
    finally:
        lease.release()  # no-op after hold()
    return Run(plan, result, note)


def alarm_topic(t: MigrationTarget) -> str | None:
    return t.info.outputs.get(StackOutput.ALARM_TOPIC_ARN) or None
