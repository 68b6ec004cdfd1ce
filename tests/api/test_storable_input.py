"""Every text the API reads is text every store keeps, and every input schema refuses what it does
not define. PostgreSQL refuses a NUL character in text: a query or body string that reaches the
database unchecked is a 500 there and not on SQLite, so the rule is held on every schema the
endpoints read, and a NUL sent to every string query parameter is answered 422 on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import Schema, fields, validate

from tms.api.reading import BodySchema, Mode, QuerySchema, Text
from tms.api.schemas import storable_text


def input_schemas(app: Flask) -> Iterator[tuple[str, str, Schema]]:
    """(endpoint, location, schema) of every schema an endpoint reads with `arguments`."""
    for endpoint, view in app.view_functions.items():
        for parameter in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
            schema = parameter["schema"]
            yield endpoint, parameter["in"], schema() if isinstance(schema, type) else schema


def string_fields(schema: Schema, path: str = "") -> Iterator[tuple[str, fields.Field, Schema]]:
    """Each string field of the schema and of the schemas nested in it, with its dotted path."""
    for name, field in schema.fields.items():
        yield from _strings(field, f"{path}{name}", schema)


def _strings(field: fields.Field, path: str, owner: Schema) -> Iterator[tuple[str, fields.Field, Schema]]:
    if isinstance(field, fields.Nested):
        yield path, field, field.schema  # the nested schema itself must refuse unknown fields
        yield from string_fields(field.schema, path + ".")
    elif isinstance(field, fields.List):
        yield from _strings(field.inner, path + "[]", owner)
    elif isinstance(field, fields.String) and not isinstance(field, fields.Enum):
        yield path, field, owner


def is_storable(field: fields.Field) -> bool:
    """Read by the API's text reader, checked by `storable_text`, or one of a fixed set of values."""
    return (
        isinstance(field, (Text, Mode))
        or storable_text in field.validators
        or any(isinstance(v, validate.OneOf) for v in field.validators)
    )


def test_every_input_schema_checks_its_text_and_refuses_unknown_fields(app: Flask) -> None:
    schemas = list(input_schemas(app))
    assert len(schemas) >= 10, "the walk must find the endpoints' schemas"
    unchecked, open_ended = [], []
    for endpoint, location, schema in schemas:
        expected = QuerySchema if location == "query" else BodySchema
        if not isinstance(schema, expected):
            open_ended.append(f"{endpoint}: {type(schema).__name__}")
        for path, field, owner in string_fields(schema):
            if isinstance(field, fields.Nested):
                if not isinstance(owner, (BodySchema, QuerySchema)):
                    open_ended.append(f"{endpoint}: {path} ({type(owner).__name__})")
            elif not is_storable(field):
                unchecked.append(f"{endpoint}: {location} {path}")
    assert unchecked == [], f"string fields that let a NUL character reach the database: {unchecked}"
    assert open_ended == [], f"input schemas that ignore fields they do not define: {open_ended}"


def string_query_parameters(client: FlaskClient) -> Iterator[tuple[str, str]]:
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if "{" in path or not get:
            continue
        for parameter in get.get("parameters", []):
            if parameter["in"] == "query" and parameter.get("schema", {}).get("type") == "string":
                yield path, parameter["name"]


def test_a_nul_in_any_string_query_parameter_is_a_422_naming_it(
    client: FlaskClient, manager: dict[str, str], admin: dict[str, str]
) -> None:
    tried: list[tuple[str, str]] = []
    for path, name in string_query_parameters(client):
        answer = client.get(path, query_string={name: "a\x00b"}, headers=admin)
        if answer.status_code == 403:
            answer = client.get(path, query_string={name: "a\x00b"}, headers=manager)
        body: dict[str, Any] = answer.get_json()
        assert answer.status_code == 422, (path, name, answer.status_code, body)
        assert name in {p.get("field") for p in body["errors"]}, (path, name, body)
        tried.append((path, name))
    assert ("/api/v1/shipments", "carrier") in tried


def test_an_empty_string_query_parameter_is_never_a_server_error(
    client: FlaskClient, manager: dict[str, str], checkout: dict[str, str], admin: dict[str, str]
) -> None:
    """`?country=` reached the country reader as None and answered 500."""
    tried = 0
    for path, name in string_query_parameters(client):
        for headers in (admin, manager, checkout):
            answer = client.get(path, query_string={name: ""}, headers=headers)
            if answer.status_code != 403:
                break
        assert answer.status_code < 500, (path, name, answer.status_code, answer.get_json())
        tried += 1
    assert tried > 10


def test_an_api_key_name_with_a_nul_is_a_422(client: FlaskClient, admin: dict[str, str]) -> None:
    answer = client.post("/api/v1/keys", json={"name": "shop\x00", "role": "checkout"}, headers=admin)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["errors"][0]["field"] == "name"


@pytest.mark.parametrize("tracking", ["1Z\x00", ""])
def test_dispatch_refuses_a_tracking_number_no_store_keeps(
    client: FlaskClient, manager: dict[str, str], tracking: str
) -> None:
    answer = client.post("/api/v1/shipments/1/dispatch", json={"tracking_numbers": [tracking]}, headers=manager)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["errors"][0]["field"] == "tracking_numbers[0]"
