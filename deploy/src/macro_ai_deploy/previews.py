"""Per-PR preview environments: CDK deploy command, listing, expiry and reaping."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from macro_ai_contract import load_environments

from macro_ai_deploy.aws.cfn import StackInfo
from macro_ai_deploy.envs import preview

EXPIRES_TAG = "macro-ai:expires-at"
PREVIEW_TAG = "macro-ai:preview"


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def cdk_deploy_command(
    pr: int,
    image_tag: str,
    expires_at: datetime,
    cdk: Sequence[str] = ("npx", "cdk"),
    context_key: str = "pr",
) -> list[str]:
    """The CDK app (infra/app.py) adds the preview stack for `-c pr=<n>` and tags it with `-c expires_at`."""
    env = preview(pr)
    return [
        *cdk,
        "deploy",
        env.stack_name,
        "--require-approval",
        "never",
        "--context",
        f"{context_key}={env.pr}",
        "--context",
        f"expires_at={iso(expires_at)}",
        "--parameters",
        f"{env.stack_name}:ImageTag={image_tag}",
        "--outputs-file",
        f"cdk-outputs-{env.name}.json",
    ]


@dataclass(frozen=True)
class Preview:
    stack: StackInfo
    expires_at: datetime | None

    @property
    def name(self) -> str:
        env = load_environments().preview_of_stack(self.stack.name)
        return env.name if env else self.stack.name


def stack_prefix() -> str:
    return load_environments().preview_stack_prefix


def previews(stacks: Sequence[StackInfo]) -> list[Preview]:
    return [
        Preview(s, parse_iso(s.tags.get(EXPIRES_TAG, "")))
        for s in stacks
        if load_environments().preview_of_stack(s.name) is not None
    ]


def reapable(items: Sequence[Preview], now: datetime, older_than: timedelta) -> list[tuple[Preview, str]]:
    """Previews past their expires-at tag, or created longer ago than `older_than`."""
    out: list[tuple[Preview, str]] = []
    for p in items:
        if p.stack.status == "DELETE_IN_PROGRESS":
            continue
        if p.expires_at is not None and p.expires_at <= now:
            out.append((p, f"expired at {iso(p.expires_at)}"))
        elif p.stack.created is not None and now - p.stack.created >= older_than:
            out.append((p, f"created {iso(p.stack.created)}, older than {older_than}"))
    return out
