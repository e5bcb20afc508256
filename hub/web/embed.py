"""``/embed/``: small fixed-size widgets a group puts on its own website (an iframe),
the only pages of the hub another site may frame, and the page giving their snippets."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, make_response, render_template

from hub import charts, clock
from hub.db import get_session
from hub.federation import aggregates
from hub.web.public import is_aggregator, own_area, own_summaries
from hub.web.public_figures import Catalogue, is_partial, month_label
from hub.web.public_impact import full_months_before, impact_summary

bp = Blueprint("embed", __name__, url_prefix="/embed")

WIDGET_POLICY = "; ".join(
    (
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors *",  # any site may show it: the figures are public anyway
        "base-uri 'none'",
        "form-action 'none'",
    )
)
SIZES = {"impact": (320, 220), "chart": (440, 300)}


def _widget(html: str) -> Response:
    response = make_response(html)
    response.headers["Content-Security-Policy"] = WIDGET_POLICY
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/")
def index() -> str:
    """The snippets to copy, each widget shown as another site would show it."""
    session = get_session()
    catalogue = Catalogue.build(current_app, session)
    charts_offered = [
        (plugin, name, catalogue.service(plugin), catalogue.reading(plugin, name).label)
        for plugin, names in aggregates.plugins_and_metrics(session).items()
        for name in names
        if "." not in name
    ]
    return render_template(
        "hub/embed/index.html",
        charts_offered=charts_offered,
        sizes=SIZES,
        base_url=current_app.config["BASE_URL"],
    )


@bp.get("/impact")
def impact() -> Response:
    session = get_session()
    catalogue = Catalogue.build(current_app, session)
    area = None if is_aggregator() else own_area()
    # The widget shows the first place only: the whole network, or this instance.
    summary = impact_summary(session, catalogue, clock.today(), area=area, towns_shown=0)
    html = render_template(
        "hub/embed/impact.html",
        summary=summary,
        place=summary.places[0] if summary and summary.places else None,
        size=SIZES["impact"],
        public_url=current_app.config["BASE_URL"] + "/public",
    )
    return _widget(html)


@bp.get("/chart/<plugin>/<name>")
def chart(plugin: str, name: str) -> Response:
    """One figure over the last twelve months: this instance's, or the network's total."""
    session = get_session()
    catalogue = Catalogue.build(current_app, session)
    today = clock.today()
    months = [*full_months_before(today), full_months_before(today)[-1].next()]
    values = _values(session, plugin, name, [str(m) for m in months])
    if values is None:
        abort(404)
    reading = catalogue.reading(plugin, name)
    shown = [None if v is None else v / reading.scale for v in values]
    last = len(months) - 1
    drawn = charts.bar_chart(
        f"{catalogue.service(plugin)}: {reading.label} ({reading.unit}) per month",
        [month_label(m) for m in months],
        shown,
        partial=last if is_partial(months[last], today) else None,
    )
    html = render_template(
        "hub/embed/chart.html",
        chart=drawn,
        service=catalogue.service(plugin),
        reading=reading,
        size=SIZES["chart"],
        public_url=current_app.config["BASE_URL"] + "/public",
    )
    return _widget(html)


def _values(session: Any, plugin: str, name: str, months: list[str]) -> list[int | None] | None:
    """The figure per month (``None`` if the plugin never published it)."""
    if is_aggregator():
        if name not in aggregates.plugins_and_metrics(session).get(plugin, []):
            return None
        return aggregates.grid(session, plugin, name, months, listed=[]).totals
    held = {row.period: row.metrics for row in own_summaries() if row.plugin == plugin}
    if not any(name in metrics for metrics in held.values()):
        return None
    return [held.get(month, {}).get(name) for month in months]
