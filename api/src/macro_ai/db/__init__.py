"""Database access: engine, sessions, ORM base and migrations."""
