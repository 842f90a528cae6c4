"""ECR: repository URI, login token, image tag bookkeeping."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from macro_ai_deploy.errors import NotFound


@dataclass(frozen=True)
class ImageInfo:
    tag: str
    digest: str
    pushed_at: str = ""
    scan_status: str = ""


class Registry:
    def __init__(self, client: Any) -> None:
        self.client = client

    def repository(self, name: str) -> dict[str, Any]:
        try:
            return self.client.describe_repositories(repositoryNames=[name])["repositories"][0]  # type: ignore[no-any-return]
        except self.client.exceptions.RepositoryNotFoundException:
            raise NotFound(f"ECR repository {name} does not exist") from None

    def image(self, repository: str, tag: str) -> ImageInfo | None:
        try:
            details = self.client.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])[
                "imageDetails"
            ]
        except self.client.exceptions.ImageNotFoundException:
            return None
        except self.client.exceptions.RepositoryNotFoundException:
            raise NotFound(f"ECR repository {repository} does not exist") from None
        if not details:
            return None
        d = details[0]
        return ImageInfo(
            tag,
            d["imageDigest"],
            str(d.get("imagePushedAt", "")),
            d.get("imageScanStatus", {}).get("status", ""),
        )

    def login(self) -> tuple[str, str, str]:
        """(registry host, user, password) for `<engine> login --password-stdin`."""
        data = self.client.get_authorization_token()["authorizationData"][0]
        user, password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)
        host = data["proxyEndpoint"].removeprefix("https://").removeprefix("http://")
        return host, user, password
