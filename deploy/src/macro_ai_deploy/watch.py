"""Watching an ECS deployment until the truth is known.

success      only when the new revision is the single PRIMARY deployment, rollout COMPLETED, running ==
             desired, every registered target of the ECS target group healthy, and the stack update is done;
rolled back  when the deployment circuit breaker failed the new deployment and ECS finished rolling back;
failed       any other failure (circuit breaker without rollback, CloudFormation rollback for another
             reason ...), with the reason (deployment reason, stopped tasks, failed stack resource);
timed out    not decided within the timeout; the message says where it stuck.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from macro_ai_deploy.aws.cfn import StackInfo, Stacks
from macro_ai_deploy.aws.ecs import Ecs, td_short
from macro_ai_deploy.aws.elbv2 import LoadBalancing, TargetHealth
from macro_ai_deploy.exitcodes import ExitCode
from macro_ai_deploy.rollout.ports import Clock

FAILED_STACK = (
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "UPDATE_FAILED",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
)
DONE_STACK = ("UPDATE_COMPLETE", "CREATE_COMPLETE", "IMPORT_COMPLETE")


class Verdict(StrEnum):
    SUCCEEDED = "succeeded"
    ROLLED_BACK = "rolled back"
    ALARM_ROLLED_BACK = "rolled back by an alarm"
    FAILED = "failed"
    TIMED_OUT = "timed out"

    @property
    def exit_code(self) -> ExitCode:
        return {
            Verdict.SUCCEEDED: ExitCode.OK,
            Verdict.ROLLED_BACK: ExitCode.DEPLOY_ROLLED_BACK,
            Verdict.ALARM_ROLLED_BACK: ExitCode.DEPLOY_ALARM_ROLLED_BACK,
            Verdict.FAILED: ExitCode.DEPLOY_FAILED,
            Verdict.TIMED_OUT: ExitCode.DEPLOY_TIMEOUT,
        }[self]


@dataclass(frozen=True)
class Snapshot:
    service: dict[str, Any]
    stack: StackInfo
    targets: TargetHealth | None

    @property
    def deployments(self) -> list[dict[str, Any]]:
        return list(self.service.get("deployments", []))

    @property
    def last_event(self) -> str:
        events = self.service.get("events", [])
        return str(events[0]["message"]) if events else ""


@dataclass(frozen=True)
class WatchResult:
    verdict: Verdict
    message: str
    snapshot: Snapshot | None = None

    @property
    def exit_code(self) -> ExitCode:
        return self.verdict.exit_code


def _dep_text(d: dict[str, Any]) -> str:
    return (
        f"deployment {d.get('id', '?')} ({td_short(d['taskDefinition'])}): "
        f"{d.get('runningCount', 0)}/{d.get('desiredCount', 0)} running, {d.get('pendingCount', 0)} pending"
        + (f", {d['failedTasks']} failed tasks" if d.get("failedTasks") else "")
    )


def _newest(deps: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not deps:
        return None
    return max(deps, key=lambda d: (d.get("createdAt") is not None, d.get("createdAt") or 0))


def triggered_alarms(service: dict[str, Any], reason: str) -> str | None:
    """The deployment alarm(s) named in a failed deployment's reason (None: not an alarm rollback).

    ECS says e.g. "ECS deployment ecs-svc/1 rolled back: alarm(s) [api-5xx] in ALARM state"; the names are
    matched against the service's own deployment alarms, so a word in the text is never taken for one.
    """
    if "alarm" not in reason.lower():
        return None
    configured = service.get("deploymentConfiguration", {}).get("alarms", {}).get("alarmNames", [])
    named = [a for a in configured if a in reason]
    return ", ".join(named) if named else "(not named by ECS: see `macro-deploy status`)"


def assess(
    prev_td: str, snap: Snapshot, expect_change: bool = True, known: frozenset[str] = frozenset()
) -> tuple[Verdict | None, str]:
    """Decide from one snapshot: (verdict or None to keep watching, where we are in words).

    prev_td: the service's task definition before the update; known: deployment ids that existed before it
    (an older deployment still draining is never mistaken for the new one).
    """
    deps = snap.deployments
    stack = snap.stack
    new = (
        _newest([d for d in deps if d["taskDefinition"] != prev_td and d.get("id") not in known])
        if expect_change
        else next((d for d in deps if d.get("status") == "PRIMARY"), None)
    )

    if new is None:
        if stack.status in FAILED_STACK or "ROLLBACK" in stack.status:
            if stack.busy:
                return None, f"CloudFormation is rolling back ({stack.status}) before ECS got a new revision"
            return (
                Verdict.FAILED,
                f"CloudFormation rolled back the update ({stack.status}) before ECS got a new revision",
            )
        if stack.status in DONE_STACK:
            return (
                Verdict.FAILED,
                f"stack is {stack.status} but the service still runs "
                f"{td_short(prev_td)}: the update did not produce a new task definition",
            )
        return None, f"waiting for CloudFormation to update the service (stack {stack.status})"

    state = new.get("rolloutState", "")
    reason = new.get("rolloutStateReason", "")
    if state == "FAILED":
        rollback = next((d for d in deps if d.get("status") == "PRIMARY" and d is not new), None)
        if rollback is not None:
            if rollback.get("rolloutState") == "COMPLETED":
                alarms = triggered_alarms(snap.service, reason)
                if alarms is not None:
                    return (
                        Verdict.ALARM_ROLLED_BACK,
                        f"deployment alarm {alarms} fired: ECS rolled {td_short(new['taskDefinition'])} back "
                        f"to {td_short(rollback['taskDefinition'])}: {reason}",
                    )
                return (
                    Verdict.ROLLED_BACK,
                    f"circuit breaker rolled {td_short(new['taskDefinition'])} back "
                    f"to {td_short(rollback['taskDefinition'])}: {reason}",
                )
            return (
                None,
                f"circuit breaker is rolling back to {td_short(rollback['taskDefinition'])} "
                f"({_dep_text(rollback)}): {reason}",
            )
        if "rolling back" in snap.last_event.lower() or "rolling back" in reason.lower():
            return None, f"circuit breaker triggered, waiting for the rollback deployment: {reason}"
        return Verdict.FAILED, f"{_dep_text(new)}: {reason or 'rollout FAILED'}"

    if "ROLLBACK" in stack.status or stack.status in FAILED_STACK:
        if stack.busy:
            return None, f"CloudFormation is rolling back ({stack.status}); {_dep_text(new)}"
        return Verdict.FAILED, f"CloudFormation rolled back the update ({stack.status})"

    where = _dep_text(new)
    th = snap.targets
    if th is not None:
        where += f"; targets: {th.summary()}"
    if snap.last_event:
        where += f"; last event: {snap.last_event}"
    steady = (
        new.get("status") == "PRIMARY"
        and state in ("COMPLETED", "")
        and len(deps) == 1
        and new.get("runningCount") == new.get("desiredCount")
        and new.get("pendingCount", 0) == 0
    )
    healthy = th is None or (th.unhealthy == 0 and th.healthy >= int(new.get("desiredCount", 0)))
    if steady and healthy:
        if expect_change and stack.status not in DONE_STACK:
            return (
                None,
                f"service steady on {td_short(new['taskDefinition'])}; waiting for CloudFormation "
                f"({stack.status})",
            )
        return (
            Verdict.SUCCEEDED,
            f"{td_short(new['taskDefinition'])} is steady and healthy: "
            f"{new.get('runningCount')}/{new.get('desiredCount')} tasks running"
            + (f", {th.healthy} healthy targets" if th is not None else ""),
        )
    return None, where


class DeploymentWatcher:
    def __init__(
        self,
        ecs: Ecs,
        stacks: Stacks,
        lb: LoadBalancing | None,
        *,
        cluster: str,
        service: str,
        stack_name: str,
        target_group_arn: str | None,
        clock: Clock,
        interval: float = 10.0,
        timeout: float = 1800.0,
        on_poll: Callable[[Snapshot, str], None] | None = None,
    ) -> None:
        self.ecs, self.stacks, self.lb = ecs, stacks, lb
        self.cluster, self.service, self.stack_name, self.tg = cluster, service, stack_name, target_group_arn
        self.clock, self.interval, self.timeout, self.on_poll = clock, interval, timeout, on_poll

    def snapshot(self) -> Snapshot:
        svc = self.ecs.service(self.cluster, self.service)
        stack = self.stacks.describe(self.stack_name)
        th = self.lb.target_health(self.tg) if self.lb is not None and self.tg else None
        return Snapshot(svc, stack, th)

    def watch(
        self, prev_td: str, expect_change: bool = True, known: frozenset[str] = frozenset()
    ) -> WatchResult:
        started = self.clock.now()
        deadline = started + self.timeout
        while True:
            snap = self.snapshot()
            verdict, stage = assess(prev_td, snap, expect_change, known)
            if self.on_poll:
                self.on_poll(snap, stage)
            if verdict is not None:
                if verdict is Verdict.FAILED:
                    stage = self._explain(snap, stage)
                return WatchResult(verdict, stage, snap)
            if self.clock.now() >= deadline:
                return WatchResult(
                    Verdict.TIMED_OUT,
                    f"not steady after {self.clock.now() - started:.0f}s; stuck at: {stage}",
                    snap,
                )
            self.clock.sleep(min(self.interval, max(0.0, deadline - self.clock.now())) or self.interval)

    def _explain(self, snap: Snapshot, stage: str) -> str:
        extra: list[str] = []
        failed = [d for d in snap.deployments if d.get("rolloutState") == "FAILED" or d.get("failedTasks")]
        for d in failed[:1]:
            reasons = self.ecs.stopped_task_reasons(self.cluster, d["id"])
            if reasons:
                extra.append("stopped tasks: " + " | ".join(reasons))
        if "ROLLBACK" in snap.stack.status or snap.stack.status in FAILED_STACK:
            why = self.stacks.failure_reason(self.stack_name)
            if why:
                extra.append(f"CloudFormation: {why}")
        return stage + ("; " + "; ".join(extra) if extra else "")
