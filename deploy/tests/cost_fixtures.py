"""A small fixed template and round-number prices, loads and capacity for the cost model's tests.

The template holds one of everything the model prices: a NAT gateway with its Elastic IP, an internet-facing
ALB in two subnets, an interface endpoint in two subnets, a Fargate service (0.5 vCPU / 1 GB ARM64, base 1 on
FARGATE then FARGATE_SPOT and FARGATE weighted 1:1, 2..4 tasks, private), its log group (30 days), its
cluster with Container Insights on, two alarms
(one plain, one metric math over two metrics), a secret, a KMS key, an advanced parameter, an RDS
db.t4g.micro with 20 GiB gp3, and a legacy fleet of 2 x t4g.small (20 GiB gp3, private, behind the NAT).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PRICES: dict[str, Any] = {
    "region": "test-region-1",
    "as_of": "2026-01-01",
    "verified_against_price_list": False,
    "hours_per_month": 730,
    "fargate_task_sizes": {"256": [512, 1024], "512": [1024, 2048], "1024": [2048, 4096]},
    "prices": {
        key: {"usd": usd, "unit": "test", "source": "test"}
        for key, usd in {
            "fargate.arm64.vcpu_hour": 0.04,
            "fargate.arm64.gb_hour": 0.004,
            "fargate.arm64.spot.vcpu_hour": 0.01,
            "fargate.arm64.spot.gb_hour": 0.001,
            "alb.hour": 0.02,
            "alb.lcu_hour": 0.01,
            "nat.hour": 0.05,
            "nat.gb": 0.05,
            "endpoint.interface.hour": 0.01,
            "endpoint.interface.gb": 0.01,
            "ipv4.hour": 0.005,
            "logs.ingest_gb": 0.5,
            "logs.storage_gb_month": 0.03,
            "cloudwatch.alarm_metric_month": 0.1,
            "cloudwatch.dashboard_month": 3.0,
            "cloudwatch.custom_metric_month": 0.3,
            "secretsmanager.secret_month": 0.4,
            "ssm.advanced_parameter_month": 0.05,
            "kms.key_month": 1.0,
            "rds.postgres.db.t4g.micro.hour": 0.02,
            "rds.storage.gp3.gb_month": 0.1,
            "ec2.t4g.small.hour": 0.02,
            "ebs.gp3.gb_month": 0.1,
        }.items()
    },
}


def profile_load(**changes: Any) -> dict[str, Any]:
    load = {
        "requests_per_second": 100.0,
        "quiet_requests_per_second": 0.0,
        "hours_per_day": 24,
        "days_per_week": 7,
        "start_hour_utc": 0,
        "interruptions_ok": True,
        "may_stop_when_quiet": False,
        "saving_goal_percent": 40,
        "legacy": {"instance_type": "t4g.small", "count": 1},
    }
    return {**load, **changes}


LOADS: dict[str, Any] = {
    "headroom_percent": 30,
    "traffic": {
        "bytes_per_request": 10_000,
        "new_connections_per_request": 0.25,
        "nat_gb_per_task_month": 10.0,
        "endpoint_gb_per_task_month": 5.0,
    },
    "logs": {"legacy_bytes_per_request": 1000, "metric_routes_per_minute": 2, "event_overhead_bytes": 0},
    "custom_metrics": {
        "api_routes_per_hour": 5,
        "insights_per_cluster": 10,
        "insights_per_service": 20,
    },
    "task_memory_floor_mib": 512,
    "legacy_default": {
        "root_volume_gib": 20,
        "root_volume_type": "gp3",
        "public_ipv4_per_instance": True,
        "load_balancer_azs": 2,
    },
    "profiles": {
        "hobby": profile_load(),
        "staging": profile_load(),
        "production": profile_load(),
        "preview": profile_load(requests_per_second=1.0, open_previews=3, legacy=None),
    },
}

CAPACITY: dict[str, Any] = {
    "measured_by_endpoint": {"GET /api/chats": "2026-01-01 (test)"},
    "machine": "test",
    "vcpus_per_worker": 1,
    "sizing_endpoint": "GET /api/chats",
    "requests_per_second": {"GET /api/chats": 100},
    "log_bytes_per_request": 200,
    "metric_document_bytes": 500,
    "measured": {"log_bytes_per_request": "2026-01-01 (test)"},
}


def _subnet_with_nat(resources: dict[str, Any]) -> None:
    resources.update(
        {
            "Eip": {"Type": "AWS::EC2::EIP", "Properties": {}},
            "Nat": {
                "Type": "AWS::EC2::NatGateway",
                "Properties": {"AllocationId": {"Fn::GetAtt": ["Eip", "Id"]}},
            },
            "PrivateTable": {"Type": "AWS::EC2::RouteTable", "Properties": {}},
            "PrivateRoute": {
                "Type": "AWS::EC2::Route",
                "Properties": {"RouteTableId": {"Ref": "PrivateTable"}, "NatGatewayId": {"Ref": "Nat"}},
            },
            "PrivateSubnet": {"Type": "AWS::EC2::Subnet", "Properties": {}},
            "PrivateAssoc": {
                "Type": "AWS::EC2::SubnetRouteTableAssociation",
                "Properties": {"RouteTableId": {"Ref": "PrivateTable"}, "SubnetId": {"Ref": "PrivateSubnet"}},
            },
        }
    )


def service_resources(cpu: str = "512", memory: str = "1024", **service: Any) -> dict[str, Any]:
    props = {
        "CapacityProviderStrategy": [
            {"CapacityProvider": "FARGATE", "Base": 1, "Weight": 1},
            {"CapacityProvider": "FARGATE_SPOT", "Weight": 1},
        ],
        "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED"}},
        "TaskDefinition": {"Ref": "TaskDef"},
        "ServiceName": "api",
        **service,
    }
    return {
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
        "TaskDef": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Cpu": cpu,
                "Memory": memory,
                "RequiresCompatibilities": ["FARGATE"],
                "RuntimePlatform": {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"},
                "ContainerDefinitions": [
                    {
                        "LogConfiguration": {
                            "LogDriver": "awslogs",
                            "Options": {"awslogs-group": {"Ref": "Logs"}},
                        }
                    }
                ],
            },
        },
        "Service": {"Type": "AWS::ECS::Service", "Properties": props},
        "Target": {
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "Properties": {
                "MinCapacity": 2,
                "MaxCapacity": 4,
                "ResourceId": {"Fn::Join": ["", ["service/c/", {"Fn::GetAtt": ["Service", "Name"]}]]},
            },
        },
    }


def environment_template() -> dict[str, Any]:
    resources: dict[str, Any] = {}
    _subnet_with_nat(resources)
    resources.update(service_resources(Cluster={"Ref": "Cluster"}))
    resources.update(
        {
            "Cluster": {
                "Type": "AWS::ECS::Cluster",
                "Properties": {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]},
            },
            "Alb": {
                "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "Properties": {"Scheme": "internet-facing", "Type": "application", "Subnets": ["a", "b"]},
            },
            "Https": {
                "Type": "AWS::ElasticLoadBalancingV2::Listener",
                "Properties": {"LoadBalancerArn": {"Ref": "Alb"}},
            },
            "Endpoint": {
                "Type": "AWS::EC2::VPCEndpoint",
                "Properties": {"VpcEndpointType": "Interface", "SubnetIds": ["a", "b"]},
            },
            "S3Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Gateway"}},
            "Plain": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "CPUUtilization"}},
            "Math": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "Metrics": [
                        {"Id": "e", "Expression": "a/b"},
                        {"Id": "a", "MetricStat": {}},
                        {"Id": "b", "MetricStat": {}},
                    ]
                },
            },
            "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
            "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
            "Advanced": {"Type": "AWS::SSM::Parameter", "Properties": {"Tier": "Advanced"}},
            "Standard": {"Type": "AWS::SSM::Parameter", "Properties": {}},
            "Db": {
                "Type": "AWS::RDS::DBInstance",
                "Properties": {
                    "DBInstanceClass": "db.t4g.micro",
                    "AllocatedStorage": "20",
                    "StorageType": "gp3",
                    "MultiAZ": False,
                },
            },
            "LegacyTemplate": {
                "Type": "AWS::EC2::LaunchTemplate",
                "Properties": {
                    "LaunchTemplateData": {
                        "InstanceType": "t4g.small",
                        "BlockDeviceMappings": [{"Ebs": {"VolumeSize": 20, "VolumeType": "gp3"}}],
                        "NetworkInterfaces": [{"AssociatePublicIpAddress": False}],
                    }
                },
            },
            "LegacyGroup": {
                "Type": "AWS::AutoScaling::AutoScalingGroup",
                "Properties": {
                    "LaunchTemplate": {"LaunchTemplateId": {"Ref": "LegacyTemplate"}},
                    "MinSize": "1",
                    "DesiredCapacity": "2",
                    "VPCZoneIdentifier": [{"Ref": "PrivateSubnet"}],
                },
            },
        }
    )
    return {"Resources": resources}


def shared_preview_template() -> dict[str, Any]:
    """The preview platform: an ALB (2 zones) whose HTTPS listener is exported, and nothing else billable."""
    return {
        "Resources": {
            "Alb": {
                "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "Properties": {"Scheme": "internet-facing", "Subnets": ["a", "b"]},
            },
            "Https": {
                "Type": "AWS::ElasticLoadBalancingV2::Listener",
                "Properties": {"LoadBalancerArn": {"Ref": "Alb"}},
            },
        },
        "Outputs": {"Listener": {"Value": {"Ref": "Https"}, "Export": {"Name": "Shared-HttpsListenerArn"}}},
    }


def borrowing_template(**service: Any) -> dict[str, Any]:
    """A service routed through the shared preview ALB by a host rule, public IP, on Spot."""
    settings = {
        "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}],
        "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "ENABLED"}},
        **service,
    }
    resources = service_resources(cpu="256", memory="512", **settings)
    resources["Rule"] = {
        "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
        "Properties": {"ListenerArn": {"Fn::ImportValue": "Shared-HttpsListenerArn"}},
    }
    return {"Resources": resources}


def write(folder: Path, templates: dict[str, dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, template in templates.items():
        (folder / f"{name}.template.json").write_text(json.dumps(template))
    return folder


def write_data(folder: Path, loads: dict[str, Any] | None = None) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "prices": folder / "prices.json",
        "loads": folder / "loads.json",
        "capacity": folder / "capacity.json",
    }
    paths["prices"].write_text(json.dumps(PRICES))
    paths["loads"].write_text(json.dumps(loads or LOADS))
    paths["capacity"].write_text(json.dumps(CAPACITY))
    return paths
