"""Typed configuration of the service: the schema, and the sources that load it."""

from macro_ai.config.schema import Settings
from macro_ai.config.sources import ConfigError, load_settings

__all__ = ["ConfigError", "Settings", "load_settings"]
