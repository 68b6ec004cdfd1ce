"""Bearer API keys with roles. Keys are looked up by hash, with a short in-process cache so
the checkout's quote path does not read the database on every call."""

from __future__ import annotations

import inspect
import logging
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
log = logging.getLogger(__name__)

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
    """Remembers who a key is for `ttl_s` seconds: a revoked key stops working within that time.

    Past `ttl_s` the key is checked again in the background, and the request waits for that
    answer `recheck_wait_s` at most: while the database answers, the fresh answer decides; while
    it does not (down, or too slow), the remembered one does, so known keys keep working through
    an outage, and a failed check is tried again `retry_s` later. A key never seen is looked up
    in the request itself: without a database it cannot be told, and that is the store's failure.
    """

    def __init__(
        self,
        ttl_s: float = 5.0,
        *,
        recheck_wait_s: float = 0.2,
        retry_s: float = 1.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.recheck_wait_s = recheck_wait_s
        self.retry_s = retry_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def lookup(self, secret: str, load: Callable[[str], ApiKey | None]) -> ApiKey | None:
        digest = hash_secret(secret)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None:
                if now - entry.checked_at < self.ttl_s or now < entry.next_try_at or entry.recheck is not None:
                    return entry.key
                recheck = entry.recheck = threading.Event()
                entry.next_try_at = now + self.retry_s
                threading.Thread(
                    target=self._recheck, args=(entry, secret, load), daemon=True, name="key-recheck"
                ).start()
        if entry is None:
            key = load(secret)  # an outage here is the request's answer: nothing to fall back on
            self._remember(digest, _Entry(key, now))
            return key
        recheck.wait(self.recheck_wait_s)  # only the request that started it waits, and briefly
        return entry.key

    def _recheck(self, entry: _Entry, secret: str, load: Callable[[str], ApiKey | None]) -> None:
        try:
            key = load(secret)
        except Exception as error:  # the database is down or too slow: the remembered answer stands
            log.warning("could not check an API key again (%s); its last answer stands", error)
            entry.next_try_at = self._clock() + self.retry_s
        else:
            entry.key, entry.checked_at = key, self._clock()
        finally:
            with self._lock:
                recheck, entry.recheck = entry.recheck, None
            if recheck is not None:
                recheck.set()

    def _remember(self, digest: str, entry: _Entry) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:  # bounded: unknown keys must not grow memory forever
                for known, old in list(self._entries.items()):
                    if old.key is None and old.recheck is None:
                        del self._entries[known]
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[digest] = entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class _Entry:
    """What a key was found to be, when, and the re-check under way (if any)."""

    __slots__ = ("key", "checked_at", "next_try_at", "recheck")

    def __init__(self, key: ApiKey | None, checked_at: float) -> None:
        self.key = key
        self.checked_at = checked_at
        self.next_try_at = checked_at
        self.recheck: threading.Event | None = None


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
