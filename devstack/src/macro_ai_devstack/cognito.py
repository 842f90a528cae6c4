"""The local Cognito emulator: moto's cognito-idp with a user pool and app client made for us.

The service reaches it through the same boto3 code path as real Cognito, with
``AWS_COGNITO_ENDPOINT_URL`` pointing here. moto signs tokens with a key shipped inside moto
itself, so this must never serve a deployed environment.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

from macro_ai_devstack import resend_code

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account


@dataclass(frozen=True)
class CognitoPool:
    endpoint_url: str
    region: str
    user_pool_id: str
    client_id: str
    client_secret: str

    @property
    def jwks_url(self) -> str:
        return f"{self.endpoint_url}/{self.user_pool_id}/.well-known/jwks.json"

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    def environment(self) -> dict[str, str]:
        """The service's configuration for this pool."""
        return {
            "AWS_COGNITO_REGION": self.region,
            "AWS_COGNITO_USER_POOL_ID": self.user_pool_id,
            "AWS_COGNITO_USER_POOL_CLIENT_ID": self.client_id,
            "AWS_COGNITO_USER_POOL_SECRET_KEY": self.client_secret,
            "AWS_COGNITO_ENDPOINT_URL": self.endpoint_url,
            "AWS_COGNITO_JWKS_URL": self.jwks_url,
            "AWS_COGNITO_ISSUER": self.issuer,
        }


def start_emulator(port: int, host: str = "127.0.0.1") -> ThreadedMotoServer:
    resend_code.install()  # moto lacks ResendConfirmationCode
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per emulator call
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    return server


def create_pool(endpoint_url: str, region: str = REGION, client_secret: str | None = None) -> CognitoPool:
    """A user pool and an app client with a secret.

    ``client_secret`` pins the app client's secret, so that a configuration written in advance (the
    compose stack's env file) matches the emulator; only possible when the emulator runs in this
    process. Pool and client ids are deterministic when ``MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY``
    and ``MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY`` are ``HASH``.
    """
    client = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - the emulator accepts any credentials
    )
    pool = client.create_user_pool(
        PoolName="macro-ai-local",
        # The username is the email itself. (With UsernameAttributes=["email"] moto checks the
        # refresh secret hash against the email while real Cognito wants the token's username.)
        AutoVerifiedAttributes=["email"],
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 8,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": False,
            }
        },
    )["UserPool"]
    app_client = client.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="macro-ai-api",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    secret = app_client["ClientSecret"]
    if client_secret is not None:
        _pin_client_secret(region, pool["Id"], app_client["ClientId"], client_secret)
        secret = client_secret
    return CognitoPool(endpoint_url, region, pool["Id"], app_client["ClientId"], secret)


def _pin_client_secret(region: str, pool_id: str, client_id: str, secret: str) -> None:
    from moto.cognitoidp.models import cognitoidp_backends

    backend = cognitoidp_backends[ACCOUNT_ID][region]
    backend.user_pools[pool_id].clients[client_id].secret = secret


def deterministic_ids() -> None:
    """Same pool and client ids on every start (moto derives them from the pool's settings)."""
    os.environ.setdefault("MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY", "HASH")
    os.environ.setdefault("MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY", "HASH")
