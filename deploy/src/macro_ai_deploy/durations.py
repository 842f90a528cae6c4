"""Human durations: 90s, 10m, 1h30m, 2d, 0.5s, or plain seconds."""

from __future__ import annotations

import re

from macro_ai_deploy.errors import UsageError

_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    t = text.strip().lower()
    try:
        value = float(t)
    except ValueError:
        pass
    else:
        if value < 0:
            raise UsageError(f"invalid duration {text!r}: must not be negative")
        return value
    pos, total = 0, 0.0
    for m in _PART.finditer(t):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    if pos != len(t) or not t:
        raise UsageError(f"invalid duration {text!r}: use e.g. 30s, 10m, 1h30m, 2d")
    return total


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:g}s"
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    d, h = divmod(h, 24)
    parts = [f"{v}{u}" for v, u in ((d, "d"), (h, "h"), (m, "m"), (s, "s")) if v]
    return "".join(parts) or "0s"
