"""Manager page sessions: sign in with a manager key, resume on every page request, sign out.

A session is a random token given to the browser; the store keeps its hash, its key, when it was
made, last used and ends. Every request reads it again with its key, so signing out, revoking the
key or its lapse (idle or absolute, `SessionLifetime`) ends it at once, on every worker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from tms.domain.access import ApiKey, Role, hash_secret
from tms.domain.sessions import ManagerSession, SessionLifetime, new_session_token
from tms.services.access import authenticate
from tms.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class SignedIn:
    """A live session and the manager key it was opened with."""

    token: str
    session: ManagerSession
    key: ApiKey


def start_session(uow: UnitOfWork, secret: str, *, now: datetime, lifetime: SessionLifetime) -> SignedIn | None:
    """Open a session for a live key that may act as a manager; None for any other secret."""
    key = authenticate(uow, secret)
    if key is None or not key.may_act_as(Role.MANAGER):
        return None
    token = new_session_token()
    with uow:
        uow.manager_sessions.delete_expired(now)  # ended sessions do not pile up
        session = uow.manager_sessions.add(
            token_hash=hash_secret(token), key_id=key.id, created_at=now, expires_at=now + lifetime.absolute
        )
        uow.commit()
    return SignedIn(token, session, key)


def resume_session(uow: UnitOfWork, token: str, *, now: datetime, lifetime: SessionLifetime) -> SignedIn | None:
    """The session of this token if it is live and its key still a live manager's (then it was
    used now); None otherwise."""
    if not token:
        return None
    with uow:
        session = uow.manager_sessions.by_hash(hash_secret(token))
        if session is None or not session.live_at(now, lifetime.idle):
            return None
        key = uow.api_keys.get(session.key_id)
        if key is None or not key.may_act_as(Role.MANAGER):
            return None
        uow.manager_sessions.touch(session.id, now)
        uow.commit()
    return SignedIn(token, replace(session, last_seen_at=now), key)


def end_session(uow: UnitOfWork, token: str, *, now: datetime) -> None:
    """Sign out: the token no longer opens anything (an unknown or ended token is left as it is)."""
    if not token:
        return
    with uow:
        session = uow.manager_sessions.by_hash(hash_secret(token))
        if session is not None:
            uow.manager_sessions.revoke(session.id, now)
            uow.commit()
