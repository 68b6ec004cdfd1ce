"""The service context of the running app (built by create_app, never imported from the wiring),
and the request body as the checkout's endpoints read it."""

from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from tms.services.context import ServiceContext

_BODY = "tms.body"  # where the body is kept in the WSGI environ once read


def services() -> ServiceContext:
    context: ServiceContext = current_app.extensions["tms"]
    return context


def request_body() -> bytes:
    """The request's body, read once (a second call returns the same bytes).

    With a Content-Length, exactly that many bytes are read from the server's input stream, as WSGI
    allows: ~10 us here, where werkzeug's parsed headers and wrapped stream took ~35 us, ten times
    the JSON parse. Without one (a chunked body), werkzeug's own reading applies. Past the app's MAX_CONTENT_LENGTH:
    413, answered as 422 on `body` like any upload that is too large.
    """
    environ = request.environ
    body: bytes | None = environ.get(_BODY)
    if body is None:
        length = environ.get("CONTENT_LENGTH", "")
        if not length.isdigit() or "HTTP_TRANSFER_ENCODING" in environ:
            body = request.get_data(cache=False)  # no usable length: werkzeug knows the other cases
        else:
            limit = current_app.config["MAX_CONTENT_LENGTH"]
            if limit is not None and int(length) > limit:
                raise RequestEntityTooLarge()
            body = environ["wsgi.input"].read(int(length)) if int(length) else b""
        environ[_BODY] = body
    return body
