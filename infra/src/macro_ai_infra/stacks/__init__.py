"""Stacks: each only composes constructs from ``macro_ai_infra.constructs``."""
