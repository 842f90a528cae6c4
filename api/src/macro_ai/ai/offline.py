"""A provider for development and tests that needs no network and says what it is."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence

from macro_ai.ai.provider import ChatTurn

PREFIX = "[offline provider: no model was called] "


class OfflineProvider:
    name = "offline"
    model = "offline-echo"

    def __init__(self, delay_seconds: float = 0.02) -> None:
        self.delay_seconds = delay_seconds

    async def stream(self, turns: Sequence[ChatTurn]) -> AsyncIterator[str]:
        reply = f"{PREFIX}You said: {turns[-1].content}"
        for word in re.findall(r"\S+\s*", reply):
            await asyncio.sleep(self.delay_seconds)
            yield word
