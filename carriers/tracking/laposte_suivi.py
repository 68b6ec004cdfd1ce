"""La Poste's Suivi v2 API (`GET /suivi/v2/idships/{idShip}`, header X-Okapi-Key), which answers for
Colissimo and Chronopost parcels alike (published: developer.laposte.fr, "Suivi v2").

Answer: {"lang", "scope", "returnCode": 200, "shipment": {"idShip", "product", "isFinal",
"event": [{"code", "label", "date": ISO 8601 with offset}, ...], "contextData": {"removalPoint":
{"name", "type"}}}}; a returnCode other than 200 (104/105: unknown or not yet flashed) has no events.
The event codes are La Poste's (DR1 declared, PC1/PC2 taken over, ET1-ET4 in transit, MD2 out for
delivery, AG1 waiting at the counter or point, DI1 delivered, DI2 delivered back to the sender,
RE1 returned, ND1 not deliverable, PB1/PB2 problems, DO1-DO3 customs). Suivi v2 publishes no
holding date for a parcel waiting at a point: held_until stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from carriers.tracking import TrackingFormatError, TrackingRequest, aware_time, member
from tms.domain.tracking import EventKind, TrackingEvent

KINDS: dict[str, EventKind] = {
    "DR1": EventKind.LABEL_CREATED,
    "PC1": EventKind.PICKED_UP,
    "PC2": EventKind.PICKED_UP,
    "ET1": EventKind.IN_TRANSIT,
    "ET2": EventKind.IN_TRANSIT,
    "ET3": EventKind.IN_TRANSIT,
    "ET4": EventKind.IN_TRANSIT,
    "EP1": EventKind.IN_TRANSIT,
    "DO1": EventKind.IN_TRANSIT,
    "DO2": EventKind.IN_TRANSIT,
    "DO3": EventKind.EXCEPTION,
    "PB1": EventKind.EXCEPTION,
    "PB2": EventKind.EXCEPTION,
    "MD2": EventKind.OUT_FOR_DELIVERY,
    "ND1": EventKind.DELIVERY_FAILED,
    "AG1": EventKind.AVAILABLE_FOR_PICKUP,
    "RE1": EventKind.RETURNED,
    "DI1": EventKind.DELIVERED,
    "DI2": EventKind.RETURNED,
}


@dataclass(frozen=True)
class SuiviAdapter:
    carrier: str

    def kind_of(self, code: str) -> EventKind:
        return KINDS.get(code, EventKind.UNKNOWN)

    def request(self, base_url: str, tracking_number: str, api_key: str) -> TrackingRequest:
        return TrackingRequest(
            url=f"{base_url.rstrip('/')}/idships/{quote(tracking_number, safe='')}?lang=fr_FR",
            headers={"X-Okapi-Key": api_key, "Accept": "application/json"},
        )

    def parse(self, document: Any) -> list[TrackingEvent]:
        code = member(document, "returnCode", "", int)
        if code != 200:
            return []
        shipment = member(document, "shipment", "", dict)
        number = member(shipment, "idShip", "shipment", str)
        context = member(shipment, "contextData", "shipment", dict, required=False) or {}
        point = member(context, "removalPoint", "shipment.contextData", dict, required=False) or {}
        point_name = member(point, "name", "shipment.contextData.removalPoint", str, required=False) or ""
        events = []
        for i, raw in enumerate(member(shipment, "event", "shipment", list)):
            where = f"shipment.event[{i}]"
            event_code = member(raw, "code", where, str)
            kind = KINDS.get(event_code, EventKind.UNKNOWN)
            events.append(
                TrackingEvent(
                    carrier=self.carrier,
                    tracking_number=number,
                    code=event_code,
                    kind=kind,
                    occurred_at=aware_time(member(raw, "date", where, str), f"{where}.date"),
                    description=member(raw, "label", where, str, required=False) or "",
                    pickup_point=point_name if kind is EventKind.AVAILABLE_FOR_PICKUP else "",
                )
            )
        if not number.strip():
            raise TrackingFormatError("shipment.idShip", "is required")
        return events
