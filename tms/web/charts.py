"""The spend charts, drawn as SVG on the server by pygal: nothing for the browser to fetch (no
script, no font, no stylesheet from elsewhere), so the page works offline. pygal's tooltips need its
script from the web: it is left out (`js=[]`); every figure is also in the table below the charts."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import pygal
from flask_babel import gettext as _
from pygal.style import Style

from tms.services.spend import MonthSpend
from tms.web.i18n import month, number

# pygal appends a finder of the old kind (find_module only) to sys.meta_path for its map plugins, which
# we do not use: every import that later falls through to it warns (ImportWarning). Taken out again.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__module__ != "pygal"]

STYLE = Style(
    background="white",
    plot_background="white",
    font_family="system-ui, sans-serif",
    colors=("#1d4ed8", "#16794a", "#b3261e", "#8a5a00", "#6b21a8", "#0e7490", "#7a7f89"),
)


def _chart(kind: type[pygal.graph.graph.Graph], title: str, months: Sequence[MonthSpend]) -> pygal.graph.graph.Graph:
    chart = kind(
        js=[],
        disable_xml_declaration=True,
        style=STYLE,
        title=title,
        width=720,
        height=300,
        explicit_size=False,  # scales to the page's width (a phone included)
        x_label_rotation=30,
        legend_at_bottom=True,
        print_values=False,
        value_formatter=number,  # the page's language's decimal mark and grouping
    )
    chart.x_labels = [month(m.month) for m in months]
    return chart


def spend_charts(months: Sequence[MonthSpend]) -> dict[str, str]:
    carriers = sorted({c for m in months for c in m.by_carrier})
    spend = _chart(pygal.StackedBar, _("Spend per carrier (EUR)"), months)
    for carrier in carriers:
        spend.add(carrier, [m.by_carrier.get(carrier, 0) / 100 for m in months])
    per_order = _chart(pygal.Line, _("Cost per order (EUR)"), months)
    per_order.add(
        _("cost per order"), [None if m.cost_per_order_cents is None else m.cost_per_order_cents / 100 for m in months]
    )
    savings = _chart(pygal.Bar, _("Consolidation savings (EUR)"), months)
    savings.add(_("saved against shipping each order alone"), [m.savings_cents / 100 for m in months])
    share = _chart(pygal.Line, _("Orders to a pickup point or locker (%)"), months)
    share.add(
        _("pickup point or locker"), [None if m.point_share is None else round(100 * m.point_share, 1) for m in months]
    )
    free = _chart(pygal.Bar, _("Free shipping: its cost and the carts it applied to (EUR)"), months)
    free.add(_("shipping cost of the orders shipped free"), [m.free_cost_cents / 100 for m in months])
    free.add(_("their carts"), [m.free_revenue_cents / 100 for m in months])
    margin = _chart(pygal.Line, _("Margin on shipping per order (EUR)"), months)
    margin.add(
        _("paid by the shopper less what it cost"),
        [None if m.margin_per_order_cents is None else m.margin_per_order_cents / 100 for m in months],
    )
    charts = {"spend": spend, "per_order": per_order, "savings": savings, "share": share, "free": free}
    return {name: chart.render(is_unicode=True) for name, chart in {**charts, "margin": margin}.items()}
