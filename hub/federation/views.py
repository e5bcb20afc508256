"""The network dashboard (signed in); ``/public`` is in :mod:`hub.web.public`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request

from hub import auth, charts, paging
from hub.db import get_session
from hub.federation import aggregates
from hub.web.public_figures import Catalogue

bp = Blueprint("federation_pages", __name__, template_folder="templates")

CHART_ORIGINS = 6  # more lines than this are unreadable: the largest towns of the page shown


def _choice(name: str, options: list[str], default: str | None) -> str | None:
    value = request.args.get(name)
    return value if value in options else default


@bp.get("/network")
@auth.require_permission("metrics.view")
def network() -> str:
    session = get_session()
    available = aggregates.plugins_and_metrics(session)
    plugin = _choice("plugin", list(available), next(iter(available), None))
    metrics = available.get(plugin or "", [])
    metric = _choice("metric", metrics, metrics[0] if metrics else None)
    kind = _choice("kind", ["month", "week"], "month")
    regions = aggregates.regions(session)
    region = _choice("region", regions, None)
    catalogue = Catalogue.build(current_app, session)
    context: dict[str, Any] = {
        "catalogue": catalogue,
        "available": available,
        "plugin": plugin,
        "metric": metric,
        "metrics": metrics,
        "kind": kind,
        "regions": regions,
        "region": region,
        "grid": None,
    }
    if plugin and metric and kind:
        periods = aggregates.recent_periods(session, plugin, kind, 12 if kind == "month" else 26)
        # A page of towns at a time: a national network has thousands.
        towns = paging.requested_page(aggregates.towns(plugin, region))
        grid = aggregates.grid(session, plugin, metric, periods, towns.items, region)
        ranked = sorted(grid.rows, key=lambda row: -sum(v or 0 for v in row[1]))
        reading = catalogue.reading(plugin, metric)

        def shown(values: list[int | None]) -> list[float | None]:
            return [None if v is None else v / reading.scale for v in values]

        title = f"{reading.label} ({reading.unit})"
        context.update(
            grid=grid,
            reading=reading,
            towns=towns,
            by_town=charts.line_chart(
                f"{title} by town (the largest on this page), per {kind}",
                periods,
                {info.label: shown(values) for info, values in ranked[:CHART_ORIGINS]},
            ),
            totals_chart=charts.bar_chart(
                f"{title}: network total per {kind}", periods, shown(grid.totals)
            ),
        )
    return render_template("federation/network.html", **context)
