"""The service context of the running app (built by create_app, never imported from the wiring),
and the request body as every JSON endpoint reads it."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import orjson
from flask import current_app, request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wsgi import get_content_length

from tms.domain.errors import InvalidInput, Problem
from tms.services.context import ServiceContext

_BODY = "tms.body"  # where the body is kept in the WSGI environ once read


def services() -> ServiceContext:
    context: ServiceContext = current_app.extensions["tms"]
    return context


def request_body() -> bytes:
    """The request's body, read once (a second call returns the same bytes). It must be the
    request's first reader of the body; werkzeug's readers (`get_data`, `get_json`) still work after it.

    With a Content-Length, exactly that many bytes are read from the server's input stream, as WSGI
    allows: ~10 us here, where werkzeug's parsed headers and wrapped stream took ~35 us, ten times the
    JSON parse. A streamed body (chunked, no length) goes through werkzeug's reading. A body past the
    request's size limit is refused (413, answered as 422 on `body`); one shorter than its length is
    refused like werkzeug does (400).
    """
    environ = request.environ
    body: bytes | None = environ.get(_BODY)
    if body is None:
        length = get_content_length(environ)  # None when streamed; 0 when not a plain number
        if length is None:
            body = request.get_data(cache=True)
        else:
            limit = request.max_content_length
            if limit is not None and length > limit:
                raise RequestEntityTooLarge()
            body = environ["wsgi.input"].read(length) if length else b""
            if len(body) < length:
                raise ClientDisconnected()
            environ["wsgi.input"] = io.BytesIO(body)  # for any later reader
        environ[_BODY] = body
    return body


def json_object(loads: Callable[[bytes], Any] = orjson.loads) -> dict[str, Any]:
    """The request's body as one JSON object: the one rule of every endpoint that reads JSON.

    A wrong Content-Type, an empty body, invalid JSON (or not UTF-8), JSON nested too deeply and
    any value other than an object are each a 422 naming `body`. orjson (the default `loads`)
    refuses a nesting deeper than 1024 itself; the standard library's parser (the rate card's,
    for its exact decimals) would recurse, so its RecursionError is refused the same way.
    """
    if not request.is_json:
        raise _refused("must be JSON, sent with Content-Type: application/json")
    raw = request_body()
    if not raw or raw.isspace():
        raise _refused("is required: send a JSON object")
    try:
        document = loads(raw)
    except RecursionError:
        raise _refused("is nested too deeply") from None
    except ValueError as error:  # invalid JSON, or bytes that are not UTF-8 (orjson's and json's errors)
        if "recursion limit" in str(error).lower():  # orjson's refusal of a nesting past 1024
            raise _refused("is nested too deeply") from None
        raise _refused(f"is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise _refused("must be a JSON object")
    return document


def _refused(message: str) -> InvalidInput:
    return InvalidInput("the request is not valid", [Problem(message, field="body")])
