"""`config diff|push` against moto over HTTP: secrets into the environment's Secrets Manager JSON secret,
the operator parameters (Cognito ids) into Parameter Store, exactly where the task reads them (the check
against the synthesized task definitions is infra/tests/test_config_locations.py). Output never contains a
secret value."""

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


POOL_ID = "us-east-1_" + "0" * 32


@pytest.fixture
def base(tmp_path):
    return env_file(
        tmp_path,
        AWS_COGNITO_USER_POOL_ID=POOL_ID,
        API_KEY=API_KEY,
        COOKIE_ENCRYPTION_KEY=COOKIE_KEY,
        RELATIONAL_DATABASE_URL=f'"{DB_URL}"',
    )


def ssm_params(aws_client, env="hobby"):
    """The parameters under the environment's prefix (hobby runs as development)."""
    prefix = load_environments().resolve(env).parameter_prefix
    ps = aws_client("ssm").get_parameters_by_path(Path=prefix, WithDecryption=True)["Parameters"]
    return {p["Name"].rsplit("/", 1)[1]: (p["Type"], p["Value"]) for p in ps}


def app_secret(aws_client, env="hobby"):
    name = load_environments().resolve(env).secret_name
    return json.loads(aws_client("secretsmanager").get_secret_value(SecretId=name)["SecretString"])


def test_push_writes_where_the_hobby_task_reads(aws, cli, base, aws_client):
    """Secrets as JSON keys of macro-ai/development/app, the pool id as a String parameter; nothing else."""
    diff = cli("config", "diff", "hobby", "--env-file", str(base), "--exit-code")
    assert diff.exit_code == 8, diff.all_output
    assert "4 change(s)" in diff.stdout
    assert "(secret)" in diff.stdout
    assert "│ ssm " in diff.stdout
    assert_no_secret(diff)

    push = cli("config", "push", "hobby", "--env-file", str(base))
    assert push.exit_code == 0, push.all_output
    assert_no_secret(push)
    assert app_secret(aws_client) == {
        "API_KEY": API_KEY,
        "COOKIE_ENCRYPTION_KEY": COOKIE_KEY,
        "RELATIONAL_DATABASE_URL": DB_URL,  # quotes stripped
    }
    assert ssm_params(aws_client) == {"AWS_COGNITO_USER_POOL_ID": ("String", POOL_ID)}

    again = cli("config", "diff", "hobby", "--env-file", str(base), "--exit-code")
    assert again.exit_code == 0
    assert "0 change(s)" in again.stdout


def test_changed_secret_is_shown_as_changed_without_values(aws, cli, base, tmp_path):
    assert cli("config", "push", "hobby", "--env-file", str(base)).exit_code == 0
    changed = env_file(
        tmp_path,
        AWS_COGNITO_USER_POOL_ID=POOL_ID.replace("0", "1"),
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
    assert "COOKIE_ENCRYPTION_KEY" not in lines  # unchanged rows are not listed
    assert "2 change(s)" in r.stdout


def test_an_operator_parameter_stored_as_securestring_is_retyped(aws, cli, base, aws_client):
    """ECS injects it as a String parameter; a SecureString copy would need other permissions."""
    name = load_environments().resolve("hobby").parameter_prefix + "AWS_COGNITO_USER_POOL_ID"
    aws_client("ssm").put_parameter(Name=name, Value=POOL_ID, Type="SecureString")
    r = cli("config", "diff", "hobby", "--env-file", str(base))
    assert "retype" in r.stdout
    assert cli("config", "push", "hobby", "--env-file", str(base)).exit_code == 0
    assert ssm_params(aws_client)["AWS_COGNITO_USER_POOL_ID"] == ("String", POOL_ID)


def test_keys_outside_the_contract_are_kept_unless_pruned(aws, cli, base, aws_client):
    assert cli("config", "push", "hobby", "--env-file", str(base)).exit_code == 0
    secret = app_secret(aws_client)
    aws_client("secretsmanager").put_secret_value(
        SecretId="macro-ai/development/app",
        SecretString=json.dumps({**secret, "OLD_KEY": "x", "REDIS_URL": ""}),
    )
    d = cli("config", "diff", "hobby", "--env-file", str(base))
    assert "only in store" in d.stdout
    assert "0 change(s)" in d.stdout
    pr = cli("config", "push", "hobby", "--env-file", str(base), "--prune")
    assert pr.exit_code == 0
    assert "1 change(s) written" in pr.stdout
    # a contract key the file leaves out (REDIS_URL) stays: ECS fails a task whose JSON key is missing
    assert set(app_secret(aws_client)) == {*secret, "REDIS_URL"}
    assert_no_secret(d)
    assert_no_secret(pr)


def test_previews_share_one_configuration(aws, cli, base, aws_client):
    """Every preview stack reads /macro-ai/preview/ and macro-ai/preview/app; hobby is untouched."""
    r = cli("config", "push", "pr-42", "--env-file", str(base))
    assert r.exit_code == 0, r.all_output
    assert app_secret(aws_client, "pr-7") == app_secret(aws_client, "pr-42")
    assert load_environments().resolve("pr-42").secret_name == "macro-ai/preview/app"
    assert ssm_params(aws_client, "pr-42") == {"AWS_COGNITO_USER_POOL_ID": ("String", POOL_ID)}
    assert ssm_params(aws_client, "hobby") == {}


def test_items_the_stack_owns_are_refused(aws, cli, tmp_path):
    f = env_file(tmp_path, LOG_LEVEL="info", API_KEY=API_KEY)
    r = cli("config", "push", "hobby", "--env-file", str(f))
    assert r.exit_code == 6
    assert "LOG_LEVEL: set by the stack" in r.stderr
    assert API_KEY not in r.all_output


def test_unknown_names_are_refused(aws, cli, tmp_path):
    f = env_file(tmp_path, API_KYE="typo-" + "z" * 40)
    r = cli("config", "push", "hobby", "--env-file", str(f))
    assert r.exit_code == 6
    assert "API_KYE" in r.stderr
    assert "z" * 40 not in r.stderr


def test_env_file_parse_errors_never_echo_the_line():
    with pytest.raises(UsageError, match=r"f:2: not NAME=value") as exc:
        parse_env_file("A=1\nthis is S3cret\n", "f")
    assert "S3cret" not in exc.value.message
    assert parse_env_file("export A='x y'\nB=2 # note\n#c\n") == {"A": "x y", "B": "2"}


def test_production_keeps_secrets_where_the_running_fleet_reads_them(aws, cli, base, aws_client):
    """Adopt mode: the EC2 fleet reads SecureString parameters; the adopting stack injects the same ones."""
    r = cli("config", "push", "production", "--env-file", str(base))
    assert r.exit_code == 0, r.all_output
    assert_no_secret(r)
    params = ssm_params(aws_client, "production")
    assert params["API_KEY"] == ("SecureString", API_KEY)
    assert params["RELATIONAL_DATABASE_URL"] == ("SecureString", DB_URL)
    assert params["AWS_COGNITO_USER_POOL_ID"] == ("String", POOL_ID)
    names = [x["Name"] for x in aws_client("secretsmanager").list_secrets()["SecretList"]]
    assert names == []  # nothing of this file belongs in the JSON secret there
