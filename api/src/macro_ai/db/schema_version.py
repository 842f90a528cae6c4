"""The migration head this code expects.

Readiness compares the database against it on every probe. It is a constant rather than read
from Alembic at start-up because importing Alembic costs a quarter of a second of boot time;
``test_schema_version_is_alembic_head`` fails when a new migration is added without updating it.
"""

HEAD_REVISIONS = frozenset({"0002"})
