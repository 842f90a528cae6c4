"""The account flow over HTTP against the Cognito emulator (moto's cognito-idp over a socket)."""

from __future__ import annotations

import uuid
from http.cookies import SimpleCookie

import httpx
import pytest
from api_support import API_KEY, COOKIE_KEY, bearer, settings_for, signed_in
from macro_ai.auth.cookies import ACCESS_COOKIE, REFRESH_COOKIE, SYNCHRONIZE_COOKIE, decrypt
from macro_ai.main import create_app


def set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    cookies = {}
    for header in response.headers.get_list("set-cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name in parsed:
            cookies[name] = parsed
    return cookies


def cookie_header(response: httpx.Response) -> str:
    return "; ".join(f"{name}={jar[name].value}" for name, jar in set_cookies(response).items())


async def test_register_confirm_login_refresh_logout(auth_client: httpx.AsyncClient) -> None:
    email = f"Flow-{uuid.uuid4().hex[:8]}@Example.com"
    password = "Correct-Horse-9"
    body = {"email": email, "password": password, "confirmPassword": password}

    registered = await auth_client.post("/api/auth/register", json=body)
    assert registered.status_code == 201
    assert registered.json()["user"]["email"] == email.lower()
    user_id = registered.json()["user"]["id"]
    assert (await auth_client.post("/api/auth/register", json=body)).status_code == 409

    early = await auth_client.post("/api/auth/login", json={"email": email, "password": password})
    assert (early.status_code, early.json()["type"]) == (403, "Forbidden")

    # The emulator accepts any code; leading zeros survive because the code is a string.
    confirmed = await auth_client.post(
        "/api/auth/confirm-registration", json={"email": email, "code": "000123"}
    )
    assert confirmed.status_code == 200
    # The existing web client sends the code as a JSON number: accepted, left-padded to six digits.
    numeric = await auth_client.post("/api/auth/confirm-registration", json={"email": email, "code": 123})
    assert numeric.status_code == 200, numeric.text

    wrong = await auth_client.post("/api/auth/login", json={"email": email, "password": "Wrong-Pass-1"})
    assert (wrong.status_code, wrong.json()["message"]) == (401, "Incorrect email or password")
    nobody = await auth_client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "X-pass-1234"}
    )
    assert (nobody.status_code, nobody.json()["message"]) == (401, "Incorrect email or password")

    login = await auth_client.post("/api/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200
    tokens = login.json()["tokens"]
    assert tokens["expiresIn"] > 0
    cookies = set_cookies(login)
    assert set(cookies) == {ACCESS_COOKIE, REFRESH_COOKIE, SYNCHRONIZE_COOKIE}
    for name, jar in cookies.items():
        morsel = jar[name]
        assert morsel["httponly"] is True
        assert morsel["samesite"].lower() == "strict"
        assert morsel["secure"] is True  # APP_ENV=test: everything but development is Secure
        assert morsel["domain"] == "api.test.example"
    assert cookies[ACCESS_COOKIE][ACCESS_COOKIE].value == tokens["accessToken"]
    username = decrypt(COOKIE_KEY, cookies[SYNCHRONIZE_COOKIE][SYNCHRONIZE_COOKIE].value)
    assert username == email.lower()
    assert email.lower() not in cookies[SYNCHRONIZE_COOKIE][SYNCHRONIZE_COOKIE].value

    by_cookie = await auth_client.get(
        "/api/auth/user", headers={"Cookie": f"{ACCESS_COOKIE}={tokens['accessToken']}"}
    )
    by_bearer = await auth_client.get(
        "/api/auth/user", headers={"Authorization": f"Bearer {tokens['accessToken']}"}
    )
    expected = {"id": user_id, "email": email.lower(), "emailVerified": True}
    assert by_cookie.json() == expected
    assert by_bearer.json() == expected
    me = await auth_client.get("/api/users/me", headers={"Authorization": f"Bearer {tokens['accessToken']}"})
    assert me.json()["user"]["lastLogin"] is not None

    refreshed = await auth_client.post("/api/auth/refresh", headers={"Cookie": cookie_header(login)})
    assert refreshed.status_code == 200, refreshed.text
    new_access = refreshed.json()["tokens"]["accessToken"]
    assert set_cookies(refreshed)[ACCESS_COOKIE][ACCESS_COOKIE].value == new_access
    assert (
        await auth_client.get("/api/auth/user", headers={"Authorization": f"Bearer {new_access}"})
    ).status_code == 200

    logout = await auth_client.post("/api/auth/logout", headers={"Authorization": f"Bearer {new_access}"})
    assert logout.status_code == 200
    cleared = set_cookies(logout)
    assert set(cleared) == {ACCESS_COOKIE, REFRESH_COOKIE, SYNCHRONIZE_COOKIE}
    assert all(jar[name]["max-age"] == "0" for name, jar in cleared.items())

    # Global sign-out revoked the refresh token in the emulator: the session cannot be renewed.
    after = await auth_client.post("/api/auth/refresh", headers={"Cookie": cookie_header(login)})
    assert after.status_code == 401
    # What this cannot show: access tokens are verified locally (no Cognito call per request, by
    # design), so an access token stays valid until it expires (Cognito default: 60 minutes) even
    # after global sign-out, in the emulator and on AWS alike.


@pytest.mark.parametrize(
    "cookies",
    [
        "",
        f"{REFRESH_COOKIE}=abc",
        f"{SYNCHRONIZE_COOKIE}=abc",
        f"{REFRESH_COOKIE}=abc; {SYNCHRONIZE_COOKIE}=tampered-value",
    ],
)
async def test_refresh_without_valid_cookies_is_401(auth_client: httpx.AsyncClient, cookies: str) -> None:
    response = await auth_client.post("/api/auth/refresh", headers={"Cookie": cookies} if cookies else {})
    assert response.status_code == 401
    assert response.json()["type"] == "Unauthorized"


async def test_refresh_with_a_stolen_refresh_token_and_garbage_username_is_401(
    auth_client: httpx.AsyncClient,
) -> None:
    session = await signed_in(auth_client)
    from macro_ai.auth.cookies import encrypt

    forged = encrypt(COOKIE_KEY, "someone-else@example.com")
    cookies = f"{REFRESH_COOKIE}={session['tokens']['refreshToken']}; {SYNCHRONIZE_COOKIE}={forged}"
    assert (await auth_client.post("/api/auth/refresh", headers={"Cookie": cookies})).status_code == 401


async def test_development_cookies_are_not_secure_and_host_only(auth_env: dict[str, str]) -> None:
    settings = settings_for({**auth_env, "APP_ENV": "development", "COOKIE_DOMAIN": "localhost"})
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        client.headers["X-API-KEY"] = API_KEY
        login = await signed_in(client)
        assert login["message"] == "Login successful"
        response = await client.post(
            "/api/auth/login", json={"email": login["email"], "password": login["password"]}
        )
    for name, jar in set_cookies(response).items():
        assert jar[name]["secure"] == ""
        assert jar[name]["domain"] == ""
        assert jar[name]["httponly"] is True
    await app.state.services.close()


async def test_forgot_password_does_not_reveal_accounts(auth_client: httpx.AsyncClient) -> None:
    session = await signed_in(auth_client)
    known = await auth_client.post("/api/auth/forgot-password", json={"email": session["email"]})
    unknown = await auth_client.post("/api/auth/forgot-password", json={"email": "ghost@example.com"})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 200

    new_password = "Battery-Staple-7"
    reset = {"code": "123456", "newPassword": new_password, "confirmPassword": new_password}
    ghost = await auth_client.post(
        "/api/auth/confirm-forgot-password", json={"email": "ghost@example.com", **reset}
    )
    assert (ghost.status_code, ghost.json()["message"]) == (400, "Invalid or expired code")
    mismatch = await auth_client.post(
        "/api/auth/confirm-forgot-password",
        json={**reset, "email": session["email"], "confirmPassword": "Other-Pass-7"},
    )
    assert mismatch.status_code == 422
    changed = await auth_client.post(
        "/api/auth/confirm-forgot-password", json={"email": session["email"], **reset}
    )
    assert changed.status_code == 200
    relogin = await auth_client.post(
        "/api/auth/login", json={"email": session["email"], "password": new_password}
    )
    assert relogin.status_code == 200


async def test_resend_confirmation_code_answers_alike(auth_client: httpx.AsyncClient) -> None:
    """Against the emulator, which implements ResendConfirmationCode as Cognito does: an unconfirmed
    account gets a new code; a confirmed or unknown one gets the same answer, not an error."""
    password = "Correct-Horse-9"
    pending = f"pending-{uuid.uuid4().hex[:8]}@example.com"
    registration = {"email": pending, "password": password, "confirmPassword": password}
    assert (await auth_client.post("/api/auth/register", json=registration)).status_code == 201
    confirmed = (await signed_in(auth_client))["email"]

    answers = [
        await auth_client.post("/api/auth/resend-confirmation-code", json={"email": email})
        for email in (pending, confirmed, f"nobody-{uuid.uuid4().hex[:8]}@example.com")
    ]
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    assert answers[0].json() == answers[1].json() == answers[2].json()


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": "Correct-Horse-9", "confirmPassword": "Correct-Horse-9"},
        {"email": "a@example.com", "password": "short", "confirmPassword": "short"},
        {"email": "a@example.com", "password": "Correct-Horse-9", "confirmPassword": "Correct-Horse-8"},
        {"email": "a@example.com", "password": "Correct-Horse-9"},
        {
            "email": "a@example.com",
            "password": "Correct-Horse-9",
            "confirmPassword": "Correct-Horse-9",
            "admin": True,
        },
    ],
)
async def test_register_validation(auth_client: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await auth_client.post("/api/auth/register", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["type"] == "ValidationError"
    assert all(set(detail) == {"path", "message"} for detail in payload["details"])
    assert "Correct-Horse" not in response.text  # input values are never echoed


async def test_password_policy_violation_is_400(auth_client: httpx.AsyncClient) -> None:
    body = {
        "email": f"weak-{uuid.uuid4().hex[:6]}@example.com",
        "password": "alllowercase",
        "confirmPassword": "alllowercase",
    }
    response = await auth_client.post("/api/auth/register", json=body)
    assert (response.status_code, response.json()["message"]) == (
        400,
        "Password does not meet the password policy",
    )


async def test_profiles_are_private(auth_client: httpx.AsyncClient) -> None:
    alice, bob = await signed_in(auth_client), await signed_in(auth_client)
    alice_me = (await auth_client.get("/api/users/me", headers=bearer(alice))).json()["user"]
    bob_me = (await auth_client.get("/api/users/me", headers=bearer(bob))).json()["user"]
    own = await auth_client.get(f"/api/users/{alice_me['id']}", headers=bearer(alice))
    assert own.json()["user"] == alice_me
    other = await auth_client.get(f"/api/users/{bob_me['id']}", headers=bearer(alice))
    missing = await auth_client.get(f"/api/users/{uuid.uuid4()}", headers=bearer(alice))
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert (await auth_client.get("/api/users/not-a-uuid", headers=bearer(alice))).status_code == 422


@pytest.mark.parametrize(("sent", "received"), [(12345, "012345"), (123456, "123456"), ("012345", "012345")])
async def test_a_numeric_code_reaches_cognito_left_padded(
    auth_env: dict[str, str], sent: int | str, received: str
) -> None:
    """The web client sends the code as a JSON number, so 012345 arrives as 12345; Cognito must still
    get 012345. Observed on the real boto3 client as it calls the emulator."""
    app = create_app(settings_for(auth_env))
    services = app.state.services
    seen: list[str] = []
    services.cognito._boto().meta.events.register(
        "provide-client-params.cognito-idp.ConfirmSignUp",
        lambda params, **_: seen.append(params["ConfirmationCode"]),
    )
    email = f"padded-{uuid.uuid4().hex[:8]}@example.com"
    password = "Correct-Horse-9"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers={"X-API-KEY": API_KEY}
    ) as client:
        body = {"email": email, "password": password, "confirmPassword": password}
        assert (await client.post("/api/auth/register", json=body)).status_code == 201
        confirmed = await client.post("/api/auth/confirm-registration", json={"email": email, "code": sent})
    await services.close()
    assert confirmed.status_code == 200, confirmed.text
    assert seen == [received]
