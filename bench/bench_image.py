"""The production image: size per layer, cold build, rebuild after a one-line code change (median of
REBUILDS runs), and time from `docker run` to the first 200 on /api/health/ready.

    python bench/bench_image.py        (uses docker, or sets up the container engine kit)
    BENCH_IMAGE_TAG=macro-ai-api:mine BENCH_REBUILDS=5 python bench/bench_image.py

The tag defaults to macro-ai-api:bench; give a tag of your own where several people share one image store.
BENCH_BUILD chooses how the rebuilds build: `make-image` (default: api/build-image.sh, as `make image`)
or `one-command` (`docker build -f api/Dockerfile .`, every stage). BENCH_REF clones another commit
(e.g. an older one, to compare in the same minutes; with `one-command` if it predates build-image.sh).
BENCH_COLD=0 skips the cold build.

Works on a clone in a temporary folder, so the working tree is never touched. The cold build is one
command with --no-cache (no layer reuse); uv's download cache (a build cache mount) stays warm, as on
a CI runner with a cache. Aims: rebuild < 10 s, run-to-ready < 2 s.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "container"))

from container_support import HARDENED, KIT, docker_works, kit_environment, setup_kit  # noqa: E402
from macro_ai_devstack.testing import free_port  # noqa: E402

TAG = os.environ.get("BENCH_IMAGE_TAG", "macro-ai-api:bench")
REBUILDS = int(os.environ.get("BENCH_REBUILDS", "3"))
BUILD = os.environ.get("BENCH_BUILD", "make-image")
REF = os.environ.get("BENCH_REF", "HEAD")
COLD = os.environ.get("BENCH_COLD", "1") != "0"
BASE = "python:3.11-slim-bookworm"


def docker(env: dict[str, str], *args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(["docker", *args], env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)}: {result.stderr[-2000:]}")
    return result.stdout


def timed_build(env: dict[str, str], checkout: Path, *extra: str, how: str = BUILD) -> float:
    started = time.monotonic()
    if how == "make-image":
        argv = ["bash", "api/build-image.sh", TAG, *extra]
        result = subprocess.run(argv, env=env, cwd=checkout, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: {result.stderr[-2000:]}")
    elif how == "one-command":
        docker(env, "build", *extra, "-f", "api/Dockerfile", "-t", TAG, ".", cwd=checkout)
    else:
        raise SystemExit(f"BENCH_BUILD={how!r}: choose make-image or one-command")
    return time.monotonic() - started


def image_history(env: dict[str, str]) -> list[tuple[int, str]]:
    """(bytes, instruction) per layer, newest first. podman prints JSON (its templates give "675 kB");
    Docker 20.10 has no JSON format, and a template with --human=false gives bytes."""
    out = docker(env, "history", "--no-trunc", "--format", "json", TAG)
    with contextlib.suppress(json.JSONDecodeError):
        return [
            (int(layer.get("Size", layer.get("size", 0)) or 0), str(layer.get("CreatedBy", "")))
            for layer in json.loads(out or "[]")
        ]
    out = docker(env, "history", "--no-trunc", "--human=false", "--format", "{{.Size}}\t{{.CreatedBy}}", TAG)
    layers = []
    for line in out.splitlines():
        size, _, created = line.partition("\t")
        layers.append((int(size or 0), created))
    return layers


def layer_sizes(env: dict[str, str]) -> dict[str, int]:
    """Bytes per part, from the image history (newest layer first)."""
    history = image_history(env)
    base_size = int(json.loads(docker(env, "image", "inspect", BASE))[0]["Size"])
    parts = {"base": base_size, "dependencies": 0, "app": 0, "other": 0}
    for size, created in history:
        if "COPY" not in created.upper():
            continue
        # the two COPY layers of the runtime stage, newest first: the app, then the virtualenv
        if parts["app"] == 0:
            parts["app"] = size
        elif parts["dependencies"] == 0:
            parts["dependencies"] = size
    total = int(json.loads(docker(env, "image", "inspect", TAG))[0]["Size"])
    parts["other"] = max(total - sum(parts.values()), 0)
    parts["total"] = total
    return parts


def layer_table(env: dict[str, str]) -> list[str]:
    """Every layer of the image with a size, oldest first: what makes up the total."""
    rows = []
    for size, instruction in reversed(image_history(env)):
        if size < 1000:
            continue
        created = " ".join(instruction.split())
        created = created.removeprefix("/bin/sh -c ").removeprefix("#(nop) ")
        rows.append(f"| {size / 1_000_000:.2f} MB | `{created[:90]}` |")
    return rows


def run_to_ready(env: dict[str, str], runs: int = 5) -> list[float]:
    suffix = uuid.uuid4().hex[:8]
    network, db = f"bench-net-{suffix}", f"bench-db-{suffix}"
    docker(env, "network", "create", network)
    names = [db]
    try:
        docker(env, "run", "-d", "--name", db, "--network", network, "-e", "POSTGRES_PASSWORD=bench",
               "-e", "POSTGRES_DB=macro_ai", "pgvector/pgvector:pg18")  # fmt: skip
        for _ in range(120):
            probe = ["docker", "exec", db, "pg_isready", "-h", "127.0.0.1", "-U", "postgres"]
            if subprocess.run(probe, env=env, capture_output=True, check=False).returncode == 0:
                break
            time.sleep(0.5)
        service = {
            "APP_ENV": "pr-1",
            "API_KEY": "bench-api-key-0123456789abcdef0123456789",
            "COOKIE_ENCRYPTION_KEY": "cd" * 32,
            "AWS_COGNITO_USER_POOL_ID": "us-east-1_bench",
            "AWS_COGNITO_USER_POOL_CLIENT_ID": "bench",
            "AWS_COGNITO_USER_POOL_SECRET_KEY": "bench",
            "RELATIONAL_DATABASE_URL": f"postgresql://postgres:bench@{db}:5432/macro_ai",
            "AI_PROVIDER": "offline",
        }
        env_args = [arg for key, value in service.items() for arg in ("-e", f"{key}={value}")]
        docker(env, "run", "--rm", "--network", network, *HARDENED, *env_args, TAG, "db", "upgrade")
        timings = []
        for index in range(runs):
            name = f"bench-api-{suffix}-{index}"
            names.append(name)
            port = free_port()
            started = time.monotonic()
            docker(env, "run", "-d", "--name", name, "--network", network, *HARDENED,
                   "-p", f"127.0.0.1:{port}:3040", *env_args, TAG)  # fmt: skip
            deadline = started + 60
            while time.monotonic() < deadline:
                try:
                    url = f"http://127.0.0.1:{port}/api/health/ready"
                    with urllib.request.urlopen(url, timeout=1) as response:
                        if response.status == 200:
                            break
                except OSError:
                    time.sleep(0.01)
            timings.append(time.monotonic() - started)
            docker(env, "rm", "-f", name)
        return timings
    finally:
        for name in names:
            subprocess.run(["docker", "rm", "-f", "-v", name], env=env, capture_output=True, check=False)
        subprocess.run(["docker", "network", "rm", network], env=env, capture_output=True, check=False)


def engine_environment() -> tuple[dict[str, str], str]:
    if docker_works(os.environ):
        shim = Path(shutil.which("docker") or "").resolve()
        if shim.is_relative_to(KIT.resolve()):  # the kit's env.sh was sourced
            return dict(os.environ), f"container engine kit ({KIT.name}: podman/buildah)"
        return dict(os.environ), "docker"
    setup_kit()
    return kit_environment(), f"container engine kit ({KIT.name}: podman/buildah)"


def main() -> list[str]:
    env, engine = engine_environment()
    with tempfile.TemporaryDirectory() as folder:
        checkout = Path(folder) / "macro-ai"
        clone = ["git", "clone", "--quiet", str(REPO), str(checkout)]
        subprocess.run(clone, check=True)
        subprocess.run(["git", "-C", str(checkout), "checkout", "--quiet", REF], check=True)
        if BUILD == "make-image" and not (checkout / "api" / "build-image.sh").exists():
            raise SystemExit(f"{REF} has no api/build-image.sh: use BENCH_BUILD=one-command")
        cold = timed_build(env, checkout, "--no-cache", how="one-command") if COLD else None
        warm = timed_build(env, checkout)  # the first make-image builds missing dependency images here
        router = checkout / "api" / "src" / "macro_ai" / "health" / "router.py"
        rebuilds = []
        for index in range(REBUILDS):
            # unique: an engine that keys its cache on content (BuildKit) would reuse an earlier run's result
            router.write_text(router.read_text() + f"\n# a one-line change {index} {uuid.uuid4().hex}\n")
            rebuilds.append(timed_build(env, checkout))
        rebuild = statistics.median(rebuilds)
    sizes = layer_sizes(env)
    ready = run_to_ready(env)
    mb = 1_000_000
    revision = subprocess.run(["git", "rev-parse", "--short", REF], cwd=REPO, capture_output=True, text=True)
    return [
        f"Engine: {engine}. Commit {revision.stdout.strip()}, rebuilds with {BUILD}.",
        "",
        "| measure | value | aim |",
        "|---|---|---|",
        f"| image size, total | {sizes['total'] / mb:.0f} MB | |",
        f"| - base ({BASE}) | {sizes['base'] / mb:.0f} MB | |",
        f"| - dependencies (the virtualenv) | {sizes['dependencies'] / mb:.0f} MB | |",
        f"| - app (macro_ai package, entry point) | {sizes['app'] / mb:.2f} MB | |",
        f"| - other (user, metadata) | {sizes['other'] / mb:.2f} MB | |",
        f"| cold build, one command (--no-cache, uv download cache warm) "
        f"| {'skipped' if cold is None else f'{cold:.1f} s'} | |",
        f"| build with nothing changed | {warm:.1f} s | |",
        f"| rebuild after a one-line code change (median of {len(rebuilds)}) "
        f"| {rebuild:.1f} s ({min(rebuilds):.1f}-{max(rebuilds):.1f}) | < 10 s |",
        f"| `docker run` to first 200 on /api/health/ready (median of {len(ready)}) "
        f"| {statistics.median(ready):.2f} s (min {min(ready):.2f}, max {max(ready):.2f}) | < 2 s |",
        "",
        "| layer size | instruction |",
        "|---|---|",
        *layer_table(env),
    ]


if __name__ == "__main__":
    print("\n".join(main()))
