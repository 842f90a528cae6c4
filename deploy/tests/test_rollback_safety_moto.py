"""The two failures reproduced on the moto server, and the write-back interrupt: a rollback never sends
traffic into an empty legacy fleet, a signal never interrupts a rollback, capacity is always restored.

Throttling and signals are injected with botocore's event hooks on the CLI's own clients, so every call
still goes over HTTP to moto.
"""

from __future__ import annotations

import os
import signal

from botocore.exceptions import ClientError


def scalable_min(world, client) -> int:
    t = client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{world.outputs['ClusterName']}/api"]
    )["ScalableTargets"]
    return t[0]["MinCapacity"]


def at_ecs(world, percent, action):
    """A clock hook that runs `action` once, on the second tick while the listener is at `percent` ECS."""
    seen = {"n": 0}

    def hook(t):
        if world.listener_weights()["ecs"] == percent:
            seen["n"] += 1
            if seen["n"] == 2:
                action()

    return hook


def test_failed_gate_with_empty_legacy_holds_instead_of_rolling_back(world, cli, clock, aws_client):
    def legacy_gone_and_alarm():
        aws_client("elbv2").deregister_targets(
            TargetGroupArn=world.outputs["LegacyTargetGroupArn"], Targets=[{"Id": i} for i in world.instances]
        )
        world.set_alarm("macro-ai-hobby-5xx", "ALARM")

    clock.hooks.append(at_ecs(world, 50, legacy_gone_and_alarm))
    r = cli("migrate", "start", "hobby", "--bake", "2m", "--interval", "20s")
    assert r.exit_code == 25, r.all_output
    # ECS (2 healthy tasks) keeps its share: nothing was sent into the empty legacy target group
    assert world.listener_weights() == {"legacy": 50, "ecs": 50}
    assert "no healthy targets" in r.stdout
    assert "MIGRATION HELD NO FALLBACK" in r.stdout


def test_abort_refuses_an_empty_legacy_target_group_unless_forced(world, cli, aws_client):
    world.set_weights(50)
    o = world.outputs
    aws_client("elbv2").deregister_targets(
        TargetGroupArn=o["LegacyTargetGroupArn"], Targets=[{"Id": i} for i in world.instances]
    )
    r = cli("migrate", "abort", "hobby")
    assert r.exit_code == 6, r.all_output
    assert "no healthy targets" in r.stderr
    assert world.listener_weights() == {"legacy": 50, "ecs": 50}
    forced = cli("migrate", "abort", "hobby", "--force")
    assert forced.exit_code == 0, forced.all_output
    assert world.listener_weights() == {"legacy": 100, "ecs": 0}


def test_sigterm_during_a_throttled_rollback_does_not_stop_it(world, cli, clock):
    elbv2 = cli.runtime.aws.client("elbv2")
    throttled = {"n": 0}

    def throttle_the_rollback(params, **kwargs):
        groups = params["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
        to_legacy = any(
            g["TargetGroupArn"] == world.outputs["LegacyTargetGroupArn"] and g["Weight"] == 100
            for g in groups
        )
        if to_legacy and throttled["n"] < 3:
            throttled["n"] += 1
            if throttled["n"] == 1:
                os.kill(os.getpid(), signal.SIGTERM)  # the CI job is cancelled mid-rollback
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "ModifyListener")

    elbv2.meta.events.register(
        "before-parameter-build.elastic-load-balancing-v2.ModifyListener", throttle_the_rollback
    )
    clock.hooks.append(at_ecs(world, 50, lambda: world.set_alarm("macro-ai-hobby-5xx", "ALARM")))
    r = cli("migrate", "start", "hobby", "--bake", "2m", "--interval", "20s")
    assert throttled["n"] == 3, r.all_output
    assert r.exit_code == 20, r.all_output  # rolled back: the exit code tells where traffic is
    assert world.listener_weights() == {"legacy": 100, "ecs": 0}
    assert "SIGTERM received during the rollback" in r.stdout


def test_sigterm_during_write_back_restores_capacity_and_reports_drift(world, cli, aws_client):
    cfn = cli.runtime.aws.client("cloudformation")

    def cancel_during_update(params, **kwargs):
        if any(p["ParameterKey"] == "EcsWeight" and "ParameterValue" in p for p in params["Parameters"]):
            os.kill(os.getpid(), signal.SIGTERM)

    cfn.meta.events.register("before-parameter-build.cloudformation.UpdateStack", cancel_during_update)
    r = cli(
        "migrate",
        "promote",
        "hobby",
        "--full",
        "--bake",
        "2m",
        "--interval",
        "1m",
        "--min-healthy-tasks",
        "2",
    )
    assert r.exit_code == 23, r.all_output
    assert world.listener_weights() == {"legacy": 0, "ecs": 100}
    assert "interrupted while writing" in r.stdout
    assert scalable_min(world, aws_client) == 1  # the raised minimum went back to the IaC value
