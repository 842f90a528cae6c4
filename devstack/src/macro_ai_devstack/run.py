"""``make run``: the service on the embedded defaults, one command, Ctrl-C stops everything.

Starts PostgreSQL (data in ``.data/postgres``, git-ignored; ``DEV_DATA_DIR`` moves it) and the
Cognito emulator, applies the
migrations, then runs ``macro-ai serve --reload`` with that configuration on 127.0.0.1:3040.
A server left running by a crashed earlier run is stopped first.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

from macro_ai_devstack.cognito import create_pool, start_emulator
from macro_ai_devstack.postgres import LocalPostgres

ROOT = Path(__file__).resolve().parents[3]
POSTGRES_PORT = int(os.environ.get("DEV_POSTGRES_PORT", "5433"))
EMULATOR_PORT = int(os.environ.get("DEV_COGNITO_PORT", "3041"))
DATA_DIR = Path(os.environ.get("DEV_DATA_DIR") or ROOT / ".data")

# Development-only placeholders: not secrets, printed on purpose. A .env file overrides them.
DEVELOPMENT_DEFAULTS = {
    "APP_ENV": "development",
    "API_KEY": "local-development-api-key-not-a-secret",
    "COOKIE_ENCRYPTION_KEY": "00" * 32,
    "COOKIE_DOMAIN": "localhost",
    "CORS_ALLOWED_ORIGINS": "http://localhost:3000",
    "AI_PROVIDER": "offline",
    "LOG_LEVEL": "info",
}


def main() -> int:
    postgres = LocalPostgres(DATA_DIR / "postgres", POSTGRES_PORT)
    if postgres.stop_stale():
        print("stopped a PostgreSQL left running by an earlier run", flush=True)
    emulator = None
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, _: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        database_url = postgres.start()
        emulator = start_emulator(EMULATOR_PORT)
        pool = create_pool(f"http://127.0.0.1:{EMULATOR_PORT}")
        environment = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",  # the emulator accepts any credentials
            **{key: value for key, value in DEVELOPMENT_DEFAULTS.items() if key not in os.environ},
            **pool.environment(),
            "RELATIONAL_DATABASE_URL": database_url,
        }
        executable = str(Path(sys.executable).with_name("macro-ai"))
        subprocess.run([executable, "db", "upgrade"], env=environment, check=True, cwd=ROOT)  # noqa: S603
        address = f"http://127.0.0.1:{environment.get('SERVER_PORT', '3040')}"
        print(
            f"\nMacro AI is starting on {address} (docs: {address}/api/docs)\n"
            f"  X-API-KEY: {environment['API_KEY']}\n"
            f"  PostgreSQL: {database_url}\n"
            f"  Cognito emulator: {pool.endpoint_url}\n"
            f"    user pool id: {pool.user_pool_id}\n"
            f"    app client id: {pool.client_id}\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        child = subprocess.Popen([executable, "serve", "--reload"], env=environment, cwd=ROOT)  # noqa: S603
        return child.wait()
    except KeyboardInterrupt:
        return 0
    except subprocess.CalledProcessError as error:
        detail = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else error.stderr
        command = Path(str(error.cmd[0])).name
        print(
            f"make run: {command} failed (exit {error.returncode}): {detail or 'see above'}", file=sys.stderr
        )
        return 1
    finally:
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=10)
            if child.poll() is None:
                child.kill()
        if emulator is not None:
            emulator.stop()
        postgres.stop()
        print("stopped PostgreSQL and the Cognito emulator", flush=True)


if __name__ == "__main__":
    sys.exit(main())
