"""API keys (admin only): create (the secret is shown once), list, revoke."""

from __future__ import annotations

from typing import Any

from flask import current_app

from tms.api.auth import protected
from tms.api.blueprint import api_blueprint
from tms.api.context import services
from tms.api.schemas import ApiKeyCreatedSchema, ApiKeyCreateSchema, ApiKeySchema
from tms.domain.access import Role
from tms.services import access

URL_PREFIX = "/keys"

blp = api_blueprint("keys", __name__, description="API keys and their roles")


@blp.route("", methods=["POST"])
@protected(blp, Role.ADMIN)
@blp.arguments(ApiKeyCreateSchema)
@blp.response(201, ApiKeyCreatedSchema)
def create_key(body: dict[str, Any]) -> Any:
    """Create a key; its secret is in this answer only (the store keeps a hash)."""
    container = services()
    key, secret = access.create_api_key(
        container.uow(), name=body["name"], role=body["role"].value, now=container.now(), channel=body["channel"]
    )
    return {**key.__dict__, "order_channel": key.order_channel, "key": secret}


@blp.route("", methods=["GET"])
@protected(blp, Role.ADMIN)
@blp.response(200, ApiKeySchema(many=True))
def list_keys() -> Any:
    """Every key, live or revoked (never their secrets)."""
    return access.list_api_keys(services().uow())


@blp.route("/<int:key_id>", methods=["DELETE"])
@protected(blp, Role.ADMIN)
@blp.response(200, ApiKeySchema)
@blp.alt_response(409, schema="Error", description="The key is already revoked")
def revoke_key(key_id: int) -> Any:
    """Revoke a key: it stops working within seconds (each worker caches keys for 5 s)."""
    container = services()
    key = access.revoke_api_key(container.uow(), key_id, container.now())
    current_app.extensions["tms_key_cache"].clear()
    return key
