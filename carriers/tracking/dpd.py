"""DPD's tracking, modelled on DPD's public parcel life-cycle JSON (`GET .../plc/{parcel}`) as
client libraries describe it; no formal specification was found, so the shape is modelled:

{"parcellifecycleResponse": {"parcelLifeCycleData": {"shipmentInfo": {"parcelLabelNumber"},
"statusInfo": [{"status", "label", "statusHasBeenReached", "date": ISO 8601 with offset,
"location", "pickupShop", "holdUntil": "YYYY-MM-DD"}]}}}. Only the statuses reached are events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from carriers.tracking import TrackingFormatError, TrackingRequest, aware_time, member
from tms.domain.tracking import EventKind, TrackingEvent

KINDS: dict[str, EventKind] = {
    "ACCEPTED": EventKind.LABEL_CREATED,
    "AT_SENDING_DEPOT": EventKind.PICKED_UP,
    "ON_THE_ROAD": EventKind.IN_TRANSIT,
    "AT_DELIVERY_DEPOT": EventKind.IN_TRANSIT,
    "OUT_FOR_DELIVERY": EventKind.OUT_FOR_DELIVERY,
    "PICKUP_SHOP": EventKind.AVAILABLE_FOR_PICKUP,
    "DELIVERED": EventKind.DELIVERED,
    "DELIVERY_FAILED": EventKind.DELIVERY_FAILED,
    "PROBLEM": EventKind.EXCEPTION,
    "RETURNED": EventKind.RETURNED,
}


@dataclass(frozen=True)
class DpdAdapter:
    carrier: str = "dpd"

    def kind_of(self, code: str) -> EventKind:
        return KINDS.get(code, EventKind.UNKNOWN)

    def request(self, base_url: str, tracking_number: str, api_key: str) -> TrackingRequest:
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        return TrackingRequest(url=f"{base_url.rstrip('/')}/plc/{quote(tracking_number, safe='')}", headers=headers)

    def parse(self, document: Any) -> list[TrackingEvent]:
        response = member(document, "parcellifecycleResponse", "", dict)
        data = member(response, "parcelLifeCycleData", "parcellifecycleResponse", dict)
        base = "parcellifecycleResponse.parcelLifeCycleData"
        info = member(data, "shipmentInfo", base, dict)
        number = member(info, "parcelLabelNumber", f"{base}.shipmentInfo", str)
        if not number.strip():
            raise TrackingFormatError(f"{base}.shipmentInfo.parcelLabelNumber", "is required")
        events = []
        for i, raw in enumerate(member(data, "statusInfo", base, list)):
            where = f"{base}.statusInfo[{i}]"
            if member(raw, "statusHasBeenReached", where, bool, required=False) is False:
                continue
            status = member(raw, "status", where, str)
            kind = KINDS.get(status, EventKind.UNKNOWN)
            hold = member(raw, "holdUntil", where, str, required=False)
            try:
                held_until = date.fromisoformat(hold) if hold else None
            except ValueError:
                raise TrackingFormatError(f"{where}.holdUntil", "is not a date (YYYY-MM-DD)") from None
            events.append(
                TrackingEvent(
                    carrier=self.carrier,
                    tracking_number=number,
                    code=status,
                    kind=kind,
                    occurred_at=aware_time(member(raw, "date", where, str), f"{where}.date"),
                    description=member(raw, "label", where, str, required=False) or "",
                    location=member(raw, "location", where, str, required=False) or "",
                    pickup_point=member(raw, "pickupShop", where, str, required=False) or "",
                    held_until=held_until,
                )
            )
        return events


ADAPTER = DpdAdapter()
