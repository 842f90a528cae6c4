"""Which optional configuration items are absent, by name only.

Required items never reach this point unset: the process refuses to start without them.
"""

from collections.abc import Callable, Mapping

from macro_ai.config.schema import Settings
from macro_ai.health.schemas import ConfigStatus

# Optional items worth reporting when unset, with the condition under which they matter.
_OPTIONAL: Mapping[str, Callable[[Settings], bool]] = {
    "REDIS_URL": lambda s: s.redis_url is None,
    "CORS_ALLOWED_ORIGINS": lambda s: not s.cors_allowed_origins,
    "CUSTOM_DOMAIN_NAME": lambda s: s.custom_domain_name is None,
    "OPENAI_API_KEY": lambda s: s.openai_api_key is None,
}


def config_report(settings: Settings) -> ConfigStatus:
    missing = sorted(name for name, absent in _OPTIONAL.items() if absent(settings))
    invalid: list[str] = []
    if settings.profile.secure_cookies and settings.cookie_domain == "localhost":
        invalid.append("COOKIE_DOMAIN")
    return ConfigStatus(
        status="complete" if not invalid else "incomplete",
        environment=settings.app_env,
        missing=missing,
        invalid=invalid,
    )
