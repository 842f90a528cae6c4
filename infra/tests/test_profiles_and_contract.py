"""Profiles are valid data; the task definition's inputs come from the service contract."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from macro_ai_contract import load_environments
from macro_ai_contract.fargate import FARGATE_SIZES
from macro_ai_contract.service import ServiceContract, contract_path, parse_contract
from macro_ai_infra.app import default_expiry, parse_pr
from macro_ai_infra.constructs.configuration import OPERATOR_PARAMETERS, plain_environment
from macro_ai_infra.constructs.preview import MAX_RULE_PRIORITY, rule_priority
from macro_ai_infra.profile import ExternalDatabase, Profile, SharedPlatform, StackDatabase
from macro_ai_infra.profiles import deployed_profiles, preview_profile, profile_for, registered


@pytest.mark.parametrize("key", sorted(registered()))
def test_profile_is_valid_and_sized_for_fargate(key: str) -> None:
    profile = registered()[key]
    assert profile.validate() is profile
    assert profile.memory_mib in FARGATE_SIZES[profile.cpu]
    assert profile.min_capacity <= profile.max_capacity


def test_profiles_differ_where_they_should() -> None:
    p = registered()
    assert p["preview"].spot
    assert p["staging"].spot
    assert p["hobby"].spot
    assert not p["production"].spot
    assert all(profile.nat_gateways == 0 for profile in p.values())
    assert p["production"].adopted is not None
    assert isinstance(p["hobby"].platform, SharedPlatform)
    assert p["staging"].platform is None
    assert p["staging"].legacy_fleet
    assert p["production"].predictive is not None
    assert p["production"].predictive.forecast_only
    assert p["production"].log_retention_days > p["preview"].log_retention_days
    assert isinstance(p["staging"].database, StackDatabase)
    assert [profile.stack_name for profile in deployed_profiles()] == [
        "MacroAiHobbyStack",
        "MacroAiStagingStack",
        "MacroAiProductionStack",
    ]
    assert preview_profile().stack_name == "MacroAiPreviewSharedStack"


def test_every_deployed_environment_of_the_table_has_a_profile() -> None:
    names = [env.name for env in load_environments().deployed()]
    assert names
    assert [profile.key for profile in deployed_profiles()] == names


def test_a_missing_profile_is_named() -> None:
    with pytest.raises(KeyError, match="no profile for environment 'nowhere'"):
        profile_for("nowhere")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cpu": 256, "memory_mib": 4096}, "not a Fargate size"),
        ({"min_capacity": 5, "max_capacity": 2}, "scaling bounds"),
        ({"nat_gateways": 0, "vpc_endpoints": True}, "VPC endpoints"),
        ({"nat_gateways": 1}, "states why"),
        ({"database": StackDatabase()}, "in-stack database needs the stack's own VPC"),
        ({"database": ExternalDatabase(host="db.example", sslmode="require")}, "verify-full"),
    ],
)
def test_invalid_profile_is_rejected(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(registered()["production"], **change).validate()  # type: ignore[arg-type]


def test_adopted_identifiers_give_the_metric_dimensions() -> None:
    adopted = registered()["production"].adopted
    assert adopted is not None
    lb_id, _listener_id = adopted.https_listener_arn.rsplit("/", 2)[-2:]
    assert adopted.load_balancer_full_name == f"app/macro-ai-api/{lb_id}"
    assert adopted.legacy_target_group_full_name.startswith("targetgroup/macro-ai-api/")


def test_contract_is_read_from_the_repository_file(contract: ServiceContract) -> None:
    data = json.loads(contract_path().read_text())
    assert contract.port == data["port"]
    assert contract.container_check_path == data["health"]["containerCheck"]
    assert contract.load_balancer_check_path == data["health"]["loadBalancerCheck"]
    assert contract.stop_timeout_seconds == data["shutdown"]["stopTimeoutSeconds"]
    assert set(contract.secrets) == set(data["secrets"])
    assert set(contract.environment) == set(data["environment"])


def test_contract_rejects_drain_longer_than_stop_timeout() -> None:
    data = json.loads(contract_path().read_text())
    data["shutdown"] = {"drainSeconds": 40, "stopTimeoutSeconds": 30, "marginSeconds": 5}
    with pytest.raises(ValueError, match="drainSeconds"):
        parse_contract(data)


@pytest.mark.parametrize("key", sorted(registered()))
def test_plain_environment_covers_the_contract(key: str, contract: ServiceContract) -> None:
    env = plain_environment(registered()[key], contract, app_env="x", region="r", cors_allowed_origins=())
    assert set(env) | set(OPERATOR_PARAMETERS) == set(contract.environment)
    assert not set(env) & set(contract.secrets)
    assert env["SERVER_PORT"] == str(contract.port)
    assert env["SHUTDOWN_DRAIN_SECONDS"] == str(contract.drain_seconds)


def test_a_new_contract_name_fails_the_synth(contract: ServiceContract) -> None:
    grown = replace(contract, environment=(*contract.environment, "NEW_SETTING"))
    with pytest.raises(ValueError, match="NEW_SETTING"):
        plain_environment(registered()["hobby"], grown, app_env="x", region="r", cors_allowed_origins=())


@given(st.integers(min_value=1, max_value=MAX_RULE_PRIORITY))
def test_pr_context_parses_and_maps_to_a_rule_priority(pr: int) -> None:
    assert parse_pr(str(pr)) == pr
    assert parse_pr(f"pr-{pr}") == pr
    assert rule_priority(pr) == pr


@pytest.mark.parametrize("bad", ["0", "-3", "abc", "4.5"])
def test_bad_pr_context_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="pull request"):
        parse_pr(bad)


def test_rule_priority_range() -> None:
    with pytest.raises(ValueError, match="priority"):
        rule_priority(MAX_RULE_PRIORITY + 1)
    hosted = [
        p.platform.rule_priority for p in registered().values() if isinstance(p.platform, SharedPlatform)
    ]
    assert all(MAX_RULE_PRIORITY < priority <= 50000 for priority in hosted), "never a preview's priority"


def test_default_expiry_is_ttl_from_the_hour() -> None:
    now = dt.datetime(2030, 1, 1, 10, 37, 12, tzinfo=dt.UTC)
    assert default_expiry(72, now) == "2030-01-04T10:00:00Z"


def test_profile_type_is_frozen() -> None:
    with pytest.raises(AttributeError):
        registered()["hobby"].cpu = 4096  # type: ignore[misc]
    assert Profile.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_context_overrides_domain_and_zone(contract: ServiceContract) -> None:
    from macro_ai_infra.profiles import with_overrides

    hobby = registered()["hobby"]
    assert with_overrides(hobby, {}) is hobby
    moved = with_overrides(hobby, {"domain_name": "example.org", "hosted_zone_id": "Z123"})
    assert (moved.domain_name, moved.hosted_zone_id, moved.api_host()) == (
        "example.org",
        "Z123",
        "api-dev.example.org",
    )
    env = plain_environment(
        moved, contract, app_env="x", region="r", cors_allowed_origins=moved.cors_allowed_origins
    )
    assert env["CORS_ALLOWED_ORIGINS"] == "https://dev.example.org"
    assert env["COOKIE_DOMAIN"] == "example.org"
