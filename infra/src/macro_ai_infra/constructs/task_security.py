"""Security groups of the API tasks (and the legacy fleet): inbound only from the load balancer, outbound
only to HTTPS and to the database the profile declares."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from macro_ai_infra.profile import DatabasePlacement, ExternalDatabase, SecurityGroupDatabase, StackDatabase


def allow_database(
    scope: Construct,
    group: ec2.SecurityGroup,
    placement: DatabasePlacement,
    stack_database_group: ec2.ISecurityGroup | None,
) -> None:
    """Egress to the declared database and nothing broader (and its ingress where the group is ours)."""
    port = ec2.Port.tcp(placement.port)
    if isinstance(placement, StackDatabase):
        if stack_database_group is None:
            raise ValueError("an in-stack database needs its security group")
        group.connections.allow_to(stack_database_group, port, "PostgreSQL (in-stack RDS)")
    elif isinstance(placement, SecurityGroupDatabase):
        existing = ec2.SecurityGroup.from_security_group_id(
            scope, "DatabaseSecurityGroup", placement.security_group_id, mutable=True
        )
        group.connections.allow_to(existing, port, "PostgreSQL (existing database security group)")
    elif isinstance(placement, ExternalDatabase):
        for cidr in placement.cidrs:
            group.add_egress_rule(
                ec2.Peer.ipv4(cidr),
                port,
                f"PostgreSQL at {placement.host} (TLS, sslmode={placement.sslmode})",
            )


class TaskSecurityGroup(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        vpc: ec2.IVpc,
        port: int,
        load_balancer_security_group: ec2.ISecurityGroup,
        database: DatabasePlacement,
        stack_database_group: ec2.ISecurityGroup | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.group = ec2.SecurityGroup(
            self, "Group", vpc=vpc, description=description, allow_all_outbound=False
        )
        self.group.add_ingress_rule(
            load_balancer_security_group, ec2.Port.tcp(port), "from the load balancer only"
        )
        self.group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "AWS APIs, Cognito, model provider (HTTPS)"
        )
        allow_database(self, self.group, database, stack_database_group)
