"""`make bench`: every benchmark, printed as Markdown for docs/benchmarks.md."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_api
import bench_chats


def main() -> int:
    selected = set(sys.argv[1:]) or {"api", "chats"}
    print(
        f"# Benchmarks, {datetime.date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores\n"
    )
    if "api" in selected:
        print("## API foundation (wrk -t1 -c32 -d10s, one worker, request logging on)\n")
        print("\n".join(bench_api.main()))
    if "chats" in selected:
        print("\n## Accounts and chats (wrk -t1 -c32 -d10s; 30 streamed replies from a local fake provider)\n")
        print("\n".join(bench_chats.main()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
