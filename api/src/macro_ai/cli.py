"""``macro-ai``: serve the API and manage its database.

    macro-ai serve [--reload]        run the HTTP server (graceful drain on SIGTERM)
    macro-ai db upgrade [REVISION]   apply migrations (safe to run from several tasks at once)
    macro-ai db downgrade REVISION   revert migrations
    macro-ai db current              print the applied revision
    macro-ai check-config            validate configuration and exit

Configuration problems print one line per item on stderr and exit with status 78 (EX_CONFIG).
"""

from __future__ import annotations

import gc

# Start-up builds hundreds of thousands of objects that live as long as the process, so collecting
# while importing is wasted work (about a tenth of the imports' time, measured). `serve` freezes them
# and turns collection back on once it serves (macro_ai.server); every other path turns it on at once.
gc.disable()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

from macro_ai.config import ConfigError, Settings, load_settings  # noqa: E402

EX_CONFIG = 78


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as error:
        for problem in error.problems:
            print(f"configuration error: {problem}", file=sys.stderr)
        raise SystemExit(EX_CONFIG) from None


def app_from_environment() -> object:
    """Factory for uvicorn's reload mode, which imports the app in a child process."""
    from macro_ai.logs import configure_logging
    from macro_ai.main import create_app

    gc.enable()  # development: the reloading server is uvicorn's own, which does not freeze
    settings = _settings_or_exit()
    configure_logging(settings.log_level)
    return create_app(settings)


def _serve(reload: bool) -> int:
    import uvicorn

    settings = _settings_or_exit()
    if reload:
        uvicorn.run(
            "macro_ai.cli:app_from_environment",
            factory=True,
            reload=True,
            reload_dirs=[str(Path(__file__).resolve().parent)],
            server_header=False,
            host=settings.server_host,
            port=settings.server_port,
            access_log=False,
            # As in production: client IPs come from TRUSTED_PROXY_HOPS only. uvicorn's own default
            # would trust X-Forwarded-For from 127.0.0.1 and let any local caller dodge rate limits.
            proxy_headers=False,
        )
        return 0

    from macro_ai.lifecycle import Lifecycle
    from macro_ai.logs import configure_logging
    from macro_ai.main import create_app
    from macro_ai.server import draining_server

    configure_logging(settings.log_level)
    lifecycle = Lifecycle()
    # Readiness first, the feature routes in the background (macro_ai.feature_loader).
    app = create_app(settings, lifecycle, defer_features=True)
    server = draining_server(
        app, settings.server_host, settings.server_port, lifecycle, settings.shutdown_drain_seconds
    )
    # run(), not asyncio.run(serve()): run() installs the configured loop (uvloop); the stdlib loop
    # cost a third of the CPU of a request in a profile (socket writes, scheduling).
    server.run()
    return 0 if server.started else 1


def _db(action: str, revision: str | None) -> int:
    from macro_ai.db import migrate
    from macro_ai.logs import configure_logging

    settings = _settings_or_exit()
    configure_logging(settings.log_level)
    url = settings.relational_database_url.get_secret_value()
    if action == "upgrade":
        migrate.upgrade(url, revision or "head")
    elif action == "downgrade":
        if not revision:
            print("db downgrade needs a revision (e.g. base or -1)", file=sys.stderr)
            return 2
        migrate.downgrade(url, revision)
    else:
        print(asyncio.run(migrate.current_revision(url)) or "none")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="macro-ai", description="The Macro AI API service.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    db = commands.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("revision", nargs="?")
    commands.add_parser("check-config", help="validate configuration and exit")
    args = parser.parse_args(argv)

    if args.command == "serve" and not args.reload:
        return _serve(reload=False)  # the server turns collection back on once it serves
    gc.enable()
    if args.command == "serve":
        return _serve(reload=True)
    if args.command == "db":
        return _db(args.action, args.revision)
    settings = _settings_or_exit()
    print(f"configuration ok for {settings.app_env}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
