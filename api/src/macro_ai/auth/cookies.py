"""The three auth cookies (SPEC 1.3) and the synchronize cookie's AES-256-GCM encryption.

The synchronize cookie carries the Cognito username, which the refresh call needs for the secret
hash; it is encrypted so the browser holds nothing readable.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.responses import Response

from macro_ai.config.schema import Settings

ACCESS_COOKIE = "macro-ai-accessToken"
REFRESH_COOKIE = "macro-ai-refreshToken"
SYNCHRONIZE_COOKIE = "macro-ai-synchronize"
_NONCE_BYTES = 12


def encrypt(key_hex: str, plaintext: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(bytes.fromhex(key_hex)).encrypt(nonce, plaintext.encode(), SYNCHRONIZE_COOKIE.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def decrypt(key_hex: str, token: str) -> str | None:
    """None when the value was not made by us with this key (tampered, truncated, other key)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        plaintext = AESGCM(bytes.fromhex(key_hex)).decrypt(nonce, sealed, SYNCHRONIZE_COOKIE.encode())
        return plaintext.decode()
    except (ValueError, InvalidTag, UnicodeDecodeError):
        return None


def _attributes(settings: Settings) -> dict[str, object]:
    # Browsers refuse Domain=localhost; a host-only cookie is the local equivalent.
    domain = None if settings.cookie_domain in {"localhost", "127.0.0.1"} else settings.cookie_domain
    return {
        "httponly": True,
        "samesite": "strict",
        "secure": settings.profile.secure_cookies,
        "domain": domain,
        "path": "/",
    }


def set_auth_cookies(
    response: Response,
    settings: Settings,
    access_token: str,
    refresh_token: str,
    expires_in: int,
    username: str,
) -> None:
    attributes = _attributes(settings)
    refresh_max_age = settings.aws_cognito_refresh_token_expiry * 24 * 3600
    key = settings.cookie_encryption_key.get_secret_value()
    response.set_cookie(ACCESS_COOKIE, access_token, max_age=expires_in, **attributes)  # type: ignore[arg-type]
    response.set_cookie(REFRESH_COOKIE, refresh_token, max_age=refresh_max_age, **attributes)  # type: ignore[arg-type]
    response.set_cookie(SYNCHRONIZE_COOKIE, encrypt(key, username), max_age=refresh_max_age, **attributes)  # type: ignore[arg-type]


def clear_auth_cookies(response: Response, settings: Settings) -> None:
    attributes = _attributes(settings)
    for name in (ACCESS_COOKIE, REFRESH_COOKIE, SYNCHRONIZE_COOKIE):
        response.delete_cookie(name, **attributes)  # type: ignore[arg-type]
