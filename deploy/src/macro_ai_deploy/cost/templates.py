"""Where the templates come from (a cdk.out folder, or the CDK app synthesized in-process) and which of
them make up each profile: an environment is its stack; the previews are the shared stack plus one
pull request's stack per open preview. Load balancers are shared out between the stacks that route
through them."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from macro_ai_contract import load_environments

from macro_ai_deploy.cost.data import CostDataError, Loads
from macro_ai_deploy.cost.inventory import Inventory, LoadBalancer, read_template

PREVIEW = "preview"
SAMPLE_PR = "1"  # the pull request whose stack stands for every open preview
ADOPTED = "adopted"  # the logical id given to a load balancer the template names by ARN


def profile_names() -> list[str]:
    return [env.name for env in load_environments().deployed()] + [PREVIEW]


def read_dir(folder: Path) -> dict[str, dict[str, Any]]:
    if not folder.is_dir():
        raise CostDataError(f"--templates {folder}: not a folder (expected cdk.out with *.template.json)")
    templates = {}
    for path in sorted(folder.glob("*.template.json")):
        try:
            templates[path.name.removesuffix(".template.json")] = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CostDataError(f"{path}: not readable JSON: {exc}") from None
    if not templates:
        raise CostDataError(f"--templates {folder}: no *.template.json in it (run `cdk synth` first)")
    return templates


def synthesize() -> dict[str, dict[str, Any]]:
    """Every stack of the CDK app, synthesized here (offline, as infra/tests do), with one sample preview."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    try:
        from macro_ai_infra.app import build_app  # the infra package is a workspace sibling, not a dependency
    except ImportError:
        raise CostDataError(
            "the CDK app (macro_ai_infra) is not installed here: pass --templates DIR (a cdk.out folder)"
        ) from None
    with tempfile.TemporaryDirectory(prefix="macro-deploy-cost-") as outdir:
        build_app(outdir=outdir, context={"pr": SAMPLE_PR}).synth()
        return read_dir(Path(outdir))


@dataclass(frozen=True)
class Part:
    inventory: Inventory
    copies: int  # 1, or the open previews for a pull request's stack


@dataclass(frozen=True)
class LoadBalancerShare:
    stack: str
    load_balancer: LoadBalancer
    fraction: float
    tenants: int  # services routed through it, counting each open preview


@dataclass(frozen=True)
class Deployment:
    profile: str
    parts: tuple[Part, ...]
    load_balancers: tuple[LoadBalancerShare, ...]


class Landscape:
    """All the templates read, and who uses which load balancer."""

    def __init__(self, templates: dict[str, dict[str, Any]], loads: Loads) -> None:
        self.inventories = {name: read_template(name, t) for name, t in templates.items()}
        self.loads = loads
        table = load_environments()
        self.stacks = {env.name: str(env.stack_name) for env in table.deployed()}
        self.preview_shared = table.preview_shared_stack
        self.preview_prefix = table.preview_stack_prefix
        self.exports = {
            name: (stack, lb) for stack, inv in self.inventories.items() for name, lb in inv.exports.items()
        }
        self.inventories = {name: self._with_imported_clusters(inv) for name, inv in self.inventories.items()}

    def _with_imported_clusters(self, inventory: Inventory) -> Inventory:
        """A service on another stack's cluster (imported by export) has that cluster's Container Insights."""
        services = []
        for service in inventory.services:
            owner = self.exports.get(service.cluster or "")
            if owner and owner[1] in self.inventories[owner[0]].insights_clusters:
                service = replace(service, container_insights=True)
            services.append(service)
        return replace(inventory, services=tuple(services))

    def _inventory(self, stack: str, profile: str) -> Inventory:
        try:
            return self.inventories[stack]
        except KeyError:
            raise CostDataError(
                f"{profile}: no template for stack {stack} among the templates read"
            ) from None

    def parts(self, profile: str) -> tuple[Part, ...]:
        if profile != PREVIEW:
            if profile not in self.stacks:
                raise CostDataError(
                    f"unknown environment {profile!r} (expected {', '.join(profile_names())})"
                )
            return (Part(self._inventory(self.stacks[profile], profile), 1),)
        previews = sorted(s for s in self.inventories if s.startswith(self.preview_prefix))
        if not previews:
            raise CostDataError(f"preview: no {self.preview_prefix}<n> template (synth with -c pr=<n>)")
        open_previews = self.loads.of(PREVIEW).open_previews
        shared = self._inventory(self.preview_shared, profile)
        return (Part(shared, 1), Part(self.inventories[previews[0]], open_previews))

    def _tenants(self) -> dict[tuple[str, str], dict[str, int]]:
        """(stack, load balancer) -> profile -> services routed through it."""
        tenants: dict[tuple[str, str], dict[str, int]] = {}
        for profile in self._profiles_present():
            for part in self.parts(profile):
                weight = part.copies * len(part.inventory.services)
                owned = [(part.inventory.stack, lb.logical_id) for lb in part.inventory.load_balancers]
                borrowed = [self.exports[e] for e in part.inventory.borrowed_listeners if e in self.exports]
                for key in owned + borrowed:
                    per = tenants.setdefault(key, {})
                    per[profile] = per.get(profile, 0) + weight
        return tenants

    def _profiles_present(self) -> list[str]:
        present = [p for p, stack in self.stacks.items() if stack in self.inventories]
        if self.preview_shared in self.inventories and any(
            s.startswith(self.preview_prefix) for s in self.inventories
        ):
            present.append(PREVIEW)
        return present

    def deployment(self, profile: str) -> Deployment:
        parts = self.parts(profile)
        shares = []
        for (stack, lb_id), per in self._tenants().items():
            owner = any(p.inventory.stack == stack for p in parts)
            total = sum(per.values())
            # nobody routes through it (no preview open): its owner pays for it
            fraction = per.get(profile, 0) / total if total else float(owner)
            if fraction > 0:
                lb = next(b for b in self.inventories[stack].load_balancers if b.logical_id == lb_id)
                shares.append(LoadBalancerShare(stack, lb, fraction, total))
        for part in parts:
            if part.inventory.adopted_listeners and part.copies:
                # the existing platform's load balancer, now carrying this service: priced in full
                azs = self.loads.legacy_default.load_balancer_azs
                adopted = LoadBalancer(ADOPTED, azs, internet_facing=True)
                shares.append(LoadBalancerShare(f"{part.inventory.stack} (adopted)", adopted, 1.0, 1))
            for export in part.inventory.borrowed_listeners:
                if export not in self.exports:
                    raise CostDataError(
                        f"{part.inventory.stack} routes through {export}, exported by no template read"
                    )
        return Deployment(profile, parts, tuple(shares))
