"""`image promote` against real ECR behaviour that moto does not model: PutImage refuses a manifest whose
blobs are not in the target repository (LayersNotFoundException), so the missing blobs are read through
their presigned URL (a real HTTP server on loopback here) and uploaded with the layer-upload API, then the
manifest is written again. Scripted with botocore's Stubber, which checks every request against the API."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading

import boto3
import pytest
from botocore.stub import ANY, Stubber
from macro_ai_deploy.aws.ecr import Registry
from macro_ai_deploy.errors import DeployError
from macro_ai_deploy.promotion import promote

LAYER = b"layer bytes " * 1000
LAYER_DIGEST = "sha256:" + hashlib.sha256(LAYER).hexdigest()
CONFIG_DIGEST = "sha256:" + "c" * 64
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7,
            "digest": CONFIG_DIGEST,
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": len(LAYER),
                "digest": LAYER_DIGEST,
            }
        ],
    }
)
IMAGE_DIGEST = "sha256:" + hashlib.sha256(MANIFEST.encode()).hexdigest()
MEDIA = "application/vnd.docker.distribution.manifest.v2+json"


@pytest.fixture
def blob_server():
    served = {"body": LAYER}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(served["body"])))
            self.end_headers()
            self.wfile.write(served["body"])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/blob", served
    server.shutdown()


def scripted(url: str, body: bytes = LAYER) -> tuple[Registry, Stubber]:
    """The calls of a promotion whose target lacks the layer; `body` is what the download URL serves."""
    ecr = boto3.client("ecr", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(ecr)
    detail = {"imageDetails": [{"imageDigest": IMAGE_DIGEST, "imageTags": ["t1"]}]}
    stub.add_response("describe_images", detail, {"repositoryName": "stg", "imageIds": [{"imageTag": "t1"}]})
    stub.add_response(
        "describe_image_scan_findings",
        {
            "imageScanStatus": {"status": "COMPLETE"},
            "imageScanFindings": {"findingSeverityCounts": {"LOW": 1}},
        },
        {"repositoryName": "stg", "imageId": {"imageTag": "t1"}},
    )
    stub.add_client_error("describe_images", "ImageNotFoundException", "no such image")
    stub.add_response(
        "batch_get_image",
        {
            "images": [
                {"imageManifest": MANIFEST, "imageManifestMediaType": MEDIA, "imageId": {"imageTag": "t1"}}
            ]
        },
        {"repositoryName": "stg", "imageIds": [{"imageTag": "t1"}], "acceptedMediaTypes": ANY},
    )
    put = {
        "repositoryName": "prod",
        "imageManifest": MANIFEST,
        "imageTag": "t1",
        "imageManifestMediaType": MEDIA,
    }
    stub.add_client_error("put_image", "LayersNotFoundException", "layers not found", expected_params=put)
    stub.add_response(
        "batch_check_layer_availability",
        {
            "layers": [
                {"layerDigest": CONFIG_DIGEST, "layerAvailability": "AVAILABLE"},
                {"layerDigest": LAYER_DIGEST, "layerAvailability": "UNAVAILABLE"},
            ]
        },
        {"repositoryName": "prod", "layerDigests": [CONFIG_DIGEST, LAYER_DIGEST]},
    )
    stub.add_response(
        "get_download_url_for_layer",
        {"downloadUrl": url, "layerDigest": LAYER_DIGEST},
        {"repositoryName": "stg", "layerDigest": LAYER_DIGEST},
    )
    stub.add_response(
        "initiate_layer_upload", {"uploadId": "u1", "partSize": 20971520}, {"repositoryName": "prod"}
    )
    stub.add_response(
        "upload_layer_part",
        {"uploadId": "u1", "lastByteReceived": len(body) - 1},
        {
            "repositoryName": "prod",
            "uploadId": "u1",
            "partFirstByte": 0,
            "partLastByte": len(body) - 1,
            "layerPartBlob": body,
        },
    )
    if body != LAYER:  # the digest check stops before completing the upload
        return Registry(ecr), stub
    stub.add_response(
        "complete_layer_upload",
        {"uploadId": "u1", "layerDigest": LAYER_DIGEST},
        {"repositoryName": "prod", "uploadId": "u1", "layerDigests": [LAYER_DIGEST]},
    )
    return Registry(ecr), stub


def test_missing_blobs_are_copied_then_the_manifest_is_written_again(blob_server):
    url, _ = blob_server
    registry, stub = scripted(url)
    stub.add_response(
        "put_image",
        {"image": {"imageId": {"imageDigest": IMAGE_DIGEST, "imageTag": "t1"}}},
        {
            "repositoryName": "prod",
            "imageManifest": MANIFEST,
            "imageTag": "t1",
            "imageManifestMediaType": MEDIA,
        },
    )
    with stub:
        out = promote(registry, "stg", "prod", "t1", "HIGH")
    stub.assert_no_pending_responses()
    assert out.digest == IMAGE_DIGEST
    assert not out.already_there


def test_a_blob_that_reads_back_with_another_digest_is_not_uploaded(blob_server):
    url, served = blob_server
    served["body"] = b"tampered"
    registry, stub = scripted(url, b"tampered")
    with stub, pytest.raises(DeployError, match="another digest"):
        promote(registry, "stg", "prod", "t1", "HIGH")
