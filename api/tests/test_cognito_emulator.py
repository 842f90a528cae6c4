"""The local Cognito emulator's ResendConfirmationCode (moto lacks it; devstack adds it), called with
boto3 over HTTP as the API calls it, answering as Amazon Cognito does."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from macro_ai.auth.cognito import secret_hash
from macro_ai_devstack.cognito import CognitoPool

PASSWORD = "Correct-Horse-9"


@pytest.fixture
def cognito(cognito_pool: CognitoPool) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=cognito_pool.endpoint_url,
        region_name=cognito_pool.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def resend(cognito: Any, pool: CognitoPool, email: str, digest: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = cognito.resend_confirmation_code(
        ClientId=pool.client_id,
        SecretHash=digest or secret_hash(email, pool.client_id, pool.client_secret),
        Username=email,
    )
    return result


def error_of(call: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return str(raised.value.response["Error"]["Code"])


def test_resend_for_an_unconfirmed_user_reports_the_delivery(cognito: Any, cognito_pool: CognitoPool) -> None:
    email = f"pending-{uuid.uuid4().hex[:8]}@example.com"
    cognito.sign_up(
        ClientId=cognito_pool.client_id,
        SecretHash=secret_hash(email, cognito_pool.client_id, cognito_pool.client_secret),
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    details = resend(cognito, cognito_pool, email)["CodeDeliveryDetails"]
    assert details == {"Destination": "p***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}

    assert (
        error_of(lambda: resend(cognito, cognito_pool, email, digest="d3JvbmcK")) == "NotAuthorizedException"
    )
    cognito.admin_confirm_sign_up(UserPoolId=cognito_pool.user_pool_id, Username=email)
    assert error_of(lambda: resend(cognito, cognito_pool, email)) == "InvalidParameterException"


def test_resend_for_an_unknown_user_or_client(cognito: Any, cognito_pool: CognitoPool) -> None:
    assert error_of(lambda: resend(cognito, cognito_pool, "nobody@example.com")) == "UserNotFoundException"
    unknown_client = lambda: cognito.resend_confirmation_code(  # noqa: E731
        ClientId="no-such-client", Username="nobody@example.com"
    )
    assert error_of(unknown_client) == "ResourceNotFoundException"
