"""Headers every response carries, computed once."""

from __future__ import annotations

# JSON responses never need to load anything: the strictest policy.
JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The interactive docs page loads Swagger UI from its CDN.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
DOCS_PATHS = frozenset({"/api/docs", "/api/redoc", "/api/docs/oauth2-redirect"})

_COMMON: list[tuple[bytes, bytes]] = [
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
API_HEADERS = [*_COMMON, (b"content-security-policy", JSON_CSP.encode())]
DOCS_HEADERS = [*_COMMON, (b"content-security-policy", DOCS_CSP.encode())]
NO_STORE = (b"cache-control", b"no-store")


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    return DOCS_HEADERS if path in DOCS_PATHS else API_HEADERS
