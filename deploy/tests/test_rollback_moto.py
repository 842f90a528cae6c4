"""`rollback` against moto: the previous image is found, and only the ImageTag parameter changes."""

from __future__ import annotations


def test_rollback_finds_the_previous_image(world, cli, aws_client):
    ecs = aws_client("ecs")
    repo = aws_client("ecr").describe_repositories(repositoryNames=["macro-ai-api-hobby"])["repositories"][0][
        "repositoryUri"
    ]
    # revisions: 1 = c0ffee (from the world), 2 = same image (config change), 3 = new image
    for tag in ("c0ffee", "beef01"):
        ecs.register_task_definition(
            family="macro-ai-api-hobby",
            containerDefinitions=[{"name": "api", "image": f"{repo}:{tag}", "memory": 512}],
        )
    ecs.update_service(cluster="macro-ai-hobby", service="api", taskDefinition="macro-ai-api-hobby:3")
    from macro_ai_deploy.aws.ecs import Ecs

    tag, arn = Ecs(ecs).previous_image_tag(
        ecs.describe_services(cluster="macro-ai-hobby", services=["api"])["services"][0]["taskDefinition"]
    )
    assert tag == "c0ffee"
    assert arn.endswith(":2")
    # through the CLI: c0ffee is not in ECR (lifecycle expired it?) -> refused before touching the stack
    r = cli("rollback", "hobby")
    assert "previous image: c0ffee" in r.stdout
    assert r.exit_code == 3
    assert "not in ECR" in r.stderr


def test_rollback_updates_only_the_image_parameter_and_reports_truthfully(world, cli, aws_client):
    ecs, ecr = aws_client("ecs"), aws_client("ecr")
    repo = ecr.describe_repositories(repositoryNames=["macro-ai-api-hobby"])["repositories"][0][
        "repositoryUri"
    ]
    ecs.register_task_definition(
        family="macro-ai-api-hobby",
        containerDefinitions=[{"name": "api", "image": f"{repo}:beef01", "memory": 512}],
    )
    ecs.update_service(cluster="macro-ai-hobby", service="api", taskDefinition="macro-ai-api-hobby:2")
    ecr.put_image(
        repositoryName="macro-ai-api-hobby",
        imageTag="c0ffee",
        imageManifest=(
            '{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", '
            '"config": {"digest": "sha256:' + "d" * 64 + '"}, "layers": []}'
        ),
    )
    client = aws_client("cloudformation")
    client.update_stack(
        StackName=world.stack,
        UsePreviousTemplate=True,
        Parameters=[
            {"ParameterKey": k, "UsePreviousValue": True}
            if k != "ImageTag"
            else {"ParameterKey": k, "ParameterValue": "beef01"}
            for k in world.stack_params()
        ],
    )
    r = cli("rollback", "hobby", "--timeout", "0s")
    p = world.stack_params()
    assert p["ImageTag"] == "c0ffee"
    assert p["LegacyWeight"] == "100"
    assert p["OutListenerArn"] == world.outputs["ListenerArn"]
    # moto's CloudFormation does not create the new ECS revision, and the CLI says so instead of "success"
    assert r.exit_code == 11, r.all_output
    assert "ROLLBACK FAILED" in r.stdout
    assert "did not produce a new task definition" in r.stdout
