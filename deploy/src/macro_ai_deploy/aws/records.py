"""The migration record in Parameter Store: create-if-absent (Overwrite=False), read, overwrite, delete."""

from __future__ import annotations

import contextlib
from typing import Any


class SsmRecord:
    """RecordStore over one String parameter (outside the app's configuration path)."""

    def __init__(self, client: Any, name: str) -> None:
        self.client, self.name = client, name

    def create(self, value: str) -> bool:
        try:
            self.client.put_parameter(Name=self.name, Value=value, Type="String", Overwrite=False)
        except self.client.exceptions.ParameterAlreadyExists:
            return False
        return True

    def read(self) -> str | None:
        try:
            return str(self.client.get_parameter(Name=self.name)["Parameter"]["Value"])
        except self.client.exceptions.ParameterNotFound:
            return None

    def put(self, value: str) -> None:
        self.client.put_parameter(Name=self.name, Value=value, Type="String", Overwrite=True)

    def delete(self) -> None:
        with contextlib.suppress(self.client.exceptions.ParameterNotFound):
            self.client.delete_parameter(Name=self.name)
