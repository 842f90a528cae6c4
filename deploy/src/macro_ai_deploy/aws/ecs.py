"""ECS: the service, its deployments and task definitions."""

from __future__ import annotations

from typing import Any

from macro_ai_deploy.errors import NotFound


def image_tag(image: str) -> str:
    """`repo/name:tag` or `repo/name@sha256:...` -> tag (or digest)."""
    if "@" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def td_short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


class Ecs:
    def __init__(self, client: Any) -> None:
        self.client = client

    def service(self, cluster: str, service: str) -> dict[str, Any]:
        resp = self.client.describe_services(cluster=cluster, services=[service])
        svcs = [s for s in resp.get("services", []) if s.get("status") != "INACTIVE"]
        if not svcs:
            raise NotFound(f"ECS service {service} not found in cluster {cluster}")
        return svcs[0]  # type: ignore[no-any-return]

    def stopped_task_reasons(self, cluster: str, deployment_id: str, limit: int = 5) -> list[str]:
        """Why the tasks of a deployment stopped (tasks started by a service carry the deployment id)."""
        arns = self.client.list_tasks(cluster=cluster, startedBy=deployment_id, desiredStatus="STOPPED").get(
            "taskArns", []
        )[:limit]
        if not arns:
            return []
        reasons: list[str] = []
        for t in self.client.describe_tasks(cluster=cluster, tasks=arns).get("tasks", []):
            parts = [t.get("stoppedReason", "")]
            parts += [f"{c['name']}: {c['reason']}" for c in t.get("containers", []) if c.get("reason")]
            parts += [
                f"{c['name']} exited {c['exitCode']}"
                for c in t.get("containers", [])
                if c.get("exitCode") not in (None, 0)
            ]
            text = "; ".join(p for p in parts if p)
            if text and text not in reasons:
                reasons.append(text)
        return reasons

    def task_definition(self, arn: str) -> dict[str, Any]:
        return self.client.describe_task_definition(taskDefinition=arn)["taskDefinition"]  # type: ignore[no-any-return]

    def image_of(self, td_arn: str, repository_hint: str = "") -> str:
        containers = self.task_definition(td_arn).get("containerDefinitions", [])
        for c in containers:
            if repository_hint and repository_hint in c.get("image", ""):
                return str(c["image"])
        if not containers:
            raise NotFound(f"task definition {td_short(td_arn)} has no containers")
        return str(containers[0]["image"])

    def previous_image_tag(
        self, current_td: str, repository_hint: str = "", depth: int = 25
    ) -> tuple[str, str]:
        """The newest earlier revision of the family whose image differs from the current one."""
        family = self.task_definition(current_td)["family"]
        current_tag = image_tag(self.image_of(current_td, repository_hint))
        arns: list[str] = []
        for page in self.client.get_paginator("list_task_definitions").paginate(
            familyPrefix=family, sort="DESC", status="ACTIVE"
        ):
            arns += page["taskDefinitionArns"]
        current_rev = int(current_td.rsplit(":", 1)[1])
        older = sorted(
            (
                a
                for a in arns
                if a.rsplit("/", 1)[-1].split(":")[0] == family and int(a.rsplit(":", 1)[1]) < current_rev
            ),
            key=lambda a: int(a.rsplit(":", 1)[1]),
            reverse=True,
        )
        for arn in older[:depth]:
            tag = image_tag(self.image_of(arn, repository_hint))
            if tag != current_tag:
                return tag, arn
        raise NotFound(f"no earlier revision of {family} with an image other than {current_tag}")

    def register_task_definition(self, spec: dict[str, Any]) -> str:
        td = self.client.register_task_definition(**spec)["taskDefinition"]
        return str(td["taskDefinitionArn"])

    def deregister_task_definition(self, arn: str) -> None:
        self.client.deregister_task_definition(taskDefinition=arn)

    def run_task(self, **kwargs: Any) -> tuple[str | None, list[str]]:
        """(task ARN or None, failure reasons) of a run_task of one task."""
        resp = self.client.run_task(**kwargs)
        failures = [
            f"{f.get('arn', '')} {f.get('reason', '')} {f.get('detail', '')}".strip()
            for f in resp.get("failures", [])
        ]
        tasks = resp.get("tasks", [])
        return (str(tasks[0]["taskArn"]) if tasks else None), failures

    def task(self, cluster: str, arn: str) -> dict[str, Any]:
        resp = self.client.describe_tasks(cluster=cluster, tasks=[arn])
        tasks = resp.get("tasks", [])
        if not tasks:
            raise NotFound(f"task {arn} not found in cluster {cluster}")
        return tasks[0]  # type: ignore[no-any-return]
