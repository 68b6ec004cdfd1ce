"""API keys and roles: who may do what."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    CHECKOUT = "checkout"  # may quote, register orders and cancel its channel's
    MANAGER = "manager"  # rate cards, plans, runs (and quotes)
    ADMIN = "admin"  # API keys (and everything a manager may do)


# What each role may also do: an admin can act as a manager, a manager can quote.
IMPLIED_ROLES: dict[Role, frozenset[Role]] = {
    Role.CHECKOUT: frozenset({Role.CHECKOUT}),
    Role.MANAGER: frozenset({Role.MANAGER, Role.CHECKOUT}),
    Role.ADMIN: frozenset({Role.ADMIN, Role.MANAGER, Role.CHECKOUT}),
}

KEY_PREFIX = "tms_"
CHANNEL_MAX = 64
CHANNEL_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
OWN_CHANNEL_PREFIX = "key-"  # a key created without a channel is its own: "key-<id>"


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    role: Role
    key_hash: str
    display_prefix: str
    created_at: datetime
    revoked_at: datetime | None = None
    channel: str | None = None  # the shop or sales channel the key registers orders for; None: its own

    def may_act_as(self, role: Role) -> bool:
        return self.revoked_at is None and role in IMPLIED_ROLES[self.role]

    @property
    def order_channel(self) -> str:
        """The channel of the orders this key registers: the one it was given, else its own ("key-<id>")."""
        return self.channel or f"{OWN_CHANNEL_PREFIX}{self.id}"

    def may_cancel_orders_of(self, channel: str | None) -> bool:
        """A manager may cancel any order; a checkout key only one registered by a key of its own channel
        (an order registered before orders had a channel, `None`, by managers only)."""
        return self.may_act_as(Role.MANAGER) or (channel is not None and channel == self.order_channel)


def channel_problem(channel: str) -> str | None:
    """Why `channel` cannot name a channel, or None."""
    if not CHANNEL_NAME.fullmatch(channel):
        return f"must be 1 to {CHANNEL_MAX} lower-case letters, digits, '.', '_' or '-', the first a letter or digit"
    if channel.startswith(OWN_CHANNEL_PREFIX):
        return f"must not start with {OWN_CHANNEL_PREFIX!r}: those name the channel of a key created without one"
    return None


def new_secret() -> str:
    """A fresh key: 256 random bits, URL-safe, shown to its owner once."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Keys are random and long, so one SHA-256 is enough (no salt or slow hash needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()
