"""`db-migrate`: the one-off migration task, with botocore's Stubber on real ECS/CloudFormation/ECR clients.

moto cannot run Fargate tasks, so each scenario is a scripted sequence of API responses (the helpers and the
Scenario of test_deploy_watch_stubbed.py). Stubber checks every request against the expected parameters:
the registered task definition (the new image, everything else kept, no read-only field) and the run_task
call (the service's network, the `db upgrade` override) are asserted that way, and any unexpected or missing
call fails the test.
"""

from __future__ import annotations

import copy
import importlib.util
from datetime import timedelta
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "_deploy_watch_helpers", Path(__file__).with_name("test_deploy_watch_stubbed.py")
)
assert _spec is not None
assert _spec.loader is not None
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)

CLUSTER, SERVICE, STACK, T0 = h.CLUSTER, h.SERVICE, h.STACK, h.T0
REPO = "macro-ai-api-hobby"
URI = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{REPO}"
CURRENT, ONE_OFF = h.td(7), h.td(9)
TASK = f"arn:aws:ecs:us-east-1:123456789012:task/{CLUSTER}/0f1e2d3c4b5a"
NETWORK = {
    "awsvpcConfiguration": {
        "subnets": ["subnet-0aaa", "subnet-0bbb"],
        "securityGroups": ["sg-0api"],
        "assignPublicIp": "DISABLED",
    }
}

API = {
    "name": "api",
    "image": f"{URI}:old",
    "essential": True,
    "portMappings": [{"containerPort": 3040, "protocol": "tcp"}],
    "environment": [{"name": "MACRO_AI_ENV", "value": "hobby"}],
    "secrets": [
        {
            "name": "DATABASE_URL",
            "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/macro-ai/hobby/DB",
        }
    ],
    "logConfiguration": {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/macro-ai/hobby/api",
            "awslogs-region": "us-east-1",
            "awslogs-stream-prefix": "ecs",
        },
    },
}
SIDECAR = {"name": "otel", "image": "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0"}
WRITABLE = {
    "family": "macro-ai-api-hobby",
    "taskRoleArn": "arn:aws:iam::123456789012:role/macro-ai-hobby-task",
    "executionRoleArn": "arn:aws:iam::123456789012:role/macro-ai-hobby-exec",
    "networkMode": "awsvpc",
    "containerDefinitions": [API, SIDECAR],
    "volumes": [],
    "placementConstraints": [],
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "512",
    "memory": "1024",
    "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
}
DESCRIBED = {
    **WRITABLE,
    "taskDefinitionArn": CURRENT,
    "revision": 7,
    "status": "ACTIVE",
    "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.docker-remote-api.1.18"}],
    "compatibilities": ["EC2", "FARGATE"],
    "registeredAt": T0,
    "registeredBy": "arn:aws:sts::123456789012:assumed-role/cdk-exec/x",
}


def expected_registration(tag: str = "new") -> dict:
    want = copy.deepcopy(WRITABLE)
    want["containerDefinitions"][0]["image"] = f"{URI}:{tag}"
    return want


def service(**extra) -> dict:
    resp = h.services([h.dep("cur", CURRENT, "PRIMARY", "COMPLETED", running=2)])
    svc = resp["services"][0]
    svc.update({"networkConfiguration": NETWORK, "launchType": "FARGATE", **extra})
    if "capacityProviderStrategy" in extra:
        del svc["launchType"]  # a service has one or the other
    return resp


def expected_run(**extra) -> dict:
    return {
        "cluster": CLUSTER,
        "taskDefinition": ONE_OFF,
        "count": 1,
        "startedBy": "macro-deploy-migrate",
        "networkConfiguration": NETWORK,
        "overrides": {"containerOverrides": [{"name": "api", "command": ["db", "upgrade"]}]},
        **({"launchType": "FARGATE"} if "capacityProviderStrategy" not in extra else {}),
        **extra,
    }


def task(
    status: str, *, exit_code: int | None = None, stopped: str = "", reason: str = "", stop_code: str = ""
):
    container: dict = {"name": "api", "lastStatus": status}
    if exit_code is not None:
        container["exitCode"] = exit_code
    if reason:
        container["reason"] = reason
    t: dict = {"taskArn": TASK, "lastStatus": status, "containers": [container, {"name": "otel"}]}
    if stopped:
        t["stoppedReason"] = stopped
        t["stoppedAt"] = T0 + timedelta(minutes=2)
    if stop_code:
        t["stopCode"] = stop_code
    return t


class Migration:
    def __init__(self) -> None:
        self.sc = h.Scenario()
        self.ecs, self.cfn, self.ecr = (self.sc.stubs[n] for n in ("ecs", "cloudformation", "ecr"))

    def prelude(self, tag: str = "new", svc: dict | None = None) -> None:
        """Stack outputs, ECR repository and image, the service and its task definition."""
        self.cfn.add_response("describe_stacks", h.stack("UPDATE_COMPLETE"), {"StackName": STACK})
        self.ecr.add_response(
            "describe_repositories",
            {"repositories": [{"repositoryName": REPO, "repositoryUri": URI}]},
            {"repositoryNames": [REPO]},
        )
        self.ecr.add_response(
            "describe_images",
            {"imageDetails": [{"imageDigest": "sha256:" + "b" * 64, "imageTags": [tag]}]},
            {"repositoryName": REPO, "imageIds": [{"imageTag": tag}]},
        )
        self.ecs.add_response(
            "describe_services", svc or service(), {"cluster": CLUSTER, "services": [SERVICE]}
        )
        self.ecs.add_response(
            "describe_task_definition", {"taskDefinition": DESCRIBED}, {"taskDefinition": CURRENT}
        )

    def register(self, tag: str = "new") -> None:
        self.ecs.add_response(
            "register_task_definition",
            {"taskDefinition": {"taskDefinitionArn": ONE_OFF, "revision": 9}},
            expected_registration(tag),
        )

    def run_task(self, **extra) -> None:
        self.ecs.add_response(
            "run_task", {"tasks": [task("PROVISIONING")], "failures": []}, expected_run(**extra)
        )

    def poll(self, t: dict) -> None:
        self.ecs.add_response(
            "describe_tasks", {"tasks": [t], "failures": []}, {"cluster": CLUSTER, "tasks": [TASK]}
        )

    def deregister(self) -> None:
        self.ecs.add_response(
            "deregister_task_definition",
            {"taskDefinition": {"taskDefinitionArn": ONE_OFF, "status": "INACTIVE"}},
            {"taskDefinition": ONE_OFF},
        )

    def run(self, *args: str):
        r = self.sc.invoke(["db-migrate", "hobby", "--image-tag", "new", *args])
        r.all_output = r.stdout + r.stderr
        return r


@pytest.fixture
def m() -> Migration:
    return Migration()


def test_success_registers_a_copy_with_the_new_image_and_runs_db_upgrade(m):
    m.prelude()
    m.register()
    m.run_task()
    m.poll(task("PROVISIONING"))
    m.poll(task("RUNNING"))
    m.poll(task("STOPPED", exit_code=0, stopped="Essential container in task exited"))
    m.deregister()
    r = m.run()
    assert r.exit_code == 0, r.all_output
    assert "DB-MIGRATE SUCCEEDED" in r.stdout
    assert "exited 0" in r.stdout
    assert "macro-ai-api-hobby:9 (copy of macro-ai-api-hobby:7" in r.stdout
    assert "/macro-ai/hobby/api ecs/api/0f1e2d3c4b5a" in r.stdout  # where the logs are
    assert "deregistered the one-off macro-ai-api-hobby:9" in r.stdout
    assert r.stderr == ""
    assert m.sc.clock.slept == [5, 5]


def test_container_exit_code_1_is_a_failed_migration_with_the_reason(m):
    m.prelude()
    m.register()
    m.run_task()
    m.poll(task("RUNNING"))
    m.poll(
        task(
            "STOPPED",
            exit_code=1,
            stopped="Essential container in task exited",
            stop_code="EssentialContainerExited",
        )
    )
    m.deregister()
    r = m.run()
    assert r.exit_code == 13, r.all_output
    assert "SUCCEEDED" not in r.stdout
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("macro-deploy: error: database migration failed")
    assert "`macro-ai db upgrade` exited 1" in r.stderr
    assert "Essential container in task exited" in r.stderr
    assert "ecs/api/0f1e2d3c4b5a" in r.stderr
    assert "Traceback" not in r.all_output


def test_task_stopped_before_the_container_ran_is_a_failed_migration(m):
    m.prelude()
    m.register()
    m.run_task()
    m.poll(task("PENDING"))
    pull = f"CannotPullContainerError: pull image manifest has been retried 5 time(s): {URI}:new: not found"
    m.poll(task("STOPPED", stopped=pull, reason=pull, stop_code="TaskFailedToStart"))
    m.deregister()
    r = m.run()
    assert r.exit_code == 13, r.all_output
    assert r.stderr.count("\n") == 1
    assert "stopped before the api container ran" in r.stderr
    assert "TaskFailedToStart" in r.stderr
    assert "CannotPullContainerError" in r.stderr
    assert "deregistered the one-off" in r.stdout


def test_timeout_leaves_the_task_running_and_says_so(m):
    m.prelude()
    m.register()
    m.run_task()
    for _ in range(4):  # polls at t = 0, 5, 10, 15 s; the timeout is 15 s
        m.poll(task("RUNNING"))
    m.deregister()  # running tasks are not affected by deregistering their task definition
    r = m.run("--timeout", "15s")
    assert r.exit_code == 14, r.all_output
    assert r.stderr.count("\n") == 1
    assert "not finished after 15s (task RUNNING)" in r.stderr
    assert "keeps running" in r.stderr
    assert "0f1e2d3c4b5a" in r.stderr


def test_capacity_provider_strategy_of_the_service_is_reused(m):
    strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    m.prelude(svc=service(capacityProviderStrategy=strategy, platformVersion="LATEST"))
    m.register()
    m.run_task(capacityProviderStrategy=strategy, platformVersion="LATEST")
    m.poll(task("STOPPED", exit_code=0))
    m.deregister()
    r = m.run()
    assert r.exit_code == 0, r.all_output


def test_run_task_placing_no_task_is_a_failure_and_the_copy_is_deregistered(m):
    m.prelude()
    m.register()
    m.ecs.add_response(
        "run_task",
        {"tasks": [], "failures": [{"reason": "Capacity is unavailable at this time"}]},
        expected_run(),
    )
    m.deregister()
    r = m.run()
    assert r.exit_code == 13, r.all_output
    assert "started no migration task: Capacity is unavailable" in r.stderr


def test_image_not_in_ecr_is_refused_before_anything_is_registered(m):
    m.cfn.add_response("describe_stacks", h.stack("UPDATE_COMPLETE"), {"StackName": STACK})
    m.ecr.add_response(
        "describe_repositories", {"repositories": [{"repositoryName": REPO, "repositoryUri": URI}]}, None
    )
    m.ecr.add_client_error("describe_images", "ImageNotFoundException", "not found")
    r = m.run()
    assert r.exit_code == 3, r.all_output
    assert "image macro-ai-api-hobby:new is not in ECR" in r.stderr


def test_busy_stack_is_refused(m):
    m.cfn.add_response("describe_stacks", h.stack("UPDATE_IN_PROGRESS"), {"StackName": STACK})
    r = m.run()
    assert r.exit_code == 6, r.all_output
    assert "UPDATE_IN_PROGRESS" in r.stderr


def test_the_copy_drops_read_only_fields_even_without_the_api_model():
    from macro_ai_deploy.dbmigrate import migration_task_definition

    spec = migration_task_definition(DESCRIBED, f"{URI}:new")
    assert spec == expected_registration()
    assert DESCRIBED["containerDefinitions"][0]["image"] == f"{URI}:old"  # the description is not mutated


def test_a_task_definition_without_an_api_container_is_not_found():
    from macro_ai_deploy.dbmigrate import migration_task_definition
    from macro_ai_deploy.errors import NotFound

    with pytest.raises(NotFound, match="no container 'api'"):
        migration_task_definition({**DESCRIBED, "containerDefinitions": [SIDECAR]}, f"{URI}:new")
