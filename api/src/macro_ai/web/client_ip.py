"""The client's address behind a known number of trusted proxies.

Each trusted proxy (the ALB is one) appends the address it saw to ``X-Forwarded-For``. Walking
back ``hops`` entries from the socket peer gives the client; anything further left was written by
the client itself and cannot be trusted.
"""

from __future__ import annotations

from starlette.types import Scope


def client_ip(scope: Scope, trusted_hops: int) -> str:
    peer = scope.get("client")
    chain = [peer[0] if peer else "unknown"]
    if trusted_hops:
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded = [part.strip() for part in value.decode("latin-1").split(",") if part.strip()]
                chain = forwarded + chain
                break
    # chain = [client?, ..., proxy-seen addresses..., peer]; the trusted suffix has hops + 1 entries.
    index = max(len(chain) - 1 - trusted_hops, 0)
    return chain[index]
