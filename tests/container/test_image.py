"""The production image, built from a clean checkout and run as ECS runs it.

PostgreSQL is the kit's ``pgvector/pgvector:pg18`` container on a network of its own, reached by
the API container by name, as a task reaches RDS; the tests reach it through a loopback port.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from container_support import (
    API_KEY,
    CONTRACT,
    HARDENED,
    PORT,
    REPO,
    BuiltImage,
    Database,
    Engine,
    env_args,
    service_env,
    wait_for_status,
)

pytestmark = [pytest.mark.container, pytest.mark.timeout(1200)]

READY = CONTRACT["health"]["readiness"]


def inspect(engine: Engine, name: str) -> dict[str, Any]:
    data: list[dict[str, Any]] = json.loads(engine.run("inspect", name).stdout)
    return data[0]


def test_image_metadata(engine: Engine, image: BuiltImage) -> None:
    data = inspect(engine, image.tag)
    config = data["Config"]
    healthcheck = config.get("Healthcheck") or data["Healthcheck"]  # Docker | podman
    assert config["User"] == "10001:10001"
    assert f"{PORT}/tcp" in config["ExposedPorts"]
    assert config["StopSignal"] in {"SIGTERM", "15"}
    assert config["Entrypoint"] == ["macro-ai"]
    assert config["Cmd"] == ["serve"]
    assert CONTRACT["health"]["containerCheck"] in " ".join(healthcheck["Test"])
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == image.version
    assert labels["org.opencontainers.image.revision"] == image.revision
    assert labels["org.opencontainers.image.source"] == image.source
    print(f"\nimage built from a clean checkout in {image.seconds:.1f}s")


def test_image_holds_only_what_the_service_needs(engine: Engine, image: BuiltImage) -> None:
    listing = engine.run(
        "run", "--rm", "--network", "none", "--user", "0", "--entrypoint", "find", image.tag,
        "/", "-xdev", "-not", "-path", "/proc/*", "-not", "-path", "/sys/*", "-printf", "%y %p\\n",
    ).stdout.splitlines()  # fmt: skip
    kinds = dict(reversed(line.split(" ", 1)) for line in listing)
    listing = list(kinds)
    assert len(listing) > 1000, "the listing covers the whole filesystem"
    paths = set(listing)
    names = {path.rsplit("/", 1)[-1] for path in listing}
    assert "/app/.venv/bin/macro-ai" in paths
    assert any(p.endswith("/site-packages/macro_ai/migrations/env.py") for p in paths), "migrations ship"
    # /app holds the virtualenv and nothing else: no sources, lock file, pyproject or tests
    assert {p.split("/")[2] for p in paths if p.startswith("/app/")} == {".venv"}
    compilers = {"gcc", "cc", "c++", "g++", "clang", "ld", "as", "make"} | {
        n for n in names if n.startswith(("gcc-", "x86_64-linux-gnu-gcc", "aarch64-linux-gnu-gcc"))
    }
    binaries = {
        p for p in paths if p.startswith(("/usr/bin/", "/usr/local/bin/", "/bin/", "/app/.venv/bin/"))
    }
    assert {p.rsplit("/", 1)[-1] for p in binaries} & compilers == set(), "no compiler"
    # (the stand-in base image has an /etc/uv/ configuration folder; no uv program anywhere)
    assert [p for p in paths if p.rsplit("/", 1)[-1] in {"uv", "uvx"} and kinds[p] != "d"] == [], "no uv"
    assert not [p for p in paths if "/.cache" in p or p.endswith(("/pip/cache", "/.uv-cache"))], "no caches"
    assert not [p for p in paths if "/.git/" in p or p.endswith("/.git")], "no VCS data"
    assert ".env" not in names, "no local env files"
    in_app = [p for p in paths if p.startswith("/app/")]
    # test suites: ours never enter; those that wheels ship inside their packages are pruned
    assert not [p for p in in_app if kinds[p] == "d" and p.rsplit("/", 1)[-1] in {"tests", "_tests"}]
    ours = {p.name for p in REPO.glob("**/tests/**/test_*.py") if ".venv" not in p.parts}
    assert ours, "the repository's own test modules, by name"
    assert not [p for p in in_app if p.rsplit("/", 1)[-1] in ours | {"conftest.py"}], "no tests of ours"
    venv_pip = [p for p in paths if p.startswith("/app/.venv/") and "/pip/" in p]
    assert venv_pip == [], "the virtualenv has no installer"


PRUNE_PROBE = """
import json, pathlib, struct, boto3, botocore
site = pathlib.Path(botocore.__file__).parents[1]
def sections(path):  # section names of a 64-bit little-endian ELF file
    data = path.read_bytes()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    entsize, count, names_index = struct.unpack_from("<HHH", data, 0x3A)
    headers = [data[shoff + i * entsize: shoff + (i + 1) * entsize] for i in range(count)]
    names_at, = struct.unpack_from("<Q", headers[names_index], 0x18)
    for header in headers:
        start = names_at + struct.unpack_from("<I", header, 0)[0]
        yield data[start: data.index(b"\\0", start)].decode()
models = sorted(p.name for p in (site / "botocore" / "data").iterdir() if p.is_dir())
for service in models:
    boto3.client(service, region_name="us-east-1")
print(json.dumps({
    "models": models,
    "debug": [str(p) for p in site.rglob("*.so") if {".symtab", ".debug_info"} & set(sections(p))],
    "stubs": [str(p) for p in site.rglob("*.pyi")],
    "extensions": len(list(site.rglob("*.so"))),
}))
"""


def test_dependency_layer_holds_nothing_the_service_never_reads(engine: Engine, image: BuiltImage) -> None:
    """No debug symbols, no type stubs, botocore models of the listed AWS services only (and they load)."""
    out = engine.run(
        "run", "--rm", "--network", "none", *HARDENED, "--entrypoint", "python", image.tag, "-c", PRUNE_PROBE
    ).stdout  # fmt: skip
    found = json.loads(out.strip().splitlines()[-1])
    listed = re.search(r'AWS_SERVICES="([^"]+)"', (REPO / "api" / "Dockerfile").read_text())
    assert listed
    assert found["models"] == sorted(listed.group(1).split())
    assert found["extensions"] > 10, "compiled extensions are there, stripped"
    assert found["debug"] == []
    assert found["stubs"] == []


def test_dockerignore_keeps_local_files_out_of_the_context(
    engine: Engine, clean_checkout: Any, tmp_path: Any
) -> None:
    """What a build stage could ever see: every file the context delivers after .dockerignore."""
    probe = tmp_path / "probe.Dockerfile"
    probe.write_text("FROM python:3.11-slim-bookworm\nCOPY . /context\nRUN find /context -mindepth 1\n")
    tag = f"mact-probe-{uuid.uuid4().hex[:8]}"
    result = engine.run(
        "build", "--no-cache", "-f", str(probe), "-t", tag, ".", cwd=clean_checkout, timeout=300
    )
    engine.run("rmi", "-f", tag, check=False)
    found = {
        line.split("/context/", 1)[1]
        for line in (result.stdout + result.stderr).splitlines()
        if "/context/" in line
    }
    assert "uv.lock" in found
    assert "api/src/macro_ai/main.py" in found
    # the decoys the clean_checkout fixture planted, and what a checkout always has
    for unwanted in (".env", ".data", ".git", "api/tests", "docs", "tests", "README.md", ".venv", ".ci"):
        assert not [f for f in found if f == unwanted or f.startswith(unwanted + "/")], unwanted


def test_configuration_comes_only_from_the_environment(engine: Engine, image: BuiltImage) -> None:
    bare = engine.run("run", "--rm", "--network", "none", *HARDENED, image.tag, "check-config", check=False)
    assert bare.returncode == 78, bare.stdout + bare.stderr
    for item in ("API_KEY", "COOKIE_ENCRYPTION_KEY", "RELATIONAL_DATABASE_URL", "AWS_COGNITO_USER_POOL_ID"):
        assert f"{item}: is required but missing" in bare.stderr


def test_serves_hardened_as_a_non_root_user(engine: Engine, migrated: Database, run_api: Any) -> None:
    api = run_api(migrated)
    ready = wait_for_status(api.url + READY, 200, 60)
    assert ready.json()["status"] == "ready"
    assert engine.health_wait(api.name, 60) == 0, "the image's HEALTHCHECK turns healthy"
    assert engine.run("exec", api.name, "id", "-u").stdout.strip() == "10001"
    status = engine.run("exec", api.name, "cat", "/proc/1/status").stdout
    uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
    assert uids == ["10001"] * 4, "PID 1 (the server) runs as 10001, real/effective/saved/fs"
    capabilities = next(line for line in status.splitlines() if line.startswith("CapEff:")).split()[1]
    assert int(capabilities, 16) == 0, "no capabilities"
    assert next(line for line in status.splitlines() if line.startswith("NoNewPrivs:")).split()[1] == "1"
    write = engine.run("exec", api.name, "python", "-c", "open('/app/x', 'w')", check=False)
    assert write.returncode != 0
    assert "Read-only file system" in write.stderr or "Permission denied" in write.stderr
    host = inspect(engine, api.name)["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    docs = httpx.get(api.url + "/api/docs", timeout=5)
    assert docs.status_code == 200


async def test_migrations_run_only_when_asked(
    engine: Engine, image: BuiltImage, migrated: Database, run_api: Any
) -> None:
    name = "fresh_" + uuid.uuid4().hex[:8]
    admin = await asyncpg.connect(migrated.url_from_host("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    fresh = migrated.url_in_network(name)
    api = run_api(migrated, RELATIONAL_DATABASE_URL=fresh)
    await asyncio.to_thread(wait_for_status, api.url + "/api/health/live", 200, 60)
    not_ready = await asyncio.to_thread(httpx.get, api.url + READY, timeout=5)
    assert not_ready.status_code == 503
    assert "migrations not applied" in not_ready.text, "serving never migrates by itself"
    engine.run(
        "run", "--rm", "--network", migrated.network, *HARDENED,
        *env_args(service_env(migrated, RELATIONAL_DATABASE_URL=fresh)), image.tag, "db", "upgrade",
    )  # fmt: skip
    await asyncio.to_thread(wait_for_status, api.url + READY, 200, 30)


async def test_stop_drains_a_request_in_flight(engine: Engine, migrated: Database, run_api: Any) -> None:
    drain = CONTRACT["shutdown"]["drainSeconds"]
    stop_timeout = CONTRACT["shutdown"]["stopTimeoutSeconds"]
    api = run_api(migrated, READINESS_TIMEOUT_SECONDS="10")
    await asyncio.to_thread(wait_for_status, api.url + READY, 200, 60)

    holder = await asyncpg.connect(migrated.url_from_host())
    observer = await asyncpg.connect(migrated.url_from_host())
    transaction = holder.transaction()
    await transaction.start()
    try:
        await holder.execute("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE")
        slow = asyncio.create_task(
            asyncio.to_thread(
                httpx.get, api.url + "/api/health/detailed", headers={"X-API-KEY": API_KEY}, timeout=60
            )
        )
        # the request is in flight: its query waits for our lock inside PostgreSQL
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            waiting = await observer.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE '%alembic_version%' AND pid <> pg_backend_pid()"
            )
            if waiting:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the slow request never reached the database")

        stop_started = time.monotonic()
        stop = engine.popen("stop", "-t", str(stop_timeout), api.name)
        # SIGTERM arrived: readiness answers 503 at once while the slow request still waits
        draining = await asyncio.to_thread(wait_for_status, api.url + READY, 503, 10)
        assert "draining" in draining.text
        assert not slow.done(), "the in-flight request is still being served"
    finally:
        await transaction.rollback()
        await holder.close()
        await observer.close()

    response = await asyncio.wait_for(slow, 30)
    assert response.status_code == 200, response.text
    checks = {check["name"]: check for check in response.json()["checks"]}
    assert checks["database"]["status"] == "pass", "the request finished its work, not cut short"
    stop_output = await asyncio.to_thread(stop.communicate, timeout=stop_timeout + 15)
    stopped_after = time.monotonic() - stop_started
    assert stop.returncode == 0, stop_output
    state = inspect(engine, api.name)["State"]
    assert state["ExitCode"] == 0, engine.run("logs", api.name).stderr[-3000:]
    assert stopped_after < drain, f"stopped after {stopped_after:.1f}s, drain is {drain}s"


def test_start_up_imports_come_from_build_time_bytecode(engine: Engine, image: BuiltImage) -> None:
    """With a read-only root filesystem nothing can be cached at run time: the image must carry it."""
    verbose = engine.run(
        "run", "--rm", "--network", "none", *HARDENED, "--entrypoint", "python", image.tag,
        "-v", "-c", "import macro_ai.main, macro_ai.features",  # the features load after readiness
    ).stderr.splitlines()  # fmt: skip
    loaded = [line for line in verbose if line.startswith("# code object from") and "/app/" in line]
    compiled_now = [line for line in loaded if not line.endswith(".pyc'")]
    assert len(loaded) > 100
    assert compiled_now == [], compiled_now[:5]
