"""The RDS-managed database login: the one value the service reads from AWS while it runs.

RDS rotates the master password on its own schedule, so the database URL is built from the secret
at start-up and re-read every ``DATABASE_LOGIN_REFRESH_SECONDS``; the engine opens each new
connection with ``DatabaseUrl.current``. A failed refresh keeps the last good URL and is logged by
kind only. boto3 is imported lazily: most local runs never touch AWS, and it costs start-up time.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import structlog

from macro_ai.config.schema import Settings

log = structlog.get_logger("macro_ai.config")


def read_database_url(secret_id: str, region: str | None) -> str:
    """A PostgreSQL URL from an RDS-managed secret (``username``, ``password``, ``host``, ``port``,
    ``dbname``)."""
    import boto3

    response = boto3.client("secretsmanager", region_name=region).get_secret_value(SecretId=secret_id)
    document = json.loads(response["SecretString"])
    if not isinstance(document, dict):
        raise ValueError("the database secret is not a JSON object")
    missing = [key for key in ("username", "password", "host") if not document.get(key)]
    if missing:
        raise ValueError(f"database secret lacks {', '.join(missing)}")
    user, password = quote(str(document["username"]), safe=""), quote(str(document["password"]), safe="")
    port = document.get("port") or "5432"
    database = quote(str(document.get("dbname") or "postgres"), safe="")
    return f"postgresql://{user}:{password}@{document['host']}:{port}/{database}"


class DatabaseUrl:
    """The database URL new connections use; follows the RDS secret when one is configured."""

    def __init__(self, settings: Settings) -> None:
        self.current = settings.relational_database_url.get_secret_value()
        self.secret_id = settings.database_login_id
        self.region = settings.aws_region
        self.interval = settings.database_login_refresh_seconds

    @property
    def follows_rotation(self) -> bool:
        return self.secret_id is not None

    def refresh_now(self) -> bool:
        """Re-read the secret; True when the URL changed. Blocking: call in a thread."""
        assert self.secret_id is not None
        fresh = read_database_url(self.secret_id, self.region)
        changed = fresh != self.current
        self.current = fresh
        return changed

    async def refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                changed = await asyncio.to_thread(self.refresh_now)
            except Exception as exc:  # keep connecting with the last good login
                log.warning("database login refresh failed", error_type=type(exc).__name__)
                continue
            if changed:
                log.info("database login refreshed from its secret")
