"""Carriers as the service knows them (their offers live in rate cards)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    created_at: datetime
