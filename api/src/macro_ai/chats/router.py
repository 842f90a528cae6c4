import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from macro_ai.ai.provider import ChatTurn
from macro_ai.chats.listing import page_json
from macro_ai.chats.schemas import (
    ChatDetailEnvelope,
    ChatEnvelope,
    ChatListQuery,
    ChatOut,
    ChatPage,
    ChatTitle,
    ChatWithMessages,
    Deleted,
    MessageOut,
    StreamRequest,
)
from macro_ai.deps import (
    ChatServiceDep,
    CurrentPrincipal,
    OwnedChatDep,
    authenticates_itself,
    principal,
    services_of,
)
from macro_ai.errors import DATABASE_BUSY, ErrorBody
from macro_ai.web.direct_route import DirectRoute
from macro_ai.web.query import parse_query, query_parameters

router = APIRouter(prefix="/api/chats", tags=["chats"], responses=DATABASE_BUSY)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such chat for this user"}
}


@authenticates_itself
async def list_chats(request: Request) -> Response:
    # The hottest route takes no declared parameters: FastAPI would solve them on every request
    # (macro_ai.web.query says why).
    user = await principal(request)  # first, as FastAPI would: no validation answers without a user
    query = parse_query(ChatListQuery, request)
    rows, total = await services_of(request).chat_listing.page(user.user_id, query.page, query.limit)
    return Response(page_json(rows, query.page, query.limit, total), media_type="application/json")


router.add_api_route(
    "",
    list_chats,
    methods=["GET"],
    response_model=ChatPage,
    summary="Your chats, most recently updated first",
    openapi_extra={"parameters": query_parameters(ChatListQuery)},
    route_class_override=DirectRoute,
)


@router.post(
    "",
    status_code=201,
    response_model=ChatEnvelope,
    responses={404: {"model": ErrorBody, "description": "No profile for this user yet"}},
    summary="Start a chat",
)
async def create_chat(body: ChatTitle, principal: CurrentPrincipal, chats: ChatServiceDep) -> ChatEnvelope:
    chat = await chats.create(principal.user_id, body.title)
    return ChatEnvelope(data=ChatOut.model_validate(chat, from_attributes=True))


@router.get(
    "/{chat_id}", response_model=ChatDetailEnvelope, responses=NOT_FOUND, summary="A chat with its messages"
)
async def get_chat(chat: OwnedChatDep, chats: ChatServiceDep) -> ChatDetailEnvelope:
    messages = await chats.messages(chat)
    return ChatDetailEnvelope(
        data=ChatWithMessages(
            **ChatOut.model_validate(chat, from_attributes=True).model_dump(),
            messages=[MessageOut.model_validate(m, from_attributes=True) for m in messages],
        )
    )


@router.put("/{chat_id}", response_model=ChatEnvelope, responses=NOT_FOUND, summary="Rename a chat")
async def rename_chat(
    chat_id: uuid.UUID, body: ChatTitle, principal: CurrentPrincipal, chats: ChatServiceDep
) -> ChatEnvelope:
    chat = await chats.rename(principal.user_id, chat_id, body.title)
    return ChatEnvelope(data=ChatOut.model_validate(chat, from_attributes=True))


@router.delete(
    "/{chat_id}", response_model=Deleted, responses=NOT_FOUND, summary="Delete a chat and its messages"
)
async def delete_chat(chat_id: uuid.UUID, principal: CurrentPrincipal, chats: ChatServiceDep) -> Deleted:
    await chats.delete(principal.user_id, chat_id)
    return Deleted(message="Chat deleted")


@router.post(
    "/{chat_id}/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The reply as plain UTF-8 text chunks",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **NOT_FOUND,
        502: {"model": ErrorBody, "description": "The model provider failed before replying"},
    },
    summary="Send a message and stream the reply (AI SDK text stream protocol)",
)
async def stream_reply(
    chat_id: uuid.UUID, body: StreamRequest, principal: CurrentPrincipal, chats: ChatServiceDep
) -> StreamingResponse:
    turns = [ChatTurn(m.role, m.text) for m in body.messages if m.text.strip()]
    chunks = await chats.stream_reply(principal.user_id, chat_id, turns)
    return StreamingResponse(
        chunks,
        media_type="text/plain; charset=utf-8",
        headers={"X-Accel-Buffering": "no", "Cache-Control": "no-store, no-transform"},
    )
