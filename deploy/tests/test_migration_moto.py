"""The traffic migration end to end through the CLI against the moto server over HTTP.

Virtual time (FakeClock) makes bakes instant; everything else is real HTTP to moto: ELBv2 modify_listener and
describe_listeners, target health, CloudWatch alarm states, Application Auto Scaling, CloudFormation
parameter updates with UsePreviousTemplate.
"""

from __future__ import annotations


def scalable_min(world, client) -> int:
    t = client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{world.outputs['ClusterName']}/api"]
    )["ScalableTargets"]
    return t[0]["MinCapacity"]


def test_full_migration_to_100_percent(world, cli, clock, aws_client):
    seen: list[int] = []
    clock.hooks.append(lambda t: seen.append(world.listener_weights()["ecs"]))
    r = cli("migrate", "start", "hobby", "--bake", "2m", "--interval", "20s", "--min-healthy-tasks", "2")
    assert r.exit_code == 0, r.all_output
    assert world.listener_weights() == {"legacy": 0, "ecs": 100}
    # the listener really was held at each step during the bakes, in order
    assert sorted(set(seen)) == [10, 25, 50, 100]
    assert seen == sorted(seen)
    # no drift: the weights were written back as stack parameters; ImageTag untouched
    p = world.stack_params()
    assert (p["LegacyWeight"], p["EcsWeight"], p["ImageTag"]) == ("0", "100", "c0ffee")
    # capacity: minimum raised to 2 for the run, restored to the IaC value (1) at the end
    assert "scaling minimum 1 -> 2" in r.stdout
    assert scalable_min(world, aws_client) == 1
    assert "MIGRATION COMPLETED" in r.stdout


def test_alarm_during_third_step_bake_rolls_back_to_legacy(world, cli, clock):
    # third step = 25 -> 50 % ECS; the alarm fires part-way through its bake
    state = {"sleeps_at_50": 0}

    def incident(t):
        if world.listener_weights()["ecs"] == 50:
            state["sleeps_at_50"] += 1
            if state["sleeps_at_50"] == 2:
                world.set_alarm("macro-ai-hobby-5xx", "ALARM")

    clock.hooks.append(incident)
    r = cli("migrate", "start", "hobby", "--bake", "2m", "--interval", "20s")
    assert r.exit_code == 20, r.all_output
    # the load balancer itself says: everything back on legacy
    assert world.listener_weights() == {"legacy": 100, "ecs": 0}
    assert "macro-ai-hobby-5xx is ALARM" in r.stdout
    assert "ROLLING BACK" in r.stdout
    assert "MIGRATION ROLLED BACK" in r.stdout
    p = world.stack_params()
    assert (p["LegacyWeight"], p["EcsWeight"]) == ("100", "0")


def test_resume_after_kill_starts_from_live_weights(world, cli, clock, aws_client):
    # a previous run was killed at 25 %: the listener says 75/25, the stack parameters still 100/0

    world.set_weights(25)
    status = cli("migrate", "status", "hobby")
    assert status.exit_code == 0, status.all_output
    assert "ecs    █████░░░░░░░░░░░░░░░  25 %" in status.stdout
    assert "legacy ███████████████░░░░░  75 %" in status.stdout
    assert "stack parameters say legacy 100 % / ecs 0 %" in status.stdout
    assert "STUCK: traffic split at 25 % ECS and no migration is running" in status.stdout
    assert "next step: 50 % ECS" in status.stdout
    assert all(len(line) <= 80 for line in status.stdout.splitlines())

    seen: list[int] = []
    clock.hooks.append(lambda t: seen.append(world.listener_weights()["ecs"]))
    r = cli("migrate", "start", "hobby", "--bake", "2m", "--interval", "10s")
    assert r.exit_code == 0, r.all_output
    assert seen[0] == 25  # re-baked the live level first, never jumped ahead
    assert sorted(set(seen)) == [25, 50, 100]
    assert world.listener_weights() == {"legacy": 0, "ecs": 100}


def test_abort_and_promote(world, cli):
    r = cli("migrate", "promote", "hobby", "--full", "--bake", "2m", "--interval", "5s")
    assert r.exit_code == 0, r.all_output
    assert world.listener_weights() == {"legacy": 0, "ecs": 100}
    r = cli("migrate", "abort", "hobby")
    assert r.exit_code == 0, r.all_output
    assert world.listener_weights() == {"legacy": 100, "ecs": 0}
    p = world.stack_params()
    assert (p["LegacyWeight"], p["EcsWeight"]) == ("100", "0")


def test_too_few_healthy_ecs_tasks_never_moves_traffic(make_world, cli, aws_client):
    world = make_world(ecs_targets=1)
    r = cli(
        "migrate",
        "start",
        "hobby",
        "--min-healthy-tasks",
        "2",
        "--capacity-timeout",
        "30s",
        "--interval",
        "10s",
        "--bake",
        "2m",
    )
    assert r.exit_code == 20, r.all_output
    assert "ecs healthy: 1 healthy, need 2" in r.stdout
    assert world.listener_weights() == {"legacy": 100, "ecs": 0}
    assert scalable_min(world, aws_client) == 1  # raised for the attempt, restored afterwards


def test_missing_alarm_fails_the_gate(world, cli, aws_client):
    aws_client("cloudwatch").delete_alarms(AlarmNames=["macro-ai-hobby-latency"])
    r = cli("migrate", "start", "hobby", "--bake", "2m")
    assert r.exit_code == 20
    assert "macro-ai-hobby-latency is MISSING" in r.stdout
    assert world.listener_weights()["ecs"] == 0


def test_plan_shows_steps_and_position(world, cli):
    r = cli("migrate", "plan", "hobby", "--steps", "0,20,100", "--bake", "5m")
    assert r.exit_code == 0, r.all_output
    assert "next" in r.stdout
    assert "5m" in r.stdout
    bad = cli("migrate", "plan", "hobby", "--steps", "0,50,40")
    assert bad.exit_code == 2
    assert "strictly increasing" in bad.stderr


def test_interrupt_holds_traffic_and_resume_picks_up(world, cli, clock):
    def ctrl_c(t):
        if world.listener_weights()["ecs"] == 25:
            raise KeyboardInterrupt

    clock.hooks.append(ctrl_c)
    r = cli("migrate", "start", "hobby", "--bake", "2m", "--interval", "10s")
    assert r.exit_code == 22, r.all_output
    assert "MIGRATION HELD" in r.stdout
    assert "legacy 75% / ecs 25%" in r.stdout
    assert world.listener_weights() == {"legacy": 75, "ecs": 25}  # held, not reverted
    assert world.stack_params()["EcsWeight"] == "0"  # not written back: the run did not end
    clock.hooks.clear()
    r = cli("migrate", "start", "hobby", "--bake", "2m", "--interval", "10s")
    assert r.exit_code == 0, r.all_output
    assert world.listener_weights() == {"legacy": 0, "ecs": 100}
    assert world.stack_params()["EcsWeight"] == "100"


def test_a_real_process_terminated_mid_bake_holds_and_reports(world):
    """CI cancels the job (SIGTERM) while the first step bakes: traffic stays at the gated 10 %, exit 22."""
    import os
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "macro_ai_deploy.cli",
            "migrate",
            "start",
            "hobby",
            "--bake",
            "2m",
            "--interval",
            "0.2s",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ) | {"MACRO_DEPLOY_ALARM_HISTORY": "off"},  # moto: no DescribeAlarmHistory
    )
    try:
        deadline = time.monotonic() + 30
        while world.listener_weights()["ecs"] != 10:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the rollout never reached 10 %"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 22, out + err
    assert "MIGRATION HELD" in out
    assert world.listener_weights() == {"legacy": 90, "ecs": 10}
    assert world.stack_params()["EcsWeight"] == "0"


def test_a_bake_too_short_for_the_alarms_is_refused(world, cli):
    # the world's alarms: Period 60 s x 1 datapoint, + 60 s publication lag = 2 minutes
    r = cli("migrate", "start", "hobby", "--bake", "20s")
    assert r.exit_code == 6, r.all_output
    assert "too short to see alarm" in r.stderr
    assert world.listener_weights() == {"legacy": 100, "ecs": 0}


def test_elb_generated_5xx_during_a_step_fails_the_gate(world, cli, clock, aws_client):
    from datetime import UTC, datetime

    from macro_ai_deploy.aws.extra_gates import lb_dimension

    def elb_5xx():
        aws_client("cloudwatch").put_metric_data(
            Namespace="AWS/ApplicationELB",
            MetricData=[
                {
                    "MetricName": "HTTPCode_ELB_5XX_Count",
                    "Dimensions": [
                        {"Name": "LoadBalancer", "Value": lb_dimension(world.outputs["ListenerArn"])}
                    ],
                    "Timestamp": datetime(2026, 11, 29, 11, 59, 30, tzinfo=UTC),  # the cli fixture's clock
                    "Value": 3,
                }
            ],
        )

    fired = {"n": 0}

    def at_25(t):
        if world.listener_weights()["ecs"] == 25 and not fired["n"]:
            fired["n"] = 1
            elb_5xx()

    clock.hooks.append(at_25)
    r = cli("migrate", "start", "hobby", "--bake", "2m", "--interval", "30s")
    assert r.exit_code == 20, r.all_output
    assert "elb 5xx: 3 since the step began (HTTPCode_ELB_5XX_Count" in r.stdout
    assert world.listener_weights() == {"legacy": 100, "ecs": 0}


def test_an_ecs_deployment_during_the_migration_fails_the_gate(world, cli, clock, aws_client):
    fired = {"n": 0}

    def deploy_meanwhile(t):
        if world.listener_weights()["ecs"] == 10 and not fired["n"]:
            fired["n"] = 1
            aws_client("ecs").update_service(
                cluster=world.outputs["ClusterName"], service="api", forceNewDeployment=True
            )

    clock.hooks.append(deploy_meanwhile)
    r = cli("migrate", "start", "hobby", "--bake", "2m", "--interval", "30s")
    assert r.exit_code == 20, r.all_output
    assert "during the migration" in r.stdout
    assert world.listener_weights() == {"legacy": 100, "ecs": 0}
