import re
import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from macro_ai.schemas import CamelModel

_EMAIL_PATTERN = r"^\s*[^@\s\x00-\x1f]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\s*$"
_EMAIL = re.compile(_EMAIL_PATTERN)


def _email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.fullmatch(value):
        raise ValueError("must be a valid email address")
    return value


# The pattern is in the schema too, so the OpenAPI document says exactly what is accepted.
Email = Annotated[
    str, Field(max_length=320, pattern=_EMAIL_PATTERN, examples=["ada@example.com"]), AfterValidator(_email)
]
Password = Annotated[str, Field(min_length=8, max_length=256)]
# Cognito's codes are six digits, and leading zeros matter.
CODE_LENGTH = 6


def _code_from_number(value: object) -> object:
    """The existing web client sends the code as a JSON number, which drops leading zeros:
    12345 means 012345."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**CODE_LENGTH:
        return str(value).zfill(CODE_LENGTH)
    return value


_CODE_PATTERN = r"^[0-9]{4,10}$"
Code = Annotated[
    str,
    BeforeValidator(
        _code_from_number,
        json_schema_input_type=Annotated[str, Field(pattern=_CODE_PATTERN)]
        | Annotated[int, Field(ge=0, lt=10**CODE_LENGTH)],
    ),
    Field(pattern=_CODE_PATTERN, examples=["012345", 12345]),
]


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RegisterRequest(StrictBody):
    email: Email
    password: Password
    confirm_password: Password = Field(alias="confirmPassword")

    @model_validator(mode="after")
    def _passwords_match(self) -> "RegisterRequest":
        if self.password != self.confirm_password:
            raise ValueError("password and confirmPassword do not match")
        return self


class ConfirmRegistrationRequest(StrictBody):
    email: Email
    code: Code


class EmailRequest(StrictBody):
    email: Email


class LoginRequest(StrictBody):
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=256)]


class ConfirmForgotPasswordRequest(StrictBody):
    email: Email
    code: Code
    new_password: Password = Field(alias="newPassword")
    confirm_password: Password = Field(alias="confirmPassword")

    @model_validator(mode="after")
    def _passwords_match(self) -> "ConfirmForgotPasswordRequest":
        if self.new_password != self.confirm_password:
            raise ValueError("newPassword and confirmPassword do not match")
        return self


class Message(CamelModel):
    message: str


class RegisteredUser(CamelModel):
    id: uuid.UUID
    email: str


class RegisterResponse(CamelModel):
    message: str
    user: RegisteredUser


class TokenSet(CamelModel):
    access_token: str
    refresh_token: str
    expires_in: int


class LoginResponse(CamelModel):
    message: str
    tokens: TokenSet


class AuthUser(CamelModel):
    id: uuid.UUID
    email: str
    email_verified: bool
