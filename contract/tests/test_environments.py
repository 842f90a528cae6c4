"""The environment table: lookups, previews, and the checks that keep it consistent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from macro_ai_contract import UnknownEnvironmentError, load_environments
from macro_ai_contract.environments import TABLE_FILE, EnvironmentTable


def _table_data() -> dict:  # type: ignore[type-arg]
    return json.loads(TABLE_FILE.read_text())


def test_hobby_reads_the_development_configuration() -> None:
    """The bug this table fixed: config push wrote /macro-ai/hobby/* while the hobby task read development."""
    hobby = load_environments().resolve("hobby")
    assert (hobby.app_env, hobby.parameter_prefix, hobby.secret_name) == (
        "development",
        "/macro-ai/development/",
        "macro-ai/development/app",
    )
    assert hobby.stack_name == "MacroAiHobbyStack"


def test_previews_share_one_configuration_and_have_their_own_stack() -> None:
    table = load_environments()
    pr = table.resolve("pr-42")
    assert (pr.pr, pr.app_env, pr.stack_name) == (42, "pr-42", "MacroAiPreviewStack-pr-42")
    assert pr.parameter_prefix == table.preview(7).parameter_prefix == table.preview_config.parameter_prefix
    assert table.preview_of_stack("MacroAiPreviewStack-pr-42") == pr
    assert table.preview_of_stack("MacroAiPreviewSharedStack") is None
    assert "MacroAiPreviewStack-pr-42".startswith(table.preview_stack_prefix)


@pytest.mark.parametrize("name", ["pr-0", "pr-01", "pr-1234567", "pr-", "pr-x", "preview", "Hobby", "dev"])
def test_unknown_names_are_refused(name: str) -> None:
    with pytest.raises(UnknownEnvironmentError):
        load_environments().resolve(name)


def test_one_pr_pattern_for_names_app_env_stacks_and_origins() -> None:
    table = load_environments()
    assert table.resolve("pr-999999").pr == 999999
    assert table.behaviour("pr-999999") == table.preview_behaviour
    with pytest.raises(UnknownEnvironmentError):
        table.behaviour("pr-1234567")
    assert table.preview_of_stack("MacroAiPreviewStack-pr-1234567") is None
    import re

    origin = re.compile(table.preview_frontend_origin_regex("example.com"))
    assert origin.fullmatch("https://pr-12.example.com")
    assert not origin.fullmatch("https://pr-1234567.example.com")
    assert not origin.fullmatch("https://pr-12.example.com.evil.test")
    assert not origin.fullmatch("https://evil.test/?https://pr-12.example.com")


def test_local_environments_have_no_stack() -> None:
    table = load_environments()
    assert [e.name for e in table.deployed()] == ["hobby", "staging", "production"]
    assert not table.resolve("development").is_deployed


def test_an_app_env_without_behaviour_is_refused() -> None:
    data = _table_data()
    data["environments"].append({"name": "qa", "appEnv": "qa", "stack": "MacroAiQaStack"})
    with pytest.raises(ValueError, match="qa"):
        EnvironmentTable(data)


def test_a_name_the_preview_pattern_owns_is_refused() -> None:
    data = _table_data()
    data["environments"].append({"name": "pr-5", "appEnv": "development", "stack": "X"})
    with pytest.raises(ValueError, match="preview pattern"):
        EnvironmentTable(data)


def test_another_table_file_is_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _table_data()
    data["environments"].append(
        {
            "name": "staging2",
            "app": data["environments"][3]["app"],
            "stack": "MacroAiStaging2Stack",
            "logRetention": "standard",
        }
    )
    path = tmp_path / "environments.json"
    path.write_text(json.dumps(data))
    monkeypatch.setenv("MACRO_AI_ENVIRONMENTS", str(path))
    table = load_environments()
    assert table.resolve("staging2").parameter_prefix == "/macro-ai/staging2/"
    assert "staging2" in table.app_envs()
