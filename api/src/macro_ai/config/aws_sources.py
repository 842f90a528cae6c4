"""Small adapters over AWS Parameter Store and Secrets Manager.

Both return a flat ``{NAME: value}`` mapping, the same shape as environment variables, so that the
settings loader and the run-time refresher share one code path. boto3 is imported lazily: it costs
a few hundred milliseconds of start-up and most local runs never touch AWS.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote


def _client(service: str, region: str | None) -> Any:
    import boto3

    return boto3.client(service, region_name=region)


def read_parameters(path: str, region: str | None) -> dict[str, str]:
    """All parameters under ``path`` (SecureString decrypted), keyed by their last path segment."""
    prefix = path.rstrip("/") + "/"
    client = _client("ssm", region)
    values: dict[str, str] = {}
    for page in client.get_paginator("get_parameters_by_path").paginate(
        Path=prefix, Recursive=True, WithDecryption=True
    ):
        for parameter in page["Parameters"]:
            values[parameter["Name"].removeprefix(prefix)] = parameter["Value"]
    return values


def read_json_secret(secret_id: str, region: str | None) -> dict[str, str]:
    """A Secrets Manager secret holding a JSON object of ``{NAME: value}``."""
    response = _client("secretsmanager", region).get_secret_value(SecretId=secret_id)
    document = json.loads(response["SecretString"])
    if not isinstance(document, dict):
        raise ValueError(f"secret {secret_id} is not a JSON object")
    return {str(key): str(value) for key, value in document.items()}


def read_database_url(secret_id: str, region: str | None) -> str:
    """A PostgreSQL URL from an RDS-managed secret (``username``, ``password``, ``host``, ``port``,
    ``dbname``), so a password that RDS rotates is picked up by the next refresh."""
    document = read_json_secret(secret_id, region)
    missing = [key for key in ("username", "password", "host") if not document.get(key)]
    if missing:
        raise ValueError(f"database secret lacks {', '.join(missing)}")
    user, password = quote(document["username"], safe=""), quote(document["password"], safe="")
    port = document.get("port") or "5432"
    database = quote(document.get("dbname") or "postgres", safe="")
    return f"postgresql://{user}:{password}@{document['host']}:{port}/{database}"
