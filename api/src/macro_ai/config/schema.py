"""The settings schema: every configuration item of the service, its type, default and rules.

Where the values come from is ``macro_ai.config.sources``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from macro_ai_contract import AppBehaviour, load_environments
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def environment_behaviour(app_env: str) -> AppBehaviour:
    """What an ``APP_ENV`` value means for the service (environments.json); ValueError if it is unknown."""
    return load_environments().behaviour(app_env)


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


CsvList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Every configuration item of the service. Environment variable = field name in upper case."""

    # Empty values count as unset: ECS injects every key of the app secret, and an optional item an
    # operator leaves empty (say REDIS_URL) must not fail validation.
    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", frozen=True, env_ignore_empty=True
    )

    # -- where configuration comes from
    app_env: str = "development"
    aws_region: str = "us-east-1"
    # An RDS-managed secret: the database URL is built from it and re-read while serving.
    database_login_id: str | None = None
    database_login_refresh_seconds: float = Field(default=300, ge=1, le=86_400)

    # -- server
    server_host: str = "127.0.0.1"
    server_port: int = Field(default=3040, ge=1, le=65_535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    shutdown_drain_seconds: float = Field(default=20, ge=0, le=110)
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)
    # Clock skew allowed when checking a token's expiry: none unless an operator opts in.
    token_clock_leeway_seconds: float = Field(default=0, ge=0, le=5)

    # -- client application and browser
    api_key: SecretStr = Field(min_length=32)
    cookie_encryption_key: SecretStr
    cookie_domain: str = "localhost"
    custom_domain_name: str | None = None
    cors_allowed_origins: CsvList = Field(default_factory=list)

    # -- Cognito
    aws_cognito_region: str = "us-east-1"
    aws_cognito_user_pool_id: str = Field(min_length=1)
    aws_cognito_user_pool_client_id: str = Field(min_length=1)
    aws_cognito_user_pool_secret_key: SecretStr = Field(min_length=1)
    aws_cognito_refresh_token_expiry: int = Field(default=30, ge=1, le=3650, description="days")
    aws_cognito_endpoint_url: str | None = None
    aws_cognito_issuer: str | None = None
    aws_cognito_jwks_url: str | None = None

    # -- database and shared store
    relational_database_url: SecretStr
    database_pool_size: int = Field(default=10, ge=1, le=100)
    # No overflow by default: under sustained load an overflow connection is opened for one request
    # and closed on its return, a connect (and a server process) per request. Requests beyond the
    # pool wait for a connection, up to the pool timeout, then get 503.
    database_max_overflow: int = Field(default=0, ge=0, le=100)
    database_pool_timeout_seconds: float = Field(default=5, gt=0, le=60)
    database_connect_timeout_seconds: float = Field(default=5, gt=0, le=60)
    readiness_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    redis_url: SecretStr | None = None

    # -- model provider
    ai_provider: Literal["openai", "offline"] = "offline"
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout_seconds: float = Field(default=60, gt=0, le=600)
    offline_provider_delay_ms: int = Field(default=20, ge=0, le=5000)

    # -- rate limits (per client IP)
    rate_limit_max_requests: int = Field(default=100, ge=1)
    rate_limit_window_seconds: int = Field(default=900, ge=1)
    auth_rate_limit_max_requests: int = Field(default=10, ge=1)
    auth_rate_limit_window_seconds: int = Field(default=3600, ge=1)
    api_rate_limit_max_requests: int = Field(default=60, ge=1)
    api_rate_limit_window_seconds: int = Field(default=60, ge=1)

    @field_validator("app_env")
    @classmethod
    def _known_environment(cls, value: str) -> str:
        try:
            environment_behaviour(value)
        except ValueError:
            raise ValueError(f"must be {load_environments().app_env_description()}") from None
        return value

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?", origin):
                raise ValueError("each origin must be scheme://host[:port] with no path")
        return value

    @field_validator("cookie_encryption_key")
    @classmethod
    def _hex_key(cls, value: SecretStr) -> SecretStr:
        if not re.fullmatch(r"[0-9a-fA-F]{64}", value.get_secret_value()):
            raise ValueError("must be 64 hexadecimal characters (a 256-bit key)")
        return value

    @field_validator("relational_database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr) -> SecretStr:
        if not re.match(r"postgres(ql)?(\+asyncpg)?://", value.get_secret_value()):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.match(r"rediss?://", value.get_secret_value()):
            raise ValueError("must be a redis:// or rediss:// URL")
        return value

    @field_validator("custom_domain_name")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9-]+)+", value):
            raise ValueError("must be a lower-case DNS name such as example.com")
        return value

    @model_validator(mode="after")
    def _provider_complete(self) -> Settings:
        if self.ai_provider == "openai" and self.openai_api_key is None:
            raise ValueError("OPENAI_API_KEY is required when AI_PROVIDER is openai")
        if self.ai_provider == "offline" and not self.profile.offline_provider_allowed:
            raise ValueError(f"AI_PROVIDER=offline is not allowed in {self.app_env}")
        return self

    @property
    def profile(self) -> AppBehaviour:
        return environment_behaviour(self.app_env)

    @property
    def cognito_issuer(self) -> str:
        return self.aws_cognito_issuer or (
            f"https://cognito-idp.{self.aws_cognito_region}.amazonaws.com/{self.aws_cognito_user_pool_id}"
        )

    @property
    def cognito_jwks_url(self) -> str:
        return self.aws_cognito_jwks_url or f"{self.cognito_issuer}/.well-known/jwks.json"

    @property
    def preview_origin_pattern(self) -> str | None:
        """Anchored pattern for preview frontends (``https://pr-<n>.<domain>``, environments.json)."""
        if self.custom_domain_name is None:
            return None
        return load_environments().preview_frontend_origin_regex(self.custom_domain_name)


def environment_variable_names() -> set[str]:
    """Every environment variable the service reads (for the contract tests)."""
    return {name.upper() for name in Settings.model_fields}
