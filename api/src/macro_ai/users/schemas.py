import uuid
from datetime import datetime

from macro_ai.schemas import CamelModel


class UserProfile(CamelModel):
    id: uuid.UUID
    email: str
    email_verified: bool
    first_name: str | None
    last_name: str | None
    created_at: datetime
    updated_at: datetime
    last_login: datetime | None


class UserEnvelope(CamelModel):
    user: UserProfile
