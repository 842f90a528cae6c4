"""`deploy` watching the ECS deployment, with botocore's Stubber on real ECS/CloudFormation/ELBv2 clients.

moto cannot run ECS deployments (they never progress), so each scenario is a scripted sequence of API
responses; Stubber validates every request and response against the real API models, and fails the test if
the CLI makes a call the scenario did not expect (or leaves one unused).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber
from macro_ai_deploy.aws.session import Aws
from macro_ai_deploy.cli import Runtime, app
from rollout_doubles import FakeClock
from typer.testing import CliRunner

STACK = "MacroAiHobbyStack"
CLUSTER, SERVICE = "macro-ai-hobby", "api"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ecs-hobby/0123456789abcdef"
T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def td(rev: int) -> str:
    return f"arn:aws:ecs:us-east-1:123456789012:task-definition/macro-ai-api-hobby:{rev}"


OLD, NEW = td(7), td(8)


def dep(
    id_: str,
    taskdef: str,
    status: str,
    rollout: str,
    *,
    running: int = 0,
    pending: int = 0,
    failed: int = 0,
    desired: int = 2,
    reason: str = "",
    minutes: int = 0,
) -> dict:
    return {
        "id": f"ecs-svc/{id_}",
        "status": status,
        "taskDefinition": taskdef,
        "desiredCount": desired,
        "pendingCount": pending,
        "runningCount": running,
        "failedTasks": failed,
        "rolloutState": rollout,
        "rolloutStateReason": reason or f"ECS deployment ecs-svc/{id_} {rollout.lower()}.",
        "createdAt": T0 + timedelta(minutes=minutes),
        "updatedAt": T0 + timedelta(minutes=minutes),
    }


def services(deps: list[dict], events: tuple[str, ...] = ()) -> dict:
    primary = next(d for d in deps if d["status"] == "PRIMARY")
    return {
        "services": [
            {
                "serviceName": SERVICE,
                "clusterArn": f"arn:aws:ecs:us-east-1:123456789012:cluster/{CLUSTER}",
                "status": "ACTIVE",
                "taskDefinition": primary["taskDefinition"],
                "desiredCount": 2,
                "runningCount": sum(d["runningCount"] for d in deps),
                "pendingCount": sum(d["pendingCount"] for d in deps),
                "deployments": deps,
                "events": [{"id": f"e{i}", "createdAt": T0, "message": m} for i, m in enumerate(events)],
            }
        ],
        "failures": [],
    }


def stack(status: str, image_tag: str = "old") -> dict:
    outputs = {
        "ClusterName": CLUSTER,
        "ServiceName": SERVICE,
        "EcrRepositoryName": "macro-ai-api-hobby",
        "EcsTargetGroupArn": TG,
    }
    return {
        "Stacks": [
            {
                "StackName": STACK,
                "StackStatus": status,
                "CreationTime": T0,
                "Parameters": [
                    {"ParameterKey": "ImageTag", "ParameterValue": image_tag},
                    {"ParameterKey": "LegacyWeight", "ParameterValue": "100"},
                    {"ParameterKey": "EcsWeight", "ParameterValue": "0"},
                ],
                "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
            }
        ]
    }


def targets(healthy: int, unhealthy: int = 0, initial: int = 0) -> dict:
    states = ["healthy"] * healthy + ["unhealthy"] * unhealthy + ["initial"] * initial
    return {
        "TargetHealthDescriptions": [
            {
                "Target": {"Id": f"10.0.1.{i}", "Port": 3040},
                "TargetHealth": {
                    "State": s,
                    **(
                        {
                            "Reason": "Target.ResponseCodeMismatch",
                            "Description": "Health checks failed with these codes: [503]",
                        }
                        if s == "unhealthy"
                        else {}
                    ),
                },
            }
            for i, s in enumerate(states)
        ]
    }


class Scenario:
    def __init__(self) -> None:
        kw = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}
        self.clients = {
            n: boto3.client(n, endpoint_url="https://stubbed.invalid", **kw)
            for n in ("ecs", "cloudformation", "elbv2", "ecr")
        }
        self.stubs = {n: Stubber(c) for n, c in self.clients.items()}
        self.clock = FakeClock()

    def prelude(self, image_tag: str = "new", before: list[dict] | None = None) -> None:
        """What `deploy` does before watching: read stack, check ECR, note the revision, update."""
        cfn, ecs, ecr = self.stubs["cloudformation"], self.stubs["ecs"], self.stubs["ecr"]
        cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
        ecr.add_response(
            "describe_images",
            {"imageDetails": [{"imageDigest": "sha256:" + "a" * 64, "imageTags": [image_tag]}]},
            {"repositoryName": "macro-ai-api-hobby", "imageIds": [{"imageTag": image_tag}]},
        )
        ecs.add_response(
            "describe_services",
            services(before or [dep("old", OLD, "PRIMARY", "COMPLETED", running=2)]),
            {"cluster": CLUSTER, "services": [SERVICE]},
        )
        cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
        cfn.add_response(
            "update_stack",
            {"StackId": "arn:aws:cloudformation:stack/x"},
            {
                "StackName": STACK,
                "UsePreviousTemplate": True,
                "Capabilities": ANY,
                "Parameters": [
                    {"ParameterKey": "ImageTag", "ParameterValue": image_tag},
                    {"ParameterKey": "LegacyWeight", "UsePreviousValue": True},
                    {"ParameterKey": "EcsWeight", "UsePreviousValue": True},
                ],
            },
        )

    def poll(self, deps: list[dict], stack_status: str, th: dict, events: tuple[str, ...] = ()) -> None:
        self.stubs["ecs"].add_response(
            "describe_services", services(deps, events), {"cluster": CLUSTER, "services": [SERVICE]}
        )
        self.stubs["cloudformation"].add_response(
            "describe_stacks", stack(stack_status, "new"), {"StackName": STACK}
        )
        self.stubs["elbv2"].add_response("describe_target_health", th, {"TargetGroupArn": TG})

    def run(self, *args: str):
        return self.invoke(["deploy", "hobby", "--image-tag", "new", "--interval", "10s", *args])

    def invoke(self, argv: list[str]):
        """Run the CLI on the stubbed clients; fails if a scripted response was left unused."""
        aws = Aws("us-east-1")
        aws._clients.update(self.clients)
        rt = Runtime(clock=self.clock, _aws=aws)
        for s in self.stubs.values():
            s.activate()
        try:
            result = CliRunner().invoke(app, argv, obj=rt)
        finally:
            for s in self.stubs.values():
                s.deactivate()
        for s in self.stubs.values():
            s.assert_no_pending_responses()  # every scripted response was asked for
        return result


@pytest.fixture
def sc() -> Scenario:
    return Scenario()


def test_completed_only_when_steady_healthy_and_stack_done(sc):
    sc.prelude()
    sc.poll(
        [
            dep("new", NEW, "PRIMARY", "IN_PROGRESS", running=1, pending=1, minutes=1),
            dep("old", OLD, "ACTIVE", "COMPLETED", running=2),
        ],
        "UPDATE_IN_PROGRESS",
        targets(2, initial=1),
    )
    # healthy, but CloudFormation has not finished: not yet a success
    sc.poll([dep("new", NEW, "PRIMARY", "COMPLETED", running=2, minutes=1)], "UPDATE_IN_PROGRESS", targets(2))
    # ECS COMPLETED and the stack done, but one target is unhealthy: still not a success
    sc.poll(
        [dep("new", NEW, "PRIMARY", "COMPLETED", running=2, minutes=1)],
        "UPDATE_COMPLETE",
        targets(1, unhealthy=1),
    )
    sc.poll([dep("new", NEW, "PRIMARY", "COMPLETED", running=2, minutes=1)], "UPDATE_COMPLETE", targets(2))
    r = sc.run("--timeout", "10m")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "DEPLOY SUCCEEDED" in r.stdout
    assert "macro-ai-api-hobby:8 is steady and healthy" in r.stdout
    assert "waiting for CloudFormation" in r.stdout
    assert sc.clock.slept == [10, 10, 10]


def test_circuit_breaker_rollback_is_reported_as_rolled_back(sc):
    sc.prelude()
    sc.poll(
        [
            dep("new", NEW, "PRIMARY", "IN_PROGRESS", failed=2, minutes=1),
            dep("old", OLD, "ACTIVE", "COMPLETED", running=2),
        ],
        "UPDATE_IN_PROGRESS",
        targets(2),
    )
    reason = "ECS deployment circuit breaker: tasks failed to start."
    sc.poll(
        [
            dep("rb", OLD, "PRIMARY", "IN_PROGRESS", running=1, minutes=3),
            dep("new", NEW, "ACTIVE", "FAILED", failed=4, minutes=1, reason=reason),
        ],
        "UPDATE_IN_PROGRESS",
        targets(1),
        events=("(service api) rolling back to deployment ecs-svc/old.",),
    )
    sc.poll(
        [
            dep("rb", OLD, "PRIMARY", "COMPLETED", running=2, minutes=3),
            dep("new", NEW, "ACTIVE", "FAILED", failed=4, minutes=1, reason=reason),
        ],
        "UPDATE_ROLLBACK_IN_PROGRESS",
        targets(2),
    )
    r = sc.run()
    assert r.exit_code == 10, r.stdout + r.stderr
    assert "DEPLOY ROLLED BACK" in r.stdout
    assert "macro-ai-api-hobby:8 back to macro-ai-api-hobby:7" in r.stdout
    assert "circuit breaker" in r.stdout


def test_an_alarm_triggered_rollback_is_its_own_failure_naming_the_alarm(sc):
    sc.prelude()
    reason = "ECS deployment ecs-svc/new rolled back: alarm(s) [macro-ai-hobby-5xx] in ALARM state."
    alarmed = services(
        [
            dep("rb", OLD, "PRIMARY", "COMPLETED", running=2, minutes=3),
            dep("new", NEW, "ACTIVE", "FAILED", minutes=1, reason=reason),
        ]
    )
    alarmed["services"][0]["deploymentConfiguration"] = {
        "alarms": {
            "alarmNames": ["macro-ai-hobby-5xx", "macro-ai-hobby-latency"],
            "enable": True,
            "rollback": True,
        }
    }
    sc.stubs["ecs"].add_response("describe_services", alarmed, {"cluster": CLUSTER, "services": [SERVICE]})
    sc.stubs["cloudformation"].add_response(
        "describe_stacks", stack("UPDATE_COMPLETE", "new"), {"StackName": STACK}
    )
    sc.stubs["elbv2"].add_response("describe_target_health", targets(2), {"TargetGroupArn": TG})
    r = sc.run()
    assert r.exit_code == 15, r.stdout + r.stderr
    assert "deployment alarm macro-ai-hobby-5xx fired" in r.stdout
    assert "macro-ai-hobby-latency" not in r.stdout.split("fired")[0]


def test_failed_tasks_are_reported_as_failed_with_the_reason(sc):
    sc.prelude()
    sc.poll(
        [
            dep("new", NEW, "PRIMARY", "IN_PROGRESS", failed=3, minutes=1),
            dep("old", OLD, "ACTIVE", "COMPLETED", running=2),
        ],
        "UPDATE_IN_PROGRESS",
        targets(2),
    )
    sc.poll(
        [
            dep(
                "new",
                NEW,
                "PRIMARY",
                "FAILED",
                failed=6,
                minutes=1,
                reason="ECS deployment circuit breaker: tasks failed to start.",
            ),
            dep("old", OLD, "ACTIVE", "COMPLETED", running=2),
        ],
        "UPDATE_IN_PROGRESS",
        targets(2),
    )
    task_arn = "arn:aws:ecs:us-east-1:123456789012:task/macro-ai-hobby/abc"
    sc.stubs["ecs"].add_response(
        "list_tasks",
        {"taskArns": [task_arn]},
        {"cluster": CLUSTER, "startedBy": "ecs-svc/new", "desiredStatus": "STOPPED"},
    )
    sc.stubs["ecs"].add_response(
        "describe_tasks",
        {
            "tasks": [
                {
                    "taskArn": task_arn,
                    "stoppedReason": "Essential container in task exited",
                    "containers": [{"name": "api", "exitCode": 3, "reason": ""}],
                }
            ],
            "failures": [],
        },
        {"cluster": CLUSTER, "tasks": [task_arn]},
    )
    r = sc.run()
    assert r.exit_code == 11, r.stdout + r.stderr
    assert "DEPLOY FAILED" in r.stdout
    assert "tasks failed to start" in r.stdout
    assert "Essential container in task exited" in r.stdout
    assert "api exited 3" in r.stdout


def test_stuck_deployment_times_out_and_says_where(sc):
    sc.prelude()
    for _ in range(4):  # polls at t = 0, 10, 20, 30 s; the timeout is 30 s
        sc.poll(
            [
                dep("new", NEW, "PRIMARY", "IN_PROGRESS", running=1, pending=1, minutes=1),
                dep("old", OLD, "ACTIVE", "COMPLETED", running=2),
            ],
            "UPDATE_IN_PROGRESS",
            targets(1, unhealthy=1),
            events=("(service api) has started 1 tasks: (task abc).",),
        )
    r = sc.run("--timeout", "30s")
    assert r.exit_code == 12, r.stdout + r.stderr
    assert "DEPLOY TIMED OUT" in r.stdout
    assert "stuck at: deployment ecs-svc/new (macro-ai-api-hobby:8): 1/2 running, 1 pending" in r.stdout
    assert "1 unhealthy" in r.stdout
    assert "has started 1 tasks" in r.stdout


def test_cloudformation_rollback_without_new_revision_is_a_failure_with_reason(sc):
    sc.prelude()
    old_only = [dep("old", OLD, "PRIMARY", "COMPLETED", running=2)]
    sc.poll(old_only, "UPDATE_ROLLBACK_IN_PROGRESS", targets(2))
    sc.poll(old_only, "UPDATE_ROLLBACK_COMPLETE", targets(2))
    sc.stubs["cloudformation"].add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                {
                    "StackId": "x",
                    "EventId": "2",
                    "StackName": STACK,
                    "Timestamp": T0,
                    "LogicalResourceId": STACK,
                    "ResourceStatus": "UPDATE_ROLLBACK_IN_PROGRESS",
                    "ResourceStatusReason": "resource failed",
                },
                {
                    "StackId": "x",
                    "EventId": "1",
                    "StackName": STACK,
                    "Timestamp": T0,
                    "LogicalResourceId": "TaskDef",
                    "ResourceStatus": "UPDATE_FAILED",
                    "ResourceStatusReason": "Invalid image tag",
                },
            ]
        },
        {"StackName": STACK},
    )
    r = sc.run()
    assert r.exit_code == 11, r.stdout + r.stderr
    assert "CloudFormation rolled back the update" in r.stdout
    assert "TaskDef: Invalid image tag" in r.stdout


def test_busy_stack_is_refused_before_anything_changes(sc):
    sc.stubs["cloudformation"].add_response(
        "describe_stacks", stack("UPDATE_IN_PROGRESS"), {"StackName": STACK}
    )
    r = sc.run()
    assert r.exit_code == 6
    assert r.stderr.count("\n") == 1
    assert "UPDATE_IN_PROGRESS" in r.stderr


def test_an_older_draining_deployment_is_not_mistaken_for_the_new_one(sc):
    draining = dep("older", td(6), "ACTIVE", "COMPLETED", running=1)
    sc.prelude(before=[dep("old", OLD, "PRIMARY", "IN_PROGRESS", running=1), draining])
    # CloudFormation has not created revision 8 yet; only the draining :6 differs from :7
    sc.poll([dep("old", OLD, "PRIMARY", "COMPLETED", running=2), draining], "UPDATE_IN_PROGRESS", targets(2))
    sc.poll([dep("new", NEW, "PRIMARY", "COMPLETED", running=2, minutes=2)], "UPDATE_COMPLETE", targets(2))
    r = sc.run()
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "waiting for CloudFormation to update the service" in r.stdout
    assert "macro-ai-api-hobby:8 is steady" in r.stdout


def test_same_tag_again_only_verifies_that_the_service_is_steady(sc):
    cfn, ecs, ecr = sc.stubs["cloudformation"], sc.stubs["ecs"], sc.stubs["ecr"]
    cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE", "new"), {"StackName": STACK})
    ecr.add_response("describe_images", {"imageDetails": [{"imageDigest": "sha256:" + "a" * 64}]}, None)
    steady = [dep("cur", NEW, "PRIMARY", "COMPLETED", running=2)]
    ecs.add_response("describe_services", services(steady), None)
    cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE", "new"), {"StackName": STACK})
    cfn.add_client_error("update_stack", "ValidationError", "No updates are to be performed.")
    sc.poll(steady, "UPDATE_COMPLETE", targets(1, unhealthy=1))  # not healthy yet: keep watching
    sc.poll(steady, "UPDATE_COMPLETE", targets(2))
    r = sc.run()
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "ImageTag is already new" in r.stdout
    assert "DEPLOY SUCCEEDED" in r.stdout


def test_live_view_renders_a_snapshot():
    from io import StringIO

    from macro_ai_deploy.aws.cfn import StackInfo
    from macro_ai_deploy.aws.elbv2 import TargetHealth
    from macro_ai_deploy.views import snapshot_view
    from macro_ai_deploy.watch import Snapshot
    from rich.console import Console

    snap = Snapshot(
        services(
            [dep("new", NEW, "PRIMARY", "IN_PROGRESS", running=1, pending=1, failed=2)],
            events=("(service api) has started 1 tasks.",),
        )["services"][0],
        StackInfo(STACK, "UPDATE_IN_PROGRESS"),
        TargetHealth(TG, {"healthy": 1, "initial": 1}),
    )
    buf = StringIO()
    Console(file=buf, force_terminal=True, width=140).print(snapshot_view(snap, "rolling", 12.0))
    text = buf.getvalue()
    for needle in (
        "ecs-svc/new",
        "macro-ai-api-hobby:8",
        "IN_PROGRESS",
        "1 healthy, 1 initial",
        "has started 1 tasks",
        "UPDATE_IN_PROGRESS",
        "rolling",
    ):
        assert needle in text


def test_wait_reports_a_service_steady_on_another_image_as_rolled_back(sc):
    """`wait` after `deploy --no-wait`: the circuit breaker already finished; the service is steady, but on
    the old image while the stack asks for the new one: that is a rollback, not a success."""
    ecs, cfn = sc.stubs["ecs"], sc.stubs["cloudformation"]
    steady_old = services([dep("rb", OLD, "PRIMARY", "COMPLETED", running=2, minutes=3)])
    cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE", "new"), {"StackName": STACK})
    ecs.add_response("describe_services", steady_old, {"cluster": CLUSTER, "services": [SERVICE]})
    sc.poll([dep("rb", OLD, "PRIMARY", "COMPLETED", running=2, minutes=3)], "UPDATE_COMPLETE", targets(2))
    cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE", "new"), {"StackName": STACK})
    ecs.add_response("describe_services", steady_old, {"cluster": CLUSTER, "services": [SERVICE]})
    ecs.add_response(
        "describe_task_definition",
        {
            "taskDefinition": {
                "family": "macro-ai-api-hobby",
                "containerDefinitions": [{"name": "api", "image": "1234.dkr.ecr/macro-ai-api-hobby:old"}],
            }
        },
        {"taskDefinition": OLD},
    )
    r = sc.invoke(["wait", "hobby", "--interval", "10s"])
    assert r.exit_code == 10, r.stdout + r.stderr
    assert "steady on old, but the stack asks for new" in r.stdout
