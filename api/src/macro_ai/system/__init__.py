"""Runtime information for operators (API key required)."""
