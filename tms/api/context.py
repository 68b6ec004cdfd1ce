"""The service context of the running app (built by create_app, never imported from the wiring)."""

from __future__ import annotations

from flask import current_app

from tms.services.context import ServiceContext


def services() -> ServiceContext:
    context: ServiceContext = current_app.extensions["tms"]
    return context
