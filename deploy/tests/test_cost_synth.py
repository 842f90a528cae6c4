"""`macro-deploy cost --all` on the real CDK app, synthesized in-process: every profile's template is read
and priced, whatever the stacks currently hold (NAT or not, own or shared load balancer, Spot or not)."""

from __future__ import annotations

import json

import pytest
from macro_ai_deploy.cli import app
from macro_ai_deploy.cost import data
from macro_ai_deploy.cost.inventory import read_template
from macro_ai_deploy.cost.templates import profile_names, synthesize
from typer.testing import CliRunner

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def templates():
    return synthesize()


def test_every_stack_is_read(templates):
    for name, template in templates.items():
        inventory = read_template(name, template)
        types = [r["Type"] for r in template["Resources"].values()]
        assert inventory.nat_gateways == types.count("AWS::EC2::NatGateway")
        assert len(inventory.services) == types.count("AWS::ECS::Service")
        assert len(inventory.legacy_fleets) == types.count("AWS::AutoScaling::AutoScalingGroup")


def test_all_profiles_priced_from_the_app(tmp_path, templates):
    folder = tmp_path / "cdk.out"
    folder.mkdir()
    for name, template in templates.items():
        (folder / f"{name}.template.json").write_text(json.dumps(template))
    result = CliRunner().invoke(app, ["cost", "--all", "--json", f"--templates={folder}"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    profiles = {p["profile"]: p for p in out["profiles"]}
    assert list(profiles) == profile_names()
    loads = data.load_loads()
    for name, profile in profiles.items():
        assert profile["fargate_monthly_usd"] > 0
        assert any(c["component"] == "compute" and c["fargate_usd"] > 0 for c in profile["components"])
        if loads.of(name).saving_goal_percent is not None:  # hobby and production: compared with EC2
            assert profile["legacy_monthly_usd"] > 0
            assert isinstance(profile["goal_met"], bool)
    assert out["prices"]["as_of"]
