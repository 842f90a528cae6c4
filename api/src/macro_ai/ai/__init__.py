"""Model providers: any OpenAI-compatible endpoint, or the offline provider (no network)."""

from macro_ai.ai.provider import ChatProvider, ChatTurn, build_provider

__all__ = ["ChatProvider", "ChatTurn", "build_provider"]
