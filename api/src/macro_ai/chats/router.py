import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from macro_ai.ai.provider import ChatTurn
from macro_ai.auth.dependencies import PrincipalDep
from macro_ai.chats.repository import ChatRepository
from macro_ai.chats.schemas import (
    ChatDetailEnvelope,
    ChatEnvelope,
    ChatOut,
    ChatPage,
    ChatTitle,
    ChatWithMessages,
    Deleted,
    MessageOut,
    PageMeta,
    StreamRequest,
)
from macro_ai.chats.service import ChatService
from macro_ai.chats.streaming import ReplyStreamer, StreamTarget
from macro_ai.db.session import SessionDep
from macro_ai.errors import ErrorBody
from macro_ai.web.json_response import model_response

router = APIRouter(prefix="/chats", tags=["chats"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such chat for this user"}
}


def _chats(session: SessionDep) -> ChatService:
    return ChatService(ChatRepository(session))


@router.get("", response_model=ChatPage, summary="Your chats, most recently updated first")
async def list_chats(
    principal: PrincipalDep,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    chats, total = await _chats(session).page(principal.user_id, page, limit)
    listing = ChatPage(
        data=[ChatOut.model_validate(dict(c)) for c in chats],
        meta=PageMeta(page=page, limit=limit, total=total),
    )
    return model_response(listing)


@router.post(
    "",
    status_code=201,
    response_model=ChatEnvelope,
    responses={404: {"model": ErrorBody, "description": "No profile for this user yet"}},
    summary="Start a chat",
)
async def create_chat(body: ChatTitle, principal: PrincipalDep, session: SessionDep) -> ChatEnvelope:
    chat = await _chats(session).create(principal.user_id, body.title)
    return ChatEnvelope(data=ChatOut.model_validate(chat, from_attributes=True))


@router.get(
    "/{chat_id}", response_model=ChatDetailEnvelope, responses=NOT_FOUND, summary="A chat with its messages"
)
async def get_chat(chat_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> ChatDetailEnvelope:
    chat, messages = await _chats(session).get_with_messages(principal.user_id, chat_id)
    return ChatDetailEnvelope(
        data=ChatWithMessages(
            **ChatOut.model_validate(chat, from_attributes=True).model_dump(),
            messages=[MessageOut.model_validate(m, from_attributes=True) for m in messages],
        )
    )


@router.put("/{chat_id}", response_model=ChatEnvelope, responses=NOT_FOUND, summary="Rename a chat")
async def rename_chat(
    chat_id: uuid.UUID, body: ChatTitle, principal: PrincipalDep, session: SessionDep
) -> ChatEnvelope:
    chat = await _chats(session).rename(principal.user_id, chat_id, body.title)
    return ChatEnvelope(data=ChatOut.model_validate(chat, from_attributes=True))


@router.delete(
    "/{chat_id}", response_model=Deleted, responses=NOT_FOUND, summary="Delete a chat and its messages"
)
async def delete_chat(chat_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> Deleted:
    await _chats(session).delete(principal.user_id, chat_id)
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
    chat_id: uuid.UUID, body: StreamRequest, principal: PrincipalDep, request: Request
) -> StreamingResponse:
    streamer = ReplyStreamer(request.app.state.sessions, request.app.state.provider)
    turns = [ChatTurn(m.role, m.text) for m in body.messages if m.text.strip()]
    chunks = await streamer.start(StreamTarget(uuid.UUID(principal.user_id), chat_id), turns)
    return StreamingResponse(
        chunks,
        media_type="text/plain; charset=utf-8",
        headers={"X-Accel-Buffering": "no", "Cache-Control": "no-store, no-transform"},
    )
