"""`macro-deploy cost` end to end on a cdk.out-like folder: JSON, the Rich table, and one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from macro_ai_deploy.cli import app
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cost_fixtures import (
    CAPACITY,
    borrowing_template,
    environment_template,
    shared_preview_template,
    write,
    write_data,
)

STACKS = {
    "MacroAiHobbyStack": borrowing_template(),
    "MacroAiStagingStack": environment_template(),
    "MacroAiProductionStack": environment_template(),
    "MacroAiPreviewSharedStack": shared_preview_template(),
    "MacroAiPreviewStack-pr-1": borrowing_template(),
}


@pytest.fixture
def folder(tmp_path):
    return write(tmp_path / "cdk.out", STACKS)


@pytest.fixture
def data_args(tmp_path):
    paths = write_data(tmp_path / "data")
    return [f"--{name}={path}" for name, path in paths.items()]


def invoke(*args: str):
    return CliRunner().invoke(app, ["cost", *args])


def test_json_for_every_profile(folder, data_args):
    result = invoke("--all", "--json", f"--templates={folder}", *data_args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    profiles = {p["profile"]: p for p in out["profiles"]}
    assert list(profiles) == ["hobby", "staging", "production", "preview"]
    # Production is the hand-computed template of test_cost_model: 203.15 against 280.06.
    production = profiles["production"]
    assert production["fargate_monthly_usd"] == pytest.approx(203.15)
    assert production["legacy_monthly_usd"] == pytest.approx(280.06)
    assert production["saving_percent"] == pytest.approx(27.5)
    assert production["goal_met"] is False
    assert sum(c["fargate_usd"] for c in production["components"]) == pytest.approx(203.154788)
    assert profiles["preview"]["legacy_monthly_usd"] is None
    # every price the figures used is listed with its date and source
    assert out["prices"]["as_of"] == "2026-01-01"
    assert "nat.hour" in out["prices"]["used"]
    assert all(p["as_of"] == "2026-01-01" and p["source"] for p in out["prices"]["used"].values())


def test_load_options_change_the_figures(folder, data_args):
    base = json.loads(invoke("production", "--json", f"--templates={folder}", *data_args).stdout)
    quiet = json.loads(invoke("production", "--json", "--rps=1", f"--templates={folder}", *data_args).stdout)
    [b], [q] = base["profiles"], quiet["profiles"]
    assert q["load"]["requests_per_second"] == 1
    assert q["fargate_monthly_usd"] < b["fargate_monthly_usd"]
    more = json.loads(
        invoke("preview", "--json", "--open-previews=6", f"--templates={folder}", *data_args).stdout
    )
    assert more["profiles"][0]["load"]["open_previews"] == 6
    assert more["profiles"][0]["stacks"] == ["MacroAiPreviewSharedStack", "MacroAiPreviewStack-pr-1 x 6"]


def test_table_shows_components_saving_and_dated_prices(folder, data_args):
    result = invoke("hobby", "production", f"--templates={folder}", *data_args)
    assert result.exit_code == 0, result.output
    text = result.stdout
    for expected in (
        "interface endpoints",
        "NAT gateways",
        "EC2 fleet",
        "27.5 %",
        "NOT met",
        "as of 2026-01-01",
    ):
        assert expected in text
    assert "advice (spot)" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "name the environments to price"),
        (("nowhere",), "unknown environment(s) nowhere"),
        (("hobby", "--all"), "not both"),
        (("hobby", "--rps=-1"), "must not be negative"),
        (("hobby", "--hours-per-day=25"), "0..24"),
    ],
)
def test_usage_errors_are_one_line(folder, data_args, args, message):
    result = invoke(*args, f"--templates={folder}", *data_args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_bad_inputs_are_one_line(tmp_path, folder, data_args):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("hobby", f"--templates={empty}", *data_args)
    assert result.exit_code == 2
    assert "no *.template.json" in result.stderr
    broken = tmp_path / "prices.json"
    broken.write_text('{"region": "x"')
    result = invoke("hobby", f"--templates={folder}", *data_args, f"--prices={broken}")
    assert result.exit_code == 2
    assert "not readable JSON" in result.stderr
    missing = write(tmp_path / "partial", {"MacroAiHobbyStack": borrowing_template()})
    result = invoke("hobby", f"--templates={missing}", *data_args)
    assert result.exit_code == 2
    assert "exported by no template read" in result.stderr
    # a capacity file from before the log measurements: says how to measure them
    unmeasured = tmp_path / "capacity.json"
    unmeasured.write_text(json.dumps({k: v for k, v in CAPACITY.items() if k != "log_bytes_per_request"}))
    result = invoke("hobby", f"--templates={folder}", *data_args, f"--capacity={unmeasured}")
    assert result.exit_code == 2
    assert "no log_bytes_per_request" in result.stderr
    assert "bench/log_volume.py" in result.stderr
    assert "Traceback" not in result.output
