"""Manager sessions: a signed-in browser is a random token whose hash the store keeps.

The cookie holds only the token; the store decides whether it is still good, so signing out,
revoking the key or letting the session lapse ends it at once on every worker.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SessionLifetime:
    """How long a session lasts: `idle` without a page request, `absolute` after sign-in at most."""

    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class ManagerSession:
    id: int
    token_hash: str
    key_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime  # the absolute end, set at sign-in
    revoked_at: datetime | None = None

    def live_at(self, now: datetime, idle: timedelta) -> bool:
        """Not revoked, before its absolute end, and used within `idle`."""
        return self.revoked_at is None and now < self.expires_at and now < self.last_seen_at + idle


def new_session_token() -> str:
    """256 random bits, URL-safe: what the cookie carries (only its hash is stored)."""
    return secrets.token_urlsafe(32)
