"""`config diff|push` against moto over HTTP: Parameter Store SecureString and Secrets Manager JSON secret.
The CLI output (stdout and stderr) must never contain a secret value."""

from __future__ import annotations

import json

import pytest
from macro_ai_contract import load_environments
from macro_ai_deploy.configsync import parse_env_file
from macro_ai_deploy.errors import UsageError

API_KEY = "k3y-" + "x" * 40
COOKIE_KEY = "ab" * 32
DB_URL = "postgresql://app:Sup3rS3cr3tPw@db.internal:5432/macro"


def env_file(tmp_path, **values: str):
    p = tmp_path / "hobby.env"
    p.write_text("# hobby configuration\n" + "".join(f"{k}={v}\n" for k, v in values.items()))
    return p


SECRETS = (API_KEY, COOKIE_KEY, DB_URL, "Sup3rS3cr3tPw")


def assert_no_secret(result) -> None:
    for s in (*SECRETS, "N3wS3cr3t" + "y" * 30):
        assert s not in result.stdout
        assert s not in result.stderr


@pytest.fixture
def base(tmp_path):
    return env_file(
        tmp_path,
        LOG_LEVEL="info",
        CORS_ALLOWED_ORIGINS="https://app.example",
        API_KEY=API_KEY,
        COOKIE_ENCRYPTION_KEY=COOKIE_KEY,
        RELATIONAL_DATABASE_URL=f'"{DB_URL}"',
    )


def ssm_params(aws_client, env="hobby"):
    """The parameters where the environment's task reads them (hobby runs as development)."""
    prefix = load_environments().resolve(env).parameter_prefix
    ps = aws_client("ssm").get_parameters_by_path(Path=prefix, WithDecryption=True)["Parameters"]
    return {p["Name"].rsplit("/", 1)[1]: (p["Type"], p["Value"]) for p in ps}


def test_push_to_parameter_store_uses_securestring_for_secrets(aws, cli, base, aws_client):
    diff = cli("config", "diff", "hobby", "--env-file", str(base), "--exit-code")
    assert diff.exit_code == 8, diff.all_output
    assert "5 change(s)" in diff.stdout
    assert "(secret)" in diff.stdout
    assert "https://app.example" in diff.stdout
    assert_no_secret(diff)

    push = cli("config", "push", "hobby", "--env-file", str(base))
    assert push.exit_code == 0, push.all_output
    assert_no_secret(push)
    p = ssm_params(aws_client)
    assert p["API_KEY"] == ("SecureString", API_KEY)
    assert p["RELATIONAL_DATABASE_URL"] == ("SecureString", DB_URL)  # quotes stripped
    assert p["LOG_LEVEL"] == ("String", "info")

    again = cli("config", "diff", "hobby", "--env-file", str(base), "--exit-code")
    assert again.exit_code == 0
    assert "0 change(s)" in again.stdout


def test_changed_secret_is_shown_as_changed_without_values(aws, cli, base, tmp_path):
    assert cli("config", "push", "hobby", "--env-file", str(base)).exit_code == 0
    changed = env_file(
        tmp_path,
        LOG_LEVEL="debug",
        CORS_ALLOWED_ORIGINS="https://app.example",
        API_KEY="N3wS3cr3t" + "y" * 30,
        COOKIE_ENCRYPTION_KEY=COOKIE_KEY,
        RELATIONAL_DATABASE_URL=DB_URL,
    )
    r = cli("config", "diff", "hobby", "--env-file", str(changed))
    assert r.exit_code == 0
    assert_no_secret(r)
    lines = {
        line.split("│")[2].strip().rstrip(" 🔒"): line
        for line in r.stdout.splitlines()
        if line.count("│") >= 5
    }
    assert "change" in lines["API_KEY"]
    assert "(secret)" in lines["API_KEY"]
    assert "info" in lines["LOG_LEVEL"]
    assert "debug" in lines["LOG_LEVEL"]
    assert "2 change(s)" in r.stdout


def test_secret_stored_as_plain_string_is_retyped(aws, cli, base, aws_client):
    aws_client("ssm").put_parameter(Name="/macro-ai/development/API_KEY", Value=API_KEY, Type="String")
    r = cli("config", "diff", "hobby", "--env-file", str(base))
    assert "retype" in r.stdout
    assert "SecureString" in r.stdout
    assert_no_secret(r)
    assert cli("config", "push", "hobby", "--env-file", str(base)).exit_code == 0
    assert ssm_params(aws_client)["API_KEY"] == ("SecureString", API_KEY)


def test_push_to_secrets_manager_json_secret(aws, cli, base, aws_client):
    r = cli("config", "push", "hobby", "--env-file", str(base), "--secrets-to", "secretsmanager")
    assert r.exit_code == 0, r.all_output
    assert_no_secret(r)
    secret = json.loads(
        aws_client("secretsmanager").get_secret_value(SecretId="macro-ai/development/app")["SecretString"]
    )
    assert secret == {
        "API_KEY": API_KEY,
        "COOKIE_ENCRYPTION_KEY": COOKIE_KEY,
        "RELATIONAL_DATABASE_URL": DB_URL,
    }
    p = ssm_params(aws_client)
    assert "API_KEY" not in p
    assert p["LOG_LEVEL"] == ("String", "info")

    # an extra key in the secret is kept (shown as store-only) unless --prune
    aws_client("secretsmanager").put_secret_value(
        SecretId="macro-ai/development/app", SecretString=json.dumps({**secret, "REDIS_URL": "redis://x"})
    )
    d = cli("config", "diff", "hobby", "--env-file", str(base), "--secrets-to", "secretsmanager")
    assert "only in store" in d.stdout
    assert "0 change(s)" in d.stdout
    pr = cli("config", "push", "hobby", "--env-file", str(base), "--secrets-to", "secretsmanager", "--prune")
    assert pr.exit_code == 0
    assert "1 change(s) written" in pr.stdout
    secret = json.loads(
        aws_client("secretsmanager").get_secret_value(SecretId="macro-ai/development/app")["SecretString"]
    )
    assert "REDIS_URL" not in secret
    assert_no_secret(d)
    assert_no_secret(pr)


def test_both_targets_and_per_environment_prefix(aws, cli, base, aws_client):
    """Previews share one configuration (the preview stacks read /macro-ai/preview/); hobby is untouched."""
    r = cli("config", "push", "pr-42", "--env-file", str(base), "--secrets-to", "both")
    assert r.exit_code == 0, r.all_output
    assert ssm_params(aws_client, "pr-42")["COOKIE_ENCRYPTION_KEY"] == ("SecureString", COOKIE_KEY)
    assert ssm_params(aws_client, "pr-7") == ssm_params(aws_client, "pr-42")
    assert (
        aws_client("secretsmanager").describe_secret(SecretId="macro-ai/preview/app")["Name"]
        == "macro-ai/preview/app"
    )
    assert ssm_params(aws_client, "hobby") == {}


def test_unknown_names_are_refused(aws, cli, tmp_path):
    f = env_file(tmp_path, LOG_LEVEL="info", API_KYE="typo-" + "z" * 40)
    r = cli("config", "push", "hobby", "--env-file", str(f))
    assert r.exit_code == 6
    assert "API_KYE" in r.stderr
    assert "z" * 40 not in r.stderr


def test_env_file_parse_errors_never_echo_the_line():
    with pytest.raises(UsageError, match=r"f:2: not NAME=value") as exc:
        parse_env_file("A=1\nthis is S3cret\n", "f")
    assert "S3cret" not in exc.value.message
    assert parse_env_file("export A='x y'\nB=2 # note\n#c\n") == {"A": "x y", "B": "2"}
