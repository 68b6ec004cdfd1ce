"""The delivery modes a shopper chooses between and a carrier service offers; their values are the API's."""

from __future__ import annotations

from enum import StrEnum


class DeliveryMode(StrEnum):
    HOME = "home"
    PICKUP_POINT = "pickup_point"
    LOCKER = "locker"
