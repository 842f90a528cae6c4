"""``python -m macro_ai_devstack.emulator``: the Cognito emulator as a service of its own (compose).

Creates the user pool and app client, pins the client secret to ``AWS_COGNITO_USER_POOL_SECRET_KEY``
and prints the configuration the API needs. With the HASH id strategies the ids are the same on
every start, so the compose env file can name them in advance.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from macro_ai_devstack.cognito import create_pool, deterministic_ids, start_emulator


def main() -> int:
    parser = argparse.ArgumentParser(description="moto cognito-idp with the Macro AI pool and client")
    parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 - inside a container
    parser.add_argument("--port", type=int, default=3041)
    parser.add_argument("--public-url", default=None, help="URL the API uses to reach the emulator")
    args = parser.parse_args()

    deterministic_ids()
    server = start_emulator(args.port, args.host)
    pool = create_pool(
        f"http://127.0.0.1:{args.port}", client_secret=os.environ.get("AWS_COGNITO_USER_POOL_SECRET_KEY")
    )
    public = args.public_url or pool.endpoint_url
    for key, value in pool.environment().items():
        if key != "AWS_COGNITO_USER_POOL_SECRET_KEY":
            print(f"{key}={value.replace(pool.endpoint_url, public)}", flush=True)
    print(f"emulator ready on {args.host}:{args.port}", flush=True)

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
