"""The Dockerfile, compose file and env example agree with service-contract.json; lint and scan.

None of these needs a container engine: they run everywhere, also where the engine-bound tests
are skipped.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from container_support import CONTRACT, PORT, REPO
from macro_ai.config.schema import Settings, environment_variable_names

pytestmark = pytest.mark.container

DOCKERFILES = [REPO / "api" / "Dockerfile", REPO / "devstack" / "Dockerfile"]
# Set only for the local stack, never in a task definition.
LOCAL_ONLY = {
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
}
# A Dockerfile with the usual mistakes: both scanners must object to it, or their pass means nothing.
BAD_DOCKERFILE = "FROM python:latest\nRUN apt-get update && apt-get install -y curl\nCOPY . /app\n"


def stages(dockerfile: Path) -> list[list[tuple[str, str]]]:
    return stages_in(dockerfile.read_text())


def stages_in(text: str) -> list[list[tuple[str, str]]]:
    """Instructions per stage, as (INSTRUCTION, arguments) with continuation lines joined."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    result: list[list[tuple[str, str]]] = []
    for line in logical:
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            result.append([])
        if result:
            result[-1].append((instruction.upper(), " ".join(arguments.split())))
    return result


def only(stage: list[tuple[str, str]], instruction: str) -> str:
    found = [arguments for name, arguments in stage if name == instruction]
    assert len(found) == 1, f"expected one {instruction}, found {found}"
    return found[0]


def named_stages(dockerfile: Path = REPO / "api" / "Dockerfile") -> dict[str, list[tuple[str, str]]]:
    return {stage[0][1].rsplit(" AS ", 1)[-1]: stage for stage in stages(dockerfile)}


def final_stage() -> list[tuple[str, str]]:
    return stages(REPO / "api" / "Dockerfile")[-1]


def final_image() -> list[tuple[str, str]]:
    """The instructions that make up the image: the last stage and the stages it starts FROM, base first."""
    named = named_stages()
    chain = [final_stage()]
    while (parent := chain[0][0][1].split(" AS ")[0]) in named:
        chain.insert(0, named[parent])
    return [instruction for stage in chain for instruction in stage]


def env_example() -> dict[str, str]:
    values = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text())
    return loaded


def test_final_stage_follows_the_contract() -> None:
    stage = final_image()
    froms = [arguments for name, arguments in stage if name == "FROM"]
    assert froms == ["python:3.11-slim-bookworm AS deps-runtime", "deps-runtime AS runtime"]
    assert only(stage, "EXPOSE") == str(PORT)
    assert only(stage, "STOPSIGNAL") == "SIGTERM"
    healthcheck = only(stage, "HEALTHCHECK")
    assert CONTRACT["health"]["containerCheck"] in healthcheck
    assert "urllib" in healthcheck
    assert "curl" not in healthcheck
    user = only(stage, "USER")
    assert re.fullmatch(r"[1-9][0-9]*:[1-9][0-9]*", user), "a fixed, numeric, non-root uid:gid"
    environment = only(stage, "ENV")
    assert "SERVER_HOST=0.0.0.0" in environment
    assert f"SERVER_PORT={PORT}" in environment
    assert json.loads(only(stage, "ENTRYPOINT")) == ["macro-ai"]
    assert json.loads(only(stage, "CMD")) == ["serve"], "serve by default; migrations only when asked"
    labels = only(final_stage(), "LABEL")
    for key in ("version", "revision", "source"):
        assert f"org.opencontainers.image.{key}=" in labels
    assert only(final_stage(), "USER") == user, "the last stage names the user (scanners read that one)"


def test_uv_and_sources_stay_in_the_build_stages() -> None:
    stage = final_image()
    copies = [arguments for name, arguments in stage if name == "COPY"]
    assert copies == ["--from=deps /app/.venv /app/.venv", "--from=app /stage/ /"]
    assert not any("uv " in arguments for name, arguments in stage if name == "RUN")


def test_dependency_stages_come_before_the_app_stages() -> None:
    """api/build-image.sh builds the stages above the marker as images, keyed on what those stages read, and
    the stages below FROM them: nothing above may read the sources, nothing below may be a new base."""
    text = (REPO / "api" / "Dockerfile").read_text()
    above, marker, below = text.partition("\n# ==== app stages")
    assert marker, "api/Dockerfile has the '# ==== app stages' line that api/build-image.sh splits it at"
    upper = {s[0][1].rsplit(" AS ", 1)[-1] for s in stages_in(above)}
    lower = stages_in(below)
    assert [stage[0] for stage in lower] == [("FROM", "deps AS app"), ("FROM", "deps-runtime AS runtime")]
    assert {"deps", "deps-runtime"} <= upper
    sources = [arguments for stage in stages_in(above) for name, arguments in stage if name == "COPY"]
    assert not [a for a in sources if "/src" in a or a.split()[0] in {".", "./"}], sources
    script = (REPO / "api" / "build-image.sh").read_text()
    for line in ("FROM deps AS app", "FROM deps-runtime AS runtime", "# ==== app stages"):
        assert line in script, f"api/build-image.sh looks for {line!r}"


def test_dependencies_install_before_the_sources_arrive() -> None:
    named = named_stages()
    deps, app = named["deps"], named["app"]
    copied = [arguments for name, arguments in deps if name == "COPY" and "--from" not in arguments]
    files = {part for arguments in copied for part in arguments.split()[:-1]}
    assert files == {
        "uv.lock",
        "pyproject.toml",
        "contract/pyproject.toml",
        "api/pyproject.toml",
        "infra/pyproject.toml",
        "deploy/pyproject.toml",
        "devstack/pyproject.toml",
    }, "the dependency layer is keyed only on the lock and the workspace's pyproject files"
    sync = only(deps, "RUN")
    assert "--mount=type=cache,target=/root/.cache/uv" in sync
    assert "uv sync --frozen --no-dev --package macro-ai --no-install-project" in sync
    assert ("COPY", "api/src api/src") in app
    install = only(app, "RUN")
    assert "--mount=type=cache" in install
    assert "uv sync --frozen --no-dev --package macro-ai --no-editable" in install


def test_the_image_keeps_the_models_of_exactly_the_aws_services_the_api_calls() -> None:
    """botocore's data is pruned to a list in the Dockerfile: a service the code calls must be on it."""
    sync = only(next(s for s in stages(REPO / "api" / "Dockerfile") if s[0][1].endswith(" AS deps")), "RUN")
    listed = re.search(r'AWS_SERVICES="([^"]+)"', sync)
    assert listed, "the deps stage names the AWS services whose botocore models stay"
    code = "\n".join(p.read_text() for p in (REPO / "api" / "src").rglob("*.py"))
    called = set(re.findall(r'client\(\s*"([a-z0-9-]+)"', code))
    assert called, "the API calls AWS through boto3 clients"
    # sts: boto3's credential chain creates it for web-identity and assume-role credentials.
    assert set(listed.group(1).split()) == called | {"sts"}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_dockerfiles_avoid_what_buildah_1_28_lacks(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    assert "--link" not in text
    assert not re.search(r"<<-?\s*['\"]?[A-Z]", text), "no heredocs"


def test_compose_follows_the_contract() -> None:
    services = compose()["services"]
    api, migrate, db = services["api"], services["migrate"], services["db"]
    assert any(str(port).endswith(f":{PORT}") and str(port).startswith("127.0.0.1:") for port in api["ports"])
    assert CONTRACT["health"]["readiness"] in " ".join(api["healthcheck"]["test"])
    assert api["stop_grace_period"] == f"{CONTRACT['shutdown']['stopTimeoutSeconds']}s"
    assert api["command"] == ["serve", "--reload"]
    assert any(str(v).startswith("./api/src/macro_ai:") for v in api["volumes"]), "source bind-mounted"
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
    assert api["depends_on"]["cognito"]["condition"] == "service_healthy"
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["image"] == api["image"]
    assert migrate["build"] == api["build"]
    assert db["image"] == "pgvector/pgvector:pg18"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose()["volumes"], "the database lives in a named volume"
    for service in (api, migrate, services["cognito"]):
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in service["security_opt"]
        assert service["env_file"] == [
            {"path": ".env.example", "required": True},
            {"path": ".env", "required": False},
        ]


def test_env_example_uses_the_task_definition_names() -> None:
    values = env_example()
    known = environment_variable_names() | set(CONTRACT["environment"]) | set(CONTRACT["secrets"])
    assert set(values) - known - LOCAL_ONLY == set()
    required = {name.upper() for name, f in Settings.model_fields.items() if f.is_required()}
    assert required <= set(values)
    settings = Settings(**{k.lower(): v for k, v in values.items() if k not in LOCAL_ONLY}, _env_file=None)
    assert settings.app_env == "development"
    assert settings.ai_provider == "offline"
    database = settings.relational_database_url.get_secret_value()
    user, password, name = values["POSTGRES_USER"], values["POSTGRES_PASSWORD"], values["POSTGRES_DB"]
    assert f"{user}:{password}@db:5432/{name}" in database
    pool = values["AWS_COGNITO_USER_POOL_ID"]
    assert values["AWS_COGNITO_JWKS_URL"] == f"http://cognito:3041/{pool}/.well-known/jwks.json"
    assert values["AWS_COGNITO_ISSUER"].endswith(f".amazonaws.com/{pool}")


def test_local_env_file_is_ignored_and_the_example_is_not() -> None:
    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, check=False).returncode == 0

    assert ignored(".env")
    assert not ignored(".env.example")


def tool(name: str) -> str:
    candidate = REPO / ".venv" / "bin" / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed (it is a dev dependency: uv sync)")
    return found


def test_hadolint_passes_with_documented_ignores_only(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / ".hadolint.yaml").read_text())
    assert config["failure-threshold"] == "style"
    text = (REPO / ".hadolint.yaml").read_text()
    for rule in config.get("ignored") or []:
        assert re.search(rf"#.*\n\s*- {rule}\b", text), f"{rule} is ignored without a reason above it"
    for dockerfile in DOCKERFILES:
        result = subprocess.run(
            [tool("hadolint"), "--config", str(REPO / ".hadolint.yaml"), str(dockerfile)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    bad = tmp_path / "Dockerfile"
    bad.write_text(BAD_DOCKERFILE)
    lint_bad = [tool("hadolint"), "--config", str(REPO / ".hadolint.yaml"), str(bad)]
    assert subprocess.run(lint_bad, capture_output=True, check=False).returncode != 0


def trivy_config(path: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("trivy"), "config", "--skip-check-update", "--skip-version-check", "--quiet",
         "--cache-dir", str(cache), "--exit-code", "1", str(path)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_trivy_config_passes(tmp_path: Path) -> None:
    for dockerfile in DOCKERFILES:
        result = trivy_config(dockerfile, tmp_path / "cache")
        assert result.returncode == 0, result.stdout + result.stderr
    bad = tmp_path / "bad" / "Dockerfile"
    bad.parent.mkdir()
    bad.write_text(BAD_DOCKERFILE)
    result = trivy_config(bad, tmp_path / "cache")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "DS" in result.stdout, "a finding is named by its check id"
