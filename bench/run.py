"""`make bench`: every benchmark, printed as Markdown for docs/benchmarks.md."""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import subprocess

import bench_api
import bench_chats

CAPACITY = Path(__file__).resolve().parents[1] / "docs" / "capacity.json"


def record_capacity(figures: dict[str, float], measures: dict[str, float] | None = None) -> None:
    """Per-worker throughput for `macro-deploy cost` (one worker uses at most one vCPU), and what a request
    costs besides CPU (log bytes, memory); keeps the figures of benchmarks not run this time."""
    try:
        data = json.loads(CAPACITY.read_text())
    except (OSError, ValueError):
        data = {"vcpus_per_worker": 1, "sizing_endpoint": "GET /api/chats", "requests_per_second": {}}
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "make bench" + (f" BENCH={' '.join(sys.argv[1:])}" if sys.argv[1:] else "")
    data["requests_per_second"].update({k: round(v) for k, v in figures.items()})
    data.setdefault("measured_by_endpoint", {}).update({k: f"{now} ({command})" for k in figures})
    for key, value in (measures or {}).items():
        data[key] = round(value)
        data.setdefault("measured", {})[key] = f"{now} ({command}, {data['sizing_endpoint']} under wrk)"
    data["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} cores shared by wrk, the API (one worker) and PostgreSQL"
    )
    CAPACITY.write_text(json.dumps(data, indent=2) + "\n")
    print(f"\nPer-worker throughput written to {CAPACITY.relative_to(CAPACITY.parents[1])}.")


def main() -> int:
    selected = set(sys.argv[1:]) or {"api", "chats", "image", "infra"}
    figures: dict[str, float] = {}
    measures: dict[str, float] = {}
    print(
        f"# Benchmarks, {datetime.date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores\n"
    )
    if "api" in selected:
        print(
            "## API foundation (server pinned to core 0 with taskset, wrk -t1 -c50 -d10s on core 1, "
            "one worker, request logging on)\n"
        )
        print("\n".join(bench_api.main(figures=figures)))
    if "chats" in selected:
        print("\n## Accounts and chats (pinned as above; 30 streamed replies from a local fake provider)\n")
        print("\n".join(bench_chats.main(figures=figures, measures=measures)))
    if figures:
        record_capacity(figures, measures)
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
