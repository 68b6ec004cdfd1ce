"""The manager pages in French (by default) or English: the language chosen, its catalog, and the
filters that write money, numbers and dates the way each language does (CLDR's, through Babel).

French unless the manager chose English: `?lang=en` (or `fr`) on any page picks the language and
keeps it in a cookie (`lang`, path /manager, SameSite=Strict) for the pages that follow; the FR | EN
link in the header is that. The browser's Accept-Language is not consulted: the pages are a French
merchant's console, and an English browser should not turn them English for someone who never asked.
English uses British conventions (`2 March 2026`, `€12.50`), the merchant working in Europe.

The catalogs are the .po files themselves (translations/<language>/LC_MESSAGES/messages.po, the
English text as msgid), read and compiled in memory when the app starts: no .mo file to build or to
forget to rebuild. Machine-readable spots (form inputs, links, CSV) use the `iso` filter, not `day`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations
from flask import Flask, Response, current_app, request, url_for
from flask_babel import Babel, Domain, get_locale, pgettext
from flask_babel import gettext as _

LANGUAGES = {"fr": "fr_FR", "en": "en_GB"}  # the language a manager picks -> the locale that formats
DEFAULT_LANGUAGE = "fr"
COOKIE = "lang"
COOKIE_MAX_AGE_S = 365 * 24 * 3600
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
NO_TRANSLATION = NullTranslations()


def read_catalogs(folder: Path = TRANSLATIONS) -> dict[str, NullTranslations]:
    """Every language's catalog, read from its .po file (a broken file stops the app at start)."""
    found: dict[str, NullTranslations] = {}
    for po in sorted(folder.glob("*/LC_MESSAGES/messages.po")):
        language = po.parent.parent.name
        with po.open("rb") as text:
            catalog = read_po(text, locale=language, abort_invalid=True)
        compiled = BytesIO()
        write_mo(compiled, catalog)  # fuzzy entries left out, as msgfmt does
        compiled.seek(0)
        found[language] = Translations(compiled)
    return found


class PoCatalogs(Domain):  # type: ignore[misc]  # flask-babel is untyped
    """flask-babel's message domain, answered from the catalogs read at start."""

    def __init__(self, catalogs: dict[str, NullTranslations]) -> None:
        super().__init__()
        self.catalogs = catalogs

    def get_translations(self) -> NullTranslations:
        locale = get_locale()
        return self.catalogs.get(locale.language, NO_TRANSLATION) if locale else NO_TRANSLATION


class PagesBabel(Babel):  # type: ignore[misc]  # flask-babel is untyped
    """flask-babel whose default domain is the .po catalogs rather than .mo files on disk."""

    def __init__(self, catalogs: dict[str, NullTranslations]) -> None:
        self._catalogs = PoCatalogs(catalogs)
        super().__init__()

    @property
    def domain_instance(self) -> Domain:
        return self._catalogs


def N_(text: str) -> str:
    """Marks a text for the catalog; translated where it is shown (by `label`)."""
    return text


def NP_(context: str, text: str) -> tuple[str, str]:
    """Marks a text with its context for the catalog (French genders differ: a *commande*
    is livrée, an *envoi* livré)."""
    return context, text


# What the pages show of the domain's codes (statuses, modes, kinds of events and changes). A code
# missing here is shown as it is, underscores as spaces.
LABELS = {
    # orders
    "pending": N_("pending"),
    "planned": N_("planned"),
    "dispatched": N_("dispatched"),
    "delivered": N_("delivered"),
    "cancelled": N_("cancelled"),
    "needs_attention": N_("needs attention"),
    # promises
    "on_track": N_("on track"),
    "at_risk": N_("at risk"),
    "late": N_("late"),
    "delivered_on_time": N_("delivered on time"),
    "delivered_late": N_("delivered late"),
    # cards
    "draft": N_("draft"),
    "active": N_("active"),
    "retired": N_("retired"),
    "in force": N_("in force"),
    "superseded": N_("superseded"),
    # runs
    "succeeded": N_("succeeded"),
    "failed": N_("failed"),
    "running": N_("running"),
    # delivery modes and speeds
    "home": N_("home"),
    "pickup_point": N_("pickup point"),
    "locker": N_("locker"),
    "economy": N_("economy"),
    "standard": N_("standard"),
    "express": N_("express"),
    # carriers' events
    "label_created": N_("label created"),
    "picked_up": N_("picked up"),
    "in_transit": N_("in transit"),
    "out_for_delivery": N_("out for delivery"),
    "available_for_pickup": N_("available for pickup"),
    "delivery_failed": N_("delivery failed"),
    "exception": N_("exception"),
    "returned": N_("returned"),
    "unknown": N_("unknown"),
    # why a quote leaves a service out
    "zone_not_served": N_("zone not served"),
    "overweight": N_("overweight"),
    "oversize": N_("oversize"),
    "weight_not_priced": N_("weight not priced"),
    "too_late": N_("too late"),
    "too_early": N_("too early"),
    "currency": N_("currency"),
    "no_pickup": N_("no pickup"),
    "no_directory": N_("no directory"),
    # what a card comparison says changed
    "added": N_("added"),
    "removed": N_("removed"),
    "changed": N_("changed"),
    "service": N_("service"),
    "zone": N_("zone"),
    "price": N_("price"),
    "transit": N_("transit"),
    "surcharge": N_("surcharge"),
    "tier": N_("tier"),
    "card": N_("card"),
    "transit_days": N_("transit days"),
    "discount_percent": N_("discount percent"),
}
# An order's statuses where French writes them otherwise than a shipment's (feminine: une commande).
ORDER_LABELS = {
    "pending": NP_("order", "pending"),
    "planned": NP_("order", "planned"),
    "dispatched": NP_("order", "dispatched"),
    "delivered": NP_("order", "delivered"),
    "cancelled": NP_("order", "cancelled"),
    "needs_attention": NP_("order", "needs attention"),
}
SCHEDULED = "scheduled from "  # the lifecycle of an active card whose day is to come


def chosen_language() -> str:
    """`?lang=`, else the cookie, else French."""
    for asked in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if asked in LANGUAGES:
            return asked
    return DEFAULT_LANGUAGE


def _locale() -> Locale:
    chosen: Locale | None = get_locale()
    return chosen if chosen is not None else Locale.parse(LANGUAGES[DEFAULT_LANGUAGE])


def _exact(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def number(value: Any, digits: int | None = None) -> str:
    """A number the language's way (`1 234,5` / `1,234.5`); `digits` fixes the decimals."""
    if value is None:
        return ""
    pattern = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(_exact(value), format=pattern, locale=_locale()))


def money(cents: int | None) -> str:
    """Cents as an amount without its sign (`1 234,56`), for a column whose heading says €."""
    return "" if cents is None else number(Decimal(cents).scaleb(-2), 2)


def cents(amount: float | None) -> int | None:
    """An amount in euros (a run's figures are) as cents, for `money` or `euros`."""
    return None if amount is None else round(_exact(amount) * 100)


def euros(cents: int | None) -> str:
    """Cents as an amount in euros with its sign, for a sentence (`12,50 €` / `€12.50`)."""
    return "" if cents is None else str(format_currency(Decimal(cents).scaleb(-2), "EUR", locale=_locale()))


def percent(ratio: Any, digits: int | None = 1, signed: bool = False) -> str:
    """A ratio (0.125) as a percentage the language's way (`12,5 %` / `12.5%`); `digits=None`
    keeps the decimals it has; `signed` writes `+` before a rise."""
    if ratio is None:
        return ""
    locale = _locale()
    pattern = str(locale.percent_formats[None].pattern)
    if digits:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits)
    if signed:
        pattern = f"+{pattern};-{pattern}"
    return str(format_percent(_exact(ratio), format=pattern, locale=locale, decimal_quantization=digits is not None))


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def day(value: date | str | None) -> str:
    """A day to read (`2 mars 2026`, `1er avril 2026` / `2 March 2026`); an ISO string is read first."""
    if value is None or value == "":
        return ""
    read, locale = _as_date(value), _locale()
    first = read.day == 1 and locale.language == "fr"  # le 1er du mois
    return str(format_date(read, "d'er' MMMM y" if first else "d MMMM y", locale=locale))


def month(value: str) -> str:
    """A month `2026-03` to read (`mars 2026` / `March 2026`)."""
    return str(format_date(date.fromisoformat(value + "-01"), "LLLL y", locale=_locale()))


def iso(value: date | str | None) -> str:
    """A day for a machine: form inputs, links, query strings (`2026-03-02`)."""
    return "" if value is None or value == "" else _as_date(value).isoformat()


def when(value: datetime | None) -> str:
    """A moment to read, in its own time zone (`2 mars 2026 14:05` / `2 Mar 2026 14:05`)."""
    return "" if value is None else str(format_datetime(value, "d MMM y HH:mm", locale=_locale()))


def label(code: Any, of: str | None = None) -> str:
    """A domain code (a status, a mode, a kind of event) in the page's language; `of="order"`
    for an order's status."""
    text = str(getattr(code, "value", code) or "")
    if text.startswith(SCHEDULED):  # the lifecycle of a card active from a day to come
        return str(_("scheduled from %(day)s", day=day(text[len(SCHEDULED) :])))
    if of == "order" and text in ORDER_LABELS:
        return str(pgettext(*ORDER_LABELS[text]))
    return str(_(LABELS[text])) if text in LABELS else text.replace("_", " ")


def language_url(language: str) -> str:
    """This page again in `language` (a page answering a form: the dashboard)."""
    rule = request.url_rule
    if request.method != "GET" and (rule is None or "GET" not in (rule.methods or ())):
        return url_for("manager.dashboard", lang=language)
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] + [("lang", language)]
    return f"{request.script_root}{request.path}?{urlencode(args)}"


def language_context() -> dict[str, Any]:
    """What base.html needs: the page's language, the choices, this page in another language."""
    return {"language": chosen_language(), "languages": tuple(LANGUAGES), "language_url": language_url}


def keeps_language(cookie_path: str) -> Any:
    """An after-request hook that keeps the language asked for by `?lang=` in the cookie."""

    def keep_language(response: Response) -> Response:
        asked = request.args.get("lang")
        if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
            response.set_cookie(
                COOKIE,
                asked,
                max_age=COOKIE_MAX_AGE_S,
                path=cookie_path,
                secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
                httponly=True,
                samesite="Strict",
            )
        return response

    return keep_language


def init_app(app: Flask) -> None:
    """Babel for the app (its locale chosen per request, its catalogs the .po files) and the filters."""
    PagesBabel(read_catalogs()).init_app(
        app, default_locale=LANGUAGES[DEFAULT_LANGUAGE], locale_selector=lambda: LANGUAGES[chosen_language()]
    )
    for name, function in (
        ("money", money),
        ("euros", euros),
        ("cents", cents),
        ("number", number),
        ("percent", percent),
        ("day", day),
        ("iso", iso),
        ("month", month),
        ("when", when),
        ("label", label),
    ):
        app.add_template_filter(function, name)
