"""Where the time goes: py-spy samples the pinned server while wrk drives one endpoint.

    python bench/profile.py [chats|system-info|live] OUTPUT.txt

Writes py-spy's collapsed stacks (one line per stack with its sample count) and prints the functions
with the most samples, inclusive. py-spy is not a project dependency: ``uv tool install py-spy``.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import bench_chats
import harness
import httpx
from macro_ai_devstack.testing import free_port

PATHS = {"chats": "/api/chats", "system-info": "/api/system-info", "live": "/api/health/live"}


def summarize(collapsed: Path, top: int = 40) -> list[str]:
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        for frame in set(stack.split(";")):
            inclusive[frame] += int(count)
    return [f"{count / total:6.1%}  {frame}" for frame, count in inclusive.most_common(top)]


def main() -> int:
    which, output = sys.argv[1], Path(sys.argv[2])
    py_spy = shutil.which("py-spy") or str(Path.home() / ".local/bin/py-spy")
    with harness.emulated_cognito() as pool, harness.database() as url:
        port = free_port()
        environment = harness.emulated_cognito_environment(url, pool.environment(), port)
        with harness.server([harness.macro_ai(), "serve"], environment, port, "/api/health/ready") as api:
            client = httpx.Client(base_url=api.url, headers={"X-API-KEY": harness.API_KEY}, timeout=30)
            auth, _ = bench_chats.signed_in_with_chats(client)
            headers = {"X-API-KEY": harness.API_KEY, **auth}
            load = threading.Thread(target=harness.wrk, args=(api, PATHS[which], headers, 12))
            load.start()
            subprocess.run(
                [
                    py_spy,
                    "record",
                    "-p",
                    str(api.pid),
                    "-d",
                    "10",
                    "-r",
                    "250",
                    "-f",
                    "raw",
                    "-o",
                    str(output),
                ],
                check=True,
                capture_output=True,
            )
            load.join()
    print("\n".join(summarize(output)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
