"""Tracking adapters: one per carrier, each reading that carrier's native tracking format into the
domain's `TrackingEvent`s, and saying how its tracking API is asked about one parcel.

The same `parse` reads the carrier's webhook body and its API's answer; a document that is not the
carrier's format is a `TrackingFormatError` naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from tms.domain.tracking import EventKind, TrackingEvent


class TrackingFormatError(ValueError):
    """The carrier's document is malformed at `field` (a dotted path)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TrackingRequest:
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


class TrackingAdapter(Protocol):
    @property
    def carrier(self) -> str: ...

    def kind_of(self, code: str) -> EventKind:
        """The normalised kind of one of the carrier's codes (unknown if not known)."""

    def request(self, base_url: str, tracking_number: str, api_key: str) -> TrackingRequest:
        """How the carrier's tracking API is asked about one parcel."""

    def parse(self, document: Any) -> list[TrackingEvent]:
        """The events of the carrier's document; TrackingFormatError naming the field if malformed."""


def member(document: Any, name: str, path: str, kind: type | tuple[type, ...], *, required: bool = True) -> Any:
    """`document[name]` checked to be of `kind`; None when absent and not required."""
    if not isinstance(document, dict):
        raise TrackingFormatError(path or "body", "must be an object")
    where = f"{path}.{name}" if path else name
    value = document.get(name)
    if value is None:
        if required:
            raise TrackingFormatError(where, "is required")
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise TrackingFormatError(where, f"must be {'a list' if kind is list else expected}")
    if isinstance(value, str) and ("\x00" in value or not value.isprintable()):
        raise TrackingFormatError(where, "must be printable text, without a NUL character")
    return value


def aware_time(text: str, where: str) -> datetime:
    """An ISO 8601 time with its offset."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TrackingFormatError(where, f"is not an ISO 8601 time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        raise TrackingFormatError(where, "must carry a time zone offset")
    return moment


def adapters() -> dict[str, TrackingAdapter]:
    """The adapter of each carrier code."""
    from carriers.tracking import chronopost, colissimo, dpd, mondial_relay

    found: list[TrackingAdapter] = [colissimo.ADAPTER, chronopost.ADAPTER, dpd.ADAPTER, mondial_relay.ADAPTER]
    return {a.carrier: a for a in found}
