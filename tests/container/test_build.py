"""The two ways to build the image give the same image, and a code change rebuilds only the app layer.

`make image` (api/build-image.sh) builds the dependency stages as images kept by a hash of what they read,
then the app stages FROM them; `docker build -f api/Dockerfile .` (compose, the delivery workflow, BuildKit)
builds every stage in one go. The session's image is the first kind.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from container_support import BUILD_SCRIPT, BuiltImage, Engine

pytestmark = [pytest.mark.container, pytest.mark.timeout(1200)]

ROUTER = Path("api") / "src" / "macro_ai" / "health" / "router.py"
BUILD_ARG_LABELS = {f"org.opencontainers.image.{name}" for name in ("version", "revision", "source")}


def image_data(engine: Engine, tag: str) -> dict[str, Any]:
    data: list[dict[str, Any]] = json.loads(engine.run("image", "inspect", tag).stdout)
    return data[0]


def runtime_view(engine: Engine, tag: str) -> dict[str, Any]:
    """What a container of the image sees: its configuration and every file (kind, mode, owner, size)."""
    data = image_data(engine, tag)
    config = data["Config"]
    labels = config.get("Labels") or {}
    listing = engine.run(
        "run", "--rm", "--network", "none", "--user", "0", "--entrypoint", "find", tag, "/", "-xdev",
        "-not", "-path", "/proc/*", "-not", "-path", "/sys/*", "-not", "-path", "/etc/host*",
        "-not", "-path", "/etc/resolv.conf", "-not", "-path", "/run/.containerenv",
        "-printf", "%y %m %U:%G %s %p\\n",
    ).stdout.splitlines()  # fmt: skip
    # uv records the build's source timestamps in uv_cache.json (its size follows them): build metadata
    listing = [re.sub(r" \d+ (\S+/uv_cache\.json)$", r" - \1", line) for line in listing]
    return {
        "config": {key: config.get(key) for key in ("User", "Env", "Entrypoint", "Cmd", "WorkingDir")},
        "ports": sorted(config.get("ExposedPorts") or {}),
        "stop": config.get("StopSignal"),
        "labels": {key: value for key, value in labels.items() if key.startswith("org.opencontainers.")},
        "healthcheck": config.get("Healthcheck") or data.get("Healthcheck"),  # Docker | podman
        "files": sorted(listing),
        "layers": len(data["RootFS"]["Layers"]),
    }


def clone(source: Path, target: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(source), str(target)], check=True)
    return target


def deps_key(engine: Engine, checkout: Path) -> str:
    return engine.command(
        ["bash", BUILD_SCRIPT, "unused"], cwd=checkout, env={"DEPS_IMAGE_PRINT": "1"}
    ).stdout.strip()


def test_make_image_matches_the_one_command_build(
    engine: Engine, image: BuiltImage, clean_checkout: Path
) -> None:
    tag = image.tag + "-one-command"
    args = ["--build-arg", f"VERSION={image.version}", "--build-arg", f"REVISION={image.revision}"]
    args += ["--build-arg", f"SOURCE={image.source}"]
    engine.run("build", "-f", "api/Dockerfile", "-t", tag, *args, ".", cwd=clean_checkout, timeout=900)
    try:
        made, one_command = runtime_view(engine, image.tag), runtime_view(engine, tag)
    finally:
        engine.run("rmi", tag, check=False)
    assert len(made["files"]) > 1000
    if engine.kind == "kit":
        # buildah 1.28 reuses a cached LABEL layer whatever the build args' values (conftest.py builds the
        # session's image with --no-cache for that; test_image checks its labels): only their names here.
        for view in (made, one_command):
            view["labels"] = {key: key in BUILD_ARG_LABELS or value for key, value in view["labels"].items()}
    assert made == one_command


def test_dependency_images_are_keyed_on_what_they_read(
    engine: Engine, clean_checkout: Path, tmp_path: Path
) -> None:
    checkout = clone(clean_checkout, tmp_path / "keyed")
    key = deps_key(engine, checkout)
    assert key.startswith("macro-ai-api-deps:")
    (checkout / ROUTER).write_text((checkout / ROUTER).read_text() + "\n# a code change\n")
    dockerfile = checkout / "api" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "\n# a comment below the app stages line\n")
    assert deps_key(engine, checkout) == key, "code and app stages are not part of the key"
    for changed in ("uv.lock", "api/pyproject.toml", "devstack/pyproject.toml"):
        path = checkout / changed
        original = path.read_text()
        path.write_text(original + "\n# changed\n")
        assert deps_key(engine, checkout) != key, f"{changed} is part of the key"
        path.write_text(original)
    dockerfile.write_text("# above the app stages line\n" + dockerfile.read_text())
    assert deps_key(engine, checkout) != key, "the dependency stages are part of the key"


def test_a_code_change_rebuilds_only_the_app_layer(
    engine: Engine, image: BuiltImage, clean_checkout: Path, tmp_path: Path
) -> None:
    checkout = clone(clean_checkout, tmp_path / "changed")
    (checkout / ROUTER).write_text((checkout / ROUTER).read_text() + "\n# a one-line change\n")
    tag = image.tag + "-changed"
    engine.build_image(checkout, tag)
    try:
        before, after = image_data(engine, image.tag), image_data(engine, tag)
    finally:
        engine.run("rmi", tag, check=False)
    layers_before, layers_after = before["RootFS"]["Layers"], after["RootFS"]["Layers"]
    assert len(layers_after) == len(layers_before)
    assert layers_after[:-1] == layers_before[:-1], "base, user and dependency layers are byte-identical"
    assert layers_after[-1] != layers_before[-1], "the app layer carries the change"
