"""Adopt mode on the moto server: the stack exports ListenerRuleArn, so the migration moves that rule's
weights and leaves the running listener's default action (the hand-back path) untouched."""

from __future__ import annotations


def default_action(world, aws_client) -> dict:
    lis = aws_client("elbv2").describe_listeners(ListenerArns=[world.outputs["ListenerArn"]])["Listeners"][0]
    return lis["DefaultActions"][0]


def test_migration_moves_the_rule_not_the_default_action(make_world, cli, clock, aws_client):
    world = make_world(adopt_rule=True)
    before = default_action(world, aws_client)
    seen: list[int] = []
    clock.hooks.append(lambda t: seen.append(world.listener_weights()["ecs"]))
    r = cli("migrate", "start", "hobby", "--steps", "0,50,100", "--bake", "2m", "--interval", "10s")
    assert r.exit_code == 0, r.all_output
    assert world.listener_weights() == {"legacy": 0, "ecs": 100}
    assert sorted(set(seen)) == [50, 100]
    # the default action still forwards to legacy alone: deleting the rule hands traffic back
    assert default_action(world, aws_client) == before


def test_abort_moves_the_rule_back(make_world, cli, aws_client):
    from macro_ai_deploy.aws.elbv2 import ListenerRouter, LoadBalancing
    from macro_ai_deploy.rollout import Weights

    world = make_world(adopt_rule=True)
    o = world.outputs
    ListenerRouter(
        LoadBalancing(aws_client("elbv2")),
        o["ListenerArn"],
        o["LegacyTargetGroupArn"],
        o["EcsTargetGroupArn"],
        rule_arn=o["ListenerRuleArn"],
    ).set_weights(Weights.to_ecs(25))
    assert world.listener_weights() == {"legacy": 75, "ecs": 25}
    r = cli("migrate", "abort", "hobby")
    assert r.exit_code == 0, r.all_output
    assert world.listener_weights() == {"legacy": 100, "ecs": 0}
