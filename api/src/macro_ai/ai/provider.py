"""The provider interface the chat service streams from, and the choice made by configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from macro_ai.config.schema import Settings


@dataclass(frozen=True)
class ChatTurn:
    role: str  # user | assistant | system
    content: str


class ChatProvider(Protocol):
    name: str

    @property
    def model(self) -> str: ...

    def stream(self, turns: Sequence[ChatTurn]) -> AsyncIterator[str]:
        """Text chunks of the reply, as the model produces them."""
        ...


def build_provider(settings: Settings) -> ChatProvider:
    if settings.ai_provider == "openai":
        from macro_ai.ai.openai_compatible import OpenAICompatibleProvider

        return OpenAICompatibleProvider(settings)
    from macro_ai.ai.offline import OfflineProvider

    return OfflineProvider(settings.offline_provider_delay_ms / 1000)
