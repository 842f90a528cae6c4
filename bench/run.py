"""`make bench`: every benchmark, printed as Markdown for docs/benchmarks.md."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import subprocess

import bench_api
import bench_chats


def main() -> int:
    selected = set(sys.argv[1:]) or {"api", "chats", "image", "infra"}
    print(
        f"# Benchmarks, {datetime.date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores\n"
    )
    if "api" in selected:
        print(
            "## API foundation (server pinned to core 0 with taskset, wrk -t1 -c50 -d10s on core 1, "
            "one worker, request logging on)\n"
        )
        print("\n".join(bench_api.main()))
    if "chats" in selected:
        print("\n## Accounts and chats (pinned as above; 30 streamed replies from a local fake provider)\n")
        print("\n".join(bench_chats.main()))
    if "image" in selected:
        import bench_image

        print("\n## Container image (docker or the podman kit)\n")
        print("\n".join(bench_image.main()))
    if "infra" in selected:
        print("\n## Infrastructure (CDK synth of every stack; the infra test suite)\n")
        print("```")
        sys.stdout.flush()
        subprocess.run([sys.executable, str(Path(__file__).with_name("bench_infra.py"))], check=True)
        print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
