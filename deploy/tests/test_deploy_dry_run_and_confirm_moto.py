"""`deploy --dry-run` (parameter and task definition diff, phase budget from the stack's real settings),
`deploy --no-wait`, and the confirmation the table asks for production, on the moto server."""

from __future__ import annotations


def test_dry_run_shows_the_diff_and_the_phase_budget_and_changes_nothing(world, cli, aws_client):
    elb = aws_client("elbv2")
    tg = world.outputs["EcsTargetGroupArn"]
    elb.modify_target_group(TargetGroupArn=tg, HealthCheckIntervalSeconds=5, HealthyThresholdCount=2)
    elb.modify_target_group_attributes(
        TargetGroupArn=tg, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "70"}]
    )
    r = cli("deploy", "hobby", "--image-tag", "beef01", "--dry-run", "--start-estimate", "25s")
    assert r.exit_code == 0, r.all_output
    out = r.stdout
    assert "ImageTag: c0ffee -> beef01" in out
    assert "macro-ai-api-hobby:c0ffee -> " in out
    assert out.rstrip().count("beef01") >= 2
    assert "2 checks x 5 s" in out
    # serving = 25 s start + 2 x 5 s = 35 s; gone = 35 + 70 s drain + 30 s stop timeout = 135 s
    assert "new revision serving" in out
    assert " 35 s  within the 60 s aim" in out
    assert "old tasks gone" in out
    assert "135 s" in out
    assert world.stack_params()["ImageTag"] == "c0ffee"


def test_production_asks_before_changing_anything(make_world, cli):
    world = make_world(env="production", stack="MacroAiProductionStack")
    args = ("deploy", "production", "--image-tag", "beef01", "--skip-image-check", "--no-wait")
    r = cli(*args)  # no terminal, no --yes
    assert r.exit_code == 6, r.all_output
    assert "pass --yes" in r.stderr
    cli.runtime.confirm = lambda question: False
    declined = cli(*args)
    assert declined.exit_code == 6
    assert "not confirmed" in declined.stderr
    assert world.stack_params()["ImageTag"] == "c0ffee"
    ok = cli(*args, "--yes")
    assert ok.exit_code == 0, ok.all_output
    assert "macro-deploy wait production" in ok.stdout
    assert world.stack_params()["ImageTag"] == "beef01"


def test_hobby_does_not_ask(world, cli):
    r = cli("deploy", "hobby", "--image-tag", "beef01", "--skip-image-check", "--no-wait")
    assert r.exit_code == 0, r.all_output
    assert world.stack_params()["ImageTag"] == "beef01"
