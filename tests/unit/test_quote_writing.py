"""Writing a quote: the JSON answer shows every option's figures, in money, as the quote priced them."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carriers.readers import read_json
from tests.unit.test_quoting import WAREHOUSE, cards, orders
from tms.api.quote_io import quote_json, quote_summary_document
from tms.domain.delivery import Warehouse
from tms.domain.policy import ShippingPolicy, WarehouseCosts
from tms.services.quoting import QuoteBook, WarehouseSetup, quote_order

# A second warehouse with other fees: each option's fees are its own warehouse's.
LYON = WarehouseSetup(Warehouse("LYS1"), WarehouseCosts(75, 100, 0))
POLICIES = [
    ShippingPolicy(markup_bp=1500),
    ShippingPolicy(free_above_cents=5000),
    ShippingPolicy(flat_price_cents=490),
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_written_quote_shows_each_options_figures_and_its_choices_among_them(data: st.DataObject) -> None:
    documents = [data.draw(cards(code)) for code in ["alpha", "bravo"]]
    book = QuoteBook.of_cards(
        [read_json(d) for d in documents], data.draw(st.sampled_from(POLICIES)), [WAREHOUSE, LYON]
    )
    origin = data.draw(st.sampled_from(["PAR1", "LYS1"]))
    quote = quote_order(book, data.draw(orders())._replace(origin=origin))
    written = orjson.loads(quote_json(quote))

    assert [(o["carrier"], o["service"]) for o in written["options"]] == [(o.carrier, o.service) for o in quote.options]
    for shown, option in zip(written["options"], quote.options, strict=True):
        cost = option.cost
        assert shown["cost"]["total"] == round(cost.total_cents / 100, 2)
        assert shown["cost"]["transport"] == round(cost.transport_cents / 100, 2)
        assert (
            round(sum(shown["cost"][k] for k in ("transport", "packaging", "handling", "indirect")), 2)
            == (shown["cost"]["total"])
        )
        assert shown["customer_price"] == round(option.customer_price_cents / 100, 2)
        assert shown["delivery"]["latest"] == option.latest.isoformat()
    for mode, chosen in written["cheapest"].items():
        assert chosen is None or chosen in written["options"]
        assert chosen == next((o for o in written["options"] if o["mode"] == mode), None)
    assert written["recommended"] == (written["options"][0] if written["options"] else None)
    assert len(written["excluded"]) == len(quote.excluded)
    # The summary view: the same choices, without their breakdowns.
    summary = orjson.loads(orjson.dumps(quote_summary_document(quote)))
    lean = {k: v for k, v in (written["recommended"] or {}).items() if k != "cost"}
    assert summary["recommended"] == (lean or None)
