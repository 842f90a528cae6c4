"""The client's address behind a known number of trusted proxies.

Each trusted proxy (the ALB is one) appends the address it saw to ``X-Forwarded-For``. Walking
back ``hops`` entries from the socket peer gives the client; anything further left was written by
the client itself and cannot be trusted.
"""

from __future__ import annotations


def client_ip(peer: tuple[str, int] | None, forwarded_for: bytes | None, trusted_hops: int) -> str:
    chain = [peer[0] if peer else "unknown"]
    if trusted_hops and forwarded_for:
        forwarded = [part.strip() for part in forwarded_for.decode("latin-1").split(",") if part.strip()]
        chain = forwarded + chain
    # chain = [client?, ..., proxy-seen addresses..., peer]; the trusted suffix has hops + 1 entries.
    index = max(len(chain) - 1 - trusted_hops, 0)
    return chain[index]
