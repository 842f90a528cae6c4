"""Benchmark (not a test): time to synthesize every stack, and to run the infra test suite.

    .venv/bin/python bench/bench_infra.py [--runs N] [--skip-tests]

Prints one line per figure; record the latest results in docs/infra.md (and docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INFRA = ROOT / "infra"


def synth_once(pr: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            CDK_OUTDIR=out,
            CDK_CONTEXT_JSON=json.dumps({"pr": str(pr), "expires_at": "2030-01-01T00:00:00Z"}),
            JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        )
        start = time.perf_counter()
        subprocess.run([sys.executable, "app.py"], cwd=INFRA, env=env, check=True, capture_output=True)
        elapsed = time.perf_counter() - start
        stacks = sorted(p.name for p in Path(out).glob("*.template.json"))
        if len(stacks) != 5:
            raise SystemExit(f"expected 5 templates, got {stacks}")
        return elapsed


def tests_once() -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "infra/tests", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-tests", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} cpu, python {platform.python_version()}")
    synths = [synth_once(pr=100 + i) for i in range(args.runs)]
    print(
        f"synth all 5 stacks (python app.py, cdk-nag on): median {statistics.median(synths):.1f} s "
        f"(min {min(synths):.1f}, max {max(synths):.1f}, n={len(synths)})"
    )
    if not args.skip_tests:
        print(f"infra test suite (pytest infra/tests): {tests_once():.1f} s")


if __name__ == "__main__":
    main()
