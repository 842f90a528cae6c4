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

    def manifest(self, repository: str, tag: str, digest: str = "") -> tuple[str, str]:
        """(manifest, media type) of repository:tag (or @digest), as stored: a copy keeps the digest."""
        resp = self.client.batch_get_image(
            repositoryName=repository,
            imageIds=[{"imageDigest": digest} if digest else {"imageTag": tag}],
            acceptedMediaTypes=[
                "application/vnd.oci.image.index.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json",
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.docker.distribution.manifest.v2+json",
            ],
        )
        images = resp.get("images", [])
        if not images:
            raise NotFound(f"image {repository}:{tag} is not in ECR")
        img = images[0]
        return str(img["imageManifest"]), str(img.get("imageManifestMediaType", ""))

    def put_manifest(self, repository: str, tag: str, manifest: str, media_type: str) -> str:
        """Write `manifest` to `repository` (tagged, unless tag is ""); returns the image digest. ECR refuses
        it (LayersNotFoundException) until every blob it names is in that repository."""
        kwargs: dict[str, Any] = {"repositoryName": repository, "imageManifest": manifest}
        if tag:
            kwargs["imageTag"] = tag
        if media_type:
            kwargs["imageManifestMediaType"] = media_type
        return str(self.client.put_image(**kwargs)["image"]["imageId"]["imageDigest"])

    def scan_findings(self, repository: str, tag: str) -> tuple[str, dict[str, int]]:
        """(scan status, findings per severity) of the image's latest scan ("NONE" when never scanned)."""
        try:
            resp = self.client.describe_image_scan_findings(
                repositoryName=repository, imageId={"imageTag": tag}
            )
        except self.client.exceptions.ScanNotFoundException:
            return "NONE", {}
        status = str(resp.get("imageScanStatus", {}).get("status", ""))
        counts = resp.get("imageScanFindings", {}).get("findingSeverityCounts", {})
        return status, {str(k): int(v) for k, v in counts.items()}

    def login(self) -> tuple[str, str, str]:
        """(registry host, user, password) for `<engine> login --password-stdin`."""
        data = self.client.get_authorization_token()["authorizationData"][0]
        user, password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)
        host = data["proxyEndpoint"].removeprefix("https://").removeprefix("http://")
        return host, user, password
