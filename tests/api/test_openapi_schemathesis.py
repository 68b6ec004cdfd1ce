"""Every operation of the OpenAPI document fuzzed in process (schemathesis over WSGI) with a
manager's key: no answer is a server error, and each answer is documented (its status, its content
type, its body's schema), on the database the suite runs on (SQLite, or TMS_TEST_DATABASE_URL).

Bounded for `make test`: EXAMPLES cases per operation, derandomized (the same cases every run).
`python -m bench schemathesis` runs it unbounded, with random seeds (TMS_FUZZ_EXAMPLES, TMS_FUZZ_RANDOM).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ROOT
from tms.app import create_app
from tms.bootstrap import Container
from tms.services.demo import load_demo

EXAMPLES = int(os.environ.get("TMS_FUZZ_EXAMPLES", "25"))
RANDOM = os.environ.get("TMS_FUZZ_RANDOM") == "1"
CASES: Counter[str] = Counter()
OPENAPI = "/api/v1/openapi.json"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module", autouse=True)
def _report_cases() -> Iterator[None]:
    """With TMS_FUZZ_REPORT, the cases run per operation are written there (for the bench)."""
    yield
    path = os.environ.get("TMS_FUZZ_REPORT")
    if path:
        with open(path, "w") as handle:
            json.dump(dict(CASES), handle, indent=2)


def the_document() -> dict[str, Any]:
    """The app's OpenAPI document; writing it reads no database."""
    document: dict[str, Any] = create_app({"database_url": "sqlite://"}).test_client().get(OPENAPI).get_json()
    return document


schema = schemathesis.openapi.from_dict(the_document())


@pytest.fixture()
def demo_cards(container: Container) -> None:
    """The demo carriers' cards, active: reads and quotes find something."""
    load_demo(container.uow, ROOT / "config" / "demo", container.now())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=not RANDOM,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_answer_is_a_server_error_and_every_answer_is_documented(
    case: Any, app: Flask, manager: dict[str, str], demo_cards: None
) -> None:
    CASES[case.operation.label] += 1
    case.call_and_validate(app=app, headers=manager, checks=CHECKS)


admin_only = schema.include(path_regex=r"^/api/v1/(webhooks|outbox)")


@admin_only.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=not RANDOM,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_admin_operations_fuzzed_with_an_admin_key_answer_no_server_error(
    case: Any, app: Flask, admin: dict[str, str]
) -> None:
    """The webhooks and the outbox answer a manager's key 403 above: fuzzed again past the role check."""
    CASES[f"{case.operation.label} (admin)"] += 1
    case.call_and_validate(app=app, headers=admin, checks=CHECKS)
