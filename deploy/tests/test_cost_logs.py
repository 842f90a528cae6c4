"""Logs and custom metrics, each side its own: the legacy line's estimate against its reconstruction, the
per-event overhead, Container Insights through an imported cluster, and request-count scaling in the week."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cost_fixtures import (
    LOADS,
    borrowing_template,
    environment_template,
    profile_load,
    shared_preview_template,
)
from macro_ai_deploy.cost import data
from macro_ai_deploy.cost.schedule import simulate
from test_cost_model import HOBBY, PR, SHARED, lines, run

RECONSTRUCTION = data.HERE / "legacy-access-log.json"


def reconstructed_legacy_line() -> bytes:
    """The old service's pino-http line for a signed-in GET /api/chats, compact JSON and a newline."""
    spec = json.loads(RECONSTRUCTION.read_text())
    text = json.dumps(spec["line"], separators=(",", ":"))
    for placeholder, length in spec["placeholders"].items():
        assert placeholder in text
        text = text.replace(placeholder, "x" * length)
    return (text + "\n").encode()


def test_the_legacy_estimate_stays_below_its_reconstruction():
    """loads.json may not claim more legacy bytes than the reconstructed line holds (conservative)."""
    line = reconstructed_legacy_line()
    estimate = data.load_loads().logs.legacy_bytes_per_request
    print(f"reconstructed legacy line: {len(line)} bytes; loads.json prices {estimate:.0f}")
    assert estimate <= len(line)
    # Even without its session cookies the line is larger than the estimate.
    assert b"macro-ai-accessToken" in line
    without_cookies = json.loads(line)
    del without_cookies["req"]["headers"]["cookie"]
    assert estimate <= len(json.dumps(without_cookies, separators=(",", ":"))) + 1


def test_our_log_bytes_come_from_the_measured_capacity_file():
    capacity = data.load_capacity()
    assert capacity.log_bytes_per_request > 0
    assert capacity.metric_document_bytes > 0
    assert capacity.log_measured != "?"


def test_event_overhead_is_added_on_both_sides(tmp_path):
    base = lines(run(tmp_path / "a", {HOBBY: environment_template()}, ["hobby"])[0].estimate)["logs"]
    loads = {**LOADS, "logs": {**LOADS["logs"], "event_overhead_bytes": 26}}
    more = lines(run(tmp_path / "b", {HOBBY: environment_template()}, ["hobby"], loads)[0].estimate)["logs"]
    # 262.8 M requests (and 262,800 metric documents on the Fargate side) x 26 B, x (0.50 + 30 days x 0.03
    # / (365 / 12)) per GB = 0.529589 per GB.
    per_gb = 0.5 + 30 * 0.03 / (365 / 12)
    assert more[0] - base[0] == pytest.approx((262.8e6 + 262_800) * 26 / 1e9 * per_gb)
    assert more[1] - base[1] == pytest.approx(262.8e6 * 26 / 1e9 * per_gb)


def test_container_insights_of_an_imported_cluster_are_priced(tmp_path):
    """Hobby runs on the preview platform's cluster (imported by export): its service metrics count."""
    shared = shared_preview_template()
    shared["Resources"]["Cluster"] = {
        "Type": "AWS::ECS::Cluster",
        "Properties": {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]},
    }
    shared["Outputs"]["ClusterName"] = {"Value": {"Ref": "Cluster"}, "Export": {"Name": "Shared-ClusterName"}}
    hobby = borrowing_template(Cluster={"Fn::ImportValue": "Shared-ClusterName"})
    loads = {**LOADS, "profiles": {**LOADS["profiles"], "hobby": profile_load(requests_per_second=1.0)}}
    templates = {SHARED: shared, PR: borrowing_template(), HOBBY: hobby}
    with_insights = run(tmp_path / "a", templates, ["hobby"], loads)[0]
    without = run(tmp_path / "b", {**templates, HOBBY: borrowing_template()}, ["hobby"], loads)[0]
    # 20 service metrics x 0.30, published all month (2 tasks always run); the cluster's 10 go to previews.
    added = lines(with_insights.estimate)["custom metrics"][0] - lines(without.estimate)["custom metrics"][0]
    assert added == pytest.approx(20 * 0.30)


def test_request_count_target_adds_tasks_the_cpu_would_not():
    load = data.Load(40.0, 0.0, 24, 7, 0, False, False, None, None)
    common = {"min_capacity": 2, "max_capacity": 12, "schedules": (), "load": load, "headroom_percent": 30}
    # 141.75 req/s a task (0.25 vCPU at 567): one task serves 40 req/s; the floor holds 2.
    assert simulate(per_task_rps=141.75, **common).average_tasks == 2
    # A target of 1000 requests a task a minute: 2400 a minute need 3 tasks.
    assert simulate(per_task_rps=141.75, requests_per_target_minute=1000, **common).average_tasks == 3
    assert simulate(per_task_rps=141.75, requests_per_target_minute=4000, **common).average_tasks == 2
