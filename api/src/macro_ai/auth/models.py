from datetime import datetime

from sqlalchemy import DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from macro_ai.db.base import Base, created_at_column


class RevokedSession(Base):
    """A signed-out session: its tokens (keyed by ``origin_jti``, else ``jti``) are refused until
    they would have expired anyway; then the row is pruned."""

    __tablename__ = "revoked_sessions"
    __table_args__ = (Index(None, "expires_at"),)

    session_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime] = created_at_column()
