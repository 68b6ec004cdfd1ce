"""flask-smorest's Blueprint as mypy sees it. The package ships no types, so its decorators would
make every view untyped; this Protocol states what they do (return the view they decorate)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from flask_smorest import Blueprint

F = TypeVar("F", bound=Callable[..., Any])


class ApiBlueprint(Protocol):
    """The decorators of a flask-smorest Blueprint the views use; each returns the view's own type."""

    def route(self, rule: str, **options: Any) -> Callable[[F], F]: ...

    def arguments(self, schema: Any, **options: Any) -> Callable[[F], F]: ...

    def response(self, status_code: int, schema: Any = None, **options: Any) -> Callable[[F], F]: ...

    def alt_response(self, status_code: int, response: Any = None, **options: Any) -> Callable[[F], F]: ...

    def doc(self, **documentation: Any) -> Callable[[F], F]: ...


def api_blueprint(name: str, import_name: str, **options: Any) -> ApiBlueprint:
    """A flask-smorest Blueprint, typed as `ApiBlueprint`."""
    return cast(ApiBlueprint, Blueprint(name, import_name, **options))
