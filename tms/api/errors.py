"""One JSON error shape for every failure, whoever raised it.

{"status": 422, "code": "rate_card_rejected", "message": "...",
 "errors": [{"sheet": "Prices HOME", "row": 4, "column": "FR", "message": "..."}]}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from tms.domain.errors import Conflict, DomainError, InvalidInput, NotFound, Problem, shortened

STATUS_OF = {InvalidInput: 422, NotFound: 404, Conflict: 409}


class ApiError(Exception):
    """An HTTP failure raised by the API layer itself (authentication, access, bad request shape)."""

    def __init__(self, status: int, code: str, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.problems = problems or []


def error_body(status: int, code: str, message: str, problems: list[Problem] | None = None) -> dict[str, Any]:
    """The error shape; its texts are shortened (`shortened`), so that no error echoes a huge input back."""
    return {
        "status": status,
        "code": code,
        "message": shortened(message),
        "errors": [
            {k: shortened(v) if isinstance(v, str) else v for k, v in p.to_dict().items()} for p in problems or []
        ],
    }


def respond(
    status: int,
    code: str,
    message: str,
    problems: list[Problem] | None = None,
    retry_after_s: int | None = None,
) -> ResponseReturnValue:
    response = jsonify(error_body(status, code, message, problems))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tms"'
    if retry_after_s is not None:
        response.headers["Retry-After"] = str(retry_after_s)
    return response


def flatten_messages(messages: Any, path: str = "") -> list[Problem]:
    """webargs/marshmallow messages ({"json": {"field": ["msg"]}}) as one Problem per field."""
    if isinstance(messages, Mapping):
        problems = []
        for key, value in messages.items():
            if path == "" and key in {"json", "query", "form", "files", "headers", "path", "view_args"}:
                if key == "json" and isinstance(value, Mapping) and "_schema" in value:  # about the body itself
                    value = {("body" if k == "_schema" else k): v for k, v in value.items()}
                problems += flatten_messages(value, "")
                continue
            if key == "_schema":  # about the object itself (not an object, or a rule across its fields)
                problems += flatten_messages(value, path)
                continue
            name = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
            problems += flatten_messages(value, name)
        return problems
    if isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        return [Problem(message=m, field=path or None) for m in messages]
    if isinstance(messages, list | tuple):
        return [p for m in messages for p in flatten_messages(m, path)]
    return [Problem(message=str(messages), field=path or None)]


def _never(_error: BaseException) -> bool:
    return False


def register_error_handlers(
    app: Flask, *, is_outage: Callable[[BaseException], bool] = _never, retry_after_s: int = 5
) -> None:
    """`is_outage` tells a failure of the store (unreachable, too slow) from a bug: it answers
    503 `service_unavailable` with Retry-After, never 500."""
    max_mb = app.config.get("MAX_CONTENT_LENGTH", 0) // (1024 * 1024)

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> ResponseReturnValue:
        status = next((s for cls, s in STATUS_OF.items() if isinstance(error, cls)), 400)
        problems = error.problems if isinstance(error, InvalidInput) else []
        return respond(status, error.code, error.message, problems)

    @app.errorhandler(ApiError)
    def _api(error: ApiError) -> ResponseReturnValue:
        return respond(error.status, error.code, error.message, error.problems)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
        # An upload past the limit is bad input like any other: 422, naming the file or the body.
        field = "file" if request.mimetype == "multipart/form-data" else "body"
        return respond(
            422,
            "upload_too_large",
            f"the upload exceeds {max_mb} MB",
            [Problem(f"must be at most {max_mb} MB", field=field)],
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        problems = flatten_messages(data.get("messages", {})) if "messages" in data else []
        code = {422: "invalid_input"}.get(status, (error.name or "error").lower().replace(" ", "_"))
        message = "the request is not valid" if status == 422 else (error.description or error.name)
        return respond(status, code, message, problems)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> ResponseReturnValue:
        if is_outage(error):
            app.logger.warning("the database failed a request: %s", error)
            return respond(
                503,
                "service_unavailable",
                "the database is unavailable; try again shortly",
                retry_after_s=retry_after_s,
            )
        app.logger.exception("unexpected error")
        return respond(500, "internal_error", "an unexpected error occurred; it has been logged")
