"""Streamed replies (SPEC 1.4).

Everything that can fail with a status code happens before the response starts: validation,
ownership, storing the user's message, and waiting for the provider's first chunk. Then the reply
streams as plain UTF-8 text, one write per chunk. When the stream ends the assistant's reply is
stored; if the provider fails mid-stream or the client goes away, whatever was produced is stored
and marked partial. A client disconnect cancels the provider call (closing its HTTP stream).
A provider failure mid-stream aborts the HTTP response, so the client sees an incomplete body
rather than a reply that merely looks short.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import anyio
import structlog

from macro_ai.ai.provider import ChatProvider, ChatTurn
from macro_ai.chats.repository import ChatRepository
from macro_ai.db.engine import Sessions
from macro_ai.errors import AppError, NotFoundError

log = structlog.get_logger("macro_ai.chats.stream")


class ProviderUnavailableError(AppError):
    status_code = 502
    error_type = "BadGateway"


class ProviderFailedMidStreamError(Exception):
    """Raised after the partial reply is stored, to abort the HTTP response."""


@dataclass(frozen=True)
class StreamTarget:
    user_id: uuid.UUID
    chat_id: uuid.UUID


class ReplyStreamer:
    def __init__(self, sessions: Sessions, provider: ChatProvider) -> None:
        self.sessions = sessions
        self.provider = provider

    async def _store(
        self, target: StreamTarget, role: str, content: str, metadata: dict[str, object]
    ) -> bool:
        async with self.sessions() as session:
            stored = await ChatRepository(session).add_message(
                target.user_id, target.chat_id, role, content, metadata
            )
        return stored is not None

    async def start(self, target: StreamTarget, turns: Sequence[ChatTurn]) -> AsyncIterator[str]:
        """Store the user's message, get the first chunk, and return the rest as a stream."""
        if not await self._store(target, "user", turns[-1].content, {}):
            raise NotFoundError("Chat not found")
        chunks = self.provider.stream(turns)
        try:
            first = await anext(chunks)
        except StopAsyncIteration:
            first = ""
        except Exception as exc:
            log.error("provider failed before the first chunk", error_type=type(exc).__name__)
            await _close(chunks)
            raise ProviderUnavailableError("The model provider failed; please try again") from None
        return self._relay(target, first, chunks)

    async def _relay(
        self, target: StreamTarget, first: str, chunks: AsyncIterator[str]
    ) -> AsyncIterator[str]:
        produced = [first]
        outcome = "complete"
        try:
            if first:
                yield first
            async for chunk in chunks:
                produced.append(chunk)
                yield chunk
        except anyio.get_cancelled_exc_class():
            outcome = "client_disconnected"
            raise
        except GeneratorExit:
            outcome = "client_disconnected"
            raise
        except Exception as exc:
            outcome = "provider_error"
            log.error("provider failed mid-stream", error_type=type(exc).__name__)
        finally:
            # Shielded: when the client went away this code runs inside a cancelled scope.
            with anyio.CancelScope(shield=True):
                await _close(chunks)
                metadata: dict[str, object] = {"provider": self.provider.name, "model": self.provider.model}
                if outcome != "complete":
                    metadata |= {"partial": True, "reason": outcome}
                text = "".join(produced).replace("\x00", "")  # PostgreSQL text cannot hold NUL
                if text or outcome == "complete":
                    await self._store(target, "assistant", text, metadata)
                log.info("reply stored", outcome=outcome, characters=len(text))
        if outcome == "provider_error":
            raise ProviderFailedMidStreamError("the model provider failed mid-stream")


async def _close(chunks: AsyncIterator[str]) -> None:
    close = getattr(chunks, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception as exc:  # closing a broken provider stream may fail again; nothing to save
            log.warning("closing the provider stream failed", error_type=type(exc).__name__)
