"""Writing a quote: the fast writer's bytes are the reference document's, kept fragments or not."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carriers.readers import read_json
from tests.unit.test_quoting import WAREHOUSE, cards, orders
from tms.api import quote_io
from tms.api.quote_io import quote_document, quote_json
from tms.domain.delivery import Warehouse
from tms.domain.policy import ShippingPolicy, WarehouseCosts
from tms.services.quoting import QuoteBook, WarehouseSetup, quote_order

# A second warehouse with other fees: the same service and bracket must not reuse the first one's bytes.
LYON = WarehouseSetup(Warehouse("LYS1"), WarehouseCosts(75, 100, 0))
POLICIES = [
    ShippingPolicy(markup_bp=1500),
    ShippingPolicy(free_above_cents=5000),
    ShippingPolicy(flat_price_cents=490),
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_written_quote_is_the_reference_documents_json(data: st.DataObject) -> None:
    documents = [data.draw(cards(code)) for code in ["alpha", "bravo"]]
    book = QuoteBook.of_cards(
        [read_json(d) for d in documents], data.draw(st.sampled_from(POLICIES)), [WAREHOUSE, LYON]
    )
    if data.draw(st.booleans()):  # start from empty tables as well as from what earlier examples left
        for table in (quote_io._option_heads, quote_io._deliveries, quote_io._exclusions, quote_io._money_texts):  # noqa: SLF001
            table.clear()
    kept = quote_io._FRAGMENTS_KEPT  # noqa: SLF001
    quote_io._FRAGMENTS_KEPT = data.draw(st.sampled_from([1, 3, kept]))  # noqa: SLF001 - emptied within a quote too
    try:
        for origin in ("PAR1", "LYS1", "PAR1"):  # the second pass at PAR1 reads the fragments the first one kept
            quote = quote_order(book, data.draw(orders())._replace(origin=origin))
            assert quote_json(quote) == orjson.dumps(quote_document(quote))
    finally:
        quote_io._FRAGMENTS_KEPT = kept  # noqa: SLF001
