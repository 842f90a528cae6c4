"""What `status` knows about an environment, gathered once, and the one-line verdict drawn from it.

`gather` reads AWS; `verdict` is a plain function of the report (tested on its own); views render it as
80-column text or JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from macro_ai_contract.outputs import StackOutput, StackParameter, migration_record_parameter

from macro_ai_deploy.aws.cloudwatch import Alarms, parse_alarm_names
from macro_ai_deploy.aws.ecs import Ecs, td_short
from macro_ai_deploy.aws.elbv2 import ListenerRouter, LoadBalancing
from macro_ai_deploy.aws.gates import AwsGates
from macro_ai_deploy.aws.records import SsmRecord
from macro_ai_deploy.envs import Environment
from macro_ai_deploy.migration.lease import parse
from macro_ai_deploy.runtime import Runtime

FLEETS = (("ecs", StackOutput.ECS_TARGET_GROUP_ARN), ("legacy", StackOutput.LEGACY_TARGET_GROUP_ARN))


@dataclass
class Fleet:
    name: str
    weight: int | None  # percent of traffic (None: not behind the weighted action)
    states: dict[str, int]

    @property
    def healthy(self) -> int:
        return self.states.get("healthy", 0)


@dataclass
class Gate:
    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    env: str
    stack: str
    stack_status: str
    image_tag: str
    revision: str
    desired: int
    running: int
    pending: int
    deployments: list[dict[str, Any]]
    fleets: list[Fleet]
    stored_weights: tuple[int, int] | None  # LegacyWeight/EcsWeight stack parameters
    gates: list[Gate]
    run: str = ""  # the migration run holding the lease, in words ("" when none)
    run_live: bool = False
    run_held: bool = False  # interrupted on purpose: `migrate start` resumes it
    run_steps: list[int] = field(default_factory=list)  # the run's stored plan
    safety_net: dict[str, Any] | None = None
    url: str = ""
    verdict: str = ""
    ok: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def ecs_weight(self) -> int | None:
        return next((f.weight for f in self.fleets if f.name == "ecs"), None)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def verdict(r: Report) -> tuple[bool, str]:
    """(healthy and settled, one line). Order: what an on-call engineer must act on first."""
    if r.safety_net:
        why = r.safety_net.get("reason") or r.safety_net
        return False, f"REVERTED by the AWS-side safety net: {why}"
    failing = [g for g in r.gates if not g.ok]
    if failing:
        g = failing[0]
        more = f" (+{len(failing) - 1} more)" if len(failing) > 1 else ""
        return False, f"GATE FAILING: {g.name}: {g.detail}{more}"
    if r.run and r.run_held:
        return False, f"HELD: {r.run}; `migrate start` resumes its plan, `migrate abort` reverts"
    if r.run and not r.run_live:
        return False, f"STUCK: {r.run}; resume with `migrate start --steal` or revert with `migrate abort`"
    split = r.ecs_weight is not None and 0 < r.ecs_weight < 100
    if split and not r.run:
        return False, f"STUCK: traffic split at {r.ecs_weight} % ECS and no migration is running"
    rollouts = [d.get("rolloutState", "") for d in r.deployments]
    if "FAILED" in rollouts:
        return False, "DEPLOY FAILED: the newest ECS deployment failed (see deployments)"
    if len(r.deployments) > 1 or "IN_PROGRESS" in rollouts:
        return True, f"DEPLOYING {r.revision}: {r.running}/{r.desired} tasks running"
    if r.run:
        return True, f"MIGRATING: {r.run}"
    traffic = f"; {r.ecs_weight} % of traffic on ECS" if r.ecs_weight is not None else ""
    return True, f"OK: {r.revision} ({r.image_tag}) steady, {r.running}/{r.desired} tasks{traffic}"


def gather(rt: Runtime, env: Environment) -> Report:
    info = rt.stacks().describe(env.stack_name)
    ecs = Ecs(rt.aws.client("ecs"))
    svc = ecs.service(info.output(StackOutput.CLUSTER_NAME), info.output(StackOutput.SERVICE_NAME))
    lb = LoadBalancing(rt.aws.client("elbv2"))
    weights: dict[str, int] = {}
    legacy_tg = info.outputs.get(StackOutput.LEGACY_TARGET_GROUP_ARN)
    ecs_tg = info.outputs.get(StackOutput.ECS_TARGET_GROUP_ARN)
    router = None
    if legacy_tg and ecs_tg and StackOutput.LISTENER_ARN in info.outputs:
        router = ListenerRouter(
            lb,
            info.outputs[StackOutput.LISTENER_ARN],
            legacy_tg,
            ecs_tg,
            rule_arn=info.outputs.get(StackOutput.LISTENER_RULE_ARN) or None,
        )
        live = router.get_weights()
        weights = {"ecs": live.ecs, "legacy": live.legacy}
    fleets = [
        Fleet(name, weights.get(name), lb.target_health(info.outputs[key]).states)
        for name, key in FLEETS
        if key in info.outputs
    ]
    names = parse_alarm_names(info.outputs.get(StackOutput.ROLLOUT_ALARM_NAMES, ""))
    gates: list[Gate] = []
    if router is not None and legacy_tg and ecs_tg:
        checker = AwsGates(Alarms(rt.aws.client("cloudwatch")), names, lb, legacy_tg, ecs_tg, 1)
        gates = [Gate(g.name, g.ok, g.detail) for g in checker.check(router.get_weights()).results]
    elif names:
        for a in Alarms(rt.aws.client("cloudwatch")).states(names):
            gates.append(Gate(f"alarm {a.name}", a.state not in ("ALARM", "MISSING"), a.state))
    p = info.parameters
    stored = None
    if StackParameter.LEGACY_WEIGHT in p and StackParameter.ECS_WEIGHT in p:
        stored = (int(p[StackParameter.LEGACY_WEIGHT]), int(p[StackParameter.ECS_WEIGHT]))
    record, raw = parse(SsmRecord(rt.aws.client("ssm"), migration_record_parameter(env.stack_name)).read())
    now = rt.utcnow().timestamp()
    report = Report(
        env=env.name,
        stack=info.name,
        stack_status=info.status,
        image_tag=p.get(StackParameter.IMAGE_TAG, "?"),
        revision=td_short(svc["taskDefinition"]),
        desired=int(svc.get("desiredCount", 0)),
        running=int(svc.get("runningCount", 0)),
        pending=int(svc.get("pendingCount", 0)),
        deployments=[
            {
                k: d.get(k)
                for k in ("id", "status", "rolloutState", "desiredCount", "runningCount", "failedTasks")
            }
            | {"revision": td_short(d.get("taskDefinition", ""))}
            for d in svc.get("deployments", [])
        ],
        fleets=fleets,
        stored_weights=stored,
        gates=gates,
        run=record.describe(now) if record else "",
        run_live=bool(record and record.is_live(now)),
        run_held=bool(record and record.held),
        run_steps=list(record.plan.steps) if record else [],
        safety_net=raw.get("safetyNet") if isinstance(raw.get("safetyNet"), dict) else None,
        url=info.outputs.get(StackOutput.SERVICE_URL, ""),
    )
    if stored is not None and weights and stored != (weights["legacy"], weights["ecs"]):
        report.notes.append(
            f"stack parameters say legacy {stored[0]} % / ecs {stored[1]} %, the load balancer differs "
            "(a migration in progress or interrupted)"
        )
    report.ok, report.verdict = verdict(report)
    return report
