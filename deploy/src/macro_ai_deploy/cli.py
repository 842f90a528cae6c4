"""macro-deploy: ship, roll back, migrate traffic, manage previews and configuration for Macro AI.

This module only parses and dispatches: each verb group lives in macro_ai_deploy.commands.<group>.
Exit codes: macro_ai_deploy.exitcodes and docs/deploy.md.
"""

from __future__ import annotations

from typing import Annotated

import typer

from macro_ai_deploy.commands import config, cost, deploy, image, migrate, preview, rehearse, status
from macro_ai_deploy.failures import SafeGroup
from macro_ai_deploy.runtime import Runtime

__all__ = ["Runtime", "app"]

app = typer.Typer(
    cls=SafeGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    help="Operator CLI for Macro AI: images, deploys, rollbacks, traffic migration, previews, "
    "configuration. Exit codes: docs/deploy.md.",
)


@app.callback()
def main(
    ctx: typer.Context,
    region: Annotated[str | None, typer.Option(help="AWS region (default: AWS_REGION / profile).")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile (default: AWS_PROFILE).")] = None,
) -> None:
    rt = ctx.obj if isinstance(ctx.obj, Runtime) else Runtime()
    rt.region = region or rt.region
    rt.profile = profile or rt.profile
    ctx.obj = rt


app.command("deploy")(deploy.deploy)
app.command("rollback")(deploy.rollback)
app.command("wait")(deploy.wait)
app.command("db-migrate")(deploy.db_migrate)
app.command("status")(status.status)
app.command("cost")(cost.cost)
app.command("rehearse")(rehearse.rehearse_command)
app.add_typer(image.app, name="image")
app.add_typer(migrate.app, name="migrate")
app.add_typer(preview.app, name="preview")
app.add_typer(config.app, name="config")


if __name__ == "__main__":  # pragma: no cover
    app()
