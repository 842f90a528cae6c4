"""Typed configuration of the service: the schema, its sources and the live (refreshed) view."""

from macro_ai.config.settings import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "load_settings"]
