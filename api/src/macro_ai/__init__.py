"""Macro AI: the chat-assistant API."""

# The package version (read by the build through hatch, so it is declared once, here).
__version__ = "0.1.0"
