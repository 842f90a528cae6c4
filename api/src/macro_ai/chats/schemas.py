import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from macro_ai.schemas import CamelModel

# PostgreSQL text cannot hold NUL characters: refused here, as validation errors.
NO_NUL = r"^[^\x00]*$"
# At least one visible character and no NUL; surrounding whitespace is trimmed.
Title = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=255, pattern=r"^[^\x00]*[^\x00\s][^\x00]*$"
    ),
]
MAX_MESSAGE_CHARS = 32_000
MessageText = Annotated[str, StringConstraints(max_length=MAX_MESSAGE_CHARS, pattern=NO_NUL)]


class ChatListQuery(BaseModel):
    page: int = Field(1, ge=1, le=1_000_000)
    limit: int = Field(20, ge=1, le=100)


class ChatOut(CamelModel):
    id: uuid.UUID
    user_id: uuid.UUID
    title: str
    created_at: datetime
    updated_at: datetime


class MessageOut(CamelModel):
    id: uuid.UUID
    chat_id: uuid.UUID
    role: str
    content: str
    metadata: dict[str, Any] = Field(validation_alias="metadata_")
    # The existing web client requires the key (an array or null); no embeddings are stored yet.
    embedding: list[float] | None = None
    created_at: datetime


class ChatWithMessages(ChatOut):
    messages: list[MessageOut]


class PageMeta(CamelModel):
    page: int
    limit: int
    total: int


class ChatPage(CamelModel):
    success: Literal[True] = True
    data: list[ChatOut]
    meta: PageMeta


class ChatEnvelope(CamelModel):
    success: Literal[True] = True
    data: ChatOut


class ChatDetailEnvelope(CamelModel):
    success: Literal[True] = True
    data: ChatWithMessages


class Deleted(CamelModel):
    success: Literal[True] = True
    message: str


class ChatTitle(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title


# --- the stream request: both shapes the Vercel AI SDK sends ---------------------------------------


class MessagePart(BaseModel):
    """A UI-message part. Only ``text`` parts carry text; others (``step-start``, tools, files)
    and unknown fields such as ``state`` are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(max_length=100)
    text: MessageText | None = None


class IncomingMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str | None = Field(default=None, max_length=200)
    role: Literal["user", "assistant", "system"]
    content: MessageText | None = None
    parts: list[MessagePart] | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _has_text_source(self) -> "IncomingMessage":
        if self.content is None and self.parts is None:
            raise ValueError("a message needs content or parts")
        return self

    @property
    def text(self) -> str:
        if self.content is not None:
            return self.content
        return "".join(part.text for part in self.parts or () if part.type == "text" and part.text)


class StreamRequest(BaseModel):
    """``{messages:[{role, content}]}`` (classic) or ``{id, messages:[{id, role, parts}], trigger}``."""

    model_config = ConfigDict(extra="allow")
    id: str | None = Field(default=None, max_length=200)
    messages: list[IncomingMessage] = Field(min_length=1, max_length=500)
    trigger: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _ends_with_user_text(self) -> "StreamRequest":
        last = self.messages[-1]
        if last.role != "user":
            raise ValueError("the last message must be from the user")
        if not last.text.strip():
            raise ValueError("the last message has no text")
        return self
