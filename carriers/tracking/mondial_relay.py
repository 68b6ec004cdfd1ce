"""Mondial Relay's tracking, modelled on its web service WSI2_TracingColisDetaille (published as
SOAP: STAT, Libelle01, Relais_Libelle, Relais_Num, and a Tracing list of Libelle, Date dd/mm/yy,
Heure HH:MM, Emplacement, Relais_Num, Relais_Pays). The SOAP envelope is read here as the same
fields in JSON, and each Tracing line is given a `Code` (the web service publishes only the label):
that part is modelled. Times are local to Paris.

{"STAT": "0", "Expedition": "...", "Tracing": [{"Code", "Libelle", "Date", "Heure",
"Emplacement", "Relais_Num", "Relais_Pays", "Date_Limite": "dd/mm/yy"}]}; STAT other than "0" is
the web service's error (a malformed or unknown parcel): no events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from carriers.tracking import TrackingFormatError, TrackingRequest, member
from tms.domain.tracking import EventKind, TrackingEvent

PARIS = ZoneInfo("Europe/Paris")
KINDS: dict[str, EventKind] = {
    "CRE": EventKind.LABEL_CREATED,
    "PEC": EventKind.PICKED_UP,
    "ACH": EventKind.IN_TRANSIT,
    "LIV_EN_COURS": EventKind.OUT_FOR_DELIVERY,
    "DIS_RELAIS": EventKind.AVAILABLE_FOR_PICKUP,
    "REM": EventKind.DELIVERED,
    "ECH": EventKind.DELIVERY_FAILED,
    "ANO": EventKind.EXCEPTION,
    "RET": EventKind.RETURNED,
}


def _day(text: str, where: str) -> date:
    try:
        return datetime.strptime(text, "%d/%m/%y").date()
    except ValueError:
        raise TrackingFormatError(where, f"is not a date dd/mm/yy: {text[:20]!r}") from None


@dataclass(frozen=True)
class MondialRelayAdapter:
    carrier: str = "mondial_relay"

    def kind_of(self, code: str) -> EventKind:
        return KINDS.get(code, EventKind.UNKNOWN)

    def request(self, base_url: str, tracking_number: str, api_key: str) -> TrackingRequest:
        return TrackingRequest(
            url=f"{base_url.rstrip('/')}/tracing/{quote(tracking_number, safe='')}",
            headers={"Accept": "application/json", "X-Enseigne-Key": api_key},
        )

    def parse(self, document: Any) -> list[TrackingEvent]:
        if member(document, "STAT", "", str) != "0":
            return []
        number = member(document, "Expedition", "", str)
        if not number.strip():
            raise TrackingFormatError("Expedition", "is required")
        events = []
        for i, raw in enumerate(member(document, "Tracing", "", list)):
            where = f"Tracing[{i}]"
            code = member(raw, "Code", where, str)
            day = _day(member(raw, "Date", where, str), f"{where}.Date")
            try:
                hour = datetime.strptime(member(raw, "Heure", where, str), "%H:%M").time()
            except ValueError:
                raise TrackingFormatError(f"{where}.Heure", "is not a time HH:MM") from None
            limit = member(raw, "Date_Limite", where, str, required=False)
            kind = KINDS.get(code, EventKind.UNKNOWN)
            events.append(
                TrackingEvent(
                    carrier=self.carrier,
                    tracking_number=number,
                    code=code,
                    kind=kind,
                    occurred_at=datetime.combine(day, hour, PARIS),
                    description=member(raw, "Libelle", where, str, required=False) or "",
                    location=member(raw, "Emplacement", where, str, required=False) or "",
                    pickup_point=member(raw, "Relais_Num", where, str, required=False) or "",
                    held_until=_day(limit, f"{where}.Date_Limite") if limit else None,
                )
            )
        return events


ADAPTER = MondialRelayAdapter()
