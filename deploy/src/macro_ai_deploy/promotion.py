"""Promote an image from one environment's repository to the next: same manifest, same digest, no rebuild,
and never an image whose scan found something at or above the threshold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from botocore.exceptions import ClientError

from macro_ai_deploy.aws.ecr import Registry
from macro_ai_deploy.aws.ecr_blobs import blob_digests, child_manifests, copy_blobs
from macro_ai_deploy.errors import NotFound, Refused

# ECR's severities from least to most serious (UNDEFINED/UNTRIAGED: not rated, treated as MEDIUM)
SEVERITIES = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
_RANK = {s: i for i, s in enumerate(SEVERITIES)} | {"UNDEFINED": 2, "UNTRIAGED": 2}


def blocking(counts: dict[str, int], fail_on: str) -> dict[str, int]:
    """The findings at or above `fail_on`."""
    floor = _RANK[fail_on]
    return {sev: n for sev, n in counts.items() if n and _RANK.get(sev, 2) >= floor}


@dataclass(frozen=True)
class Promotion:
    source: str
    target: str
    tag: str
    digest: str
    already_there: bool


def promote(
    registry: Registry,
    source: str,
    target: str,
    tag: str,
    fail_on: str,
    say: Callable[[str], None] = lambda s: None,
) -> Promotion:
    src = registry.image(source, tag)
    if src is None:
        raise NotFound(f"image {source}:{tag} is not in ECR: nothing to promote")
    status, counts = registry.scan_findings(source, tag)
    if status != "COMPLETE":
        raise Refused(
            f"the scan of {source}:{tag} is {status}, not COMPLETE: promote it once it has been scanned"
        )
    bad = blocking(counts, fail_on)
    if bad:
        found = ", ".join(f"{n} {sev}" for sev, n in sorted(bad.items(), key=lambda kv: -_RANK.get(kv[0], 2)))
        raise Refused(f"{source}:{tag} has scan findings at or above {fail_on}: {found}")
    dst = registry.image(target, tag)
    if dst is not None:
        if dst.digest != src.digest:
            raise Refused(
                f"{target}:{tag} already exists with another digest ({dst.digest} != {src.digest}); tags are "
                "immutable"
            )
        return Promotion(source, target, tag, dst.digest, True)
    manifest, media_type = registry.manifest(source, tag)
    say(f"copying the manifest of {source}:{tag} ({src.digest}) to {target}")
    # a multi-platform index: each platform's manifest (and its blobs) first, untagged
    for child in child_manifests(manifest, media_type):
        child_manifest, child_type = registry.manifest(source, "", digest=child)
        _put(registry, source, target, "", child_manifest, child_type, say)
    digest = _put(registry, source, target, tag, manifest, media_type, say)
    if digest != src.digest:
        raise Refused(f"the copy in {target} has digest {digest}, not {src.digest}")
    return Promotion(source, target, tag, digest, False)


def _put(
    registry: Registry,
    source: str,
    target: str,
    tag: str,
    manifest: str,
    media_type: str,
    say: Callable[[str], None],
) -> str:
    """Write the manifest; when ECR says blobs are missing in `target`, copy them and write it again."""
    try:
        return registry.put_manifest(target, tag, manifest, media_type)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "LayersNotFoundException":
            raise
    say(f"{target} lacks blobs of this image: copying them from {source}")
    copy_blobs(registry.client, source, target, blob_digests(manifest), say)
    return registry.put_manifest(target, tag, manifest, media_type)
