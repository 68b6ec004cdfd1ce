"""Each carrier's native tracking document, read into the normalised events."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from carriers.tracking import TrackingFormatError, adapters
from tms.domain.tracking import EventKind

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tracking"


def sample(carrier: str) -> Any:
    return json.loads((FIXTURES / f"{carrier}.json").read_text())


def test_colissimo_suivi_v2_events_are_normalised_and_an_unknown_code_is_kept() -> None:
    events = adapters()["colissimo"].parse(sample("colissimo"))
    assert [(e.code, e.kind) for e in events] == [
        ("DR1", EventKind.LABEL_CREATED),
        ("PC1", EventKind.PICKED_UP),
        ("ET1", EventKind.IN_TRANSIT),
        ("AG1", EventKind.AVAILABLE_FOR_PICKUP),
        ("ZZ9", EventKind.UNKNOWN),
    ]
    assert {e.tracking_number for e in events} == {"6A12345678901"}
    assert events[3].pickup_point == "Bureau de Poste Paris Louvre"
    assert events[0].occurred_at == datetime(2026, 3, 2, 17, 2, 11, tzinfo=UTC)


def test_chronopost_reads_the_same_suivi_format_as_its_own_carrier() -> None:
    events = adapters()["chronopost"].parse(sample("chronopost"))
    assert [e.kind for e in events][-1] is EventKind.DELIVERED
    assert {e.carrier for e in events} == {"chronopost"}


def test_dpd_keeps_only_the_statuses_reached_with_the_shop_and_its_holding_date() -> None:
    events = adapters()["dpd"].parse(sample("dpd"))
    assert [e.code for e in events] == ["ACCEPTED", "AT_SENDING_DEPOT", "PICKUP_SHOP"]
    assert events[-1].pickup_point == "FR12345 Tabac du Centre"
    assert events[-1].held_until == date(2026, 3, 11)


def test_mondial_relay_times_are_paris_local_and_the_relay_holds_until_its_limit() -> None:
    events = adapters()["mondial_relay"].parse(sample("mondial_relay"))
    assert events[0].occurred_at == datetime(2026, 3, 2, 13, 5, tzinfo=UTC)
    assert events[-1].kind is EventKind.AVAILABLE_FOR_PICKUP
    assert (events[-1].pickup_point, events[-1].held_until) == ("069123", date(2026, 3, 19))


def test_an_unknown_parcel_answer_has_no_events() -> None:
    assert adapters()["colissimo"].parse({"returnCode": 104, "returnMessage": "inconnu"}) == []
    assert adapters()["mondial_relay"].parse({"STAT": "80"}) == []


@pytest.mark.parametrize(
    ("carrier", "change", "field"),
    [
        ("colissimo", lambda d: d["shipment"]["event"][1].pop("date"), "shipment.event[1].date"),
        ("colissimo", lambda d: d["shipment"]["event"][0].update(date="hier"), "shipment.event[0].date"),
        ("colissimo", lambda d: d["shipment"].update(event={}), "shipment.event"),
        (
            "dpd",
            lambda d: d["parcellifecycleResponse"]["parcelLifeCycleData"]["statusInfo"][2].update(holdUntil="x"),
            "parcellifecycleResponse.parcelLifeCycleData.statusInfo[2].holdUntil",
        ),
        ("mondial_relay", lambda d: d["Tracing"][0].update(Heure="25h"), "Tracing[0].Heure"),
        ("mondial_relay", lambda d: d.pop("Expedition"), "Expedition"),
    ],
)
def test_a_malformed_document_names_the_field(carrier: str, change: Any, field: str) -> None:
    document = sample(carrier)
    change(document)
    with pytest.raises(TrackingFormatError) as refused:
        adapters()[carrier].parse(document)
    assert refused.value.field == field


def test_a_document_that_is_not_an_object_is_refused_on_body() -> None:
    with pytest.raises(TrackingFormatError) as refused:
        adapters()["dpd"].parse([1, 2])
    assert refused.value.field == "body"
