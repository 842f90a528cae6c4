"""What the delivery workflows deploy, read from their own YAML: every image a job deploys was pushed or
promoted into that environment's repository by an earlier job, every job deploys only to the GitHub
environment it runs in, and the workflows' environment names agree with the table of environments."""

from __future__ import annotations

import shlex
from graphlib import TopologicalSorter
from pathlib import Path

import yaml
from macro_ai_contract import load_environments

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def jobs_in_order(workflow: dict) -> list[tuple[str, dict]]:
    jobs = workflow["jobs"]
    graph = {}
    for name, job in jobs.items():
        needs = job.get("needs", [])
        graph[name] = {needs} if isinstance(needs, str) else set(needs)
    return [(name, jobs[name]) for name in TopologicalSorter(graph).static_order()]


def macro_deploy_calls(job: dict) -> list[list[str]]:
    """Every `macro-deploy ...` command line of a job, as argv after the program name."""
    calls = []
    for step in job.get("steps", []):
        for line in step.get("run", "").splitlines():
            argv = shlex.split(line)
            for i, word in enumerate(argv):
                if word.endswith("macro-deploy"):
                    calls.append(argv[i + 1 :])
    return calls


def option(argv: list[str], name: str, default: str | None = None) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else default


def walk_images(workflow: dict) -> list[str]:
    """Simulate the jobs in order; return every deploy of an image not yet in that environment's repo."""
    present: set[str] = set()
    problems: list[str] = []
    for name, job in jobs_in_order(workflow):
        for argv in macro_deploy_calls(job):
            verb = argv[:2] if argv[0] == "image" else argv[:1]
            if verb == ["image", "push"]:
                present.add(option(argv, "--env", "hobby"))
            elif verb == ["image", "promote"]:
                source, target = argv[2], argv[3]
                if source not in present:
                    problems.append(f"{name}: promotes from {source}, where nothing was pushed")
                present.add(target)
            elif verb[0] in ("deploy", "db-migrate") and argv[1] not in present:
                problems.append(f"{name}: {verb[0]} {argv[1]} before the image is in {argv[1]}'s repository")
    return problems


def test_every_deployed_image_reached_its_environment_first():
    assert walk_images(load("delivery.yml")) == []


def test_the_walk_catches_a_deploy_without_promotion():
    broken = load("delivery.yml")
    for job in broken["jobs"].values():
        job["steps"] = [s for s in job.get("steps", []) if "image promote" not in s.get("run", "")]
    assert any("production" in p for p in walk_images(broken))


def test_each_job_deploys_only_to_its_own_github_environment():
    for name, job in load("delivery.yml")["jobs"].items():
        for argv in macro_deploy_calls(job):
            if argv[0] in ("deploy", "db-migrate"):
                assert job.get("environment") == argv[1], (name, argv)
            if argv[:2] == ["image", "promote"]:
                assert job.get("environment") == argv[3], (name, argv)


def test_workflow_environment_names_agree_with_the_table():
    table = load_environments()
    deployed = [e.name for e in table.deployed() if not e.is_preview]
    rollback = load("rollback.yml")
    choices = rollback[True]["workflow_dispatch"]["inputs"]["environment"]["options"]
    assert choices == deployed
    named = {table.preview_config.config_name} | set(deployed)
    for workflow in ("delivery.yml", "preview.yml", "rollback.yml"):
        for name, job in load(workflow)["jobs"].items():
            env = job.get("environment")
            if env and "${{" not in env:
                assert env in named, (workflow, name, env)
