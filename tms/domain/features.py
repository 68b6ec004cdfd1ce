"""What a carrier service offers beyond its mode, and what an order holds the plan to.

The shopper's choice at checkout is a contract: the plan may move an order to another
service only when that one has the same mode and at least the same features (a speed class
at least as fast, a signature, an appointment, at least the insurance cover).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SpeedClass(StrEnum):
    ECONOMY = "economy"
    STANDARD = "standard"
    EXPRESS = "express"

    @property
    def rank(self) -> int:
        """Slowest 0, fastest 2: a class serves an order that asked for any class of lower or equal rank."""
        return _SPEED_RANKS[self]


_SPEED_RANKS = {SpeedClass.ECONOMY: 0, SpeedClass.STANDARD: 1, SpeedClass.EXPRESS: 2}


@dataclass(frozen=True)
class Features:
    """A service's features, or those an order requires (`speed` None: any speed class).

    `insurance_cents` is the declared value a service covers (None: no cover offered), or the
    cover an order requires (None: none required).
    """

    speed: SpeedClass | None = None
    signature: bool = False
    appointment: bool = False
    insurance_cents: int | None = None

    def covers(self, required: Features) -> bool:
        """True if a service with these features keeps every feature `required`."""
        return not self.missing(required)

    def missing(self, required: Features) -> list[str]:
        """The features `required` asks for that these lack, named as in the API."""
        lacking = []
        if required.speed is not None and (self.speed is None or self.speed.rank < required.speed.rank):
            lacking.append(f"speed {required.speed.value}")
        if required.signature and not self.signature:
            lacking.append("signature")
        if required.appointment and not self.appointment:
            lacking.append("appointment")
        if required.insurance_cents is not None and (self.insurance_cents or 0) < required.insurance_cents:
            lacking.append(f"insurance cover of {required.insurance_cents / 100:.2f}")
        return lacking

    def together(self, other: Features) -> Features:
        """What two orders shipped together require: the fastest class, every flag, the larger cover."""
        speeds = [s for s in (self.speed, other.speed) if s is not None]
        covers = [c for c in (self.insurance_cents, other.insurance_cents) if c is not None]
        return Features(
            max(speeds, key=lambda s: s.rank) if speeds else None,
            self.signature or other.signature,
            self.appointment or other.appointment,
            max(covers) if covers else None,
        )


NO_FEATURES = Features()
