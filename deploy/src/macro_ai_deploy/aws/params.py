"""Parameter Store and Secrets Manager reads/writes for `config diff|push`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StoredParam:
    name: str  # short name, without the prefix
    type: str  # String | SecureString | StringList
    value: str


class ParameterStore:
    def __init__(self, client: Any) -> None:
        self.client = client

    def read_names(self, names: list[str]) -> dict[str, StoredParam]:
        """The parameters that exist among ``names``, keyed by full name."""
        out: dict[str, StoredParam] = {}
        for start in range(0, len(names), 10):  # GetParameters takes at most 10 names
            page = self.client.get_parameters(Names=names[start : start + 10], WithDecryption=True)
            for p in page["Parameters"]:
                out[p["Name"]] = StoredParam(p["Name"], p["Type"], p["Value"])
        return out

    def put(self, name: str, value: str, secure: bool, kms_key_id: str | None = None) -> None:
        kwargs: dict[str, Any] = {
            "Name": name,
            "Value": value,
            "Overwrite": True,
            "Type": "SecureString" if secure else "String",
        }
        if secure and kms_key_id:
            kwargs["KeyId"] = kms_key_id
        self.client.put_parameter(**kwargs)

    def delete(self, name: str) -> None:
        self.client.delete_parameter(Name=name)


class SecretStore:
    def __init__(self, client: Any) -> None:
        self.client = client

    def read_json(self, name: str) -> dict[str, str] | None:
        try:
            raw = self.client.get_secret_value(SecretId=name)["SecretString"]
        except self.client.exceptions.ResourceNotFoundException:
            return None
        data = json.loads(raw or "{}")
        return {str(k): str(v) for k, v in data.items()}

    def write_json(
        self, name: str, data: dict[str, str], exists: bool, kms_key_id: str | None = None
    ) -> None:
        body = json.dumps(data, sort_keys=True)
        if exists:
            self.client.put_secret_value(SecretId=name, SecretString=body)
        else:
            kwargs: dict[str, Any] = {
                "Name": name,
                "SecretString": body,
                "Tags": [{"Key": "project", "Value": "macro-ai"}],
            }
            if kms_key_id:
                kwargs["KmsKeyId"] = kms_key_id
            self.client.create_secret(**kwargs)
