"""Configuration: the Parameter Store hierarchy, the app secret and (optionally) RDS PostgreSQL.

- Non-secret settings are written under ``/macro-ai/<env>/<NAME>`` (String parameters, one per setting), the
  hierarchy both fleets and the service's run-time reader use; the task definition gets the same values.
- Operator-owned, non-secret items the IaC cannot know (the Cognito ids) are *referenced* under the same
  prefix and injected by ECS from Parameter Store.
- Every secret of the contract is a JSON key of one Secrets Manager secret, ``macro-ai/<env>/app``. The stack
  creates only its shape (empty values, plus a generated cookie key); operators set the values, and the
  template never carries one.
- Adopt mode (secrets continuity): a secret or operator item the running fleet already keeps in Parameter
  Store is injected from that parameter instead (``AdoptedPlatform.existing_parameters``), so users stay
  signed in across the cutover; such keys are left out of the app secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from aws_cdk import RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct
from macro_ai_contract.service import ServiceContract, load_contract

from macro_ai_infra.nag import acknowledge
from macro_ai_infra.profile import Profile, StackDatabase

# Contract environment names whose values are owned by operators (config push) and injected by ECS.
OPERATOR_PARAMETERS = load_contract().operator_parameters
# Setting names that look like secrets never become plain environment values, even when their value is not
# secret (e.g. AWS_COGNITO_REFRESH_TOKEN_EXPIRY, a number of days): ECS injects them from Parameter Store.
SECRET_LOOKING_NAME = re.compile(r"KEY|SECRET|PASSWORD|TOKEN|CREDENTIAL", re.IGNORECASE)


def split_settings(settings: dict[str, str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """(plain environment, names injected from the Parameter Store hierarchy instead)."""
    via_parameter = tuple(sorted(name for name in settings if SECRET_LOOKING_NAME.search(name)))
    plain = {k: v for k, v in settings.items() if k not in via_parameter}
    return plain, via_parameter


# The one secret key the stack can generate itself: 64 lowercase hex characters (AES-256 key).
GENERATED_SECRET_KEY = "COOKIE_ENCRYPTION_KEY"  # noqa: S105 (a key name, not a value)
_NOT_HEX = "ghijklmnopqrstuvwxyz"


def plain_environment(
    profile: Profile,
    contract: ServiceContract,
    *,
    app_env: str,
    region: str,
    cors_allowed_origins: tuple[str, ...],
    database_login_id: str = "",
) -> dict[str, str]:
    """Values of the contract's non-secret environment, from the profile (operator-owned names excluded).

    ``database_login_id`` is the ARN of the RDS-managed master secret where the stack owns the
    database: the API builds its database URL from it and follows RDS's rotation of the password.
    """
    limits = profile.rate_limits
    values = {
        "APP_ENV": app_env,
        "SERVER_PORT": str(contract.port),
        "LOG_LEVEL": profile.log_level,
        "COOKIE_DOMAIN": profile.domain_name,
        "CUSTOM_DOMAIN_NAME": profile.domain_name,
        "CORS_ALLOWED_ORIGINS": ",".join(o.format(domain=profile.domain_name) for o in cors_allowed_origins),
        "TRUSTED_PROXY_HOPS": "1",
        "AWS_COGNITO_REGION": region,
        "AWS_COGNITO_REFRESH_TOKEN_EXPIRY": str(profile.refresh_token_expiry_days),
        "AI_PROVIDER": profile.ai_provider,
        "OPENAI_MODEL": profile.openai_model,
        "OPENAI_BASE_URL": profile.openai_base_url,
        "RATE_LIMIT_MAX_REQUESTS": str(limits.max_requests),
        "RATE_LIMIT_WINDOW_SECONDS": str(limits.window_seconds),
        "AUTH_RATE_LIMIT_MAX_REQUESTS": str(limits.auth_max_requests),
        "AUTH_RATE_LIMIT_WINDOW_SECONDS": str(limits.auth_window_seconds),
        "API_RATE_LIMIT_MAX_REQUESTS": str(limits.api_max_requests),
        "API_RATE_LIMIT_WINDOW_SECONDS": str(limits.api_window_seconds),
        "SHUTDOWN_DRAIN_SECONDS": str(contract.drain_seconds),
        "DATABASE_LOGIN_ID": database_login_id,
    }
    expected = set(contract.environment) - set(OPERATOR_PARAMETERS)
    if set(values) != expected:
        raise ValueError(
            "service contract and infra disagree on environment names: "
            f"missing {sorted(expected - set(values))}, unknown {sorted(set(values) - expected)}"
        )
    return values


def operator_parameters(
    scope: Construct, prefix: str, extra: tuple[str, ...] = (), existing: Mapping[str, str] | None = None
) -> dict[str, ssm.IParameter]:
    """Parameters referenced (not created here): the operator-owned ones, plus ``extra``, under ``prefix``
    unless ``existing`` names where the running fleet keeps one."""
    existing = existing or {}
    return {
        name: ssm.StringParameter.from_string_parameter_name(
            scope, f"Operator{name.title().replace('_', '')}", existing.get(name, f"{prefix}{name}")
        )
        for name in (*OPERATOR_PARAMETERS, *extra)
    }


def existing_secret_parameters(
    scope: Construct, names: tuple[str, ...], existing: Mapping[str, str]
) -> dict[str, ssm.IParameter]:
    """Contract secrets the running fleet keeps as SecureString parameters (adopt mode)."""
    return {
        name: ssm.StringParameter.from_secure_string_parameter_attributes(
            scope, f"Existing{name.title().replace('_', '')}", parameter_name=existing[name]
        )
        for name in names
        if name in existing
    }


class Configuration(Construct):
    """Parameter Store hierarchy + the app secret of one environment."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        profile: Profile,
        contract: ServiceContract,
        settings: dict[str, str] | None,
    ) -> None:
        super().__init__(scope, construct_id)
        existing = dict(profile.adopted.existing_parameters) if profile.adopted else {}
        self.prefix = profile.env.parameter_prefix
        self.parameter_path_arn_suffix = f"parameter{self.prefix}*"

        self.setting_parameters: dict[str, ssm.IParameter] = {}
        for name, value in (settings or {}).items():
            if name in existing:
                # Adopt mode: the running fleet owns its hierarchy; a parameter it already has is read, not
                # created (CloudFormation cannot create a name that exists).
                self.setting_parameters[name] = ssm.StringParameter.from_string_parameter_name(
                    self, f"Existing{name.title().replace('_', '')}", existing[name]
                )
                continue
            if not value or profile.adopted is not None:
                # SSM rejects empty strings (absent means "unset"); in adopt mode the tasks get the settings
                # as plain environment and nothing is written into the running fleet's hierarchy.
                continue
            self.setting_parameters[name] = ssm.StringParameter(
                self,
                f"Setting{name.title().replace('_', '')}",
                parameter_name=f"{self.prefix}{name}",
                string_value=value,
                description=f"{contract.service} {name} ({profile.environment}); managed by CDK",
                tier=ssm.ParameterTier.STANDARD,
            )

        self.operator_parameters = operator_parameters(self, self.prefix, existing=existing)
        # What ECS injects from Parameter Store: operator-owned items and secret-looking setting names.
        missing = [n for n in split_settings(settings or {})[1] if n not in self.setting_parameters]
        if missing:
            raise ValueError(f"settings with secret-looking names need a value to inject: {missing}")
        adopted_secrets = existing_secret_parameters(self, contract.secrets, existing)
        self.injected_parameters: dict[str, ssm.IParameter] = {
            **self.operator_parameters,
            **adopted_secrets,
            **{name: self.setting_parameters[name] for name in split_settings(settings or {})[1]},
        }
        # Contract secrets the task reads from the app secret: all but those the running fleet already has.
        self.app_secret_keys = tuple(name for name in contract.secrets if name not in adopted_secrets)

        self.app_secret = secretsmanager.Secret(
            self,
            "AppSecret",
            secret_name=profile.env.secret_name,
            description=(
                f"{contract.service} secrets ({profile.environment}): one JSON key per secret of the "
                "service contract. Values are set by operators, never by the template."
            ),
            removal_policy=RemovalPolicy.RETAIN if profile.retain_data else RemovalPolicy.DESTROY,
            generate_secret_string=_generated_cookie_key(self.app_secret_keys),
            secret_object_value=_empty_shape(self.app_secret_keys),
        )
        acknowledge(
            self.app_secret,
            "AwsSolutions-SMG4",
            (
                "The app secret holds third-party credentials (Cognito client secret, model provider key, "
                "client API key) that are rotated by their issuers and written by operators; no Lambda can "
                "rotate them. Database passwords are not in it (RDS-managed master secret, app-role login)."
            ),
        )


def _generated_cookie_key(keys: tuple[str, ...]) -> secretsmanager.SecretStringGenerator | None:
    """Empty values for operators to fill, and the cookie key generated (64 hex) when the stack owns it."""
    if GENERATED_SECRET_KEY not in keys:
        return None
    template = {name: "" for name in keys if name != GENERATED_SECRET_KEY}
    return secretsmanager.SecretStringGenerator(
        secret_string_template=json.dumps(template, sort_keys=True),
        generate_string_key=GENERATED_SECRET_KEY,
        password_length=64,
        exclude_punctuation=True,
        exclude_uppercase=True,
        include_space=False,
        exclude_characters=_NOT_HEX,
    )


def _empty_shape(keys: tuple[str, ...]) -> dict[str, SecretValue] | None:
    """Adopt mode keeps the running fleet's cookie key: nothing to generate, only empty values to fill."""
    if GENERATED_SECRET_KEY in keys:
        return None
    return {name: SecretValue.unsafe_plain_text("") for name in sorted(keys)}


class Database(Construct):
    """RDS PostgreSQL: an RDS-managed master secret (rotated by RDS, no Lambda) for administration only, and
    a login secret of the app's own role, which the tasks use (docs/infra.md, "Database role")."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        profile: Profile,
        config: StackDatabase,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
    ) -> None:
        super().__init__(scope, construct_id)
        self.port = config.port
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"macro-ai {profile.environment} PostgreSQL: clients are added explicitly",
            allow_all_outbound=False,
        )
        subnet_group = rds.CfnDBSubnetGroup(
            self,
            "SubnetGroup",
            db_subnet_group_description=f"macro-ai {profile.environment} database subnets",
            subnet_ids=vpc.select_subnets(
                subnet_type=subnets.subnet_type, subnets=subnets.subnets
            ).subnet_ids,
        )
        self.instance = rds.CfnDBInstance(
            self,
            "Instance",
            engine="postgres",
            engine_version=config.engine_version,
            db_instance_class=config.instance_class,
            allocated_storage=str(config.allocated_storage_gib),
            max_allocated_storage=config.max_allocated_storage_gib,
            storage_type="gp3",
            storage_encrypted=True,
            db_name=config.database_name,
            master_username="macroai",
            manage_master_user_password=True,
            multi_az=config.multi_az,
            publicly_accessible=False,
            db_subnet_group_name=subnet_group.ref,
            vpc_security_groups=[self.security_group.security_group_id],
            backup_retention_period=config.backup_retention_days,
            deletion_protection=config.deletion_protection,
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            enable_iam_database_authentication=True,
            enable_performance_insights=False,
            port=str(self.port),
        )
        policy = RemovalPolicy.SNAPSHOT if profile.retain_data else RemovalPolicy.DESTROY
        self.instance.apply_removal_policy(policy)
        if not config.multi_az:
            acknowledge(
                self.instance,
                "AwsSolutions-RDS3",
                f"Single-AZ by the {profile.key} profile's choice (StackDatabase.multi_az=False): a failover "
                "costs minutes of downtime there, and Multi-AZ doubles the instance cost; a profile that "
                "needs it sets multi_az=True and this acknowledgment disappears.",
            )
        acknowledge(
            self.instance,
            "AwsSolutions-RDS11",
            "The default PostgreSQL port is kept: a non-standard port is obscurity, not a control. Access "
            "is limited by the database security group to the API tasks (and legacy fleet) only.",
        )
        self.master_secret_arn = self.instance.attr_master_user_secret_secret_arn
        self.endpoint = self.instance.attr_endpoint_address
        # The app's own role (no rds_superuser, no CREATEROLE): created once with the grant step in
        # docs/infra.md, from this secret's password; the tasks read only this secret, never the master's.
        shape = {
            "username": config.app_user,
            "host": self.endpoint,
            "port": str(config.port),
            "dbname": config.database_name,
        }
        self.app_login = secretsmanager.Secret(
            self,
            "AppLogin",
            secret_name=f"{profile.env.secret_name.rsplit('/', 1)[0]}/database-app-user",
            description=f"macro-ai {profile.environment}: login of the app's database role {config.app_user}",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=Stack.of(self).to_json_string(shape),
                generate_string_key="password",
                password_length=40,
                exclude_punctuation=True,
                include_space=False,
            ),
            removal_policy=RemovalPolicy.RETAIN if profile.retain_data else RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.app_login,
            "AwsSolutions-SMG4",
            "No rotation Lambda: the app role's password is set by the documented grant step (ALTER ROLE "
            "this secret's value) and changed the same way; the API re-reads this secret at run time, so a "
            "new password needs no redeploy. The master password is rotated by RDS itself.",
        )
