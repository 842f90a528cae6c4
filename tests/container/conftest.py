"""The container engine, the image built from a clean checkout, and PostgreSQL in a container.

Engine: a working ``docker`` (a real Docker engine) is used as it is. Without one, the container
engine kit beside the repository (``../shared/container-engine``) is set up (idempotent, seconds
after the first time) and its environment is used for every ``docker`` call; the kit sends them to
podman. With neither, the engine-bound tests are skipped and say why.

The image is built once per session from a ``git clone`` of HEAD (so only committed files count)
and reused by every test; the compose test builds from the same clone.
"""

# Tests drive `docker`, `git` and the kit's scripts by name from PATH, with arguments they build:
# the same exemptions as the per-package test folders get in pyproject.toml.

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from container_support import (
    HARDENED,
    IMAGE_TAG,
    KIT,
    PORT,
    REPO,
    ApiContainer,
    BuiltImage,
    Database,
    Engine,
    docker_works,
    env_args,
    git_revision,
    inside_a_container,
    kit_environment,
    package_version,
    pinned_uv_image,
    service_env,
    setup_kit,
)


@pytest.fixture(scope="session")
def engine() -> Engine:
    if docker_works(os.environ):
        # the kit's shim when env.sh was sourced: still the kit (buildah), with its limits
        shim = Path(shutil.which("docker") or "").resolve()
        return Engine(dict(os.environ), "kit" if shim.is_relative_to(KIT.resolve()) else "docker")
    if not (KIT / "setup.sh").is_file():
        pytest.skip(f"no working Docker engine and no container engine kit at {KIT}")
    if inside_a_container():
        pytest.skip("inside a container with no Docker engine: the kit cannot nest containers in one")
    started = time.monotonic()
    setup_kit()
    env = kit_environment()
    uv_image = pinned_uv_image()
    exists = subprocess.run(["podman", "image", "exists", uv_image], env=env, check=False)
    if exists.returncode != 0:  # the kit builds the newest uv by default; ask for the pinned one
        setup_kit({"UV_VERSION": uv_image.rsplit(":", 1)[1]})
    found = Engine(env, "kit")
    found.timings["kit setup"] = time.monotonic() - started
    assert docker_works(env), "the kit is set up but `docker info` still fails"
    return found


@pytest.fixture(scope="session")
def clean_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """HEAD of this repository, cloned: what CI and a new developer get, nothing uncommitted."""
    target = tmp_path_factory.mktemp("checkout") / "macro-ai"
    clone = ["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(target)]
    subprocess.run(clone, check=True, timeout=120)
    # Local files a developer might have; .dockerignore must keep them out of every build stage.
    (target / ".env").write_text("API_KEY=decoy-from-a-local-env-file-0123456789\n")
    (target / ".data").mkdir()
    (target / ".data" / "decoy").write_text("local database data\n")
    return target


@pytest.fixture(scope="session")
def image(engine: Engine, clean_checkout: Path) -> BuiltImage:
    version, revision = package_version(), git_revision(clean_checkout)
    source = "https://github.com/macro-ai/macro-ai"
    started = time.monotonic()
    # With the layer cache, as `make image`: buildah 1.28 (the kit) keys it without the values of build
    # args, and api/build-image.sh writes them into the LABEL it derives, so the labels are this build's
    # (test_image_metadata fails with a cached LABEL of an earlier revision).
    engine.build_image(
        clean_checkout,
        IMAGE_TAG,
        "--build-arg",
        f"VERSION={version}",
        "--build-arg",
        f"REVISION={revision}",
        "--build-arg",
        f"SOURCE={source}",
    )
    return BuiltImage(IMAGE_TAG, version, revision, source, time.monotonic() - started)


@pytest.fixture(scope="session")
def database(engine: Engine) -> Iterator[Database]:
    """pgvector/pgvector:pg18 in a container on its own network, published on loopback only."""
    suffix = uuid.uuid4().hex[:8]
    network, container = f"mact-net-{suffix}", f"mact-db-{suffix}"
    engine.run("network", "create", network)
    db = None
    try:
        engine.run(
            "run", "-d", "--name", container, "--network", network,
            "-e", "POSTGRES_PASSWORD=container-test", "-e", "POSTGRES_DB=macro_ai",
            "-p", "127.0.0.1::5432", "pgvector/pgvector:pg18",
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready = engine.run(
                "exec", container, "pg_isready", "-h", "127.0.0.1", "-U", "postgres", check=False
            )
            if ready.returncode == 0:
                break
            time.sleep(0.5)
        else:
            pytest.fail("PostgreSQL did not become ready:\n" + engine.run("logs", container).stderr[-3000:])
        db = Database(network, container, "container-test", "macro_ai", engine.host_port(container, 5432))
        yield db
    finally:
        engine.remove(container)
        engine.run("network", "rm", network, check=False)


@pytest.fixture(scope="session")
def migrated(engine: Engine, image: BuiltImage, database: Database) -> Database:
    """The session database at the migration head, migrated by the image itself (`db upgrade`)."""
    engine.run(
        "run", "--rm", "--network", database.network, *HARDENED, *env_args(service_env(database)),
        image.tag, "db", "upgrade",
    )  # fmt: skip
    return database


@pytest.fixture
def run_api(engine: Engine, image: BuiltImage) -> Iterator[Any]:
    """Start the image as ECS would (hardened, env-only configuration); removed afterwards."""
    names: list[str] = []

    def start(db: Database, extra_args: Sequence[str] = (), **env: str) -> ApiContainer:
        name = f"mact-api-{uuid.uuid4().hex[:8]}"
        names.append(name)
        started = time.monotonic()
        engine.run(
            "run", "-d", "--name", name, "--network", db.network, *HARDENED,
            "-p", f"127.0.0.1::{PORT}", *extra_args, *env_args(service_env(db, **env)), image.tag,
        )  # fmt: skip
        return ApiContainer(name, f"http://127.0.0.1:{engine.host_port(name, PORT)}", started)

    yield start
    engine.remove(*names)
