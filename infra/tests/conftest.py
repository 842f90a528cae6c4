"""One synth of the whole app per test session, shared by every test (plus one small variant app)."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import macro_ai_infra  # noqa: F401  (first: points jsii at the pinned Node.js before aws_cdk starts it)
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks
from infra_testkit import (
    ALL_STACKS,
    EXISTING_VPC,
    EXISTING_VPC_STACK,
    EXPIRES_AT,
    PR,
    VARIANT_STACK,
    Synth,
    load,
)
from macro_ai_contract.service import ServiceContract, load_contract
from macro_ai_infra.app import build_app
from macro_ai_infra.profile import ExternalDatabase
from macro_ai_infra.profiles import STAGING
from macro_ai_infra.stacks.environment import EnvironmentStack


@pytest.fixture(scope="session")
def contract() -> ServiceContract:
    return load_contract()


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = build_app(outdir=str(outdir), context={"pr": str(PR), "expires_at": EXPIRES_AT})
    app.synth()  # cdk-nag runs here: any unacknowledged finding raises
    return load(outdir, ALL_STACKS)


@pytest.fixture(scope="session")
def variant(tmp_path_factory: pytest.TempPathFactory, contract: ServiceContract) -> Synth:
    outdir = tmp_path_factory.mktemp("cdk.out.variant")
    app = App(outdir=str(outdir))
    cleaned = replace(STAGING, legacy_fleet=False).validate()
    EnvironmentStack(app, profile=cleaned, contract=contract)
    imported = replace(
        cleaned,
        stack_id=EXISTING_VPC_STACK,
        existing_vpc=EXISTING_VPC,
        database=ExternalDatabase(host="db.example.net", cidrs=("203.0.113.0/24",)),
    ).validate()
    EnvironmentStack(app, profile=imported, contract=contract)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()
    return load(outdir, (VARIANT_STACK, EXISTING_VPC_STACK))
