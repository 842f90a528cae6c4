"""Drain timing: a rolling step never cuts a stream, and every figure comes from the service contract."""

from __future__ import annotations

from dataclasses import replace

import pytest
from infra_testkit import ENV_STACKS, PREVIEW_STACK, Synth
from macro_ai_contract.service import ServiceContract
from macro_ai_infra.timing import MAX_DEREGISTRATION_DELAY_SECONDS, drain_timing


def _api_target_group(synth: Synth, stack: str) -> dict:  # type: ignore[type-arg]
    groups = synth.resources(stack, "AWS::ElasticLoadBalancingV2::TargetGroup")
    return next(v["Properties"] for k, v in groups.items() if k.startswith("ApiTargetGroup"))


@pytest.mark.parametrize("stack", [*ENV_STACKS, PREVIEW_STACK])
def test_a_draining_task_finishes_its_longest_stream(
    synth: Synth, stack: str, contract: ServiceContract
) -> None:
    tg = _api_target_group(synth, stack)
    attributes = {a["Key"]: a["Value"] for a in tg["TargetGroupAttributes"]}
    delay = int(attributes["deregistration_delay.timeout_seconds"])
    # The balancer keeps a deregistered task's connections open this long before ECS sends SIGTERM.
    assert delay >= contract.max_stream_seconds + contract.detection_seconds
    assert delay <= MAX_DEREGISTRATION_DELAY_SECONDS
    (container,) = synth.one(stack, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    # After SIGTERM (e.g. a Spot interruption, no deregistration first): detection, drain, exit.
    assert container["StopTimeout"] >= (
        contract.detection_seconds + contract.drain_seconds + contract.shutdown_margin_seconds
    )
    assert contract.drain_seconds >= contract.max_stream_seconds


@pytest.mark.parametrize("stack", [*ENV_STACKS, PREVIEW_STACK])
def test_a_new_task_serves_after_two_five_second_checks(
    synth: Synth, stack: str, contract: ServiceContract
) -> None:
    tg = _api_target_group(synth, stack)
    assert (tg["HealthCheckIntervalSeconds"], tg["HealthyThresholdCount"]) == (
        contract.health_check_interval_seconds,
        contract.healthy_threshold,
    )
    assert (
        drain_timing(contract).healthy_after_seconds
        == tg["HealthCheckIntervalSeconds"] * tg["HealthyThresholdCount"]
    )


def test_a_stream_limit_that_would_make_steps_slow_is_refused(contract: ServiceContract) -> None:
    with pytest.raises(ValueError, match="deregistration delay"):
        drain_timing(replace(contract, max_stream_seconds=MAX_DEREGISTRATION_DELAY_SECONDS))
