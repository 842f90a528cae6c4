"""ResendConfirmationCode for moto's cognito-idp, which lacks the call.

Answers as Amazon Cognito does for an app client with a secret: ``CodeDeliveryDetails`` for an
existing, unconfirmed user; ``NotAuthorizedException`` for a wrong secret hash;
``UserNotFoundException`` for an unknown user; ``InvalidParameterException`` for a user who is
already confirmed; ``ResourceNotFoundException`` for an unknown client. No code is sent: moto's
ConfirmSignUp accepts any code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from moto.cognitoidp import models, responses
from moto.cognitoidp.exceptions import (
    InvalidParameterException,
    NotAuthorizedError,
    ResourceNotFoundError,
    UserNotFoundError,
)
from moto.core.responses import ActionResult


def _masked_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


def _secret_hash(username: str, client_id: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def resend_confirmation_code(
    backend: models.CognitoIdpBackend, client_id: str, username: str, secret_hash: str | None
) -> dict[str, Any]:
    pool = next((p for p in backend.user_pools.values() if client_id in p.clients), None)
    if pool is None:
        raise ResourceNotFoundError(client_id)
    client = pool.clients[client_id]
    if client.generate_secret and not hmac.compare_digest(
        secret_hash or "", _secret_hash(username, client_id, client.secret)
    ):
        raise NotAuthorizedError(
            f"Client {client_id} is configured with secret but SECRET_HASH was not received"
        )
    user = pool._get_user(username)
    if user is None:
        raise UserNotFoundError("Username/client id combination not found.")
    if user.status == models.UserStatus.CONFIRMED:
        raise InvalidParameterException("User is already confirmed.")
    email = user.attribute_lookup.get("email", username)
    return {
        "CodeDeliveryDetails": {
            "Destination": _masked_email(email),
            "DeliveryMedium": "EMAIL",
            "AttributeName": "email",
        }
    }


def _handler(self: responses.CognitoIdpResponse) -> ActionResult:
    client_id = self._get_param("ClientId")
    backend = models.RegionAgnosticBackend(self.current_account, self.region)._find_backend_for_clientid(
        client_id
    )
    result = resend_confirmation_code(
        backend, client_id, self._get_param("Username"), self._get_param("SecretHash")
    )
    return ActionResult(result)


def install() -> None:
    """Teach moto's cognito-idp responder the call (idempotent; moto dispatches by method name)."""
    responses.CognitoIdpResponse.resend_confirmation_code = _handler  # type: ignore[attr-defined]
