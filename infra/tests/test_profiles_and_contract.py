"""Profiles are valid data; the task definition's inputs come from the service contract."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from macro_ai_contract.service import ServiceContract, contract_path, parse_contract
from macro_ai_infra.app import default_expiry, parse_pr
from macro_ai_infra.constructs.configuration import OPERATOR_PARAMETERS, plain_environment
from macro_ai_infra.constructs.preview import rule_priority
from macro_ai_infra.profile import FARGATE_SIZES, Profile
from macro_ai_infra.profiles import registered


@pytest.mark.parametrize("key", sorted(registered()))
def test_profile_is_valid_and_sized_for_fargate(key: str) -> None:
    profile = registered()[key]
    assert profile.validate() is profile
    assert profile.memory_mib in FARGATE_SIZES[profile.cpu]
    assert profile.min_capacity <= profile.max_capacity


def test_profiles_differ_where_they_should() -> None:
    assert registered()["preview"].spot
    assert not registered()["production"].spot
    assert registered()["production"].nat_gateways >= 2
    assert registered()["preview"].nat_gateways == 0
    assert registered()["production"].log_retention_days > registered()["preview"].log_retention_days
    assert not registered()["preview"].legacy_fleet
    assert registered()["staging"].database is not None
    assert [p.stack_name for p in registered().values()] == [
        "MacroAiHobbyStack",
        "MacroAiStagingStack",
        "MacroAiProductionStack",
        "MacroAiPreviewSharedStack",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cpu": 256, "memory_mib": 4096}, "not a Fargate size"),
        ({"min_capacity": 5, "max_capacity": 2}, "scaling bounds"),
        ({"nat_gateways": 0, "vpc_endpoints": True}, "VPC endpoints"),
    ],
)
def test_invalid_profile_is_rejected(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(registered()["hobby"], **change).validate()  # type: ignore[arg-type]


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
    data["shutdown"] = {"drainSeconds": 40, "stopTimeoutSeconds": 30}
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


@given(st.integers(min_value=1, max_value=50000))
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
        rule_priority(50001)


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
