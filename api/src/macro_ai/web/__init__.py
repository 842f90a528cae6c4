"""The HTTP edge: plain ASGI middleware for everything on the hot path."""
