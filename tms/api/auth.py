"""Bearer API keys with roles. Keys are looked up by hash, with a short in-process cache so
the checkout's quote path does not read the database on every call."""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request

from tms.api.blueprint import ApiBlueprint
from tms.api.context import request_body
from tms.api.errors import ApiError
from tms.domain.access import ApiKey, Role, hash_secret
from tms.services.access import authenticate

F = TypeVar("F", bound=Callable[..., Any])

SHOPIFY_KEY = ApiKey(
    id=0,
    name="shopify",
    role=Role.CHECKOUT,
    key_hash="",
    display_prefix="",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
)
BEARER_SCHEME = {"type": "http", "scheme": "bearer", "description": "An API key: `Authorization: Bearer tms_...`"}


class KeyCache:
    """Remembers who a key is for `ttl_s` seconds: a revoked key stops working within that time."""

    def __init__(self, ttl_s: float = 5.0) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[float, ApiKey | None]] = {}
        self._lock = threading.Lock()

    def lookup(self, secret: str, load: Callable[[str], ApiKey | None]) -> ApiKey | None:
        digest = hash_secret(secret)
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(digest)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        key = load(secret)
        with self._lock:
            if len(self._entries) > 10_000:  # bounded: unknown keys must not grow memory forever
                self._entries.clear()
            self._entries[digest] = (now, key)
        return key

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def current_key() -> ApiKey:
    key: ApiKey = g.api_key
    return key


def _authenticated_key() -> ApiKey:
    header = request.environ.get("HTTP_AUTHORIZATION", "")  # as werkzeug's headers would, in a third of the time
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "unauthenticated", "send an API key as 'Authorization: Bearer <key>'")
    extensions = current_app.extensions
    container = extensions["tms"]
    cache: KeyCache = extensions["tms_key_cache"]
    key = cache.lookup(secret.strip(), lambda s: authenticate(container.uow(), s))
    if key is None:
        raise ApiError(401, "unauthenticated", "the API key is unknown or revoked")
    return key


def _shopify_signed() -> ApiKey | None:
    """A request signed by Shopify with the shop's app secret counts as the checkout (no key is sent)."""
    signature = request.headers.get("X-Shopify-Hmac-Sha256")
    secret = current_app.extensions["tms"].settings.shopify_app_secret
    if not signature or not secret:
        return None
    from tms.api.shopify import valid_shopify_signature

    if not valid_shopify_signature(request_body(), signature, secret):
        raise ApiError(401, "unauthenticated", "the Shopify signature does not match the request")
    return SHOPIFY_KEY


def requires(role: Role, *, shopify: bool = False) -> Callable[[F], F]:
    """Let the view run only for a key whose role implies `role` (401 without a key, 403 otherwise).

    With `shopify=True`, a request signed by Shopify (X-Shopify-Hmac-Sha256) is let in as a checkout.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = (_shopify_signed() if shopify else None) or _authenticated_key()
            if not key.may_act_as(role):
                raise ApiError(
                    403, "forbidden", f"this key's role ({key.role.value}) may not do this; needs {role.value}"
                )
            g.api_key = key
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


_DOCUMENTATION_ONLY = ("Blueprint.doc.", "ResponseMixin.alt_response.")  # qualified names of their decorators
_APIDOC = "_apidoc"  # the attribute in which flask-smorest keeps a view's OpenAPI documentation


def documented(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """flask-smorest's documentation decorators (`blp.doc`, `blp.alt_response`), listed top to
    bottom as they would be stacked, for the OpenAPI document alone: the view keeps their
    documentation and runs without their wrappers.

    Each of those wrappers only calls the next one, through `current_app.ensure_sync`, on every
    request: about 5 us apiece here, and the checkout's quote went through six. Decorators that
    work at run time (`blp.arguments`, `blp.response`) are refused, and so are coroutine views
    (ensure_sync was what ran them).
    """
    for decorator in decorators:
        if not getattr(decorator, "__qualname__", "").startswith(_DOCUMENTATION_ONLY):
            raise TypeError(f"{decorator!r} is not one of flask-smorest's documentation decorators")

    def decorate(view: F) -> F:
        if inspect.iscoroutinefunction(view):
            raise TypeError(f"{view.__name__} is a coroutine: give it flask-smorest's own decorators")
        with_docs: Any = view
        for decorator in reversed(decorators):
            with_docs = decorator(with_docs)
        setattr(view, _APIDOC, getattr(with_docs, _APIDOC))
        return view

    return decorate


def protected(blp: ApiBlueprint, role: Role, *, shopify: bool = False) -> Callable[[F], F]:
    """`requires(role)` plus its OpenAPI documentation (bearer security, 401 and 403 answers)."""

    def decorate(view: F) -> F:
        return requires(role, shopify=shopify)(
            documented(
                blp.alt_response(403, schema="Error", description=f"The key's role is not {role.value}"),
                blp.alt_response(401, schema="Error", description="No valid API key"),
                blp.doc(security=[{"bearerAuth": []}]),
            )(view)
        )

    return decorate
