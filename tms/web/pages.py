"""Manager pages: sign in with a manager key, see carriers, cards, runs; upload, compare, activate.

The pages call the same use cases as the API. The key is checked once at sign-in and its
id kept in Flask's signed session cookie; every page re-checks that the key is still live.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict
from datetime import date
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Request,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.typing import ResponseReturnValue

from carriers.compare import summarize
from tms.domain.access import Role
from tms.domain.errors import DomainError, InvalidInput
from tms.domain.orders import OrderStatus
from tms.domain.rate_cards import card_in_force
from tms.services import access, orders, rate_cards
from tms.services.consolidation import list_runs
from tms.services.context import ServiceContext
from tms.services.uploads import UploadedFile, parse_files, upload_limits

bp = Blueprint("manager", __name__, url_prefix="/manager", template_folder="templates")


def services() -> ServiceContext:
    context: ServiceContext = current_app.extensions["tms"]
    return context


def signed_in(view: Any) -> Any:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key_id = session.get("key_id")
        key = None
        if key_id is not None:
            key = next((k for k in access.list_api_keys(services().uow()) if k.id == key_id), None)
        if key is None or not key.may_act_as(Role.MANAGER):
            session.clear()
            return redirect(url_for("manager.sign_in", next=request.path))
        return view(*args, **kwargs)

    return wrapper


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    if request.method == "POST":
        key = access.authenticate(services().uow(), request.form.get("key", "").strip())
        if key is not None and key.may_act_as(Role.MANAGER):
            session.clear()
            session["key_id"], session["key_name"] = key.id, key.name
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/manager") else url_for("manager.dashboard"))
        flash("That key is unknown, revoked, or not a manager's.")
    return render_template("sign_in.html")


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    session.clear()
    return redirect(url_for("manager.sign_in"))


@bp.get("/")
@signed_in
def dashboard() -> ResponseReturnValue:
    context = services()
    today = context.now().date()
    records = rate_cards.list_rate_cards(context.uow())
    carriers = [
        {"carrier": c, "in_force": card_in_force(records, c.code, today)}
        for c in rate_cards.list_carriers(context.uow())
    ]
    pending = orders.list_orders(context.uow(), status=OrderStatus.PENDING, limit=1000)
    runs = list_runs(context.uow())[:10]
    return render_template(
        "dashboard.html", carriers=carriers, cards=records, runs=runs, pending=len(pending), today=today
    )


@bp.get("/rate-cards/<int:card_id>")
@signed_in
def card(card_id: int) -> ResponseReturnValue:
    context = services()
    try:
        record = rate_cards.get_rate_card(context.uow(), card_id)
    except DomainError:
        abort(404)
    comparison = None
    with contextlib.suppress(DomainError):  # nothing to compare with: the page says so
        comparison = rate_cards.compare_rate_card(context.uow(), card_id, today=context.now().date())
    summary = asdict(summarize(comparison.changes)) if comparison else None
    return render_template(
        "card.html", record=record, card=rate_cards.load_card(record), comparison=comparison, summary=summary
    )


@bp.post("/rate-cards/<int:card_id>/<any(activate, retire):action>")
@signed_in
def change_card(card_id: int, action: str) -> ResponseReturnValue:
    context = services()
    change = rate_cards.activate_rate_card if action == "activate" else rate_cards.retire_rate_card
    try:
        change(context.uow(), card_id, context.now())
        flash(f"Card {card_id}: {action}d.")
    except DomainError as error:
        flash(error.message)
    return redirect(url_for("manager.card", card_id=card_id))


@bp.post("/rate-cards")
@signed_in
def upload() -> ResponseReturnValue:
    context = services()
    files = [
        UploadedFile(field=field, filename=storage.filename or field, data=storage.read())
        for field, storage in request.files.items(multi=False)
        if storage.filename
    ]
    try:
        parsed = parse_files(
            files,
            max_uncompressed_bytes=context.settings.uploads_max_uncompressed_mb * 1024 * 1024,
            limits=upload_limits(context.settings),
        )
    except InvalidInput as error:
        return render_template("upload_refused.html", problems=error.problems), 422
    outcome = rate_cards.store_rate_card(
        context.uow(),
        parsed.card,
        source_format=parsed.source_format,
        source_name=parsed.source_name,
        uploaded_by=session.get("key_name", "manager"),
        activate=False,
        now=context.now(),
    )
    flash("Stored as a draft: compare it, then activate it." if outcome.created else "This card was stored before.")
    return redirect(url_for("manager.card", card_id=outcome.record.id))


class PagesSessionInterface(SecureCookieSessionInterface):
    """Only the manager pages have a session: other requests (the API, the checkout's quotes) skip
    reading and signing the cookie, which cost each request about a quarter of a trivial answer."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.path.startswith(bp.url_prefix or "/manager"):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.session_interface = PagesSessionInterface()

    @app.template_filter("money")
    def money(cents: int | None) -> str:
        return "" if cents is None else f"{cents / 100:,.2f}"

    @app.template_filter("day")
    def day(value: date | None) -> str:
        return "" if value is None else value.isoformat()
