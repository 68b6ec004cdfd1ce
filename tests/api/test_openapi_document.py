"""The OpenAPI document is valid and true: the errors it documents are the ones the API answers."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate

METHODS = {"get", "put", "post", "delete", "patch"}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture()
def spec(client: FlaskClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/api/v1/openapi.json").get_json()
    return document


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def assert_is_an_error(spec: dict[str, Any], body: Any) -> None:
    """`body` validates against the document's Error schema (its refs resolved in the document)."""
    jsonschema.validate(body, {**ERROR_REF, "components": spec["components"]})


def test_the_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)  # raises on any violation of the OpenAPI 3.0 schema


def test_the_error_schema_is_the_shape_the_handler_answers(spec: dict[str, Any]) -> None:
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"status", "code", "message", "errors"}
    assert set(error["required"]) == {"status", "code", "message", "errors"}
    assert error["properties"]["status"]["type"] == "integer" and error["properties"]["code"]["type"] == "string"
    problem = spec["components"]["schemas"]["Problem"]
    assert error["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/Problem"}
    assert set(problem["properties"]) == {"message", "field", "sheet", "row", "column"}
    assert problem["required"] == ["message"]


def test_flask_smorests_default_error_shape_is_not_what_is_documented(spec: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):  # its code is an integer, its status a name
        assert_is_an_error(spec, {"code": 404, "status": "Not Found", "message": "x", "errors": {}})


def test_the_fuel_surcharge_bounds_are_numbers(spec: dict[str, Any]) -> None:
    percent = spec["components"]["schemas"]["FuelSurcharge"]["properties"]["percent"]
    assert percent["type"] == "number"
    assert percent["minimum"] == 0 and percent["maximum"] == 100
    assert not isinstance(percent["minimum"], str) and not isinstance(percent["maximum"], str)


def test_every_operation_lists_its_errors_in_the_error_shape(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        where = f"{method.upper()} {path}"
        assert "default" not in responses, f"{where}: a catch-all response documents any status"
        if operation.get("security"):
            assert {"401", "403", "503"} <= set(responses), where
        if "{" in path:
            assert "404" in responses, where
        if "requestBody" in operation or any(p.get("in") == "query" for p in operation.get("parameters", [])):
            assert "422" in responses, where
        for status, response in responses.items():
            if int(status) >= 400:
                response = resolve(spec, response)
                assert response["content"]["application/json"]["schema"] == ERROR_REF, f"{where} {status}"


def resolve(spec: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[1]
        found: dict[str, Any] = spec["components"]["responses"][name]
        return found
    return response


def test_the_states_that_clash_are_documented_as_409(spec: dict[str, Any]) -> None:
    paths = spec["paths"]
    for path, method in [
        ("/api/v1/rate-cards/{card_id}/activate", "post"),
        ("/api/v1/rate-cards/{card_id}/retire", "post"),
        ("/api/v1/orders", "post"),
        ("/api/v1/orders/{order_ref}/cancel", "post"),
        ("/api/v1/orders/{order_ref}/dispatch", "post"),
        ("/api/v1/keys/{key_id}", "delete"),
        ("/api/v1/outbox/{message_id}/replay", "post"),
    ]:
        assert "409" in paths[path][method]["responses"], f"{method.upper()} {path}"


def test_the_errors_the_api_answers_validate_against_the_documented_error(
    client: FlaskClient, spec: dict[str, Any], checkout: dict[str, str], manager: dict[str, str], admin: dict[str, str]
) -> None:
    answers = {
        401: client.get("/api/v1/rate-cards"),
        403: client.get("/api/v1/rate-cards", headers=checkout),
        404: client.get("/api/v1/rate-cards/999", headers=manager),
        422: client.post("/api/v1/orders", json={"order_ref": ""}, headers=checkout),
    }
    created = client.post("/api/v1/keys", json={"name": "temp", "role": "checkout"}, headers=admin).get_json()
    client.delete(f"/api/v1/keys/{created['id']}", headers=admin)
    answers[409] = client.delete(f"/api/v1/keys/{created['id']}", headers=admin)
    for status, response in answers.items():
        assert response.status_code == status
        body = response.get_json()
        assert_is_an_error(spec, body)
        assert body["status"] == status
    assert any(problem.get("field") for problem in answers[422].get_json()["errors"])


def test_the_swagger_ui_page_loads_its_files_from_this_service(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "cdn." not in html and "https://" not in html
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f"/api/v1/docs/assets/{asset}" in html
        served = client.get(f"/api/v1/docs/assets/{asset}")
        assert served.status_code == 200 and len(served.get_data()) > 1000, asset
        served.close()
