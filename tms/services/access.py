"""API keys: create (the secret is shown once), authenticate by hash, list, revoke (which also ends
the manager page sessions opened with the key)."""

from __future__ import annotations

from datetime import datetime

from tms.domain.access import ApiKey, Role, channel_problem, hash_secret, new_secret
from tms.domain.errors import Conflict, InvalidInput, NotFound, Problem
from tms.services.unit_of_work import UnitOfWork

NAME_MAX = 200  # characters of a key's name (the column's size)


def create_api_key(
    uow: UnitOfWork, *, name: str, role: str, now: datetime, channel: str | None = None
) -> tuple[ApiKey, str]:
    """A new key and its secret. `channel` names the shop or sales channel whose orders it registers and
    may cancel; without one, the key is a channel of its own."""
    if channel is not None:
        problem = channel_problem(channel)
        if problem:
            raise InvalidInput("not a channel name", [Problem(problem, field="channel")])
    try:
        parsed = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput("unknown role", [Problem(f"must be one of {allowed}", field="role")]) from None
    if not name.strip():
        raise InvalidInput("a key needs a name", [Problem("must not be empty", field="name")])
    if len(name.strip()) > NAME_MAX or "\x00" in name:
        raise InvalidInput("name too long", [Problem(f"must be at most {NAME_MAX} characters", field="name")])
    secret = new_secret()
    with uow:
        key = uow.api_keys.add(
            name=name.strip(),
            role=parsed,
            key_hash=hash_secret(secret),
            display_prefix=secret[:10],
            created_at=now,
            channel=channel,
        )
        uow.commit()
    return key, secret


def authenticate(uow: UnitOfWork, secret: str) -> ApiKey | None:
    """The live key with this secret, or None (unknown or revoked)."""
    with uow:
        key = uow.api_keys.by_hash(hash_secret(secret))
    if key is None or key.revoked_at is not None:
        return None
    return key


def list_api_keys(uow: UnitOfWork) -> list[ApiKey]:
    with uow:
        return uow.api_keys.list()


def revoke_api_key(uow: UnitOfWork, key_id: int, now: datetime) -> ApiKey:
    with uow:
        key = uow.api_keys.get(key_id)
        if key is None:
            raise NotFound(f"API key {key_id} does not exist")
        if key.revoked_at is not None:
            raise Conflict(f"API key {key_id} is already revoked")
        key = uow.api_keys.revoke(key_id, now)
        uow.manager_sessions.revoke_for_key(key_id, now)
        uow.commit()
        return key
