"""The CDK app: every long-lived environment, the shared preview platform, and one preview per ``-c pr=<n>``.

Synthesizes offline with no AWS credentials: stacks are account-agnostic, the hosted zone and (optionally)
an existing VPC come from profile data, and no construct performs a context lookup.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks
from macro_ai_contract import UnknownEnvironmentError, load_contract, load_environments

from macro_ai_infra.profile import SharedPlatform
from macro_ai_infra.profiles import deployed_profiles, preview_profile, with_overrides
from macro_ai_infra.stacks.environment import EnvironmentStack
from macro_ai_infra.stacks.preview import PreviewSharedStack, PreviewStack


def parse_pr(value: object) -> int | None:
    """``-c pr=<n>`` (or ``pr-<n>``): the pull request whose preview stack to add, by the table's pattern."""
    if value in (None, ""):
        return None
    try:
        env = load_environments().preview(str(value))
    except UnknownEnvironmentError:
        raise ValueError(f"context pr must be a pull request number, got {value!r}") from None
    return env.pr


def default_expiry(ttl_hours: int, now: dt.datetime | None = None) -> str:
    """Now + TTL, rounded down to the hour so repeated synths of one deploy agree."""
    base = (now or dt.datetime.now(dt.UTC)).replace(minute=0, second=0, microsecond=0)
    return (base + dt.timedelta(hours=ttl_hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_app(app: App | None = None, **app_kwargs: Any) -> App:
    app = app or App(**app_kwargs)
    contract = load_contract()

    def ctx(key: str) -> Any:
        return app.node.try_get_context(key)

    overrides = {key: ctx(key) for key in ("domain_name", "hosted_zone_id")}
    preview = with_overrides(preview_profile(), overrides)
    shared = PreviewSharedStack(app, profile=preview, contract=contract)
    for profile in deployed_profiles():
        stack = EnvironmentStack(app, profile=with_overrides(profile, overrides), contract=contract)
        if isinstance(profile.platform, SharedPlatform):
            stack.add_stack_dependency(shared)  # it imports the shared platform's exports
    pr = parse_pr(ctx("pr"))
    if pr is not None:
        PreviewStack(
            app,
            profile=preview,
            contract=contract,
            pr=pr,
            expires_at=str(ctx("expires_at") or default_expiry(preview.preview_ttl_hours)),
        )
    # cdk-nag v3 reports through CDK policy validation: any unacknowledged finding fails the synth.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def main() -> None:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    build_app().synth()


if __name__ == "__main__":
    main()
