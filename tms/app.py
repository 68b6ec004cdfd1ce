"""The Flask application factory: `create_app(overrides)` builds everything, nothing happens at import."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from flask import Blueprint, Flask, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_smorest import Api

from tms.api.auth import BEARER_SCHEME, KeyCache
from tms.api.errors import ApiError, register_error_handlers
from tms.api.schemas import ErrorResponses, ErrorSchema
from tms.bootstrap import Container, build_container
from tms.persistence.db import DatabaseProbe, is_database_outage
from tms.settings import Settings, load_settings

API_PREFIX = "/api/v1"
DOCS_ASSETS = API_PREFIX + "/docs/assets"  # Swagger UI's files, served from the flask-swagger-ui package


class TmsApi(Api):  # type: ignore[misc]  # flask-smorest ships no types
    """flask-smorest's Api documenting the errors as `tms.api.errors` answers them: one `Error` schema,
    and on each operation the statuses it can answer (no catch-all `default` response, which would
    let any status pass for documented)."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None


def create_app(overrides: Mapping[str, Any] | None = None, container: Container | None = None) -> Flask:
    settings = container.settings if container else load_settings(overrides)
    app = Flask(__name__)
    app.config.update(
        API_TITLE="mini TMS",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=DOCS_ASSETS + "/",
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},  # Swagger UI would send the document to swagger.io
        MAX_CONTENT_LENGTH=settings.uploads_max_mb * 1024 * 1024,
    )
    # The manager pages' cookies (the server-side session's token, and Flask's signed one for flash
    # messages and the sign-in form's CSRF value): never read by scripts, never sent by another
    # site's requests, only to /manager, and over HTTPS only when configured for TLS.
    app.config.update(
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_PATH="/manager",
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]  # answers keep their documented order
    app.secret_key = session_secret(settings)
    container = container or build_container(settings)
    app.extensions["tms"] = container
    app.extensions["tms_key_cache"] = KeyCache()
    probe = DatabaseProbe(container.engine, timeout_s=settings.database_health_timeout_s)

    api = TmsApi(
        app,
        spec_kwargs={
            "info": {"description": "Carrier rate cards, checkout quotes and shipment planning."},
            "extra_plugins": [ErrorResponses()],
        },
    )
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    _register_blueprints(api)
    register_error_handlers(app, is_outage=is_database_outage, retry_after_s=settings.database_retry_after_s)
    app.before_request(_refuse_a_nul_in_the_path)
    swagger_ui = str(files("flask_swagger_ui") / "dist")
    app.register_blueprint(Blueprint("docs_assets", __name__, static_folder=swagger_ui, static_url_path=DOCS_ASSETS))

    from tms.web.pages import init_app as init_pages

    init_pages(app)
    from tms.web.tracking import init_app as init_tracking

    init_tracking(app)

    @app.get("/")
    def home() -> ResponseReturnValue:
        return redirect(url_for("manager.dashboard"))

    @app.get("/ping")
    def ping() -> ResponseReturnValue:
        """Liveness: the process answers (no database, no key); also the benchmarks' baseline."""
        return jsonify(status="ok")

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        """200 when the database answers within settings.database_health_timeout_s, 503 otherwise
        (for load balancers and probes)."""
        if probe.reachable():
            return jsonify(status="ok", database="ok")
        return jsonify(status="unavailable", database="unreachable"), 503

    return app


def _refuse_a_nul_in_the_path() -> None:
    """A path holding a NUL character names nothing stored (PostgreSQL text cannot hold one): 404."""
    if "\x00" in request.path:
        raise ApiError(404, "not_found", "nothing here has a NUL character in its name")


def _register_blueprints(api: Api) -> None:
    from tms.api import keys, orders, pickup_points, quotes, rate_cards, shipments, spend, tracking, webhooks

    for module in (rate_cards, pickup_points, quotes, orders, shipments, spend, tracking, webhooks, keys):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + module.URL_PREFIX)


def session_secret(settings: Settings) -> str:
    """TMS_SECRET_KEY signs the manager pages' cookie and keys their CSRF tokens; without it
    (development), a random key kept in var/ so that every worker, and the next start, share it."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.path("var/session-secret")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent)  # created 0600
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)  # atomic, and refuses to replace a secret another worker wrote first
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path.read_text().strip()
