"""API keys and roles: who may do what."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    CHECKOUT = "checkout"  # may quote
    MANAGER = "manager"  # rate cards, plans, runs (and quotes)
    ADMIN = "admin"  # API keys (and everything a manager may do)


# What each role may also do: an admin can act as a manager, a manager can quote.
IMPLIED_ROLES: dict[Role, frozenset[Role]] = {
    Role.CHECKOUT: frozenset({Role.CHECKOUT}),
    Role.MANAGER: frozenset({Role.MANAGER, Role.CHECKOUT}),
    Role.ADMIN: frozenset({Role.ADMIN, Role.MANAGER, Role.CHECKOUT}),
}

KEY_PREFIX = "tms_"


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    role: Role
    key_hash: str
    display_prefix: str
    created_at: datetime
    revoked_at: datetime | None = None

    def may_act_as(self, role: Role) -> bool:
        return self.revoked_at is None and role in IMPLIED_ROLES[self.role]


def new_secret() -> str:
    """A fresh key: 256 random bits, URL-safe, shown to its owner once."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Keys are random and long, so one SHA-256 is enough (no salt or slow hash needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()
