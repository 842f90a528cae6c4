"""`image promote FROM TO --image-tag T` on the moto server: the same manifest and digest land in the next
environment's repository, and an image whose scan found HIGH or worse is refused."""

from __future__ import annotations

import json
import urllib.request

MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7,
            "digest": "sha256:" + "c" * 64,
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": 9,
                "digest": "sha256:" + "d" * 64,
            }
        ],
    }
)


def two_environments(make_world, aws_client):
    staging = make_world(env="staging", stack="MacroAiStagingStack")
    production = make_world(env="production", stack="MacroAiProductionStack")
    ecr = aws_client("ecr")
    ecr.put_image(repositoryName="macro-ai-api-staging", imageManifest=MANIFEST, imageTag="abc123")
    ecr.start_image_scan(repositoryName="macro-ai-api-staging", imageId={"imageTag": "abc123"})
    return staging, production


def findings(moto_url, counts):
    body = {
        "results": [
            {
                "registryId": "123456789012",
                "repositoryName": "macro-ai-api-staging",
                "imageId": {"imageTag": "abc123"},
                "imageScanStatus": {"status": "COMPLETE", "description": "done"},
                "imageScanFindings": {"findingSeverityCounts": counts},
            }
        ],
        "region": "us-east-1",
    }
    req = urllib.request.Request(  # noqa: S310 - the moto server's own http URL
        f"{moto_url}/moto-api/static/ecr/scan-finding-results",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(req)  # noqa: S310


def test_promote_copies_the_manifest_with_the_same_digest(make_world, cli, aws_client, moto_url):
    two_environments(make_world, aws_client)
    findings(moto_url, {"LOW": 3, "MEDIUM": 1})
    r = cli("image", "promote", "staging", "production", "--image-tag", "abc123")
    assert r.exit_code == 0, r.all_output
    ecr = aws_client("ecr")
    src = ecr.describe_images(repositoryName="macro-ai-api-staging", imageIds=[{"imageTag": "abc123"}])
    dst = ecr.describe_images(repositoryName="macro-ai-api-production", imageIds=[{"imageTag": "abc123"}])
    assert dst["imageDetails"][0]["imageDigest"] == src["imageDetails"][0]["imageDigest"]
    # idempotent: a second promotion finds it there
    again = cli("image", "promote", "staging", "production", "--image-tag", "abc123")
    assert again.exit_code == 0, again.all_output
    assert "already there" in again.stdout


def test_promote_refuses_findings_at_or_above_the_threshold(make_world, cli, aws_client, moto_url):
    two_environments(make_world, aws_client)
    findings(moto_url, {"HIGH": 1, "LOW": 2})
    r = cli("image", "promote", "staging", "production", "--image-tag", "abc123")
    assert r.exit_code == 6, r.all_output
    assert "1 HIGH" in r.stderr
    ecr = aws_client("ecr")
    assert ecr.list_images(repositoryName="macro-ai-api-production")["imageIds"] == []
    # a looser threshold, chosen on purpose, lets it through
    ok = cli("image", "promote", "staging", "production", "--image-tag", "abc123", "--fail-on", "CRITICAL")
    assert ok.exit_code == 0, ok.all_output


def test_promote_refuses_an_unscanned_or_missing_image(make_world, cli, aws_client):
    make_world(env="staging", stack="MacroAiStagingStack")
    make_world(env="production", stack="MacroAiProductionStack")
    aws_client("ecr").put_image(repositoryName="macro-ai-api-staging", imageManifest=MANIFEST, imageTag="t2")
    r = cli("image", "promote", "staging", "production", "--image-tag", "t2")
    assert r.exit_code == 6, r.all_output
    assert "scan" in r.stderr
    missing = cli("image", "promote", "staging", "production", "--image-tag", "nope")
    assert missing.exit_code == 3, missing.all_output
