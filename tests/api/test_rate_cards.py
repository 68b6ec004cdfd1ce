"""Rate cards through the API: upload in every format, check, list, show, compare, activate, retire."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select

from carriers.readers import read_json, read_xlsx
from carriers.writers import write_csv_files, write_xlsx
from tms.persistence.tables import Base

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "config" / "examples" / "rate-card.json").read_text())
CARDS = "/api/v1/rate-cards"


def an_example_card(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(EXAMPLE)
    document.update(changes)
    return document


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {t.name: connection.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def upload_json(client: FlaskClient, headers: dict[str, str], document: Any, query: str = "") -> Any:
    return client.post(f"{CARDS}{query}", json=document, headers=headers)


def upload_files(client: FlaskClient, headers: dict[str, str], files: dict[str, tuple[bytes, str]], query: str = ""):
    data = {field: (io.BytesIO(content), name) for field, (content, name) in files.items()}
    return client.post(f"{CARDS}{query}", data=data, headers=headers, content_type="multipart/form-data")


def test_a_json_card_is_stored_as_a_draft_version_1_and_shown_whole(client, manager) -> None:
    response = upload_json(client, manager, an_example_card())
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()["rate_card"]
    assert (stored["version"], stored["status"], stored["source_format"]) == (1, "draft", "json")
    assert stored["carrier"] == EXAMPLE["carrier"]["code"]

    shown = client.get(f"{CARDS}/{stored['id']}", headers=manager).get_json()
    assert read_json(shown["document"]) == read_json(EXAMPLE)


def test_the_same_card_uploaded_twice_is_stored_once(client, manager) -> None:
    first = upload_json(client, manager, an_example_card()).get_json()
    again = upload_json(client, manager, an_example_card())
    assert again.status_code == 200
    assert again.get_json() == {"created": False, "rate_card": first["rate_card"]}
    assert len(client.get(CARDS, headers=manager).get_json()) == 1


def test_a_dry_run_checks_the_card_and_stores_nothing(client, manager, engine) -> None:
    before = row_counts(engine)
    response = upload_json(client, manager, an_example_card(), "?dry_run=true")
    assert response.status_code == 200
    body = response.get_json()
    assert body["valid"] is True
    assert body["services"] == [s["code"] for s in EXAMPLE["services"]]
    assert row_counts(engine) == before


def test_a_new_card_never_overwrites_the_old_one_and_the_newest_active_is_in_force(client, manager) -> None:
    v1 = upload_json(client, manager, an_example_card(), "?activate=true").get_json()["rate_card"]
    later = an_example_card(valid_from="2026-06-01")
    later["prices"][0]["brackets"][0]["price"] += 1
    v2 = upload_json(client, manager, later, "?activate=true").get_json()["rate_card"]
    assert (v1["version"], v2["version"]) == (1, 2)
    carrier = v1["carrier"]

    def in_force(on: str) -> int:
        response = client.get(f"{CARDS}/in-force?carrier={carrier}&on={on}", headers=manager)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["version"]

    assert in_force("2026-05-31") == 1
    assert in_force("2026-06-01") == 2
    assert client.get(f"{CARDS}/in-force?carrier={carrier}&on=2025-12-31", headers=manager).status_code == 404
    assert (
        client.get(f"{CARDS}/{v1['id']}", headers=manager).get_json()["document"]["valid_from"] == EXAMPLE["valid_from"]
    )


def test_comparing_a_draft_with_the_card_in_force_lists_the_price_change(client, manager) -> None:
    upload_json(client, manager, an_example_card(), "?activate=true")
    draft_doc = an_example_card(valid_from="2026-07-01")
    grid = draft_doc["prices"][0]
    old_price = grid["brackets"][0]["price"]
    grid["brackets"][0]["price"] = round(old_price * 1.1, 2)
    draft = upload_json(client, manager, draft_doc).get_json()["rate_card"]

    response = client.get(f"{CARDS}/{draft['id']}/compare", headers=manager)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["against"]["version"] == 1
    price_changes = [c for c in body["changes"] if c["section"] == "price"]
    assert len(price_changes) == 1
    change = price_changes[0]
    assert (change["service"], change["zone"]) == (grid["service"], grid["zone"])
    assert (change["old"], change["new"]) == (old_price, grid["brackets"][0]["price"])
    assert any(c["section"] == "card" and c["what"] == "valid_from" for c in body["changes"])


def test_activate_and_retire_move_a_card_through_its_life_once(client, manager) -> None:
    card = upload_json(client, manager, an_example_card()).get_json()["rate_card"]
    carrier = card["carrier"]
    assert client.get(f"{CARDS}/in-force?carrier={carrier}&on=2026-12-01", headers=manager).status_code == 404

    activated = client.post(f"{CARDS}/{card['id']}/activate", headers=manager)
    assert activated.status_code == 200 and activated.get_json()["status"] == "active"
    assert client.post(f"{CARDS}/{card['id']}/activate", headers=manager).status_code == 409
    assert client.get(f"{CARDS}/in-force?carrier={carrier}&on=2026-12-01", headers=manager).status_code == 200

    retired = client.post(f"{CARDS}/{card['id']}/retire", headers=manager)
    assert retired.status_code == 200 and retired.get_json()["status"] == "retired"
    assert client.post(f"{CARDS}/{card['id']}/retire", headers=manager).status_code == 409
    assert client.get(f"{CARDS}/in-force?carrier={carrier}&on=2026-12-01", headers=manager).status_code == 404
    listed = client.get(f"{CARDS}?status=retired", headers=manager).get_json()
    assert [c["id"] for c in listed] == [card["id"]]


def test_an_unknown_card_is_404(client, manager) -> None:
    for method, path in [("get", "/999"), ("post", "/999/activate"), ("post", "/999/retire"), ("get", "/999/compare")]:
        response = getattr(client, method)(f"{CARDS}{path}", headers=manager)
        assert response.status_code == 404, path
        assert response.get_json()["code"] == "not_found"


def test_a_workbook_upload_gives_the_same_card_as_its_json(client, manager) -> None:
    workbook = write_xlsx(read_json(EXAMPLE))
    response = upload_files(client, manager, {"file": (workbook, "offer.xlsx")})
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()["rate_card"]
    assert stored["source_format"] == "xlsx" and stored["source_name"] == "offer.xlsx"
    # The same content as the JSON: uploading the JSON now is recognised as the same card.
    assert upload_json(client, manager, an_example_card()).get_json()["created"] is False


def test_a_csv_upload_gives_the_same_card_as_its_json(client, manager) -> None:
    tables = write_csv_files(read_json(EXAMPLE))
    files = {name.removesuffix(".csv"): (data, name) for name, data in tables.items()}
    response = upload_files(client, manager, files)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["rate_card"]["source_format"] == "csv"
    assert upload_json(client, manager, an_example_card()).get_json()["created"] is False


def test_the_template_workbook_downloads_and_reads_back_as_a_valid_card(client, manager) -> None:
    response = client.get(f"{CARDS}/template.xlsx", headers=manager)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert read_xlsx(response.data, max_uncompressed_bytes=10_000_000) == read_json(EXAMPLE)


def test_a_stored_card_downloads_as_a_workbook_of_the_same_card(client, manager) -> None:
    card = upload_json(client, manager, an_example_card()).get_json()["rate_card"]
    response = client.get(f"{CARDS}/{card['id']}/workbook", headers=manager)
    assert response.status_code == 200
    assert read_xlsx(response.data, max_uncompressed_bytes=10_000_000) == read_json(EXAMPLE)


def _bad_price() -> dict[str, Any]:
    document = an_example_card()
    document["prices"][0]["brackets"][1]["price"] = "twelve"
    return document


REFUSED_UPLOADS = {
    "a price that is not a number": (lambda c, h: upload_json(c, h, _bad_price()), "prices[0].brackets[1].price"),
    "an unknown currency": (lambda c, h: upload_json(c, h, an_example_card(currency="EUX")), "currency"),
    "a body that is not JSON": (
        lambda c, h: c.post(CARDS, data=b"{not json", headers=h, content_type="application/json"),
        "body",
    ),
    "an empty body": (lambda c, h: c.post(CARDS, data=b"", headers=h, content_type="application/json"), "body"),
    "a workbook that is really a PDF": (
        lambda c, h: upload_files(c, h, {"file": (b"%PDF-1.7 not a workbook", "card.xlsx")}),
        None,
    ),
    "an empty workbook file": (lambda c, h: upload_files(c, h, {"file": (b"", "card.xlsx")}), None),
    "a lone CSV file": (lambda c, h: upload_files(c, h, {"file": (b"a,b\n1,2\n", "card.csv")}), "file"),
    "a table the CSV upload does not know": (
        lambda c, h: upload_files(c, h, {"rates": (b"a,b\n1,2\n", "rates.csv")}),
        "rates",
    ),
    "a file of an unsupported type": (lambda c, h: upload_files(c, h, {"file": (b"hello", "card.txt")}), "file"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_UPLOADS))
def test_a_bad_upload_is_422_naming_where_and_changes_nothing(case, client, manager, engine) -> None:
    send, field = REFUSED_UPLOADS[case]
    before = row_counts(engine)
    response = send(client, manager)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["status"] == 422 and body["errors"], body
    for error in body["errors"]:
        assert error["message"]
        assert {"field", "sheet", "row", "column"} & set(error), error
    if field is not None:
        assert field in [e.get("field") for e in body["errors"]], body["errors"]
    assert row_counts(engine) == before


def test_an_upload_past_the_size_limit_is_422_and_changes_nothing(client, manager, engine, app) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    before = row_counts(engine)
    # The multipart body is built by hand: the test client would spool it to a temporary file.
    head = b'--B\r\nContent-Disposition: form-data; name="file"; filename="huge.xlsx"\r\n\r\n'
    body = head + b"0" * limit + b"\r\n--B--\r\n"
    response = client.post(CARDS, data=body, headers=manager, content_type="multipart/form-data; boundary=B")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "file"
    assert row_counts(engine) == before


def test_a_json_body_past_the_size_limit_is_422_naming_the_body(client, manager, app) -> None:
    body = b'{"notes": "' + b"x" * app.config["MAX_CONTENT_LENGTH"] + b'"}'
    response = client.post(CARDS, data=body, headers=manager, content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "body"


def test_a_workbook_with_a_bad_cell_is_refused_naming_its_sheet_row_and_column(client, manager, engine) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(write_xlsx(read_json(EXAMPLE))))
    sheet_name = next(name for name in workbook.sheetnames if name.startswith("Prices "))
    workbook[sheet_name]["C3"] = "n/a"
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = row_counts(engine)

    response = upload_files(client, manager, {"file": (buffer.getvalue(), "card.xlsx")})

    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert any(e.get("sheet") == sheet_name and e.get("row") == 3 for e in errors), errors
    assert row_counts(engine) == before


def test_the_fuel_surcharge_is_set_from_a_date_without_a_new_card(client, manager) -> None:
    card = upload_json(client, manager, an_example_card(), "?activate=true").get_json()["rate_card"]
    carrier = card["carrier"]
    response = client.put(
        f"/api/v1/carriers/{carrier}/fuel-surcharge",
        json={"percent": 12.75, "valid_from": "2026-04-01"},
        headers=manager,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["percent"] == 12.75
    history = client.get(f"/api/v1/carriers/{carrier}/fuel-surcharge", headers=manager).get_json()
    assert [(h["valid_from"], h["percent"]) for h in history] == [("2026-04-01", 12.75)]
    assert len(client.get(CARDS, headers=manager).get_json()) == 1


def test_a_fuel_surcharge_out_of_range_or_for_an_unknown_carrier_is_refused(client, manager) -> None:
    upload_json(client, manager, an_example_card())
    carrier = EXAMPLE["carrier"]["code"]
    bad = client.put(
        f"/api/v1/carriers/{carrier}/fuel-surcharge",
        json={"percent": 140, "valid_from": "2026-04-01"},
        headers=manager,
    )
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "percent"
    unknown = client.put(
        "/api/v1/carriers/nobody/fuel-surcharge", json={"percent": 10, "valid_from": "2026-04-01"}, headers=manager
    )
    assert unknown.status_code == 404


def test_a_workbook_with_a_cell_in_the_last_column_of_thousands_of_rows_is_one_422_and_changes_nothing(
    client, manager, engine
) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(write_xlsx(read_json(EXAMPLE))))
    for row in range(5, 4005):
        workbook["Zones"].cell(row=row, column=16384, value="x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = row_counts(engine)

    response = upload_files(client, manager, {"file": (buffer.getvalue(), "card.xlsx")})

    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert (error["sheet"], error["column"]) == ("Zones", "XFD")
    assert "uploads.max_columns" in error["message"]
    assert row_counts(engine) == before


def test_a_refusal_lists_at_most_a_hundred_problems_then_how_many_more(client, manager) -> None:
    document = an_example_card()
    document["zones"][0]["entries"] = [{"country": "XX", "postcodes": f"{n:03d}"} for n in range(300)]
    response = upload_json(client, manager, document)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert len(errors) == 101
    assert errors[-1]["message"].startswith("... and ") and errors[-1]["message"].endswith(" more problems")


def test_the_upload_limits_are_the_apps_settings(client, manager, container) -> None:
    from dataclasses import replace

    container.settings = replace(container.settings, uploads_max_services=2)
    response = upload_json(client, manager, an_example_card())
    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["field"] == "services[2]"
    assert "uploads.max_services" in error["message"]
    files = write_csv_files(read_json(EXAMPLE))
    response = upload_files(client, manager, {name.removesuffix(".csv"): (data, name) for name, data in files.items()})
    assert response.status_code == 422
    assert [(e["sheet"], e["row"]) for e in response.get_json()["errors"]] == [("services", 4)]


def test_a_json_body_nested_thousands_deep_is_422_naming_the_body(client, manager) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    response = client.post(CARDS, data=body, headers=manager, content_type="application/json")
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["body"]


def test_a_bad_service_feature_in_csv_files_is_422_naming_its_row_and_column(client, manager, engine) -> None:
    tables = write_csv_files(read_json(EXAMPLE))
    lines = tables["services.csv"].decode().splitlines()
    header = lines[0].split(",")
    row = lines[2].split(",")
    row[header.index("signature")] = "perhaps"
    tables["services.csv"] = "\n".join([*lines[:2], ",".join(row), *lines[3:]]).encode()
    before = row_counts(engine)
    response = upload_files(client, manager, {name.removesuffix(".csv"): (d, name) for name, d in tables.items()})
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert [(e.get("sheet"), e.get("row"), e.get("column")) for e in errors] == [("services", 3, "signature")]
    assert "yes or no" in errors[0]["message"]
    assert row_counts(engine) == before
