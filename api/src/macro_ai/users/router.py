import uuid

from fastapi import APIRouter

from macro_ai.deps import CurrentPrincipal, UserServiceDep
from macro_ai.errors import DATABASE_BUSY, ErrorBody
from macro_ai.users.schemas import UserEnvelope, UserProfile

router = APIRouter(
    prefix="/api/users", tags=["users"], responses={404: {"model": ErrorBody}, **DATABASE_BUSY}
)


@router.get("/me", response_model=UserEnvelope, summary="The signed-in user's profile")
async def me(principal: CurrentPrincipal, users: UserServiceDep) -> UserEnvelope:
    user = await users.profile(principal.user_id)
    return UserEnvelope(user=UserProfile.model_validate(user, from_attributes=True))


@router.get("/{user_id}", response_model=UserEnvelope, summary="A profile by id (your own only)")
async def by_id(user_id: uuid.UUID, principal: CurrentPrincipal, users: UserServiceDep) -> UserEnvelope:
    user = await users.profile(principal.user_id, user_id)
    return UserEnvelope(user=UserProfile.model_validate(user, from_attributes=True))
