"""Local verification of Cognito access tokens: no call to Cognito per request.

The pool's signing keys (JWKS) are fetched once and cached; an unknown key id triggers one refetch
(Cognito rotates keys), at most every ``REFETCH_INTERVAL`` seconds so that tokens with random key
ids cannot make us hammer the JWKS endpoint. Issuer and JWKS URL are configured separately because
an emulator serves the keys from its own address while signing with the AWS issuer. Expiry is checked
with ``TOKEN_CLOCK_LEEWAY_SECONDS`` (0 by default), and a signed-out session is refused through the
in-memory revocation list.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt

from macro_ai.auth.revocation import RevocationList
from macro_ai.config.schema import Settings
from macro_ai.errors import UnauthorizedError

REFETCH_INTERVAL = 30.0


@dataclass(frozen=True)
class Principal:
    """The signed-in user, as the access token says."""

    user_id: uuid.UUID  # the Cognito sub
    username: str
    access_token: str
    expires_at: int
    session_id: str  # origin_jti (one per sign-in, kept across refreshes), else jti


class JwksCache:
    def __init__(self, url: str) -> None:
        self.url = url
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK | None:
        if kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at >= REFETCH_INTERVAL:
                await self._fetch()
        return self._keys.get(kid)

    async def _fetch(self) -> None:
        import httpx  # here, not at the top: only this fetch needs it, and it costs start-up time

        self._fetched_at = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                response = await client.get(self.url)
                response.raise_for_status()
                document = response.json()
        except (httpx.HTTPError, ValueError):
            return  # keep what we had; tokens with unknown keys are refused meanwhile
        keys = {}
        for entry in document.get("keys", []):
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry)
            except (KeyError, jwt.PyJWKError):
                continue
        if keys:
            self._keys = keys


class TokenVerifier:
    # Verified tokens are remembered until they expire: a token is immutable, and parsing and
    # checking its signature is most of the per-request cost of authentication.
    CACHE_SIZE = 10_000

    def __init__(self, settings: Settings, revocations: RevocationList) -> None:
        self.settings = settings
        self.revocations = revocations
        self.leeway = settings.token_clock_leeway_seconds
        self.jwks = JwksCache(settings.cognito_jwks_url)
        self._verified: OrderedDict[str, Principal] = OrderedDict()

    async def verify_access_token(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None and cached.expires_at + self.leeway > time.time():
            self._verified.move_to_end(token)
            principal = cached
        else:
            principal = await self._verify_and_remember(token)
        if self.revocations.is_revoked(principal.session_id):
            raise UnauthorizedError("Session ended; please log in again")
        return principal

    async def _verify_and_remember(self, token: str) -> Principal:
        principal = await self._verify(token)
        self._verified[token] = principal
        if len(self._verified) > self.CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> Principal:
        settings = self.settings
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise UnauthorizedError("Invalid access token") from None
        kid = header.get("kid")
        key = await self.jwks.key(kid) if isinstance(kid, str) else None
        if key is None:
            raise UnauthorizedError("Invalid access token")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=settings.cognito_issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "sub", "token_use", "jti"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise UnauthorizedError("Access token expired") from None
        except jwt.PyJWTError:
            raise UnauthorizedError("Invalid access token") from None
        if claims.get("token_use") != "access":
            raise UnauthorizedError("Invalid access token")
        if claims.get("client_id") != settings.aws_cognito_user_pool_client_id:
            raise UnauthorizedError("Invalid access token")
        try:
            user_id = uuid.UUID(str(claims["sub"]))
        except ValueError:  # Cognito subs are UUIDs
            raise UnauthorizedError("Invalid access token") from None
        return Principal(
            user_id=user_id,
            username=str(claims.get("username") or claims["sub"]),
            access_token=token,
            expires_at=int(claims["exp"]),
            session_id=str(claims.get("origin_jti") or claims["jti"]),
        )
