"""Pickup-point directories through the API: upload (CSV, JSON), refusals naming row and column,
versions and activation; the nearest points for the checkout, and its bad input."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tms.bootstrap import Container

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "config" / "examples" / "pickup-points.csv").read_bytes()
DIRECTORIES = "/api/v1/pickup-directories"
POINTS = "/api/v1/pickup-points"
A_POINT = {  # the fields a JSON point needs
    "id": "P1",
    "name": "Relais",
    "address": "1 rue A",
    "postcode": "69002",
    "city": "Lyon",
    "country": "FR",
    "latitude": 45.76,
    "longitude": 4.83,
}
HEADER = "id,name,address,postcode,city,country,latitude,longitude,kind,monday,saturday,closures,max_weight_kg\n"


@pytest.fixture(autouse=True)
def carriers(container: Container) -> None:
    with container.uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", container.now())
        uow.carriers.ensure("dpd", "DPD France", container.now())
        uow.commit()


def upload(client: FlaskClient, headers: dict[str, str], data: bytes, query: str, name: str = "points.csv") -> Any:
    return client.post(
        f"{DIRECTORIES}?{query}",
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_a_csv_directory_is_stored_as_a_draft_then_activated_and_its_points_found(client, manager, checkout) -> None:
    response = upload(client, manager, EXAMPLE, "carrier=colissimo")
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()["directory"]
    assert (stored["version"], stored["status"], stored["point_count"]) == (1, "draft", 3)
    assert client.get(f"{POINTS}?lat=45.76&lon=4.85", headers=checkout).get_json()["points"] == []

    activated = client.post(f"{DIRECTORIES}/{stored['id']}/activate", headers=manager)
    assert activated.get_json()["status"] == "active"
    found = client.get(f"{POINTS}?lat=45.7640&lon=4.8357&limit=2", headers=checkout).get_json()
    assert found["position"] == {"latitude": 45.764, "longitude": 4.8357, "source": "coordinates"}
    first, second = found["points"]
    assert (first["id"], first["carrier"], first["kind"]) == ("069001", "colissimo", "relay")
    assert 440 <= first["distance_m"] <= 450  # 0.004 degrees of latitude
    assert first["hours"]["monday"] == "09:00-12:30 14:00-19:00" and first["hours"]["sunday"] == ""
    assert first["open_now"] is True and first["next_opening"] == "2026-03-02T10:00:00+01:00"
    assert first["closures"] == ["2026-08-03/2026-08-23"]
    assert second["id"] == "069002" and second["compartments_cm"] == ["8x38x64", "19x38x64", "39x38x64"]
    assert found["carriers_without_directory"] == ["dpd"]


def test_a_new_active_version_retires_the_one_in_use(client, manager, checkout) -> None:
    first = upload(client, manager, EXAMPLE, "carrier=colissimo&activate=true").get_json()["directory"]
    moved = HEADER + "X1,Relais Bastia,1 bd Paoli,20200,Bastia,FR,42.7003,9.4509,relay,09:00-19:00,,,\n"
    second = upload(client, manager, moved.encode(), "carrier=colissimo&activate=true").get_json()["directory"]
    assert second["version"] == 2 and second["status"] == "active"
    assert client.get(f"{DIRECTORIES}/{first['id']}", headers=manager).get_json()["status"] == "retired"
    points = client.get(f"{POINTS}?lat=45.76&lon=4.85", headers=checkout).get_json()["points"]
    assert [p["id"] for p in points] == ["X1"]
    again = upload(client, manager, moved.encode(), "carrier=colissimo&activate=true")
    assert again.status_code == 200 and again.get_json()["created"] is False
    listed = client.get(f"{DIRECTORIES}?carrier=colissimo", headers=manager).get_json()
    assert [d["version"] for d in listed] == [2, 1]


def test_a_json_directory_is_read_like_the_csv(client, manager, checkout) -> None:
    document = {
        "points": [
            {
                "id": "P1",
                "name": "Locker Gare",
                "address": "Gare Saint-Charles",
                "postcode": "13001",
                "city": "Marseille",
                "country": "FR",
                "latitude": 43.3026,
                "longitude": 5.3806,
                "kind": "locker",
                "hours": {day: "00:00-24:00" for day in ("monday", "tuesday", "sunday")},
                "max_weight_kg": 15,
            }
        ]
    }
    response = client.post(f"{DIRECTORIES}?carrier=dpd&activate=true", json=document, headers=manager)
    assert response.status_code == 201, response.get_json()
    found = client.get(f"{POINTS}?postcode=13001&weight_kg=10", headers=checkout).get_json()
    assert found["position"]["source"] == "postcode"
    assert [(p["id"], p["distance_m"], p["max_weight_kg"]) for p in found["points"]] == [("P1", 0, 15.0)]
    heavy = client.get(f"{POINTS}?postcode=13001&weight_kg=16", headers=checkout).get_json()
    assert heavy["points"] == []


def test_a_refused_directory_names_each_row_and_column_and_stores_nothing(client, manager) -> None:
    bad = (
        HEADER
        + "A,Relais,1 rue A,69002,Lyon,FR,45.76,4.83,relay,09:00-19:00,,,\n"
        + "B,Relais,1 rue B,6900,Lyon,FR,95,4.83,shop,9h-19h,,2026-13-01,-1\n"
        + "A,Relais,1 rue C,69003,Lyon,FR,45.76,4.84,relay,,,,\n"
    )
    response = upload(client, manager, bad.encode(), "carrier=colissimo")
    assert response.status_code == 422
    errors = {(e.get("row"), e.get("column")) for e in response.get_json()["errors"]}
    assert errors == {
        (3, "postcode"),
        (3, "latitude"),
        (3, "kind"),
        (3, "monday"),
        (3, "closures"),
        (3, "max_weight_kg"),
        (4, "id"),
    }
    assert client.get(DIRECTORIES, headers=manager).get_json() == []


def test_ids_apart_only_in_case_an_open_ended_closure_numbers_past_range_and_unknown_countries_are_refused(
    client, manager
) -> None:
    header = "id,name,address,postcode,city,country,latitude,longitude,kind,monday,closures,compartments_cm\n"
    bad = (
        header
        + "pt1,Relais,1 rue A,69002,Lyon,FR,45.76,4.83,relay,09:00-19:00,,\n"
        + "PT1,Relais,1 rue B,69002,Lyon,FR,45.76,4.83,relay,09:00-19:00,,\n"
        + "PT2,Relais,1 rue B,69002,Lyon,FR,45.76,4.83,relay,09:00-19:00,2026-08-03/,\n"
        + f"L1,Consigne,1 rue C,69002,Lyon,FR,45.76,4.83,locker,09:00-19:00,,{'9' * 400}x1x1\n"
        + "Z1,Relais,1 rue D,69002,Lyon,ZZ,45.76,4.83,relay,09:00-19:00,,\n"
    )
    response = upload(client, manager, bad.encode(), "carrier=colissimo")
    assert response.status_code == 422, response.get_json()
    errors = {(e.get("row"), e.get("column")): e["message"] for e in response.get_json()["errors"]}
    assert set(errors) == {(3, "id"), (4, "closures"), (5, "compartments_cm"), (6, "country")}
    assert "as 'pt1'" in errors[(3, "id")] and "no last day" in errors[(4, "closures")]
    document = {"points": [{**A_POINT, "max_weight_kg": 10**400}]}
    response = client.post(f"{DIRECTORIES}?carrier=colissimo", json=document, headers=manager)
    assert response.status_code == 422, response.get_json()
    assert [e["field"] for e in response.get_json()["errors"]] == ["body"]  # past a double: not read as JSON
    assert client.get(DIRECTORIES, headers=manager).get_json() == []


def test_a_dry_run_checks_a_directory_and_stores_nothing(client, manager) -> None:
    for data, name in ((EXAMPLE, "points.csv"), (EXAMPLE, "points.txt")):
        response = upload(client, manager, data, "carrier=colissimo&dry_run=true", name=name)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert (body["valid"], body["carrier"]) == (True, "colissimo")
        assert body["point_count"] == EXAMPLE.decode().strip().count("\n")  # a row per point below the header
    document = {"points": [A_POINT]}
    response = client.post(f"{DIRECTORIES}?carrier=dpd&dry_run=true", json=document, headers=manager)
    assert (response.status_code, response.get_json()) == (200, {"valid": True, "carrier": "dpd", "point_count": 1})
    bad = client.post(f"{DIRECTORIES}?carrier=dpd&dry_run=true", json={"points": [{"id": "P1"}]}, headers=manager)
    assert bad.status_code == 422
    assert client.get(DIRECTORIES, headers=manager).get_json() == []


def test_a_colissimo_export_loads_as_it_comes(client, manager, checkout) -> None:
    """Its own column names, `;` separators, decimal commas, a BOM, and its typeDePoint codes."""
    export = (
        "\ufeffidentifiant;nom;adresse1;codePostal;localite;codePays;coordGeolocalisationLatitude;"
        "coordGeolocalisationLongitude;typeDePoint;horairesOuvertureLundi;horairesOuvertureSamedi\n"
        "123456;TABAC DE LA GARE;3 PLACE CARNOT;69002;LYON;FR;45,7485;4,8276;A2P;09:00-12:00 14:00-19:00;09:00-12:00\n"
        "987654;PICKUP STATION PERRACHE;GARE DE PERRACHE;69002;LYON;FR;45,7490;4,8260;PCS;00:00-24:00;00:00-24:00\n"
        "555555;LYON PERRACHE BP;8 COURS VERDUN;69002;LYON;FR;45,7500;4,8270;BPR;08:30-19:00;\n"
    )
    response = upload(client, manager, export.encode(), "carrier=colissimo&activate=true")
    assert response.status_code == 201, response.get_json()
    found = client.get(f"{POINTS}?postcode=69002&limit=5", headers=checkout).get_json()["points"]
    assert {p["id"]: p["kind"] for p in found} == {"123456": "relay", "987654": "locker", "555555": "relay"}
    tabac = next(p for p in found if p["id"] == "123456")
    assert (tabac["latitude"], tabac["longitude"]) == (45.7485, 4.8276)
    assert tabac["hours"]["monday"] == "09:00-12:00 14:00-19:00"


def test_a_missing_column_is_named_on_the_header(client, manager) -> None:
    response = upload(client, manager, b"id,name,postcode\n1,a,69002\n", "carrier=colissimo")
    assert response.status_code == 422
    assert {(e["row"], e["column"]) for e in response.get_json()["errors"]} == {
        (1, "address"),
        (1, "city"),
        (1, "country"),
        (1, "latitude"),
        (1, "longitude"),
    }


def test_an_unknown_carrier_is_refused_on_upload_and_search(client, manager, checkout) -> None:
    response = upload(client, manager, EXAMPLE, "carrier=ups")
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "carrier"
    response = client.get(f"{POINTS}?lat=45&lon=4&carrier=ups", headers=checkout)
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "carrier"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lat=91&lon=2", "lat"),
        ("lat=48&lon=-181", "lon"),
        ("lat=48", "lon"),
        ("lat=nan&lon=2", "lat"),
        ("postcode=7500", "postcode"),
        ("postcode=ABCDE&country=FR", "postcode"),
        ("postcode=00000", "postcode"),  # no French postcode begins with 00, 96 or 99
        ("postcode=96100", "postcode"),
        ("postcode=99999", "postcode"),
        ("country=XX&postcode=75001", "country"),
        ("", "postcode"),
        ("lat=48&lon=2&limit=0", "limit"),
        ("lat=48&lon=2&weight_kg=-1", "weight_kg"),
        ("lat=48&lon=2&radius=3", "radius"),
    ],
)
def test_bad_search_input_is_a_422_naming_the_field(client, checkout, query: str, field: str) -> None:
    response = client.get(f"{POINTS}?{query}", headers=checkout)
    assert response.status_code == 422, response.get_json()
    assert field in [e.get("field") for e in response.get_json()["errors"]]


def test_a_place_without_known_points_has_no_position_and_no_points(client, manager, checkout) -> None:
    upload(client, manager, EXAMPLE, "carrier=colissimo&activate=true")
    by_department = client.get(f"{POINTS}?postcode=69009", headers=checkout).get_json()
    assert by_department["position"]["source"] == "department"
    assert client.get(f"{POINTS}?postcode=29200", headers=checkout).get_json() == {
        "position": None,
        "points": [],
        "carriers_without_directory": ["dpd"],
    }
    by_city = client.get(f"{POINTS}?city=MARSEILLE", headers=checkout).get_json()
    assert by_city["position"]["source"] == "city" and by_city["points"][0]["id"] == "013001"


def test_the_checkout_may_search_but_not_upload(client, checkout) -> None:
    assert upload(client, checkout, EXAMPLE, "carrier=colissimo").status_code == 403
