"""boto3 session and clients. The endpoint comes from boto3's own AWS_ENDPOINT_URL(_<SERVICE>) support."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=30)


class Aws:
    def __init__(self, region: str | None = None, profile: str | None = None) -> None:
        # botocore reads AWS_DEFAULT_REGION; the CLIs and SDKs of other languages also honour AWS_REGION
        self.region = region or os.environ.get("AWS_REGION") or None
        self.profile = profile
        self._session: boto3.Session | None = None
        self._clients: dict[str, Any] = {}

    @property
    def session(self) -> boto3.Session:
        if self._session is None:
            self._session = boto3.Session(profile_name=self.profile, region_name=self.region)
        return self._session

    def client(self, name: str) -> Any:
        if name not in self._clients:
            self._clients[name] = self.session.client(name, config=_CONFIG)
        return self._clients[name]
