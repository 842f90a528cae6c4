"""Who is calling: the access token from the cookie (browsers) or the bearer header (other clients)."""

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from macro_ai.auth.cookies import ACCESS_COOKIE
from macro_ai.auth.tokens import Principal, TokenVerifier
from macro_ai.errors import UnauthorizedError

cookie_scheme = APIKeyCookie(name=ACCESS_COOKIE, scheme_name="CookieAuth", auto_error=False)
bearer_scheme = HTTPBearer(scheme_name="BearerAuth", auto_error=False)


async def current_principal(
    request: Request,
    cookie: Annotated[str | None, Security(cookie_scheme)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Principal:
    token = bearer.credentials if bearer is not None else cookie
    if not token:
        raise UnauthorizedError("Authentication required")
    verifier: TokenVerifier = request.app.state.tokens
    return await verifier.verify_access_token(token)


PrincipalDep = Annotated[Principal, Depends(current_principal)]
