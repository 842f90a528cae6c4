"""Signals during long runs: SIGTERM (a cancelled CI job) behaves like Ctrl-C, so runs hold and say so."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM raises KeyboardInterrupt (like Ctrl-C), instead of killing silently."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[list[str]]:
    """Within the block SIGINT and SIGTERM are recorded, not acted on (a rollback must finish its retries).

    Yields the list of the signal names received, so the caller can say what it held back.
    """
    received: list[str] = []

    def handler(signum: int, frame: Any) -> None:
        received.append(signal.Signals(signum).name)

    previous: dict[signal.Signals, Any] = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
    except ValueError:  # not the main thread: signals are not ours to manage
        yield received
        return
    try:
        yield received
    finally:
        for sig, prev in previous.items():
            signal.signal(sig, prev)
