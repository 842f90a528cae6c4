"""Monitoring reads only what exists: the API's own metrics as api-metrics.json lists them, free AWS metrics
instead of Container Insights, and the saved log query that answers per-route 4xx."""

from __future__ import annotations

import json
from typing import Any

import pytest
from infra_testkit import ENV_STACKS, PREVIEW_STACK, SHARED_STACK, Synth
from macro_ai_contract.api_metrics import load_api_metrics
from macro_ai_infra.constructs.api_metrics import ApiMetricReader
from macro_ai_infra.profiles import registered

SERVICE_STACKS = (*ENV_STACKS, PREVIEW_STACK)
CLUSTER_OWNERS = {
    "MacroAiStagingStack": "staging",
    "MacroAiProductionStack": "production",
    SHARED_STACK: "preview",  # hobby and the previews run on the shared cluster
}
API = load_api_metrics()


def _dashboard(synth: Synth, stack: str) -> dict[str, Any]:
    """The dashboard body as CloudWatch gets it, each CloudFormation token replaced by TOKEN."""
    body = synth.one(stack, "AWS::CloudWatch::Dashboard")["DashboardBody"]
    if isinstance(body, dict):
        body = "".join(p if isinstance(p, str) else "TOKEN" for p in body["Fn::Join"][1])
    return dict(json.loads(body))


def _dashboard_metrics(synth: Synth, stack: str) -> list[tuple[str, str, frozenset[str], str | None]]:
    """(namespace, metric, dimension names, statistic) of every metric a dashboard graph reads."""
    found = []
    for widget in _dashboard(synth, stack)["widgets"]:
        for entry in widget["properties"].get("metrics", []):
            if not isinstance(entry[0], str):
                continue  # a math expression: its inputs are entries of their own
            options = entry[-1] if isinstance(entry[-1], dict) else {}
            plain = [e for e in entry if isinstance(e, str)]
            namespace, metric, dims = plain[0], plain[1], plain[2:]
            found.append((namespace, metric, frozenset(dims[::2]), options.get("stat")))
    return found


def _alarm_metrics(synth: Synth, stack: str) -> list[tuple[str, str, frozenset[str]]]:
    found = []
    for alarm in synth.resources(stack, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        stats = [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m]
        for metric in stats or [props]:
            dims = frozenset(d["Name"] for d in metric.get("Dimensions", []))
            found.append((metric["Namespace"], metric["MetricName"], dims))
    return found


@pytest.mark.parametrize("stack", list(CLUSTER_OWNERS))
def test_container_insights_follow_the_profile_and_are_off_in_production(synth: Synth, stack: str) -> None:
    profile = registered()[CLUSTER_OWNERS[stack]]
    settings = synth.one(stack, "AWS::ECS::Cluster")["ClusterSettings"]
    expected = "enabled" if profile.container_insights else "disabled"
    assert settings == [{"Name": "containerInsights", "Value": expected}]
    assert not registered()["production"].container_insights


@pytest.mark.parametrize("stack", SERVICE_STACKS)
def test_no_alarm_or_dashboard_reads_a_metric_nobody_publishes(synth: Synth, stack: str) -> None:
    read = [(ns, name, dims) for ns, name, dims in _alarm_metrics(synth, stack)]
    if stack in ENV_STACKS:
        read += [(ns, name, dims) for ns, name, dims, _ in _dashboard_metrics(synth, stack)]
    assert read  # the stack reads metrics: the checks below are not vacuous
    assert not [r for r in read if r[0] == "ECS/ContainerInsights"]
    api = [(name, dims) for ns, name, dims in read if ns == API.namespace]
    assert set(api) <= API.published(), set(api) - API.published()


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_dashboard_counts_tasks_and_requests_from_free_or_published_metrics(synth: Synth, stack: str) -> None:
    metrics = _dashboard_metrics(synth, stack)
    # Running tasks: AWS/ECS CPUUtilization samples, one a minute per RUNNING task.
    assert ("AWS/ECS", "CPUUtilization", frozenset({"ClusterName", "ServiceName"}), "SampleCount") in metrics
    # Requests: the API's Latency SampleCount; 5xx rate divides Errors5xx by it.
    route_less = frozenset({API.service_dimension, API.environment_dimension})
    assert (API.namespace, API.latency, route_less, "SampleCount") in metrics
    assert (API.namespace, "Errors5xx", route_less, "Sum") in metrics
    expressions = json.dumps(_dashboard(synth, stack))
    assert "100 * FILL(api5xx, 0) / apireq" in expressions


@pytest.mark.parametrize("stack", SERVICE_STACKS)
def test_saved_query_answers_4xx_and_5xx_by_route(synth: Synth, stack: str) -> None:
    queries = {
        q["Properties"]["Name"]: q["Properties"]
        for q in synth.resources(stack, "AWS::Logs::QueryDefinition").values()
    }
    (name,) = [n for n in queries if n.endswith(": 4xx and 5xx by route")]
    query = queries[name]
    (group,) = query["LogGroupNames"]
    api_group = [
        k
        for k, g in synth.resources(stack, "AWS::Logs::LogGroup").items()
        if g["Properties"].get("LogGroupName", "").endswith("/api")
    ]
    assert group == {"Ref": api_group[0]}
    text = query["QueryString"]
    assert "sum(Errors4xx)" in text
    assert "sum(Errors5xx)" in text
    assert f"by {API.route_dimension}" in text
    if stack in ENV_STACKS:
        assert name in json.dumps(_dashboard(synth, stack))


def test_asking_for_a_metric_the_api_does_not_publish_fails_at_synth() -> None:
    reader = ApiMetricReader("macro-ai-api", "production")
    reader.metric("Errors5xx", "Sum", route="GET /api/chats")
    with pytest.raises(ValueError, match="publishes no Errors4xx"):
        reader.metric("Errors4xx", "Sum", route="GET /api/chats")
    with pytest.raises(ValueError, match="publishes no Requests"):
        reader.metric("Requests", "Sum")
