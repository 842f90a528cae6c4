"""Database migrations as their own step, before the rolling deploy.

One Fargate task of the NEW image runs `macro-ai db upgrade` (Alembic under a PostgreSQL advisory lock, so
running it twice is safe) with the service's own roles, secrets, environment and network. The task runs
from a one-off copy of the service's current task definition with only the `api` image switched; the service
itself is never updated here (the stack's ImageTag deploy does that afterwards, so the IaC stays the only
thing that changes the service). The copy is deregistered when the run ends, whatever the outcome: it is
used once, and an ACTIVE revision with a never-deployed image would mislead `rollback` (which looks for the
newest earlier ACTIVE revision with another image).

success    only when the task STOPPED and the `api` container's exit code is 0;
failed     the container exited non-zero, or the task stopped before it ran (image pull, secrets,
           capacity ...), or run_task placed no task: the reason is in the message;
timed out  not stopped within the timeout. The task is left running: interrupting a migration half-way is
           worse than waiting for it, and the advisory lock keeps a second run from interfering.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from macro_ai_deploy.aws.ecs import Ecs, td_short
from macro_ai_deploy.errors import DeployError, NotFound, Refused
from macro_ai_deploy.exitcodes import ExitCode
from macro_ai_deploy.rollout.ports import Clock

CONTAINER = "api"
COMMAND = ["db", "upgrade"]
STARTED_BY = "macro-deploy-migrate"
# what describe_task_definition returns but register_task_definition does not accept
READ_ONLY = frozenset(
    {
        "taskDefinitionArn",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "registeredBy",
        "deregisteredAt",
    }
)


def migration_task_definition(
    td: dict[str, Any], image: str, accepted: Iterable[str] | None = None, container: str = CONTAINER
) -> dict[str, Any]:
    """register_task_definition arguments: a copy of `td` with `container`'s image set to `image`.

    accepted: the request members of RegisterTaskDefinition (from the API model); any other key of the
    description (a read-only field this code does not know yet) is dropped too.
    """
    allowed = frozenset(accepted) if accepted is not None else None
    spec = {k: v for k, v in td.items() if k not in READ_ONLY and (allowed is None or k in allowed)}
    containers = [dict(c) for c in td.get("containerDefinitions", [])]
    target = next((c for c in containers if c.get("name") == container), None)
    if target is None:
        names = ", ".join(str(c.get("name")) for c in containers) or "none"
        raise NotFound(
            f"task definition {td_short(str(td.get('taskDefinitionArn', '?')))} has no container "
            f"{container!r} (containers: {names})"
        )
    target["image"] = image
    spec["containerDefinitions"] = containers
    return spec


def run_task_args(service: dict[str, Any], cluster: str, task_definition: str) -> dict[str, Any]:
    """run_task arguments: the service's network and capacity, the migration command as an override."""
    net = service.get("networkConfiguration", {}).get("awsvpcConfiguration")
    if not net or not net.get("subnets"):
        raise Refused(
            f"service {service.get('serviceName', '?')} has no awsvpc network configuration: "
            "cannot place the migration task in its subnets"
        )
    args: dict[str, Any] = {
        "cluster": cluster,
        "taskDefinition": task_definition,
        "count": 1,
        "startedBy": STARTED_BY,
        "networkConfiguration": {"awsvpcConfiguration": net},
        "overrides": {"containerOverrides": [{"name": CONTAINER, "command": list(COMMAND)}]},
    }
    if service.get("capacityProviderStrategy"):
        args["capacityProviderStrategy"] = service["capacityProviderStrategy"]
    else:
        args["launchType"] = "FARGATE"
    if service.get("platformVersion"):
        args["platformVersion"] = service["platformVersion"]
    return args


def log_location(spec: dict[str, Any], task_arn: str, container: str = CONTAINER) -> str:
    """`group stream` of the container's awslogs output, or '' when it does not log to CloudWatch."""
    c: dict[str, Any] = next(
        (x for x in spec.get("containerDefinitions", []) if x.get("name") == container), {}
    )
    log = c.get("logConfiguration", {})
    opts = log.get("options", {})
    if log.get("logDriver") != "awslogs" or "awslogs-group" not in opts:
        return ""
    prefix = opts.get("awslogs-stream-prefix")
    task_id = task_arn.rsplit("/", 1)[-1]
    return f"{opts['awslogs-group']} {prefix}/{container}/{task_id}" if prefix else opts["awslogs-group"]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def outcome(task: dict[str, Any], container: str = CONTAINER) -> Outcome | None:
    """The verdict on a described task, or None while it has not STOPPED."""
    if task.get("lastStatus") != "STOPPED":
        return None
    c: dict[str, Any] = next((x for x in task.get("containers", []) if x.get("name") == container), {})
    code = c.get("exitCode")
    if code == 0:
        return Outcome(True, f"`macro-ai {' '.join(COMMAND)}` exited 0")
    why = "; ".join(
        p
        for p in (
            f"{task['stopCode']}" if task.get("stopCode") else "",
            task.get("stoppedReason", ""),
            f"{container}: {c['reason']}" if c.get("reason") else "",
        )
        if p
    )
    if code is None:
        return Outcome(
            False, f"the task stopped before the {container} container ran: {why or 'no reason given'}"
        )
    return Outcome(False, f"`macro-ai {' '.join(COMMAND)}` exited {code}" + (f" ({why})" if why else ""))


class DbMigration:
    def __init__(
        self,
        ecs: Ecs,
        clock: Clock,
        *,
        cluster: str,
        service: str,
        interval: float = 5.0,
        timeout: float = 900.0,
        say: Callable[[str], None] = lambda s: None,
    ) -> None:
        self.ecs, self.clock, self.cluster, self.service = ecs, clock, cluster, service
        self.interval, self.timeout, self.say = interval, timeout, say

    def run(self, image: str) -> str:
        """Run the migration task of `image` to its end; the success message, or DeployError."""
        svc = self.ecs.service(self.cluster, self.service)
        current = svc["taskDefinition"]
        td = self.ecs.task_definition(current)
        model = self.ecs.client.meta.service_model.operation_model("RegisterTaskDefinition")
        spec = migration_task_definition(td, image, model.input_shape.members)
        args = run_task_args(svc, self.cluster, "")  # validate the network before registering anything
        arn = self.ecs.register_task_definition(spec)
        self.say(
            f"registered one-off {td_short(arn)} (copy of {td_short(current)}, {CONTAINER} image {image})"
        )
        try:
            args["taskDefinition"] = arn
            return self._run(args, spec)
        finally:
            self._deregister(arn)

    def _run(self, args: dict[str, Any], spec: dict[str, Any]) -> str:
        task_arn, failures = self.ecs.run_task(**args)
        if task_arn is None:
            raise DeployError(
                "run_task started no migration task: " + ("; ".join(failures) or "no reason given"),
                ExitCode.DB_MIGRATION_FAILED,
            )
        task_id = task_arn.rsplit("/", 1)[-1]
        logs = log_location(spec, task_arn)
        where = f"task {task_id}" + (f", logs: {logs}" if logs else "")
        self.say(f"started `macro-ai {' '.join(COMMAND)}` as {where}")
        started = self.clock.now()
        deadline = started + self.timeout
        last = ""
        try:
            while True:
                task = self.ecs.task(self.cluster, task_arn)
                status = str(task.get("lastStatus", "?"))
                if status != last:
                    self.say(f"[{self.clock.now() - started:5.0f}s] {status}")
                    last = status
                out = outcome(task)
                if out is not None:
                    if out.ok:
                        return f"{out.message} after {self.clock.now() - started:.0f}s ({where})"
                    raise DeployError(
                        f"database migration failed: {out.message} ({where})", ExitCode.DB_MIGRATION_FAILED
                    )
                if self.clock.now() >= deadline:
                    raise DeployError(
                        f"database migration not finished after {self.clock.now() - started:.0f}s "
                        f"(task {status}); the task keeps running, it was not stopped ({where})",
                        ExitCode.DB_MIGRATION_TIMEOUT,
                    )
                self.clock.sleep(min(self.interval, max(0.0, deadline - self.clock.now())) or self.interval)
        except KeyboardInterrupt:
            raise DeployError(
                f"interrupted: the migration task keeps running, it was not stopped ({where})",
                ExitCode.INTERRUPTED,
            ) from None

    def _deregister(self, arn: str) -> None:
        try:
            self.ecs.deregister_task_definition(arn)
        except (ClientError, BotoCoreError) as exc:
            self.say(
                f"warning: could not deregister the one-off {td_short(arn)} ({exc}); deregister it by hand"
            )
        else:
            self.say(f"deregistered the one-off {td_short(arn)}")
