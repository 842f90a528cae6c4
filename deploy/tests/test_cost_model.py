"""The cost model's arithmetic against figures computed by hand for the fixed template of cost_fixtures.

Test prices (cost_fixtures.PRICES), 730 h a month, load 100 req/s all week, 100 req/s per vCPU, 30 % headroom.
"""

from __future__ import annotations

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
    write_data,
)
from macro_ai_deploy.cost import data
from macro_ai_deploy.cost.inventory import ScheduledAction, read_template
from macro_ai_deploy.cost.model import Estimate, split_on_demand
from macro_ai_deploy.cost.report import ProfileReport, build
from macro_ai_deploy.cost.schedule import action_minutes, simulate
from macro_ai_deploy.cost.templates import Landscape

HOBBY, SHARED, PR = "MacroAiHobbyStack", "MacroAiPreviewSharedStack", "MacroAiPreviewStack-pr-1"


def run(
    tmp_path: Path, templates: dict, profiles: list[str], loads: dict | None = None
) -> list[ProfileReport]:
    paths = write_data(tmp_path / "data", loads)
    prices = data.load_prices(paths["prices"])
    load_table = data.load_loads(paths["loads"])
    capacity = data.load_capacity(paths["capacity"])
    landscape = Landscape(templates, load_table)
    return build(landscape, profiles, prices, load_table, capacity, {p: load_table.of(p) for p in profiles})


def lines(estimate: Estimate) -> dict[str, tuple[float, float | None]]:
    return {line.component: (line.fargate_usd, line.legacy_usd) for line in estimate.lines}


def test_fixed_template_priced_by_hand(tmp_path):
    [report] = run(tmp_path, {HOBBY: environment_template()}, ["hobby"])
    got = lines(report.estimate)
    # Tasks: 0.5 vCPU x 100 req/s = 50 req/s a task, 35 with 30 % headroom: ceil(100 / 35) = 3 tasks (2..4).
    # Strategy: base 1 on FARGATE, then 1:1 -> on-demand 1 + 2 / 2 = 2 tasks, Spot 1 task.
    #   on-demand: 2 x 730 h x (0.5 x 0.04 + 1 x 0.004) = 1460 x 0.024 = 35.04
    #   Spot:      1 x 730 h x (0.5 x 0.01 + 1 x 0.001) =  730 x 0.006 =  4.38      -> 39.42
    # EC2: 2 x t4g.small x 730 h x 0.02 = 29.20
    assert got["compute"] == pytest.approx((39.42, 29.20))
    # EBS (EC2 only): 2 x 20 GiB x 0.10 = 4.00
    assert got["storage (EBS)"] == pytest.approx((0.0, 4.00))
    # ALB: 730 h x 0.02 = 14.60. LCU: new connections 100 x 0.25 = 25/s -> 1 LCU; bytes 100 x 10,000 x 3600
    # = 3.6 GB/h -> 3.6 LCU; the larger: 3.6 x 730 = 2628 LCU-hours x 0.01 = 26.28 -> 40.88 (both sides).
    assert got["load balancer"] == pytest.approx((40.88, 40.88))
    # NAT: 730 x 0.05 = 36.50, its Elastic IP 730 x 0.005 = 3.65; data: 10 GB per private task-month:
    #   Fargate 3 tasks -> 30 GB x 0.05 = 1.50 -> 41.65; EC2 (behind the NAT) 2 instances -> 1.00 -> 41.15
    assert got["NAT gateways"] == pytest.approx((41.65, 41.15))
    # Interface endpoint (Fargate only): 2 zones x 730 h x 0.01 = 14.60 + 3 tasks x 5 GB x 0.01 = 0.15
    assert got["interface endpoints"] == pytest.approx((14.75, 0.0))
    # Public IPv4: the ALB's 2 addresses x 730 x 0.005 = 7.30; tasks and instances are private.
    assert got["public IPv4"] == pytest.approx((7.30, 7.30))
    # Logs, each side its own bytes: 100 req/s x 730 h x 3600 s = 262.8 M requests a month.
    #   Fargate: 200 B measured x 262.8 M = 52.56 GB, plus metric documents: 3 tasks x 730 h x 60 = 131,400
    #   task-minutes x 2 routes = 262,800 documents x 500 B = 0.1314 GB -> 52.6914 GB x 0.50 = 26.3457;
    #   kept 30 days: 52.6914 x 30 / (365 / 12) = 51.9696 GB x 0.03 = 1.559088 -> 27.904788
    #   EC2: 1000 B (loads.json) x 262.8 M = 262.8 GB x 0.50 = 131.40 + 259.2 GB kept x 0.03 = 7.776
    #   -> 139.176
    assert got["logs"] == pytest.approx((27.904788, 139.176))
    # Custom metrics (Fargate only), the API's from contract api-metrics.json: 3 route-less (Latency,
    # Errors4xx, Errors5xx) + 2 per route (Latency, Errors5xx) x 5 routes = 13; Container Insights (on in
    # this template) 20 for the service and 10 for its cluster; all the month: 43 x 0.30 = 12.90
    assert got["custom metrics"] == pytest.approx((12.90, 0.0))
    # Alarms (both): 1 + 2 metrics (the expression is free) x 0.10 = 0.30
    assert got["alarms, dashboards"] == pytest.approx((0.30, 0.30))
    # Secret 0.40 + KMS key 1.00 + one advanced parameter 0.05 (the standard one is free) = 1.45
    assert got["secrets, keys, parameters"] == pytest.approx((1.45, 1.45))
    # RDS (both): 730 x 0.02 = 14.60 + 20 GiB x 0.10 = 2.00 -> 16.60
    assert got["database (RDS)"] == pytest.approx((16.60, 16.60))
    # Totals: Fargate 39.42 + 40.88 + 41.65 + 14.75 + 7.30 + 27.904788 + 12.90 + 0.30 + 1.45 + 16.60
    #                 = 203.154788
    #         EC2     29.20 + 4.00 + 40.88 + 41.15 + 0 + 7.30 + 139.176 + 0 + 0.30 + 1.45 + 16.60 = 280.056
    assert report.estimate.fargate_usd == pytest.approx(203.154788)
    assert report.estimate.legacy_usd == pytest.approx(280.056)
    # Saving: (280.056 - 203.154788) / 280.056 = 27.459 %: the goal of 40 % is not met.
    assert report.estimate.saving_percent == pytest.approx(27.4592, abs=1e-3)
    assert report.goal_met is False
    # Without the lines both sides carry alike (alarms, secrets, RDS: 18.35):
    # Fargate 184.804788, EC2 261.706 -> (261.706 - 184.804788) / 261.706 = 29.385 %
    assert report.estimate.saving_percent_without_shared == pytest.approx(29.3846, abs=1e-3)


def test_advice_is_priced(tmp_path):
    [report] = run(tmp_path, {HOBBY: environment_template()}, ["hobby"])
    advice = {a.kind: a for a in report.advice}
    # Spot for the 1460 on-demand task-hours: 1460 x (0.024 - 0.006) = 26.28 a month.
    assert advice["spot"].monthly_saving_usd == pytest.approx(26.28)
    # 0.25 vCPU: 17.5 req/s a task with headroom -> 6 tasks > max 4; 0.5 vCPU: 3 tasks: already the smallest.
    assert "0.5 vCPU / 1 GB is the smallest size" in advice["task-size"].text
    assert advice["task-size"].monthly_saving_usd == 0


def test_smaller_load_advises_a_smaller_task(tmp_path):
    loads = {**LOADS, "profiles": {**LOADS["profiles"], "hobby": profile_load(requests_per_second=20.0)}}
    [report] = run(tmp_path, {HOBBY: environment_template()}, ["hobby"], loads)
    size = next(a for a in report.advice if a.kind == "task-size")
    # 20 req/s: 0.25 vCPU serves 17.5 with headroom -> 2 tasks (= the minimum). Today: 2 x 0.5 vCPU / 1 GB.
    # Saving: on-demand 1 + (2 - 1) / 2 = 1.5 tasks x 730 x (0.024 - 0.012) = 13.14;
    #         Spot 0.5 task x 730 x (0.006 - 0.003) = 1.095 -> 14.235 (NAT/endpoint data unchanged: 2 tasks)
    assert "0.25 vCPU / 0.5 GB, the peak needs 2 task(s)" in size.text
    assert size.monthly_saving_usd == pytest.approx(14.235)


def test_shared_load_balancer_is_shared_out(tmp_path):
    templates = {
        SHARED: shared_preview_template(),
        PR: borrowing_template(),
        HOBBY: borrowing_template(),
    }
    loads = {**LOADS, "profiles": {**LOADS["profiles"], "hobby": profile_load(requests_per_second=1.0)}}
    hobby, preview = run(tmp_path, templates, ["hobby", "preview"], loads)
    # The shared ALB carries hobby (1 service) and 3 open previews: 4 tenants.
    # LCU at 1 req/s: bytes 1 x 10,000 x 3600 = 0.036 GB/h -> 0.036 LCU x 730 = 26.28 LCU-h x 0.01 = 0.2628
    # hobby: 14.60 / 4 + 0.2628 = 3.9128; its EC2 fleet has its own ALB: 14.60 + 0.2628 = 14.8628
    assert lines(hobby.estimate)["load balancer"] == pytest.approx((3.9128, 14.8628))
    # IPv4: 7.30 / 4 = 1.825 + 2 tasks (min 2) x 730 h x 0.005 = 7.30 -> 9.125;
    # EC2 (loads.json baseline: 1 public instance) 3.65 + its own ALB's 2 addresses 7.30 = 10.95
    assert lines(hobby.estimate)["public IPv4"] == pytest.approx((9.125, 10.95))
    # previews: 3/4 of 14.60 = 10.95 + 3 x 0.2628 = 11.7384; no EC2 fleet to compare with
    assert lines(preview.estimate)["load balancer"] == pytest.approx((11.7384, None))
    assert preview.estimate.legacy_usd is None
    assert preview.goal_met is None


def test_no_open_previews_leaves_the_shared_balancer_to_the_others(tmp_path):
    loads = {
        **LOADS,
        "profiles": {**LOADS["profiles"], "preview": profile_load(open_previews=0, legacy=None)},
    }
    templates = {SHARED: shared_preview_template(), PR: borrowing_template(), HOBBY: borrowing_template()}
    hobby, preview = run(tmp_path, templates, ["hobby", "preview"], loads)
    assert lines(hobby.estimate)["load balancer"][0] == pytest.approx(14.60 + 0.2628 * 100)
    assert "load balancer" not in lines(preview.estimate)


def test_adopted_load_balancer_is_priced_in_full(tmp_path):
    """A listener named by ARN (the existing platform's ALB, adopted) has no load balancer in the template."""
    template = borrowing_template(
        NetworkConfiguration={
            "AwsvpcConfiguration": {"AssignPublicIp": "DISABLED", "Subnets": ["subnet-1", "subnet-2"]}
        }
    )
    template["Resources"]["Rule"]["Properties"]["ListenerArn"] = "arn:aws:elasticloadbalancing:listener/app/x"
    loads = {**LOADS, "profiles": {**LOADS["profiles"], "hobby": profile_load(requests_per_second=1.0)}}
    [report] = run(tmp_path, {HOBBY: template}, ["hobby"], loads)
    got = lines(report.estimate)
    # 14.60 + 0.2628 LCU on both sides; its 2 assumed addresses: 7.30 (tasks are private); EC2 adds 3.65.
    assert got["load balancer"] == pytest.approx((14.8628, 14.8628))
    assert got["public IPv4"] == pytest.approx((7.30, 10.95))
    assert any("not in the template and not priced" in note for note in report.estimate.notes)


def test_capacity_provider_split():
    strategy = (("FARGATE", 1, 1), ("FARGATE_SPOT", 0, 3))
    assert split_on_demand(0, strategy) == 0
    assert split_on_demand(1, strategy) == 1
    assert split_on_demand(5, strategy) == pytest.approx(1 + 4 / 4)
    assert split_on_demand(4, (("FARGATE_SPOT", 0, 1),)) == 0


def test_weekly_schedule_stops_tasks_at_night_and_weekends():
    start = ScheduledAction("Start", "cron(0 7 ? * MON-FRI *)", 1, 1)
    stop = ScheduledAction("Stop", "cron(0 19 ? * MON-FRI *)", 0, 0)
    assert action_minutes(start)[:2] == [7 * 60, 1440 + 7 * 60]
    load = data.Load(1.0, 0.0, 12, 5, 7, True, True, None, None)
    week = simulate(
        min_capacity=0,
        max_capacity=1,
        schedules=(start, stop),
        load=load,
        per_task_rps=25,
        headroom_percent=30,
    )
    # 12 h x 5 days of 168 h a week: 60 / 168 tasks on average; Friday's stop holds through the weekend.
    assert week.average_tasks == pytest.approx(60 / 168)
    assert week.zero_share == pytest.approx(108 / 168)


def test_schedule_floor_raises_tasks_above_the_load():
    floor = ScheduledAction("Floor", "cron(30 6 ? * MON-FRI *)", 3, 12)
    night = ScheduledAction("Night", "cron(0 20 ? * MON-FRI *)", 2, 12)
    load = data.Load(1.0, 1.0, 24, 7, 0, False, False, None, None)
    week = simulate(
        min_capacity=2,
        max_capacity=12,
        schedules=(floor, night),
        load=load,
        per_task_rps=25,
        headroom_percent=30,
    )
    # 3 tasks 06:30-20:00 on 5 weekdays (13.5 h x 5 = 67.5 h), 2 otherwise: 2 + 67.5 / 168
    assert week.average_tasks == pytest.approx(2 + 67.5 / 168)


def test_unsupported_schedules_are_a_clear_error():
    with pytest.raises(data.CostDataError, match="only weekly cron"):
        action_minutes(ScheduledAction("Once", "at(2026-01-01T00:00:00)", 1, 1))
    with pytest.raises(data.CostDataError, match="cannot read"):
        action_minutes(ScheduledAction("Bad", "cron(0 25 ? * MON *)", 1, 1))


def test_template_without_resources_is_refused():
    with pytest.raises(data.CostDataError, match="not a CloudFormation template"):
        read_template("X", {"nothing": 1})


def test_price_missing_from_the_table_is_named(tmp_path):
    template = environment_template()
    template["Resources"]["LegacyTemplate"]["Properties"]["LaunchTemplateData"]["InstanceType"] = "x9.huge"
    with pytest.raises(data.CostDataError, match=r"no price 'ec2\.x9\.huge\.hour'"):
        run(tmp_path, {HOBBY: template}, ["hobby"])
