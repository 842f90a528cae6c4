"""Any OpenAI-compatible chat completions endpoint, through the official ``openai`` client.

Model, base URL, key and timeout come from configuration; the client is made on first use.
Closing the stream (as happens when the client of our API disconnects) closes the HTTP
response to the provider, which cancels the generation there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from openai import AsyncOpenAI

from macro_ai.ai.provider import ChatTurn
from macro_ai.config.schema import Settings


class OpenAICompatibleProvider:
    name = "openai"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: AsyncOpenAI | None = None

    @property
    def model(self) -> str:
        return self.settings.openai_model

    def _current_client(self) -> AsyncOpenAI:
        if self._client is None:
            settings = self.settings
            self._client = AsyncOpenAI(
                api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else "",
                base_url=settings.openai_base_url or None,
                timeout=settings.openai_timeout_seconds,
                max_retries=1,
            )
        return self._client

    async def stream(self, turns: Sequence[ChatTurn]) -> AsyncIterator[str]:
        messages: Any = [{"role": turn.role, "content": turn.content} for turn in turns]
        stream = await self._current_client().chat.completions.create(
            model=self.model, messages=messages, stream=True
        )
        try:
            async for event in stream:
                if event.choices and (text := event.choices[0].delta.content):
                    yield text
        finally:
            await stream.close()
