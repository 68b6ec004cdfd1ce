"""The manager's pages for orders, shipments and runs: lists with filters, and each thing's page."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.api.test_manager_pages import sign_in
from tests.tracked import tracked_shipment
from tms.domain.tracking import EventKind


def page(client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return str(answer.get_data(as_text=True))


def test_a_manager_finds_an_order_follows_it_to_its_shipment_and_its_run(container, client, manager) -> None:
    exception = (EventKind.EXCEPTION, datetime(2026, 3, 5, 7, 0, tzinfo=UTC))
    shipment = tracked_shipment(container, client, manager, events=(exception,))
    sign_in(client, manager)

    listed = page(client, "/manager/orders?q=a-10&carrier=colissimo&postcode=69&since=2026-03-01&until=2026-03-02")
    assert 'href="/manager/orders/A-1001"' in listed and f'href="/manager/shipments/{shipment["id"]}"' in listed
    for query in ("q=nobody", "carrier=dpd", "postcode=75", "since=2026-03-03", "status=pending"):
        assert "No order matches." in page(client, f"/manager/orders?{query}"), query

    order = page(client, "/manager/orders/A-1001")
    assert "lea@example.fr" in order and "by 6 March 2026" in order
    assert '<span class="promise-late">late</span>' in order and "expected 7 March 2026" in order
    assert "exception" in order and shipment["tracking_url"] in order

    late = page(client, "/manager/shipments?promise_status=late")
    assert f'href="/manager/shipments/{shipment["id"]}"' in late
    assert "No shipment matches." in page(client, "/manager/shipments?promise_status=on_track")
    detail = page(client, f"/manager/shipments/{shipment['id']}")
    assert "6A100" in detail and f'href="/manager/runs/{shipment["run_id"]}"' in detail

    runs = page(client, "/manager/runs")
    assert f'href="/manager/runs/{shipment["run_id"]}"' in runs
    run = page(client, f"/manager/runs/{shipment['run_id']}")
    assert 'href="/manager/orders/A-1001"' in run
    assert "the best possible plan for these orders (proven)" in run or "% of the best possible plan" in run


def test_the_pages_refuse_a_bad_filter_and_answer_404_for_what_does_not_exist(client, manager) -> None:
    sign_in(client, manager)
    for path in (
        "/manager/orders?status=lost",
        "/manager/orders?since=yesterday",
        "/manager/shipments?promise_status=x",
    ):
        assert client.get(path).status_code == 400, path
    for path in ("/manager/orders/NOPE", "/manager/shipments/999999", "/manager/runs/999999"):
        assert client.get(path).status_code == 404, path


def test_the_api_lists_orders_by_the_same_filters(container, client, manager) -> None:
    tracked_shipment(container, client, manager)
    found = client.get("/api/v1/orders?q=1001&carrier=colissimo&since=2026-03-02&until=2026-03-02", headers=manager)
    assert [o["order_ref"] for o in found.get_json()] == ["A-1001"]
    assert client.get("/api/v1/orders?postcode=75", headers=manager).get_json() == []
    refused = client.get("/api/v1/orders?since=2026-13-01", headers=manager)
    assert refused.status_code == 422 and [e["field"] for e in refused.get_json()["errors"]] == ["since"]


def test_the_quote_simulator_shows_every_option_what_the_shopper_pays_and_why_others_are_left_out(
    container, client, manager
) -> None:
    from tests.integration.test_consolidation import a_card

    assert (
        client.post("/api/v1/rate-cards?activate=true", json=a_card("acme", 6.0, 4.5), headers=manager).status_code
        == 201
    )
    container.quote_book.refresh()
    sign_in(client, manager)
    import re

    def home_cost(html: str) -> float:
        options = html[html.index('id="options"') : html.index('id="excluded"')]
        found = re.search(r"<td>acme</td><td>HOME</td><td>home</td>\s*<td class=\"num\">([0-9.]+)</td>", options)
        assert found is not None, options
        return float(found.group(1))

    light = page(client, "/manager/quote?country=FR&postcode=69003&city=Lyon&weight_kg=1,5&cart=50")
    left_out = light[light.index('id="excluded"') :]
    assert "RELAY" in left_out and "no directory" in left_out  # acme has no pickup-point directory
    heavy = page(client, "/manager/quote?country=FR&postcode=69003&weight_kg=25")
    assert round(home_cost(heavy) - home_cost(light), 2) == 4.0  # the 30 kg bracket is 4 EUR above the 2 kg one
    refused = client.get("/manager/quote?country=FRA&postcode=69003&weight_kg=heavy&deliver_by=soon")
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert all(f"<strong>{field}</strong>" in text for field in ("country", "weight_kg", "deliver_by"))


def test_activating_a_card_asks_first_showing_what_it_drops_and_its_largest_changes_per_zone(client, manager) -> None:
    from tests.integration.test_consolidation import a_card

    in_force = a_card("acme", home=10.0, relay=5.0)
    assert client.post("/api/v1/rate-cards?activate=true", json=in_force, headers=manager).status_code == 201
    offer = a_card("acme", home=12.1, relay=5.05, valid_from="2026-04-01")  # HOME +21 % and +15 %, RELAY +1 %
    offer["prices"][1]["brackets"] = offer["prices"][1]["brackets"][:1]  # RELAY's 30 kg bracket dropped
    draft = client.post("/api/v1/rate-cards", json=offer, headers=manager)
    assert draft.status_code == 201, draft.get_json()
    card_id = draft.get_json()["rate_card"]["id"]
    sign_in(client, manager)

    card = page(client, f"/manager/rate-cards/{card_id}")
    assert f'href="/manager/rate-cards/{card_id}/activate"' in card and "draft" in card
    confirm = page(client, f"/manager/rate-cards/{card_id}/activate")
    dropped = confirm[confirm.index('id="dropped"') : confirm.index('id="lanes"')]
    assert "RELAY" in dropped and "up to 30.0 kg" in dropped
    lanes = confirm[confirm.index('id="lanes"') :]
    assert lanes.index("+21.00%") < lanes.index("+1.00%")  # the largest first
    assert "+15.00%" in lanes and "+18.00%" in lanes  # HOME: lowest, and the mean of +21 and +15
    token = confirm.split('name="csrf_token" value="')[1].split('"')[0]
    done = client.post(f"/manager/rate-cards/{card_id}/activate", data={"csrf_token": token})
    assert done.status_code == 302
    assert "scheduled from 1 April 2026" in page(client, f"/manager/rate-cards/{card_id}")


def test_spend_per_month_in_charts_a_table_and_csv_from_the_shipments_and_runs(container, client, manager) -> None:
    import csv
    import io
    import re

    shipment = tracked_shipment(container, client, manager)
    sign_in(client, manager)
    html = page(client, "/manager/spend?since=2026-01-01&until=2026-03-31")
    assert html.count("<svg") == 6
    outside = [u for u in re.findall(r'(?:href|src)="([^"]+)"', html) if u.startswith(("http:", "https:", "//"))]
    assert outside == [], outside  # nothing for the browser to fetch elsewhere
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get("/manager/spend?since=2026-01-01&until=2026-03-31&format=csv").get_data(as_text=True)
            )
        )
    )
    assert [r["month"] for r in rows] == ["2026-01", "2026-02", "2026-03"]
    march = rows[-1]
    cost = f"{shipment['cost']:.2f}"
    assert (march["shipments"], march["orders"], march["spend_eur"], march["spend_colissimo_eur"]) == (
        "1",
        "1",
        cost,
        cost,
    )
    assert march["cost_per_order_eur"] == cost and march["pickup_share"] == "0.0000"
    assert rows[0]["spend_eur"] == "0.00" and rows[0]["cost_per_order_eur"] == ""
    run = client.get(f"/api/v1/consolidation-runs/{shipment['run_id']}", headers=manager).get_json()
    assert march["savings_eur"] == f"{run['savings']:.2f}"
    assert client.get("/manager/spend?since=2026-04-01&until=2026-03-01").status_code == 400


def shipped_with_what_shoppers_paid(container, client, manager) -> dict[str, float]:
    """Four orders to four consignees, so four shipments: carts 30, 49, 120 and 200 EUR, whose shoppers
    paid 4.90, 4.90, 0 and (not said) for shipping. Each order's shipping cost, from its shipment."""
    from tests.integration.test_consolidation import TUESDAY, a_card, api_order, settings
    from tms.services.consolidation import run_consolidation

    assert (
        client.post("/api/v1/rate-cards?activate=true", json=a_card("acme", 6.0, 4.5), headers=manager).status_code
        == 201
    )
    for ref, cart, paid in (("M-1", 30, 4.90), ("M-2", 49, 4.90), ("M-3", 120, 0), ("M-4", 200, None)):
        order = api_order(ref, line1=f"{ref[-1]} rue des Lilas")
        order["items"][0]["weight_kg"] = int(ref[-1])  # a cost of its own
        order["cart"] = {"value": cart, "currency": "EUR"} | ({} if paid is None else {"shipping_paid": paid})
        assert client.post("/api/v1/orders", json=order, headers=manager).status_code == 201
    run_id, _ = run_consolidation(container.uow(), container.fresh_book(), TUESDAY, settings(), now=container.now())
    shipments = client.get(f"/api/v1/shipments?run_id={run_id}", headers=manager).get_json()
    assert sorted(len(s["orders"]) for s in shipments) == [1, 1, 1, 1]
    return {s["orders"][0]: s["cost"] for s in shipments}


def test_spend_shows_what_free_shipping_cost_against_its_carts_and_the_margin_on_shipping(
    container, client, manager
) -> None:
    import csv
    import io

    cost = shipped_with_what_shoppers_paid(container, client, manager)
    sign_in(client, manager)
    html = page(client, "/manager/spend?since=2026-03-01&until=2026-03-31")
    assert html.count("<svg") == 6 and 'id="chart-free"' in html and 'id="chart-margin"' in html
    (march,) = csv.DictReader(
        io.StringIO(client.get("/manager/spend?since=2026-03-01&until=2026-03-31&format=csv").get_data(as_text=True))
    )
    assert (march["orders"], march["free_orders"], march["paid_known_orders"]) == ("4", "1", "3")
    assert march["free_cost_eur"] == f"{cost['M-3']:.2f}" and march["free_revenue_eur"] == "120.00"
    margin = round(9.80 - cost["M-1"] - cost["M-2"] - cost["M-3"], 2)
    assert march["paid_eur"] == "9.80" and march["margin_eur"] == f"{margin:.2f}"
    assert march["margin_per_order_eur"] == f"{round(margin * 100 / 3) / 100:.2f}"


def test_the_free_shipping_simulator_counts_the_orders_a_threshold_frees_and_their_shipping_cost(
    container, client, manager
) -> None:
    import re
    from fractions import Fraction

    cost = shipped_with_what_shoppers_paid(container, client, manager)
    sign_in(client, manager)
    html = page(client, "/manager/spend/free-shipping?since=2026-03-01&until=2026-03-31&thresholds=49%3B+1000%3B+25")
    rows = re.findall(r"<tr><td class=\"num\">([0-9.,]+)</td><td class=\"num\">(\d+)</td>", html)
    assert rows == [("25.00", "4"), ("49.00", "3"), ("1,000.00", "0")]  # by threshold
    at_49 = html[html.index('<td class="num">49.00</td>') :].split("</tr>")[0]
    freed = cost["M-2"] + cost["M-3"] + cost["M-4"]
    assert f"{freed:,.2f}" in at_49 and "369.00" in at_49 and "4.90" in at_49  # carts 49 + 120 + 200; paid 4.90
    average = round(Fraction(round(sum(cost.values()) * 100), 4))
    break_even = round(Fraction(average) / Fraction(3, 10))  # the default policy's 30 % product margin
    assert f"from <strong>€{break_even / 100:,.2f}</strong>" in html

    for query, field in (
        ("thresholds=abc", "thresholds"),
        ("thresholds=", "thresholds"),
        ("since=yesterday", "since"),
        ("since=2026-04-01&until=2026-03-01", "until"),
    ):
        refused = client.get(f"/manager/spend/free-shipping?{query}")
        assert refused.status_code == 422, query
        text = refused.get_data(as_text=True)
        assert f"<strong>{field}</strong>" in text, query
    kept = client.get("/manager/spend/free-shipping?thresholds=49%3B+lots").get_data(as_text=True)
    assert 'value="49; lots"' in kept  # what the manager typed stays in the form


def test_a_cards_page_lays_out_its_zones_and_its_prices_in_kg_as_the_workbook_does(client, manager) -> None:
    from tests.integration.test_consolidation import a_card

    uploaded = client.post("/api/v1/rate-cards", json=a_card("acme", home=6.0, relay=4.5), headers=manager)
    card_id = uploaded.get_json()["rate_card"]["id"]
    sign_in(client, manager)
    html = page(client, f"/manager/rate-cards/{card_id}")
    zones = html[html.index('id="zones"') : html.index('id="prices"')]
    assert "<td>FR</td><td>France</td><td>FR</td>" in zones
    prices = html[html.index('id="prices"') :]
    assert "≤ 2 kg" in prices and "≤ 30 kg" in prices and "grams" not in prices
    home = prices[prices.index("(HOME)") : prices.index("(RELAY)")]
    assert '<td>FR</td><td class="num">6.00</td><td class="num">10.00</td>' in home


def test_a_carrier_is_answered_with_its_card_in_force_and_every_version(client, manager) -> None:
    from tests.integration.test_consolidation import a_card

    first = client.post("/api/v1/rate-cards?activate=true", json=a_card("acme", 6.0, 4.5), headers=manager).get_json()
    later = a_card("acme", 7.0, 4.5, valid_from="2027-01-01")
    second = client.post("/api/v1/rate-cards?activate=true", json=later, headers=manager).get_json()
    found = client.get("/api/v1/carriers/acme", headers=manager)
    assert found.status_code == 200
    body = found.get_json()
    assert (body["code"], body["in_force"]["id"]) == ("acme", first["rate_card"]["id"])
    assert [c["id"] for c in body["cards"]] == [second["rate_card"]["id"], first["rate_card"]["id"]]
    assert client.get("/api/v1/carriers/nobody", headers=manager).status_code == 404


def test_a_manager_downloads_the_template_and_uploads_a_card_as_csv_tables_from_the_pages(client, manager) -> None:
    import io
    from pathlib import Path

    from tests.api.test_manager_pages import csrf_token

    sign_in(client, manager)
    template = client.get("/manager/rate-card-template.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"  # a workbook, not a 401
    folder = Path(__file__).resolve().parents[2] / "config" / "examples" / "csv"
    tables = [(io.BytesIO(path.read_bytes()), path.name) for path in sorted(folder.glob("*.csv"))]
    answer = client.post(
        "/manager/rate-cards",
        data={"csv": tables, "csrf_token": csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    card_id = int(answer.headers["Location"].rstrip("/").split("/")[-1])
    stored = client.get(f"/api/v1/rate-cards/{card_id}", headers=manager).get_json()
    assert stored["status"] == "draft" and stored["source_format"] == "csv"
    wrong = client.post(
        "/manager/rate-cards",
        data={"csv": [(io.BytesIO(b"x"), "notes.csv")], "csrf_token": csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 422 and "notes" in wrong.get_data(as_text=True)


def test_the_api_answers_the_spend_and_the_free_shipping_simulation_the_pages_show(container, client, manager) -> None:
    cost = shipped_with_what_shoppers_paid(container, client, manager)
    (march,) = client.get("/api/v1/spend?since=2026-03-01&until=2026-03-31", headers=manager).get_json()
    assert (march["orders"], march["free_orders"], march["paid_known_orders"], march["paid"]) == (4, 1, 3, 9.8)
    assert march["free_cost"] == cost["M-3"] and march["free_revenue"] == 120.0
    assert march["spend"] == round(sum(cost.values()), 2) == march["spend_per_carrier"]["acme"]

    answer = client.get(
        "/api/v1/spend/free-shipping?since=2026-03-01&until=2026-03-31&threshold=49&threshold=25", headers=manager
    )
    assert answer.status_code == 200, answer.get_json()
    simulation = answer.get_json()
    assert [(t["threshold"], t["free_orders"]) for t in simulation["thresholds"]] == [(25.0, 4), (49.0, 3)]
    assert simulation["thresholds"][1]["cost"] == round(cost["M-2"] + cost["M-3"] + cost["M-4"], 2)
    assert simulation["thresholds"][1]["revenue"] == 369.0 and simulation["margin_percent"] == 30.0

    for query, field in (
        ("since=2026-03-01&until=2026-03-31", "threshold"),
        ("since=2026-03-01&until=2026-03-31&threshold=lots", "threshold"),
        ("since=2026-03-01&until=2026-03-31&threshold=-1", "threshold"),
        ("since=2026-04-01&until=2026-03-01&threshold=49", "until"),
        ("until=2026-03-01&threshold=49", "since"),
        ("since=2026-03-01&until=2026-03-31&threshold=49&tresholds=1", "tresholds"),
    ):
        refused = client.get(f"/api/v1/spend/free-shipping?{query}", headers=manager)
        assert refused.status_code == 422, query
        assert [e["field"].split("[")[0] for e in refused.get_json()["errors"]] == [field], (query, refused.get_json())
