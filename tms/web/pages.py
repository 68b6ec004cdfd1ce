"""Manager pages: sign in with a manager key, see carriers, cards, runs; upload, compare, activate.

The pages call the same use cases as the API. Signing in opens a server-side session
(tms/services/manager_sessions.py): the cookie holds only its random token, and every page request
reads the session and its key again, so signing out or revoking the key ends it at once.

Every state-changing request must come from these pages: its Origin (or, without one, its
Referer) must be this host, and its form must carry the CSRF token the page was given, an HMAC of
the session token (before sign-in, of a random value in Flask's signed cookie). The JSON API,
called with bearer keys and no cookie, is not concerned.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import re
import secrets
from dataclasses import asdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import wraps
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from carriers.compare import digest, summarize
from tms.domain.access import Role
from tms.domain.errors import DomainError, InvalidInput, NotFound, Problem
from tms.domain.orders import OrderStatus
from tms.domain.parcels import Parcel
from tms.domain.policy import Cart, Promotion, ShippingPolicy, break_even_cart_cents
from tms.domain.quotes import Destination, Promise, QuoteRequest
from tms.domain.rate_cards import card_in_force, lifecycle
from tms.domain.sessions import SessionLifetime
from tms.domain.shipments import PromiseStatus, ShipmentStatus
from tms.services import orders, quoting, rate_cards, shipments, tracking
from tms.services.consolidation import get_run, list_runs
from tms.services.context import ServiceContext
from tms.services.manager_sessions import SignedIn, end_session, resume_session, start_session
from tms.services.uploads import UploadedFile, parse_files, upload_limits
from tms.web import i18n

URL_PREFIX = "/manager"
SESSION_COOKIE = "tms_manager_session"
CSRF_FIELD = "csrf_token"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": 80, "https": 443}

bp = Blueprint("manager", __name__, url_prefix=URL_PREFIX, template_folder="templates")
bp.context_processor(i18n.language_context)  # French by default, English on request (tms/web/i18n.py)
bp.after_request(i18n.keeps_language(cookie_path=URL_PREFIX))


def services() -> ServiceContext:
    context: ServiceContext = current_app.extensions["tms"]
    return context


def lifetime() -> SessionLifetime:
    configured: SessionLifetime = current_app.extensions["tms_session_lifetime"]
    return configured


def signed_in_as() -> SignedIn | None:
    """The live session of this request, if any (read once per request, before the view)."""
    manager: SignedIn | None = g.get("manager")
    return manager


def signed_in(view: Any) -> Any:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if signed_in_as() is None:
            response = redirect(url_for("manager.sign_in", next=request.path))
            if SESSION_COOKIE in request.cookies:  # a lapsed or ended session: forget it
                _forget_session_cookie(response)
            return response
        return view(*args, **kwargs)

    return wrapper


def csrf_token() -> str:
    """The token every form of these pages carries: bound to the browser's session cookie, or,
    before sign-in, to a random value kept in Flask's signed cookie."""
    binding = request.cookies.get(SESSION_COOKIE, "")
    if binding:
        binding = "session:" + binding
    else:
        nonce = session.get("csrf_nonce")
        if not isinstance(nonce, str):
            nonce = session["csrf_nonce"] = secrets.token_urlsafe(32)
        binding = "anonymous:" + nonce
    secret = str(current_app.secret_key).encode()
    return hmac.new(secret, b"manager-csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def _csrf_token_matches() -> bool:
    sent = request.form.get(CSRF_FIELD, "")
    if not sent:
        return False
    if not request.cookies.get(SESSION_COOKIE) and not isinstance(session.get("csrf_nonce"), str):
        return False  # no form of ours was ever given to this browser
    return hmac.compare_digest(sent.encode(), csrf_token().encode())


def _host_and_port(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # not a port number
        return None
    return None if not parts.hostname or port is None else (parts.hostname, port)


def _from_this_site() -> bool:
    """The request's Origin, or its Referer when it has no Origin, is this host (over HTTPS when
    the app is served or configured for TLS). A request with neither (not a browser's form) is let
    through to the CSRF token, which it must still have."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if source is None:
        return True
    scheme = urlsplit(source).scheme
    secure = request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    if scheme not in (("https",) if secure else ("http", "https")):
        return False
    origin = _host_and_port(source)
    return origin is not None and origin == _host_and_port(f"{scheme}://{request.host}")


def _refused(message: str) -> ResponseReturnValue:
    return render_template("refused.html", message=message), 403


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    """Read the session; refuse a state-changing request from another site or without its token."""
    context = services()
    g.manager = resume_session(
        context.uow(), request.cookies.get(SESSION_COOKIE, ""), now=context.now(), lifetime=lifetime()
    )
    if request.method in STATE_CHANGING:
        if not _from_this_site():
            return _refused(_("This request did not come from this site's pages."))
        if not _csrf_token_matches():
            return _refused(_("This form has expired or did not come from this site's pages: reload it and try again."))
    return None


@bp.after_request
def _not_stored(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")  # pages carry CSRF tokens and private figures
    return response


@bp.context_processor
def _template_context() -> dict[str, Any]:
    return {"manager": signed_in_as(), "csrf_token": csrf_token, "csrf_field": CSRF_FIELD}


def _cookie_options() -> dict[str, Any]:
    config = current_app.config
    return {
        "path": URL_PREFIX,
        "secure": bool(config.get("SESSION_COOKIE_SECURE")),
        "httponly": True,
        "samesite": config.get("SESSION_COOKIE_SAMESITE") or "Lax",
    }


def _forget_session_cookie(response: BaseResponse) -> None:
    response.delete_cookie(SESSION_COOKIE, **_cookie_options())


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    if request.method == "POST":
        context = services()
        signed = start_session(
            context.uow(), request.form.get("key", "").strip(), now=context.now(), lifetime=lifetime()
        )
        if signed is not None:
            previous = signed_in_as()
            if previous is not None:  # signing in again ends the session this browser had
                end_session(context.uow(), previous.token, now=context.now())
            target = request.args.get("next", "")
            response = redirect(target if target.startswith(URL_PREFIX) else url_for("manager.dashboard"))
            response.set_cookie(SESSION_COOKIE, signed.token, **_cookie_options())
            return response
        flash(_("That key is unknown, revoked, or not a manager's."))
    return render_template("sign_in.html")


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    context = services()
    end_session(context.uow(), request.cookies.get(SESSION_COOKIE, ""), now=context.now())
    session.clear()
    response = redirect(url_for("manager.sign_in"))
    _forget_session_cookie(response)
    return response


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
    attention = orders.list_orders(context.uow(), status=OrderStatus.NEEDS_ATTENTION, limit=100)
    runs = list_runs(context.uow())[:10]
    troubled = [
        s
        for status in (PromiseStatus.LATE, PromiseStatus.AT_RISK)
        for s in shipments.list_shipments(context.uow(), promise_status=status, limit=100)
    ]
    on_time = shipments.on_time_rates(context.uow(), since=today - timedelta(days=30), until=today)
    return render_template(
        "dashboard.html",
        troubled=troubled,
        on_time=on_time,
        tracking_url=context.promise_watch.tracking_url,
        carriers=carriers,
        cards=records,
        lifecycle=lifecycle(records, today),
        runs=runs,
        pending=len(pending),
        attention=attention,
        today=today,
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
    labels = lifecycle(rate_cards.list_rate_cards(context.uow()), context.now().date())
    loaded = rate_cards.load_card(record)
    return render_template(
        "card.html",
        record=record,
        card=loaded,
        grids=price_grids(loaded),
        comparison=comparison,
        summary=summary,
        digest=digest(comparison.changes) if comparison else None,
        lifecycle=labels.get(record.id, record.status.value),
        form=replay_defaults(context.now().date()),
        problems=[],
    )


@bp.get("/rate-cards/<int:card_id>/activate")
@signed_in
def confirm_activation(card_id: int) -> ResponseReturnValue:
    """Before a card is activated: what it would no longer serve, and its largest price changes."""
    context = services()
    try:
        record = rate_cards.get_rate_card(context.uow(), card_id)
    except DomainError:
        abort(404)
    comparison = None
    with contextlib.suppress(DomainError):
        comparison = rate_cards.compare_rate_card(context.uow(), card_id, today=context.now().date())
    return render_template(
        "activate.html", record=record, comparison=comparison, digest=digest(comparison.changes) if comparison else None
    )


@bp.get("/rate-cards/<int:card_id>/replay")
@signed_in
def replay_page(card_id: int) -> ResponseReturnValue:
    """The card priced on a period's real shipments (`tms.services.replay`): the form, then the
    totals, the lanes largest difference first, what it could not carry and the tier reached."""
    from tms.services.replay import replay_cards

    context = services()
    try:
        record = rate_cards.get_rate_card(context.uow(), card_id)
    except DomainError:
        abort(404)
    args = request.args
    form = {name: args.get(name, default) for name, default in replay_defaults(context.now().date()).items()}
    result, problems = None, []
    if "since" in args:
        read = replay_form(form)
        if isinstance(read, list):
            problems = read
        else:
            try:
                result = replay_cards(context.uow(), card_id, **read, box_types=context.plan_settings.box_types)
            except InvalidInput as refused:
                problems = refused.problems
            except DomainError as error:  # a card of the set that does not exist
                problems = [Problem(error.message, field="with")]
    status = 422 if problems else 200
    return render_template("replay.html", record=record, form=form, replay=result, problems=problems), status


def replay_defaults(today: date) -> dict[str, str]:
    """The replay form before anything is typed: the last 13 weeks up to yesterday, this card alone."""
    since, until = today - timedelta(days=91), today - timedelta(days=1)
    return {"since": since.isoformat(), "until": until.isoformat(), "with": "", "scope": "carriers"}


def replay_form(form: dict[str, str]) -> dict[str, Any] | list[Problem]:
    """The replay form's fields read, or what is wrong with each."""
    from tms.services.replay import Scope, period_problems

    problems: list[Problem] = []
    days: dict[str, date | None] = {}
    for name in ("since", "until"):
        try:
            days[name] = date.fromisoformat(form[name].strip())
        except ValueError:
            days[name] = None
            problems.append(Problem(_("must be a date, like 2026-03-06"), field=name))
    if not problems:
        problems.extend(period_problems(days["since"], days["until"]))
    others = [part.strip() for part in form["with"].replace(";", ",").split(",") if part.strip()]
    if not all(part.isdigit() and len(part) < 10 for part in others):
        problems.append(Problem(_("must be card ids separated by commas, like 12, 14"), field="with"))
    if form["scope"] not in {s.value for s in Scope}:
        problems.append(Problem(_("must be carriers or all"), field="scope"))
    if problems:
        return problems
    return {
        "since": days["since"],
        "until": days["until"],
        "with_cards": [int(part) for part in others],
        "scope": Scope(form["scope"]),
    }


@bp.post("/rate-cards/<int:card_id>/<any(activate, retire):action>")
@signed_in
def change_card(card_id: int, action: str) -> ResponseReturnValue:
    context = services()
    change = rate_cards.activate_rate_card if action == "activate" else rate_cards.retire_rate_card
    try:
        change(context.uow(), card_id, context.now())
        flash(
            _("Card %(id)s: activated.", id=card_id) if action == "activate" else _("Card %(id)s: retired.", id=card_id)
        )
    except DomainError as error:
        flash(error.message)
    return redirect(url_for("manager.card", card_id=card_id))


@bp.post("/rate-cards")
@signed_in
def upload() -> ResponseReturnValue:
    context = services()
    signed = signed_in_as()
    assert signed is not None  # @signed_in
    files = [
        UploadedFile(field=field, filename=storage.filename or field, data=storage.read())
        for field, storage in request.files.items(multi=False)
        if storage.filename and field != "csv"
    ]
    # CSV tables picked together in one field: each is the table its file is named after (services.csv).
    files += [
        UploadedFile(field=PurePath(storage.filename).stem.lower(), filename=storage.filename, data=storage.read())
        for storage in request.files.getlist("csv")
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
        uploaded_by=signed.key.name,
        activate=False,
        now=context.now(),
    )
    flash(
        _("Stored as a draft: compare it, then activate it.") if outcome.created else _("This card was stored before.")
    )
    return redirect(url_for("manager.card", card_id=outcome.record.id))


class PagesSessionInterface(SecureCookieSessionInterface):
    """Only the manager pages have a session: other requests (the API, the checkout's quotes) skip
    reading and signing the cookie, which cost each request about a quarter of a trivial answer."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.path.startswith(URL_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)


def session_lifetime(idle_minutes: int, absolute_hours: int) -> SessionLifetime:
    if idle_minutes <= 0 or absolute_hours <= 0:
        raise ValueError("session idle_minutes and absolute_hours must be positive")
    return SessionLifetime(idle=timedelta(minutes=idle_minutes), absolute=timedelta(hours=absolute_hours))


def init_app(app: Flask) -> None:
    settings = app.extensions["tms"].settings
    app.extensions["tms_session_lifetime"] = session_lifetime(
        settings.session_idle_minutes, settings.session_absolute_hours
    )
    i18n.init_app(app)  # Babel, and the filters that write money and days the page's language's way
    app.register_blueprint(bp)
    app.session_interface = PagesSessionInterface()


# --- What a manager looks at: orders, shipments, runs ---------------------------------------


def _query_date(name: str) -> date | None:
    text = request.args.get(name, "")
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        abort(400, _("%(name)s must be a date, like 2026-03-03", name=name))


def _text_arg(name: str, limit: int) -> str | None:
    text = request.args.get(name, "").strip()
    if len(text) > limit or "\x00" in text:
        abort(400, _("%(name)s must be at most %(limit)s characters", name=name, limit=limit))
    return text or None


def _enum_arg(name: str, kind: Any) -> Any:
    text = request.args.get(name, "")
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        abort(400, _("%(name)s must be one of: %(values)s", name=name, values=", ".join(k.value for k in kind)))


@bp.get("/orders")
@signed_in
def orders_page() -> ResponseReturnValue:
    context = services()
    filters = {
        "status": _enum_arg("status", OrderStatus),
        "carrier": _text_arg("carrier", 40),
        "since": _query_date("since"),
        "until": _query_date("until"),
        "postcode": _text_arg("postcode", 20),
        "q": _text_arg("q", 200),
    }
    found = orders.list_orders(context.uow(), **filters, timezone=context.settings.timezone, limit=500)
    planned = orders.planned_shipments(context.uow(), found)
    return render_template(
        "orders.html", orders=found, planned=planned, filters=filters, statuses=list(OrderStatus), limit=500
    )


@bp.get("/orders/<path:order_ref>")
@signed_in
def order_page(order_ref: str) -> ResponseReturnValue:
    context = services()
    try:
        order = orders.get_order(context.uow(), order_ref)
    except DomainError:
        abort(404)
    shipment = orders.planned_shipments(context.uow(), [order]).get(order.shipment_id or 0)
    events = tracking.shipment_events(context.uow(), shipment.id) if shipment else []
    return render_template(
        "order.html",
        order=order,
        shipment=shipment,
        events=events,
        tracking_url=context.promise_watch.tracking_url(shipment) if shipment else None,
    )


@bp.get("/shipments")
@signed_in
def shipments_page() -> ResponseReturnValue:
    context = services()
    filters = {
        "status": _enum_arg("status", ShipmentStatus),
        "promise_status": _enum_arg("promise_status", PromiseStatus),
        "carrier": _text_arg("carrier", 40),
        "ships_on": _query_date("ships_on"),
    }
    found = shipments.list_shipments(context.uow(), **filters, limit=500)
    return render_template(
        "shipments.html",
        shipments=found,
        filters=filters,
        statuses=list(ShipmentStatus),
        promise_statuses=list(PromiseStatus),
        limit=500,
    )


@bp.get("/shipments/<int:shipment_id>")
@signed_in
def shipment_page(shipment_id: int) -> ResponseReturnValue:
    context = services()
    try:
        shipment = shipments.get_shipment(context.uow(), shipment_id)
    except DomainError:
        abort(404)
    return render_template(
        "shipment.html",
        shipment=shipment,
        events=tracking.shipment_events(context.uow(), shipment_id),
        tracking_url=context.promise_watch.tracking_url(shipment),
    )


@bp.get("/runs")
@signed_in
def runs_page() -> ResponseReturnValue:
    return render_template("runs.html", runs=list_runs(services().uow()))


@bp.get("/runs/<int:run_id>")
@signed_in
def run_page(run_id: int) -> ResponseReturnValue:
    try:
        run = get_run(services().uow(), run_id)
    except DomainError:
        abort(404)
    return render_template("run.html", run=run, proof=plan_proof(run))


def plan_proof(run: dict[str, Any]) -> str:
    """What the solver proved of the plan, in a manager's words."""
    gap, status = run.get("gap"), str(run.get("solver_status", ""))
    if gap is None or run.get("status") != "succeeded":
        return ""
    if status.lower() == "optimal" or gap <= 1e-9:
        return str(_("the best possible plan for these orders (proven)"))
    return str(_("proven within %(gap)s of the best possible plan", gap=i18n.percent(gap, 2)))


@bp.get("/quote")
@signed_in
def quote_page() -> ResponseReturnValue:
    """The quote simulator: a destination, parcels and a promise; every option the checkout would
    offer, what the shopper would pay, and why the other services are left out."""
    context = services()
    args = request.args
    form = {
        "country": args.get("country", "FR"),
        "postcode": args.get("postcode", ""),
        "city": args.get("city", ""),
        "weight_kg": args.get("weight_kg", "1"),
        "length_cm": args.get("length_cm", "30"),
        "width_cm": args.get("width_cm", "20"),
        "height_cm": args.get("height_cm", "10"),
        "cart": args.get("cart", "50"),
        "deliver_by": args.get("deliver_by", ""),
    }
    quote, problems = None, []
    if form["postcode"]:
        read = _simulated_request(form, context.now())
        if isinstance(read, QuoteRequest):
            quote = quoting.quote_order(
                context.quote_book.current(), read, context.pickup_index.current(), context.bookings.full()
            )
        else:
            problems = read
    return render_template("quote.html", form=form, quote=quote, problems=problems), 422 if problems else 200


SIMULATED_LIMITS = {"weight_kg": (0.001, 1000), "length_cm": (1, 400), "width_cm": (1, 400), "height_cm": (1, 400)}


def _simulated_request(form: dict[str, str], now: datetime) -> QuoteRequest | list[Problem]:
    """The simulator's form as a checkout's quote request, or what is wrong with it, field by field."""
    problems: list[Problem] = []
    numbers: dict[str, float] = {}
    for name, (low, high) in {**SIMULATED_LIMITS, "cart": (0, 1_000_000)}.items():
        value = _number(form[name])
        if value is None or not low <= value <= high:
            problems.append(
                Problem(
                    _("must be a number from %(low)s to %(high)s", low=i18n.number(low), high=i18n.number(high)),
                    field=name,
                )
            )
        else:
            numbers[name] = value
    country = form["country"].strip().upper()
    if len(country) != 2 or not country.isalpha():
        problems.append(Problem(_("must be a two-letter country code, like FR"), field="country"))
    postcode = form["postcode"].replace(" ", "").upper()
    if not postcode.isalnum() or len(postcode) > 10:
        problems.append(Problem(_("must be a postcode, like 69003"), field="postcode"))
    deliver_by = None
    if form["deliver_by"]:
        try:
            deliver_by = date.fromisoformat(form["deliver_by"])
        except ValueError:
            problems.append(Problem(_("must be a date, like 2026-03-06"), field="deliver_by"))
    if problems:
        return problems
    parcel = Parcel(
        round(numbers["weight_kg"] * 1000),
        round(numbers["length_cm"] * 10),
        round(numbers["width_cm"] * 10),
        round(numbers["height_cm"] * 10),
    )
    return QuoteRequest(
        order_ref="simulation",
        ordered_at=now,
        destination=Destination(country, postcode, form["city"][:200]),
        parcels=(parcel,),
        cart=Cart(round(numbers["cart"] * 100)),
        promise=Promise(deliver_by),
    )


def _number(text: str) -> float | None:
    """A form's number, a decimal comma allowed (None when it is not one)."""
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@bp.get("/spend")
@signed_in
def spend_page() -> ResponseReturnValue:
    """Spend per carrier per month, cost per order, consolidation savings, home against pickup point:
    as charts and as a table, or as CSV (`?format=csv`)."""
    from tms.services.spend import monthly_spend, spend_csv
    from tms.web.charts import spend_charts

    context = services()
    today = context.now().date()
    until = _query_date("until") or today
    since = _query_date("since") or date(until.year - 1, until.month, 1) + timedelta(days=31)
    since = since.replace(day=1)
    if since > until or (until - since).days > 3 * 366:
        abort(400, _("since must be before until, and the period at most three years"))
    months = monthly_spend(context.uow(), since=since, until=until)
    if request.args.get("format") == "csv":
        name = f"spend-{since:%Y-%m}-{until:%Y-%m}.csv"
        return (
            spend_csv(months),
            200,
            {"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f"attachment; filename={name}"},
        )
    carriers = sorted({c for m in months for c in m.by_carrier})
    return render_template(
        "spend.html", months=months, carriers=carriers, charts=spend_charts(months), since=since, until=until
    )


@bp.get("/spend/free-shipping")
@signed_in
def free_shipping_page() -> ResponseReturnValue:
    """The free-shipping simulator: for the thresholds entered, how many of the period's shipped
    orders would have shipped free and what their shipping cost, beside the break-even cart value."""
    from tms.services.spend import simulate_free_shipping

    context = services()
    today = context.now().date()
    args = request.args
    form = {
        "since": args.get("since", (today - timedelta(days=90)).isoformat()),
        "until": args.get("until", today.isoformat()),
        "thresholds": args.get("thresholds", "39; 49; 59"),
    }
    read = free_shipping_form(form)
    if isinstance(read, list):
        return render_template("free_shipping.html", form=form, simulation=None, problems=read), 422
    since, until, thresholds = read
    simulation = simulate_free_shipping(context.uow(), since=since, until=until, thresholds_cents=thresholds)
    return render_template("free_shipping.html", form=form, simulation=simulation, problems=[])


FREE_SHIPPING_THRESHOLDS = 12  # at most, in one simulation


def free_shipping_form(form: dict[str, str]) -> tuple[date, date, list[int]] | list[Problem]:
    """The simulator's period and thresholds (EUR, separated by `;` or spaces, a decimal comma
    allowed), or what is wrong with them, field by field."""
    problems: list[Problem] = []
    days: dict[str, date] = {}
    for name in ("since", "until"):
        try:
            days[name] = date.fromisoformat(form[name].strip())
        except ValueError:
            problems.append(Problem(_("must be a date, like 2026-03-06"), field=name))
    if len(days) == 2 and not 0 <= (days["until"] - days["since"]).days <= 3 * 366:
        problems.append(Problem(_("must be on or after since, and the period at most three years"), field="until"))
    thresholds: list[int] = []
    texts = form["thresholds"].replace(";", " ").split()
    for text in texts:
        value = _number(text)
        if value is None or not 0 <= value <= 100_000:
            problems.append(
                Problem(_("%(text)r must be an amount from 0 to 100000 EUR", text=text[:20]), field="thresholds")
            )
            break
        thresholds.append(round(value * 100))
    if not problems and not 1 <= len(thresholds) <= FREE_SHIPPING_THRESHOLDS:
        problems.append(
            Problem(_("must list 1 to %(most)s amounts", most=FREE_SHIPPING_THRESHOLDS), field="thresholds")
        )
    if problems:
        return problems
    return days["since"], days["until"], thresholds


def price_grids(card: Any) -> list[dict[str, Any]]:
    """Per service, its prices as the workbook lays them out: a row per zone, a column per bracket
    (up to N kg), and the price per extra kg."""
    grids = []
    for service in card.services:
        mine = [g for g in card.prices if g.service == service.code]
        bounds = sorted({b.max_weight_g for g in mine for b in g.brackets})
        rows = [
            {
                "zone": g.zone,
                "prices": [{b.max_weight_g: b.price_cents for b in g.brackets}.get(bound) for bound in bounds],
                "extra_kg": g.extra_kg_price_cents,
            }
            for g in mine
        ]
        grids.append({"service": service, "bounds_kg": [bound / 1000 for bound in bounds], "rows": rows})
    return grids


# --- Keys (admin) and fuel figures ------------------------------------------------------------


def _not_an_admin() -> ResponseReturnValue | None:
    """The refusal a manager who is not an admin gets on the key pages, or None for an admin."""
    signed = signed_in_as()
    if signed is not None and signed.key.may_act_as(Role.ADMIN):
        return None
    return _refused(_("Only an admin key manages API keys: sign in with one."))


@bp.route("/keys", methods=["GET", "POST"])
@signed_in
def keys_page() -> ResponseReturnValue:
    """API keys (admin): every key, live or revoked; a new one's secret is shown on this answer only."""
    from tms.services import access

    if refused := _not_an_admin():
        return refused
    context = services()
    form = {"name": "", "role": Role.CHECKOUT.value, "channel": ""}
    problems: list[Problem] = []
    created = None
    if request.method == "POST":
        form = {name: request.form.get(name, "").strip() for name in form}
        try:
            created = access.create_api_key(
                context.uow(), name=form["name"], role=form["role"], now=context.now(), channel=form["channel"] or None
            )
        except InvalidInput as error:
            problems = error.problems
    listed = access.list_api_keys(context.uow())
    answer = render_template("keys.html", keys=listed, roles=list(Role), form=form, problems=problems, created=created)
    return answer, 422 if problems else 200


@bp.post("/keys/<int:key_id>/revoke")
@signed_in
def revoke_key(key_id: int) -> ResponseReturnValue:
    from tms.services import access

    if refused := _not_an_admin():
        return refused
    context = services()
    try:
        key = access.revoke_api_key(context.uow(), key_id, context.now())
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(error.message)
    else:
        current_app.extensions["tms_key_cache"].clear()
        flash(
            _(
                "Key %(id)s (%(name)s) revoked: it no longer works, and its page sessions are ended.",
                id=key.id,
                name=key.name,
            )
        )
    return redirect(url_for("manager.keys_page"))


@bp.route("/carriers/<string:code>/fuel", methods=["GET", "POST"])
@signed_in
def fuel_page(code: str) -> ResponseReturnValue:
    """A carrier's fuel percentages (carriers publish one a month) and a form to set the next."""
    from tms.domain.units import bp_from_percent

    context = services()
    try:
        carrier, _versions = rate_cards.get_carrier(context.uow(), code)
    except NotFound:
        abort(404)
    today = context.now().date()
    form = {"percent": "", "valid_from": today.replace(day=1).isoformat()}
    problems: list[Problem] = []
    if request.method == "POST":
        form = {name: request.form.get(name, "").strip() for name in form}
        percent = _number(form["percent"])
        if percent is None:
            problems.append(
                Problem(
                    _("must be a number from %(low)s to %(high)s", low=i18n.number(0), high=i18n.number(100)),
                    field="percent",
                )
            )
        try:
            valid_from = date.fromisoformat(form["valid_from"])
        except ValueError:
            problems.append(Problem(_("must be a date, like 2026-03-06"), field="valid_from"))
        if not problems and percent is not None:
            try:
                fuel = rate_cards.set_fuel_surcharge(
                    context.uow(), code, percent_bp=bp_from_percent(percent), valid_from=valid_from, now=context.now()
                )
            except InvalidInput as error:
                problems = error.problems
            else:
                flash(
                    _(
                        "%(carrier)s: fuel %(percent)s from %(day)s.",
                        carrier=carrier.name,
                        percent=i18n.percent(fuel.percent_bp / 10_000, None),
                        day=i18n.day(fuel.valid_from),
                    )
                )
                return redirect(url_for("manager.fuel_page", code=code))
    figures = rate_cards.list_fuel_surcharges(context.uow(), code)
    answer = render_template("fuel.html", carrier=carrier, figures=figures, form=form, problems=problems)
    return answer, 422 if problems else 200


# --- The shipping policy ------------------------------------------------------------------------


@bp.route("/shipping-policy", methods=["GET", "POST"])
@signed_in
def policy_page() -> ResponseReturnValue:
    """The free-shipping policy in force, and a form that replaces it whole (as the API's PUT does):
    the domain's rules checked, each problem under its field, nothing changed on error."""
    from tms.services import policy as policies

    context = services()
    in_force = policies.current_policy(context.uow())
    form = policy_form_values(in_force)
    problems: list[Problem] = []
    if request.method == "POST":
        form = {name: request.form.get(name, "").strip() for name in form}
        read = policy_from_form(form)
        if isinstance(read, list):
            problems = read
        else:
            signed = signed_in_as()
            by = signed.key.name if signed is not None else "manager"
            try:
                policies.set_policy(context.uow(), read, now=context.now(), by=by)
            except InvalidInput as error:  # the domain names the document's fields: promotion.ends_on
                problems = [Problem(p.message, field=(p.field or "").replace(".", "_")) for p in error.problems]
            else:
                flash(_("Shipping policy saved: quotes use it within a second."))
                return redirect(url_for("manager.policy_page"))
    answer = render_template(
        "policy.html", policy=in_force, form=form, problems=problems, break_even=break_even_cart_cents
    )
    return answer, 422 if problems else 200


def policy_form_values(policy: ShippingPolicy) -> dict[str, str]:
    """The policy as the form's texts: amounts and percentages exact, with a dot (`12345.67`), lists
    with commas; sent back unchanged, the form sets the same policy."""
    promotion = policy.promotion

    def hundredths(value: int | None) -> str:
        return "" if value is None else f"{Decimal(value).scaleb(-2).normalize():f}"

    return {
        "free_always": "on" if policy.free_always else "",
        "free_above": hundredths(policy.free_above_cents),
        "free_tiers": ", ".join(sorted(policy.free_tiers)),
        "free_categories": ", ".join(sorted(policy.free_categories)),
        "promotion_starts_on": promotion.starts_on.isoformat() if promotion else "",
        "promotion_ends_on": promotion.ends_on.isoformat() if promotion else "",
        "flat_price": hundredths(policy.flat_price_cents),
        "markup_percent": hundredths(policy.markup_bp),
        "margin_percent": hundredths(policy.margin_rate_bp),
    }


FORM_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # what a date input sends (fromisoformat also takes 20261127)


def policy_from_form(form: dict[str, str]) -> ShippingPolicy | list[Problem]:
    """The policy the form describes (an empty amount: none; empty percentages: their defaults),
    or what cannot be read in it, field by field. The policy's rules are the domain's, checked
    when it is set."""
    from tms.domain.units import bp_from_percent, cents_from_amount

    problems: list[Problem] = []
    numbers: dict[str, float | None] = {}
    for name in ("free_above", "flat_price", "markup_percent", "margin_percent"):
        numbers[name] = None
        if form[name]:
            numbers[name] = _number(form[name])
            if numbers[name] is None or abs(numbers[name] or 0) > 1e12:
                problems.append(Problem(_("must be a number"), field=name))
    days: dict[str, date] = {}
    for name in ("promotion_starts_on", "promotion_ends_on"):
        if form[name]:
            try:
                if not FORM_DAY.fullmatch(form[name]):
                    raise ValueError(form[name])
                days[name] = date.fromisoformat(form[name])
            except ValueError:
                problems.append(Problem(_("must be a date, like 2026-03-06"), field=name))
    if bool(form["promotion_starts_on"]) != bool(form["promotion_ends_on"]):
        missing = "promotion_ends_on" if form["promotion_starts_on"] else "promotion_starts_on"
        problems.append(Problem(_("a promotion needs both its first and its last day"), field=missing))
    if problems:
        return problems
    defaults = ShippingPolicy()

    def names(text: str) -> frozenset[str]:
        return frozenset(part.strip() for part in text.split(",") if part.strip())

    def scaled(name: str, to_int: Any, default: int | None) -> int | None:
        value = numbers[name]
        return default if value is None else to_int(value)

    promotion = None
    if len(days) == 2:
        promotion = Promotion(days["promotion_starts_on"], days["promotion_ends_on"])
    return ShippingPolicy(
        free_always=form["free_always"] == "on",
        free_above_cents=scaled("free_above", cents_from_amount, None),
        free_tiers=names(form["free_tiers"]),
        promotion=promotion,
        free_categories=names(form["free_categories"]),
        flat_price_cents=scaled("flat_price", cents_from_amount, None),
        markup_bp=scaled("markup_percent", bp_from_percent, defaults.markup_bp) or 0,
        margin_rate_bp=scaled("margin_percent", bp_from_percent, defaults.margin_rate_bp) or 0,
    )


@bp.get("/rate-card-template.xlsx")
@signed_in
def template() -> ResponseReturnValue:
    """The template workbook, for a manager signed in to the pages (the API's needs a key)."""
    from io import BytesIO

    from flask import send_file

    from carriers.template import template_workbook

    return send_file(
        BytesIO(template_workbook()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name="rate-card-template.xlsx",
    )
