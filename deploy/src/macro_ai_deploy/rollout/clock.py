"""The real clock of the rollout's Clock port (the test doubles of the ports live in deploy/tests)."""

from __future__ import annotations

import time


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))
