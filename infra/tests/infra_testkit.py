"""Shared names and the Synth record of the infra tests (imported by conftest and the tests)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk.assertions import Template
from macro_ai_infra.profile import ExistingVpc

PR = 42
EXPIRES_AT = "2030-01-01T12:00:00Z"
ENV_STACKS = ("MacroAiHobbyStack", "MacroAiStagingStack", "MacroAiProductionStack")
SHARED_STACK = "MacroAiPreviewSharedStack"
PREVIEW_STACK = f"MacroAiPreviewStack-pr-{PR}"
ALL_STACKS = (*ENV_STACKS, SHARED_STACK, PREVIEW_STACK)
# How each environment's platform comes about (its profile's ``platform``).
SELF_CONTAINED_STACK = "MacroAiStagingStack"  # own VPC, load balancer and modelled legacy fleet
ADOPTED_STACK = "MacroAiProductionStack"  # adopt mode: the running platform, by identifiers
SHARED_HOSTED_STACK = "MacroAiHobbyStack"  # a host rule on the shared preview load balancer
OWN_ALB_STACKS = (SELF_CONTAINED_STACK, SHARED_STACK)
WEIGHTED_STACKS = (SELF_CONTAINED_STACK, ADOPTED_STACK)
REPO_ROOT = Path(__file__).resolve().parents[2]

# Variants of staging (self-contained), synthesized together in one extra app: the EC2 cleanup (no legacy
# fleet), and the same with an existing VPC imported by id.
EXISTING_VPC = ExistingVpc(
    vpc_id="vpc-0123456789abcdef0",
    vpc_cidr="10.99.0.0/16",
    availability_zones=("us-east-1a", "us-east-1b"),
    public_subnet_ids=("subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"),
)
VARIANT_STACK = "MacroAiStagingStack"
EXISTING_VPC_STACK = "MacroAiStagingExistingVpcStack"


@dataclass(frozen=True)
class Synth:
    outdir: Path
    raw: dict[str, dict[str, Any]]  # stack name -> template JSON
    templates: dict[str, Template]

    def resources(self, stack: str, type_: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.raw[stack]["Resources"].items() if v["Type"] == type_}

    def one(self, stack: str, type_: str) -> dict[str, Any]:
        found = self.resources(stack, type_)
        assert len(found) == 1, f"{stack}: expected one {type_}, found {sorted(found)}"
        return next(iter(found.values()))["Properties"]


def load(outdir: Path, names: tuple[str, ...]) -> Synth:
    raw = {n: json.loads((outdir / f"{n}.template.json").read_text()) for n in names}
    return Synth(outdir=outdir, raw=raw, templates={n: Template.from_json(t) for n, t in raw.items()})
