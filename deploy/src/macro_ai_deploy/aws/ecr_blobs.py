"""Copy image blobs (config and layers) between ECR repositories of one registry, for `image promote`.

ECR's PutImage accepts a manifest only when every blob it names is already in that repository
(LayersNotFoundException otherwise), so a promotion uploads the missing blobs first: each is read through
its presigned download URL and written with the layer-upload API in parts. Nothing is rebuilt or
recompressed, so the digests (and the image digest) stay the same.
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

from macro_ai_deploy.errors import DeployError
from macro_ai_deploy.exitcodes import ExitCode

INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
CHUNK = 20 * 1024 * 1024


def blob_digests(manifest: str) -> list[str]:
    """The config and layer digests a single-platform manifest names."""
    doc = json.loads(manifest)
    digests = [doc["config"]["digest"]] if "config" in doc else []
    return digests + [layer["digest"] for layer in doc.get("layers", [])]


def child_manifests(manifest: str, media_type: str) -> list[str]:
    """The per-platform manifest digests of an index (empty for a single-platform manifest)."""
    doc = json.loads(manifest)
    if media_type in INDEX_TYPES or doc.get("mediaType") in INDEX_TYPES:
        return [m["digest"] for m in doc.get("manifests", [])]
    return []


def _chunks(url: str, opener: Callable[[str], Any]) -> Iterator[bytes]:
    with opener(url) as resp:
        while True:
            data = resp.read(CHUNK)
            if not data:
                return
            yield data


def _open(url: str) -> Any:
    if not url.startswith("https://") and not url.startswith("http://"):
        raise DeployError(f"unexpected layer download URL scheme: {url[:20]}", ExitCode.AWS_ERROR)
    return urllib.request.urlopen(url, timeout=60)  # noqa: S310 - ECR's presigned http(s) URL, checked above


def copy_blobs(
    client: Any,
    source: str,
    target: str,
    digests: list[str],
    say: Callable[[str], None] = lambda s: None,
    opener: Callable[[str], Any] = _open,
) -> int:
    """Upload to `target` the blobs of `digests` it lacks; returns how many were copied."""
    resp = client.batch_check_layer_availability(repositoryName=target, layerDigests=digests)
    missing = [
        layer["layerDigest"]
        for layer in resp.get("layers", [])
        if layer.get("layerAvailability") != "AVAILABLE"
    ]
    missing += [f["layerDigest"] for f in resp.get("failures", []) if f.get("layerDigest")]
    for digest in missing:
        url = client.get_download_url_for_layer(repositoryName=source, layerDigest=digest)["downloadUrl"]
        upload = client.initiate_layer_upload(repositoryName=target)["uploadId"]
        sha, first = hashlib.sha256(), 0
        for data in _chunks(url, opener):
            sha.update(data)
            client.upload_layer_part(
                repositoryName=target,
                uploadId=upload,
                partFirstByte=first,
                partLastByte=first + len(data) - 1,
                layerPartBlob=data,
            )
            first += len(data)
        if f"sha256:{sha.hexdigest()}" != digest:
            raise DeployError(f"blob {digest} read back with another digest: not copied", ExitCode.AWS_ERROR)
        client.complete_layer_upload(repositoryName=target, uploadId=upload, layerDigests=[digest])
        say(f"  copied blob {digest[:19]}… ({first} bytes)")
    return len(missing)
