"""The manager pages speak French unless the manager picks English (FR | EN in the header, kept in a
cookie); money, numbers and days are written each language's way, and what a machine reads (date
inputs, links, the CSV) stays ISO."""

from __future__ import annotations

import csv
import io
import re

from tests.api.test_manager_console import page, shipped_with_what_shoppers_paid
from tests.api.test_manager_pages import csrf_token, sign_in
from tests.tracked import tracked_shipment

NBSP, NNBSP = "\u00a0", "\u202f"  # CLDR's French: a no-break space before €, a narrow one between thousands


def test_the_pages_are_in_french_by_default_with_french_days(client, manager) -> None:
    assert 'lang="fr"' in client.get("/manager/sign-in").get_data(as_text=True)
    sign_in(client, manager, language=None)  # no choice made: the default
    html = page(client, "/manager/")
    assert '<html lang="fr">' in html
    assert "Transporteurs au 2 mars 2026" in html and "Importer une grille tarifaire" in html
    nav = html[html.index('id="menu"') :].split("</nav>")[0]
    assert [re.sub(r"<[^>]+>", "", link) for link in re.findall(r"<a [^>]+>[^<]+</a>", nav)] == [
        "commandes",
        "envois",
        "planifications",
        "dépenses",
        "simulateur de devis",
        "politique de livraison",
    ]
    assert "0 commande en attente." in html
    assert (
        'id="lang-en" lang="en" hreflang="en"' in html and 'id="lang-fr" lang="fr" hreflang="fr" aria-current' in html
    )


def test_an_order_reads_in_french_money_and_days_while_its_date_inputs_stay_iso(container, client, manager) -> None:
    tracked_shipment(container, client, manager)
    sign_in(client, manager, language="fr")
    order = page(client, "/manager/orders/A-1001")
    assert f"<dd>50,00{NBSP}€</dd>" in order  # the cart, 50 EUR
    assert "au plus tard le 6 mars 2026" in order and "attendu le" in order
    assert "Commande A-1001" in order and "livrée" not in order
    listed = page(client, "/manager/orders?since=2026-03-01&until=2026-03-02&status=dispatched")
    assert '<input type="date" name="since" value="2026-03-01">' in listed
    assert '<input type="date" name="until" value="2026-03-02">' in listed
    assert '<option value="dispatched" selected>expédiée</option>' in listed  # une commande: feminine
    assert "<td>2 mars 2026 15:00</td>" in listed  # when it was ordered
    shipments = page(client, "/manager/shipments?ships_on=2026-03-03")
    assert '<input type="date" name="ships_on" value="2026-03-03">' in shipments
    assert "3 mars 2026" in shipments and ">expédié<" in shipments  # un envoi: masculine


def test_spend_reads_in_french_but_its_inputs_links_and_csv_stay_machine_readable(container, client, manager) -> None:
    tracked_shipment(container, client, manager)
    sign_in(client, manager, language="fr")
    html = page(client, "/manager/spend?since=2026-01-01&until=2026-03-31")
    assert "Dépenses du 1er janvier 2026 au 31 mars 2026" in html
    assert 'name="since" value="2026-01-01"' in html and 'name="until" value="2026-03-31"' in html
    assert 'href="?since=2026-01-01&amp;until=2026-03-31&amp;format=csv"' in html
    assert 'href="/manager/spend/free-shipping?since=2026-01-01&amp;until=2026-03-31"' in html
    assert "<td>mars 2026</td>" in html and "Dépenses par transporteur (EUR)" in html
    assert f"0,0{NBSP}%" in html  # March's pickup-point share
    csv_text = client.get("/manager/spend?since=2026-01-01&until=2026-03-31&format=csv").get_data(as_text=True)
    march = list(csv.DictReader(io.StringIO(csv_text)))[-1]
    assert march["month"] == "2026-03" and "." in march["spend_eur"] and march["pickup_share"] == "0.0000"


def test_the_free_shipping_simulator_writes_amounts_and_shares_the_french_way(container, client, manager) -> None:
    shipped_with_what_shoppers_paid(container, client, manager)
    sign_in(client, manager, language="fr")
    html = page(client, "/manager/spend/free-shipping?since=2026-03-01&until=2026-03-31&thresholds=25%3B+1000")
    rows = re.findall(r"<tr><td class=\"num\">([^<]+)</td><td class=\"num\">(\d+)</td>", html)
    assert rows == [("25,00", "4"), (f"1{NNBSP}000,00", "0")]
    assert f"100,0{NBSP}%" in html  # every order ships free from 25 EUR
    assert "4 commandes expédiées du 1er mars 2026 au 31 mars 2026" in html
    assert re.search(rf"à partir de <strong>\d+,\d\d{NBSP}€</strong>", html), "the break-even cart value"
    assert f"30{NBSP}%" in html  # the default policy's product margin
    refused = client.get("/manager/spend/free-shipping?thresholds=abc").get_data(as_text=True)
    assert "doit être un montant de 0 à 100000 EUR" in refused


def test_the_manager_switches_to_english_and_back_and_the_cookie_keeps_the_choice(client, manager) -> None:
    sign_in(client, manager, language=None)
    header = page(client, "/manager/orders?status=pending")
    assert 'href="/manager/orders?status=pending&amp;lang=en"' in header  # the same page, in English

    switched = client.get("/manager/orders?status=pending&lang=en")
    cookie = switched.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "Path=/manager" in cookie
    assert "SameSite=Strict" in cookie and "HttpOnly" in cookie
    english = page(client, "/manager/")  # no ?lang: the cookie
    assert '<html lang="en">' in english and "Carriers on 2 March 2026" in english
    assert 'id="lang-en" lang="en" hreflang="en" aria-current' in english

    client.get("/manager/?lang=fr")
    assert "Transporteurs au 2 mars 2026" in page(client, "/manager/")
    assert '<html lang="en">' in page(client, "/manager/runs?lang=en")
    assert '<html lang="en">' in page(client, "/manager/runs")


def test_an_unknown_language_is_french_and_is_not_kept(client, manager) -> None:
    sign_in(client, manager, language=None)
    answer = client.get("/manager/?lang=de")
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    assert '<html lang="fr">' in answer.get_data(as_text=True)


def test_messages_and_refusals_from_the_pages_are_in_french(client, manager) -> None:
    from carriers.readers import read_json
    from carriers.writers import write_xlsx
    from tests.api.test_manager_pages import EXAMPLE

    sign_in(client, manager, language="fr")
    stored = client.post(
        "/manager/rate-cards",
        data={"file": (io.BytesIO(write_xlsx(read_json(EXAMPLE))), "offre.xlsx"), "csrf_token": csrf_token(client)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    text = stored.get_data(as_text=True)
    assert "Enregistrée comme brouillon" in text and ">brouillon<" in text
    assert "Retirer" in text and "Activer à partir du" in text
    bad = client.get("/manager/orders?since=yesterday")
    assert bad.status_code == 400 and bad.get_json()["message"] == "since doit être une date, comme 2026-03-03"
    forged = client.post("/manager/rate-cards/1/retire", data={"csrf_token": "forged"})
    assert forged.status_code == 403 and "Ce formulaire a expiré" in forged.get_data(as_text=True)
    refused = client.post(
        "/manager/rate-cards",
        data={"file": (io.BytesIO(b"%PDF-1.7"), "offre.xlsx"), "csrf_token": csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and "La grille tarifaire a été refusée" in refused.get_data(as_text=True)
    assert 'href="/manager/?lang=en"' in refused.get_data(as_text=True)  # a form's answer: EN leads to the dashboard
