"""Typed configuration: settings, their sources, and run-time secret refresh."""

from macro_ai.config.settings import ConfigError, Environment, Settings, load_settings

__all__ = ["ConfigError", "Environment", "Settings", "load_settings"]
