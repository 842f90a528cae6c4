"""CloudFormation: stack outputs and parameters, parameter-only updates, previews."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from macro_ai_deploy.errors import DeployError, NotFound, Refused
from macro_ai_deploy.exitcodes import ExitCode
from macro_ai_deploy.rollout.model import Weights
from macro_ai_deploy.rollout.ports import Clock

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


@dataclass(frozen=True)
class StackInfo:
    name: str
    status: str
    parameters: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    created: datetime | None = None
    status_reason: str = ""

    @property
    def busy(self) -> bool:
        return self.status.endswith("_IN_PROGRESS")

    def output(self, key: str) -> str:
        try:
            return self.outputs[key]
        except KeyError:
            raise NotFound(f"stack {self.name} has no output {key!r} (see docs/stack-contract.md)") from None


def _info(s: dict[str, Any]) -> StackInfo:
    return StackInfo(
        name=s["StackName"],
        status=s["StackStatus"],
        parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in s.get("Parameters", [])},
        outputs={o["OutputKey"]: o.get("OutputValue", "") for o in s.get("Outputs", [])},
        tags={t["Key"]: t["Value"] for t in s.get("Tags", [])},
        created=s.get("CreationTime"),
        status_reason=s.get("StackStatusReason", ""),
    )


def _missing(exc: ClientError) -> bool:
    err = exc.response.get("Error", {})
    return err.get("Code") == "ValidationError" and "does not exist" in err.get("Message", "")


class Stacks:
    def __init__(self, client: Any) -> None:
        self.client = client

    def describe(self, name: str) -> StackInfo:
        try:
            stacks = self.client.describe_stacks(StackName=name)["Stacks"]
        except ClientError as exc:
            if _missing(exc):
                raise NotFound(
                    f"stack {name} does not exist (is the environment deployed? right region?)"
                ) from None
            raise
        if not stacks or stacks[0]["StackStatus"] == "DELETE_COMPLETE":
            raise NotFound(f"stack {name} does not exist")
        return _info(stacks[0])

    def all(self, prefix: str = "") -> list[StackInfo]:
        out: list[StackInfo] = []
        for page in self.client.get_paginator("describe_stacks").paginate():
            for s in page["Stacks"]:
                if s["StackName"].startswith(prefix) and s["StackStatus"] != "DELETE_COMPLETE":
                    out.append(_info(s))
        return out

    def update_parameters(self, name: str, changes: dict[str, str]) -> bool:
        """Update only parameters, keeping the template and all other values. False: nothing changed."""
        info = self.describe(name)
        if info.busy:
            raise Refused(f"stack {name} is {info.status}: another update is running; try again when it ends")
        unknown = sorted(set(changes) - set(info.parameters))
        if unknown:
            raise NotFound(f"stack {name} has no parameter(s) {', '.join(unknown)}")
        params = [
            {"ParameterKey": k, "ParameterValue": changes[k]}
            if k in changes
            else {"ParameterKey": k, "UsePreviousValue": True}
            for k in info.parameters
        ]
        try:
            self.client.update_stack(
                StackName=name, UsePreviousTemplate=True, Parameters=params, Capabilities=CAPABILITIES
            )
        except ClientError as exc:
            if "No updates are to be performed" in exc.response.get("Error", {}).get("Message", ""):
                return False
            raise
        return True

    def wait_settled(self, name: str, clock: Clock, timeout: float, interval: float = 10.0) -> StackInfo:
        deadline = clock.now() + timeout
        while True:
            info = self.describe(name)
            if not info.busy:
                return info
            if clock.now() >= deadline:
                raise DeployError(
                    f"stack {name} still {info.status} after {timeout:.0f}s", ExitCode.DEPLOY_TIMEOUT
                )
            clock.sleep(interval)

    def failure_reason(self, name: str, limit: int = 50) -> str:
        """The first failed resource of the latest operation, in words."""
        try:
            events = self.client.describe_stack_events(StackName=name)["StackEvents"][:limit]
        except ClientError:
            return ""
        failed = [
            e
            for e in events
            if e.get("ResourceStatus", "").endswith("_FAILED") and e.get("ResourceStatusReason")
        ]
        if not failed:
            return ""
        e = failed[-1]  # events are newest first: the last failed one is the root cause
        return f"{e.get('LogicalResourceId')}: {e.get('ResourceStatusReason')}"

    def delete(self, name: str) -> None:
        self.client.delete_stack(StackName=name)


class StackWeightStore:
    """The IaC side of the weights: the stack's LegacyWeight/EcsWeight parameters."""

    def __init__(
        self, stacks: Stacks, stack_name: str, clock: Clock, timeout: float = 1800.0, interval: float = 10.0
    ) -> None:
        self.stacks, self.stack_name, self.clock = stacks, stack_name, clock
        self.timeout, self.interval = timeout, interval

    def read(self) -> Weights | None:
        p = self.stacks.describe(self.stack_name).parameters
        if "LegacyWeight" not in p or "EcsWeight" not in p:
            return None
        return Weights(int(p["LegacyWeight"]), int(p["EcsWeight"]))

    def write(self, weights: Weights) -> None:
        self.stacks.wait_settled(self.stack_name, self.clock, self.timeout, self.interval)
        changed = self.stacks.update_parameters(
            self.stack_name, {"LegacyWeight": str(weights.legacy), "EcsWeight": str(weights.ecs)}
        )
        if changed:
            info = self.stacks.wait_settled(self.stack_name, self.clock, self.timeout, self.interval)
            if info.status != "UPDATE_COMPLETE":
                why = self.stacks.failure_reason(self.stack_name) or info.status_reason
                raise DeployError(f"stack update ended {info.status}: {why}", ExitCode.MIGRATION_DRIFT)
