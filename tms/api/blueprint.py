"""flask-smorest's Blueprint as mypy sees it, reading JSON bodies by the API's one rule. The package
ships no types, so its decorators would make every view untyped; this Protocol states what they do
(return the view they decorate)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from flask_smorest import Blueprint
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser

from tms.api.context import json_object

F = TypeVar("F", bound=Callable[..., Any])


class ApiBlueprint(Protocol):
    """The decorators of a flask-smorest Blueprint the views use; each returns the view's own type."""

    def route(self, rule: str, **options: Any) -> Callable[[F], F]: ...

    def arguments(self, schema: Any, **options: Any) -> Callable[[F], F]: ...

    def response(self, status_code: int, schema: Any = None, **options: Any) -> Callable[[F], F]: ...

    def alt_response(self, status_code: int, response: Any = None, **options: Any) -> Callable[[F], F]: ...

    def doc(self, **documentation: Any) -> Callable[[F], F]: ...


class JsonObjectParser(FlaskParser):
    """webargs' parser, with `json_object` reading the body: webargs would answer invalid JSON with a
    400 of its own, and load a body that is not JSON (or none at all) as an empty object. Unknown
    query parameters are refused."""

    # A query parameter the view does not define is refused, as a body's unknown field is (webargs
    # would drop it: a misspelt ?dry_run would store the card it was meant to check).
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE, "querystring": RAISE}

    def load_json(self, req: Any, schema: Any) -> Any:
        return json_object()


class _Blueprint(Blueprint):  # type: ignore[misc]
    ARGUMENTS_PARSER = JsonObjectParser()


def api_blueprint(name: str, import_name: str, **options: Any) -> ApiBlueprint:
    """A flask-smorest Blueprint, typed as `ApiBlueprint`, whose JSON arguments are read by `json_object`."""
    return cast(ApiBlueprint, _Blueprint(name, import_name, **options))
